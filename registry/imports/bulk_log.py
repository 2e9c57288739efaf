"""The change log of a bulk write.

A created facility gets one "created" entry whose new value holds every first value (the
fields that are not empty, the areas, the source and the location), as a single create logs.
PostgreSQL builds those entries itself from the rows just written, in one INSERT ... SELECT
(nothing to encode here, send and parse there). On SpatiaLite the JSON text is put together
here from per-column pieces: plain text is quoted as it is, other values are encoded once per
distinct value, and the pieces are joined with array additions.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import (
    Insert,
    String,
    case,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
)

from registry import audit
from registry.audit import CREATED, Actor
from registry.imports.bulk_clean import Values
from registry.models import Facility, FacilityChange, UTCDateTime
from registry.spatial_bulk import ColumnRows, JSONTexts

_LOG_COLUMNS = (
    "facility_id",
    "change_set",
    "facility_version",
    "field",
    "old_value",
    "new_value",
    "changed_by",
    "changed_at",
    "source",
    "source_ref",
    "reverts_change_id",
)

_JSON = json.JSONEncoder(ensure_ascii=False).encode
# Characters that JSON text must escape: quotes, backslashes and control characters.
_ESCAPED = re.compile(r'["\\\x00-\x1f]')


def _encoded(value: Any) -> str:
    return _JSON(value.isoformat() if isinstance(value, datetime) else value)


def _json_values(values: np.ndarray) -> np.ndarray:
    """Non-empty values of one column as JSON text."""
    out = np.empty(len(values), dtype=object)
    if all(v.__class__ is str for v in values) and not _ESCAPED.search("".join(values)):
        out[:] = '"' + values + '"'  # plain text needs nothing but its quotes
        return out
    try:
        once = {v: _encoded(v) for v in set(values.tolist())}
        out[:] = [once[v] for v in values.tolist()]
    except TypeError:  # lists are unhashable: encode each
        out[:] = [_encoded(v) for v in values.tolist()]
    return out


def created_values(values: Values, rows: np.ndarray) -> JSONTexts:
    """The new value of each created facility's "created" entry, as JSON text."""
    lon, lat = values.lon[rows].tolist(), values.lat[rows].tolist()
    text = np.empty(len(rows), dtype=object)
    text[:] = [f'{{"location": [{x!r}, {y!r}]' for x, y in zip(lon, lat, strict=True)]
    for name, column in values.columns.items():
        subset = column[rows]
        filled = values.present[name][rows] & np.array([v is not None for v in subset], bool)
        if not filled.any():
            continue
        piece = np.full(len(rows), "", dtype=object)
        piece[filled] = f", {_JSON(name)}: " + _json_values(subset[filled])
        text = text + piece
    return JSONTexts((text + "}").tolist())


def _shared(data_version: int, actor: Actor, now) -> dict[str, Any]:
    """The columns every "created" entry of one bulk write shares."""
    keys = {"change_set": data_version, "facility_version": 1, "reverts_change_id": None}
    return audit.who(actor, now) | keys | {"field": CREATED, "old_value": None}


def created_log(
    values: Values, rows: np.ndarray, ids: list[int], data_version: int, actor: Actor, now
) -> ColumnRows:
    """The "created" entries of the new facilities, ready for bulk_insert."""
    return ColumnRows(
        {"facility_id": ids, "new_value": created_values(values, rows)},
        _shared(data_version, actor, now),
    )


def _iso_utc(column):
    """A timestamp as Python's isoformat() writes a UTC datetime, whatever the session zone."""
    utc = column.op("AT TIME ZONE")(literal_column("'UTC'"))
    micro = func.to_char(column, "US", type_=String)
    seconds = func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS', type_=String)
    return seconds + case((micro == "000000", ""), else_="." + micro) + "+00:00"


def created_log_select(
    values: Values, rows: np.ndarray, ids: list[int], data_version: int, actor: Actor, now
) -> Insert:
    """The same entries as created_log, written by PostgreSQL from the new rows themselves:
    a JSON object of the fields some new row has, nulls left out, and the location."""
    facility = Facility.__table__
    pieces = []
    for name in values.columns:
        if values.present[name][rows].any():
            column = facility.c[name]
            value = _iso_utc(column) if isinstance(column.type, UTCDateTime) else column
            pieces += [literal_column(f"'{name}'"), value]
    location = func.json_build_array(func.ST_X(facility.c.geom), func.ST_Y(facility.c.geom))
    pieces += [literal_column("'location'"), location]
    shared = _shared(data_version, actor, now)
    constants = {
        name: null() if value is None else literal(value, FacilityChange.__table__.c[name].type)
        for name, value in shared.items()
    }
    constants["new_value"] = func.json_strip_nulls(func.json_build_object(*pieces))
    chosen = select(facility.c.id, *(constants[name] for name in _LOG_COLUMNS[1:]))
    chosen = chosen.where(facility.c.id.between(ids[0], ids[-1])).order_by(facility.c.id)
    return insert(FacilityChange.__table__).from_select(list(_LOG_COLUMNS), chosen)


def _in_utc(values: Values, rows: np.ndarray) -> bool:
    """Whether every date-time the new rows carry is given in UTC (as the database writes it;
    a single write logs a date-time in the zone it was given)."""
    for name, column in values.columns.items():
        if isinstance(Facility.__table__.c[name].type, UTCDateTime):
            given = set(np.where(values.present[name][rows], column[rows], None).tolist())
            if any(v is not None and v.utcoffset() != timedelta(0) for v in given):
                return False
    return True


def _log_in_database(writes, values, rows, ids, data_version, actor, now) -> None:
    if not _in_utc(values, rows):
        _log_from_here(writes, values, rows, ids, data_version, actor, now)
        return
    statement = created_log_select(values, rows, ids, data_version, actor, now)
    writes.insert_select(FacilityChange.__table__, statement, len(ids))


def _log_from_here(writes, values, rows, ids, data_version, actor, now) -> None:
    writes.insert(
        FacilityChange.__table__, created_log(values, rows, ids, data_version, actor, now)
    )


# PostgreSQL builds the entries from the rows it has just taken; SQLite's JSON functions
# print numbers with 15 digits, so there they are built here (exact to the last digit).
_LOG_CREATED = {"postgresql": _log_in_database, "sqlite": _log_from_here}


def log_created(
    writes, dialect_name: str, values: Values, rows: np.ndarray, ids: list[int], *log
) -> None:
    """Queue the "created" entries of new facilities (``log``: data version, actor, time)."""
    if ids:
        _LOG_CREATED[dialect_name](writes, values, rows, ids, *log)
