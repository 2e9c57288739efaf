"""Statistics tables as CSV, XLSX and JSON, written from the table of the view asked for.

The exporters never see exact counts in the public view: they are given the public
:class:`~registry.stats.tables.Table`, so a file says "<5" where the page does.
Times are written in Bangkok time with their offset (CSV, JSON) or as Bangkok wall time with
the zone stated on the "about" sheet (XLSX, which has no time zones).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from registry.i18n import BANGKOK
from registry.spreadsheets import Workbook, csv_bytes
from registry.stats.service import AreaStatistics
from registry.stats.tables import Table

FORMATS = ("csv", "xlsx", "json")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def _value(kind: str, value: Any) -> Any:
    """A JSON-ready value: Bangkok ISO times, ISO dates, shares to 6 decimals."""
    if value is None:
        return None
    if kind == "datetime" and isinstance(value, datetime):
        return value.astimezone(BANGKOK).isoformat()
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    if kind == "share" and isinstance(value, float):
        return round(value, 6)
    return value


def table_records(table: Table) -> list[dict[str, Any]]:
    kinds = {column.name: column.kind for column in table.columns}
    return [{name: _value(kinds[name], row[name]) for name in kinds} for row in table.rows]


def about(stats: AreaStatistics) -> dict[str, Any]:
    scope = stats.scope
    return {
        "area": {
            "code": scope.url_code,
            "level": ("country", "province", "district")[scope.level],
            "name_th": scope.name_th,
            "name_en": scope.name_en,
        },
        "view": stats.view,
        "suppression": (
            stats.suppression.as_dict()
            if stats.view == "public"
            else "none: exact counts for the area's administrators, not for publication"
        ),
        "generated_at": stats.generated_at.astimezone(BANGKOK).isoformat(),
        "threshold_km": stats.threshold_km,
        "ranking": stats.ranking,
        "coverage_layer": stats.coverage_layer,
        "coverage_error": stats.coverage_error,
        "reference": stats.reference,
    }


def stats_json(stats: AreaStatistics, names: list[str]) -> dict[str, Any]:
    body = about(stats)
    body["tables"] = {
        name: {
            "columns": [{"name": c.name, "kind": c.kind} for c in stats.tables[name].columns],
            "rows": table_records(stats.tables[name]),
        }
        for name in names
    }
    return body


def table_csv(table: Table) -> bytes:
    return csv_bytes(table.column_names, (record.values() for record in table_records(table)))


def _cell(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime" and isinstance(value, datetime):
        return value.astimezone(BANGKOK).replace(tzinfo=None)
    if isinstance(value, dict | list | tuple):
        return str(value)
    return value


def stats_xlsx(stats: AreaStatistics, names: list[str]) -> bytes:
    """One sheet per table, and an "about" sheet: the area, the view and its rule, sources."""
    book = Workbook()
    for name in names:
        table = stats.tables[name]
        sheet = book.sheet(name[:31])
        sheet.append(table.column_names)
        for row in table.rows:
            sheet.append([_cell(c.kind, row[c.name]) for c in table.columns])
    sheet = book.sheet("about")
    for key, value in _flat(about(stats)):
        sheet.append([key, value])
    sheet.append(["times", "Bangkok time (UTC+07:00)"])
    return book.to_bytes()


def _flat(body: dict, prefix: str = ""):
    for key, value in body.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{key} ")
        else:
            yield f"{prefix}{key}", _cell("text", value)
