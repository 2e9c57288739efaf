"""One national table, one row per province: what provinces used to report upward.

Sites by type and by status, statuses confirmed in time, beds and occupancy, and survey
progress (subdistricts reported, residents counted, unvaccinated), for all 77 provinces in
one file. Built from the same frames as the statistics pages, and published through the
same suppression rule (small counts of people shown as "<5").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import pandas as pd
from sqlalchemy.orm import Session

from importers.vocabulary import FACILITY_TYPES, STATUSES
from registry.stats import facilities as stats_facilities
from registry.stats.service import find_scope, survey_part
from registry.stats.tables import SURVEY_PROGRESS_COLUMNS, Column, Suppression, Table

SEVERITY_COLUMNS = tuple(
    f"beds_{severity}_{measure}"
    for severity in stats_facilities.SEVERITIES
    for measure in ("total", "available")
)
COLUMNS = (
    Column("code", "code"),
    Column("dopa_code", "code"),
    Column("name_th", "text"),
    Column("name_en", "text"),
    Column("sites", "count"),
    *(Column(f"sites_{t}", "count") for t in FACILITY_TYPES),
    *(Column(f"sites_{s}", "count") for s in STATUSES),
    Column("confirmed_in_time", "count"),
    Column("share_in_time", "share", share_of=("confirmed_in_time", "sites")),
    Column("beds_total", "count"),
    Column("covid_beds_total", "count"),
    Column("covid_beds_occupied", "count"),
    Column("share_covid_occupied", "share", share_of=("covid_beds_occupied", "covid_beds_total")),
    *(Column(name, "count") for name in SEVERITY_COLUMNS),
    *SURVEY_PROGRESS_COLUMNS,
)
_SUMMED = ("beds_total", "covid_beds_total", "covid_beds_occupied", *SEVERITY_COLUMNS)


def province_table(session: Session, config: Mapping, now: datetime) -> Table:
    """The exact national table (call ``.public(rule)`` before publishing it)."""
    scope = find_scope(session, None)
    facilities = stats_facilities.facility_frame(session, None)
    facilities["in_time"] = ~stats_facilities.stale_mask(facilities, config, now)
    by_province = facilities.groupby("province_code")
    types = pd.crosstab(facilities["province_code"], facilities["type"])
    statuses = pd.crosstab(facilities["province_code"], facilities["status"])
    sums = by_province[list(_SUMMED)].sum(min_count=1)
    in_time = by_province["in_time"].sum()
    survey = survey_part(session, scope).by_child
    subdistricts = pd.Series(scope.subdistricts.index.str.slice(0, 4)).value_counts()
    rows = []
    for code, names in scope.children.iterrows():
        row = {"code": code, "dopa_code": code[2:], **names[["name_th", "name_en"]].to_dict()}
        row["sites"] = int(by_province.size().get(code, 0))
        for facility_type in FACILITY_TYPES:
            row[f"sites_{facility_type}"] = _count(types, code, facility_type)
        for status in STATUSES:
            row[f"sites_{status}"] = _count(statuses, code, status)
        row["confirmed_in_time"] = int(in_time.get(code, 0))
        for name in _SUMMED:
            value = sums.at[code, name] if code in sums.index else None
            row[name] = None if value is None or pd.isna(value) else int(value)
        row["subdistricts"] = int(subdistricts.get(code, 0))
        for name in ("subdistricts_reported", "residents", "unvaccinated"):
            row[name] = int(survey.at[code, name]) if code in survey.index else 0
        rows.append(row)
    return Table.build("provinces", COLUMNS, rows)


def public_province_table(session: Session, config: Mapping, now: datetime) -> Table:
    return province_table(session, config, now).public(Suppression.from_config(config))


def _count(table: pd.DataFrame, code: str, column: str) -> int:
    if code not in table.index or column not in table.columns:
        return 0
    return int(table.at[code, column])
