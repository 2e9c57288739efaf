"""What the statistics pages and downloads are refused with, as coded rules (English as the
API has always answered; Thai in registry_rules.po)."""

from __future__ import annotations

from importers.messages import Rule

NOT_AN_AREA_CODE = Rule(
    "stats.not_an_area_code",
    "area %(value)s is not an area code like TH50 (a province) or TH5001 (a district)",
)
NO_SUCH_AREA = Rule("stats.no_such_area", "there is no area %(value)s in the registry")
A_SUBDISTRICT = Rule(
    "stats.a_subdistrict",
    "%(area)s is a subdistrict; statistics are by province or district: see its district "
    "%(district)s",
)
NOT_A_RANKING = Rule("stats.not_a_ranking", "parameter 'rank': %(value)s is not one of %(choices)s")
ONE_TABLE_PER_CSV = Rule(
    "stats.one_table_per_csv",
    "table 'all': a CSV file holds one table; ask for all.xlsx or all.json, or for one of "
    "%(tables)s",
)
ADMIN_TABLE = Rule("stats.admin_table", "table %(table)s is for administrators of the area")
NOT_A_TABLE = Rule("stats.not_a_table", "table %(table)s is not one of %(tables)s (or 'all')")
