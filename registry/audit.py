"""The change logs: every write of a facility or a survey record is recorded through here.

An edit, a revert, a bulk import, the status feed and the survey all say who writes and through
what (an :class:`Actor`, or a surveyor with the same three attributes), and their entries get
the same columns, the same JSON form of values and the same "created" entry. The write paths
differ only in how the rows reach the database: ORM objects for a single write (its caller
wants the new entries' ids), one executemany for the status feed, the bulk writer (COPY on
PostGIS) for an import.

A bulk write does not log one "created" row per new facility: it writes created blocks
(:class:`~registry.models.CreatedBlock`), each saying once who created up to BLOCK_SIZE
facilities with consecutive ids, when and through what, and packing every one's first values
and source row. Whoever reads a creation reads it here (:func:`origin`, :func:`first_values`,
:func:`source_row`, :func:`block_entry`, :func:`created_ids`), whichever of the two forms it
has: a facility's history, the import's undo and ``registry facility origin`` do not tell them
apart. A single create (form, API, CLI) still logs its one "created" change row.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from importers.vocabulary import CHANGE_SOURCES
from registry.errors import ValidationError
from registry.models import CreatedBlock, FacilityChange

CREATED = "created"  # the field of a creation's one entry: the new value holds every first value


class Writer(Protocol):
    """Who writes: a person's or system's name, the channel, and a reference (batch, feed)."""

    name: str
    source: str
    source_ref: str | None


@dataclass(frozen=True)
class Actor:
    """Who writes and through what: recorded on every logged change."""

    name: str
    source: str
    source_ref: str | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise ValidationError("every change needs a person or system name; got none")
        if self.source not in CHANGE_SOURCES:
            raise ValidationError(
                f"change source {self.source!r} is not one of {', '.join(CHANGE_SOURCES)}"
            )


def logged(value: Any) -> Any:
    """The JSON form of a value in a change log (dates and times in ISO 8601)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def who(writer: Writer, now: dt.datetime) -> dict[str, Any]:
    """The columns every entry of one write shares: by whom, when, through what."""
    return {
        "changed_by": writer.name,
        "changed_at": now,
        "source": writer.source,
        "source_ref": writer.source_ref,
    }


def entries(
    writer: Writer, now: dt.datetime, changes: Mapping[str, tuple[Any, Any]], **keys: Any
) -> list[dict[str, Any]]:
    """One log row per changed field: ``changes`` maps a field to its (old, new) values.

    ``keys`` are the columns that say what changed (a facility's id, version and change set,
    or a survey record's id) and, for a revert, the entry it reverts.
    """
    shared = who(writer, now) | keys
    return [
        {**shared, "field": name, "old_value": logged(old), "new_value": logged(new)}
        for name, (old, new) in changes.items()
    ]


def created(first_values: Mapping[str, Any]) -> dict[str, tuple[None, dict[str, Any]]]:
    """The changes of a creation: one "created" entry holding every first value that is set."""
    return {CREATED: (None, {n: logged(v) for n, v in first_values.items() if v is not None})}


def record(session: Session, model: type, rows: list[dict[str, Any]]) -> list[Any]:
    """Add the entries as ORM objects and flush, so that the caller has their ids."""
    objects = [model(**row) for row in rows]
    session.add_all(objects)
    session.flush()
    return objects


