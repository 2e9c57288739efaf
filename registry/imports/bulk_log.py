"""The creation log of a bulk write: created blocks instead of one change row per facility.

The facilities a bulk write creates get created blocks (see registry.audit): who, when and
through what once per block, and each facility's first values (what a single create logs:
the fields that are set, the areas, the source and the location) with its source row, packed.
The values are the ones just written, taken column by column; the blocks are a handful of
rows, so they go to the database as one plain INSERT on either database.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import Date, insert

from registry import audit
from registry.audit import Actor, logged
from registry.imports.bulk_clean import Values
from registry.models import CreatedBlock, Facility, UTCDateTime


def _first_values(values: Values, rows: np.ndarray) -> dict[str, list]:
    """Per field, the first value of each new facility (None: it has none), in the order of
    a single write's log; a date or time as logged() writes it, once per distinct value."""
    columns = {}
    for name, column in values.columns.items():
        present = values.present[name][rows]
        if not present.any():
            continue
        first = np.where(present, column[rows], None).tolist()
        if isinstance(Facility.__table__.c[name].type, UTCDateTime | Date):
            once = {value: logged(value) for value in set(first)}
            first = [once[value] for value in first]
        columns[name] = first
    return columns


def log_created(
    writes,
    values: Values,
    rows: np.ndarray,
    source_rows: np.ndarray,
    ids: list[int],
    data_version: int,
    actor: Actor,
    now: datetime,
) -> None:
    """Queue the created blocks of new facilities: ``ids[k]`` was made from batch position
    ``rows[k]``, the file's row ``source_rows[k]``."""
    if not ids:
        return
    location = (values.lon[rows].tolist(), values.lat[rows].tolist())
    first = _first_values(values, rows)
    blocks = audit.created_blocks(
        actor, now, data_version, ids, source_rows.tolist(), location, first
    )
    # A plain INSERT of a few rows: the bulk writer runs it in order with its other writes.
    table = CreatedBlock.__table__
    writes.insert_select(table, insert(table).values(blocks), len(blocks))