def record_many(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """Insert many entries in one statement; nothing is returned (the status feed's way)."""
    if rows:
        session.execute(insert(model), rows)


# --------------------------------------------------------------------------- batches


def batch_ref(batch_id: int) -> str:
    """The source_ref of an import batch's entries."""
    return f"batch:{batch_id}"


def batch_of(source_ref: str | None) -> int | None:
    """The import batch a source_ref names, if it names one."""
    found = re.fullmatch(r"batch:(\d+)", source_ref or "")
    return int(found.group(1)) if found else None


# --------------------------------------------------------------------------- created blocks

BLOCK_SIZE = 5_000  # facilities per block: one block is unpacked to read one facility's origin
# A block's packed values are zlib of one JSON object, a list per key with an item per
# facility of the block in id order: "rows" the source rows, "lon" and "lat" the location,
# and "values" a list per field of the first values (null: none). Column by column, because
# that is how a bulk write holds them and how they compress best.


def _iso(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{value!r} has no JSON form in a change log")


_PACK = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_iso).encode


def _runs(ids: Sequence[int], size: int) -> Iterator[tuple[int, int]]:
    """Positions [start, stop) of runs of consecutive ids, each at most ``size`` long.

    A bulk write reserves its ids in one block, so this is one run cut every ``size``; ids
    that skip make more, smaller blocks, and a block's range never holds an id it lacks.
    """
    start = 0
    for k in range(1, len(ids) + 1):
        if k == len(ids) or k - start == size or ids[k] != ids[k - 1] + 1:
            yield start, k
            start = k


def created_blocks(
    writer: Writer,
    now: dt.datetime,
    change_set: int,
    ids: Sequence[int],
    rows: Sequence[int],
    location: tuple[Sequence[float], Sequence[float]],
    first_values: Mapping[str, Sequence[Any]],
) -> list[dict[str, Any]]:
    """The created blocks of facilities a bulk write created, as rows of created_block.

    ``ids[k]`` was created from source row ``rows[k]`` at (``lon[k]``, ``lat[k]``) of
    ``location``, with ``first_values[name][k]`` for each field (None: none; dates and times
    as they are or already as logged() gives them), in the order a single write logs them.
    Each block holds what :func:`created` would have logged for each of its facilities, and
    the row it came from.
    """
    blocks = []
    ids, rows = list(ids), list(rows)
    lon, lat = map(list, location)
    shared = who(writer, now) | {"change_set": change_set}
    for start, stop in _runs(ids, BLOCK_SIZE):
        columns = {name: list(column[start:stop]) for name, column in first_values.items()}
        columns = {n: c for n, c in columns.items() if any(v is not None for v in c)}
        packed = {"rows": rows[start:stop], "lon": lon[start:stop], "lat": lat[start:stop]}
        text = _PACK(packed | {"values": columns}).encode()
        blocks.append(
            shared
            | {
                "first_facility_id": ids[start],
                "last_facility_id": ids[stop - 1],
                "fields": [*columns, "location"],
                "packed_values": zlib.compress(text, 1),
            }
        )
    return blocks


def _unpacked(block: CreatedBlock, facility_id: int) -> tuple[dict[str, Any], int]:
    """One facility's first values and source row, out of its block."""
    packed = json.loads(zlib.decompress(block.packed_values))
    k = facility_id - block.first_facility_id
    values = {name: column[k] for name, column in packed["values"].items()}
    first = {name: value for name, value in values.items() if value is not None}
    first["location"] = [packed["lon"][k], packed["lat"][k]]
    return first, packed["rows"][k]


def _covering(facility_id: int):
    return (
        CreatedBlock.first_facility_id <= facility_id,
        CreatedBlock.last_facility_id >= facility_id,
    )


def _block_of(session: Session, facility_id: int) -> CreatedBlock | None:
    return session.scalar(select(CreatedBlock).where(*_covering(facility_id)).limit(1))


def in_block(session: Session, facility_id: int) -> bool:
    """Whether the facility's creation is logged in a created block (it has no change row)."""
    return bool(session.scalar(select(exists().where(*_covering(facility_id)))))


def _entry(block: CreatedBlock, facility_id: int, first: dict[str, Any]) -> FacilityChange:
    return FacilityChange(
        id=None,
        facility_id=facility_id,
        change_set=block.change_set,
        facility_version=1,
        field=CREATED,
        old_value=None,
        new_value=first,
        changed_by=block.changed_by,
        changed_at=block.changed_at,
        source=block.source,
        source_ref=block.source_ref,
        reverts_change_id=None,
    )


def block_entry(session: Session, facility_id: int) -> FacilityChange | None:
    """The facility's "created" entry from its block, as a change row that is not stored
    (its id is None: nothing can refer to it) with what a single create would have logged."""
    block = _block_of(session, facility_id)
    if block is None:
        return None
    return _entry(block, facility_id, _unpacked(block, facility_id)[0])


@dataclass(frozen=True)
class Origin:
    """Where a facility came from: its "created" entry, and its row in the source file when it
    was created by a bulk write (None for one created alone, or logged before blocks)."""

    entry: FacilityChange
    row: int | None
    batch_id: int | None

    @property
    def first_values(self) -> dict[str, Any]:
        return self.entry.new_value


def origin(session: Session, facility_id: int) -> Origin | None:
    """The facility's creation, from its change row or its block; None when none is logged."""
    row = session.scalar(
        select(FacilityChange)
        .where(FacilityChange.facility_id == facility_id, FacilityChange.field == CREATED)
        .order_by(FacilityChange.id)
        .limit(1)
    )
    if row is not None:
        return Origin(row, None, batch_of(row.source_ref))
    block = _block_of(session, facility_id)
    if block is None:
        return None
    first, source_row = _unpacked(block, facility_id)
    return Origin(_entry(block, facility_id, first), source_row, batch_of(block.source_ref))


def first_values(session: Session, facility_id: int) -> dict[str, Any] | None:
    """The first values the facility was created with, as its "created" entry logs them."""
    found = origin(session, facility_id)
    return None if found is None else found.first_values


def source_row(session: Session, facility_id: int) -> int | None:
    """The row of the source file a bulk write created the facility from."""
    found = origin(session, facility_id)
    return None if found is None else found.row


def created_ids(session: Session, source_ref: str) -> list[int]:
    """The facilities whose creation is logged with this source_ref, newest first."""
    ids = set(
        session.scalars(
            select(FacilityChange.facility_id).where(
                FacilityChange.source_ref == source_ref, FacilityChange.field == CREATED
            )
        )
    )
    ranges = select(CreatedBlock.first_facility_id, CreatedBlock.last_facility_id)
    for first, last in session.execute(ranges.where(CreatedBlock.source_ref == source_ref)):
        ids.update(range(first, last + 1))
    return sorted(ids, reverse=True)
