"""Many facilities at once: one upsert for importers and the demo loader.

Rows are matched to existing facilities by (source, source_id), else by hcode within the same
type, else by source, type and Thai name (see _match). New rows are created, changed rows
become audited changes and unchanged rows are left alone, so loading the same list twice
changes nothing the second time. The batch is one data version and one change set.

The work runs a column at a time over the whole batch: the row checks (bulk_clean), the
areas (assign_columns), matching (one query per source and kind of key), the comparison with
what is stored, and the writes (COPY on PostGIS). Only two kinds of row go one by one: a
refused row the column checks were unsure of (for its exact message), and a row that changes
a facility (written through the ORM, so its version is checked and raised).

Over 600 lines: the matching, comparison and write steps are to move into their own modules
together with the import-speed rewrite of this path (COPY through Arrow), which replaces most
of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely
from geoalchemy2.shape import from_shape
from shapely import Point
from sqlalchemy import (
    ARRAY,
    DateTime,
    UnaryExpression,
    any_,
    bindparam,
    exists,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from importers.messages import Text
from registry import audit
from registry.areas.service import assign_columns, code_param
from registry.audit import Actor, logged
from registry.errors import ConflictError
from registry.facilities.service import AREA_FIELDS, location_of
from registry.imports.bulk_clean import CleanBatch, Values, clean_batch
from registry.imports.bulk_log import log_created
from registry.imports.messages import (
    CHANGED_DURING_IMPORT,
    OUTSIDE_YOUR_AREA,
    REPEATED_SOURCE_ID,
)
from registry.models import Facility, FacilityChange, UTCDateTime, utcnow
from registry.spatial import spatial_dialect
from registry.spatial_bulk import ColumnRows
from registry.version_watch import current_data_version, next_data_version

_SQLITE_CHUNK = 2_000  # keys per IN (...) on SQLite (its limit is 32,766 parameters)
# Evidence about the areas (what the source states, the note on a mismatch): written along with
# a real change, but never a reason to change a facility. Lists differ in how they state areas
# (a province column in one week, only an address in the next); that is not news.
EVIDENCE_FIELDS = frozenset(
    {"stated_province_code", "stated_district_code", "stated_subdistrict_code", "area_note"}
)


# Why a row was refused: a coded Text (a page says it in its language); a plain string only
# from a check that has no code yet.
Refusal = Text | str


@dataclass
class RowOutcome:
    row: int
    action: str  # created, updated, unchanged, rejected
    facility_id: int | None = None
    text: Refusal | None = None
    changed_fields: list[str] = field(default_factory=list)

    @property
    def message(self) -> str | None:
        """Why the row was refused, in English (the command line's and the API's words)."""
        return None if self.text is None else str(self.text)


@dataclass
class UpsertResult:
    outcomes: list[RowOutcome]
    warnings: list[tuple[int, Text]]
    data_version: int | None
    # What the batch created (id, type, name_th, hcode, lon, lat), for the duplicate check.
    created: pd.DataFrame | None = None
    # The rows were planned again under the lock (another write touched them meanwhile).
    replanned: bool = False

    def count(self, action: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {a: self.count(a) for a in ("created", "updated", "unchanged", "rejected")}


@dataclass
class UpsertPlan:
    """What an upsert will do, worked out from reads alone: no write, no lock.

    ``seen_version`` is the registry's data version when the plan was read: the writes go
    ahead on the plan only if no other write came in between (see apply_upsert).
    """

    records: Any
    options: dict[str, Any]
    batch: CleanBatch
    values: Values
    warnings: list[tuple[int, Text]]
    rejected: dict[int, Refusal]
    live: np.ndarray
    matched: np.ndarray
    stored: _Stored
    new: np.ndarray
    suspect: np.ndarray
    seen_version: int


def plan_upsert(
    session: Session,
    records: pd.DataFrame | Iterable[Mapping[str, Any]],
    actor: Actor,
    *,
    tolerance_m: float,
    allowed_area_prefixes: tuple[str, ...] | None = None,
) -> UpsertPlan | None:
    """Check, place and match every row, and find what may change: reads only (None: no rows).

    The slow part of an upsert (row checks, areas, matching, comparison) runs here without
    the registry's write lock, so an import's preview never blocks other writers and its
    commit holds the lock only for the writes.
    """
    batch = clean_batch(records, actor.source)
    if not len(batch):
        return None
    seen = current_data_version(session)
    rejected = dict(batch.rejected)
    values, warnings = _with_areas(session, batch, rejected, tolerance_m, allowed_area_prefixes)
    live = _not_in(rejected, len(batch))
    matched, stored = _match(session, batch, values, live)
    new = live & (matched < 0)
    _refuse_repeated_ids(batch, new, rejected)
    new &= _not_in(rejected, len(batch))
    values.set_default("status", "open", new)
    suspect = _differs(values, matched, stored, live)
    options = {"tolerance_m": tolerance_m, "allowed_area_prefixes": allowed_area_prefixes}
    return UpsertPlan(
        records,
        options,
        batch,
        values,
        warnings,
        rejected,
        live,
        matched,
        stored,
        new,
        suspect,
        seen,
    )


# Stand-in ids of the facilities a preview would create: negative, in row order.
PREVIEW_ID_BASE = -(1 << 62)


def preview_upsert(session: Session, plan: UpsertPlan | None) -> UpsertResult:
    """The outcome the plan's writes would have, without writing: new rows have no id yet
    (their stand-in is ``PREVIEW_ID_BASE + row``, for the duplicate check only)."""
    if plan is None:
        return UpsertResult([], [], None)
    rows = np.flatnonzero(plan.suspect)
    facilities = _load_matched(session, plan.matched, rows)
    updates = {}
    for i in rows.tolist():
        existing = facilities[int(plan.matched[i])]
        changed = _changed(existing, plan.values.of(i))
        if set(changed) - EVIDENCE_FIELDS:
            updates[i] = (existing.id, [], list(changed))
    new_rows = np.flatnonzero(plan.new)
    stand_ins = (PREVIEW_ID_BASE + plan.batch.rows[new_rows]).tolist()
    outcomes = _outcomes(
        plan.batch, plan.rejected, new_rows, stand_ins, plan.matched, plan.live, updates
    )
    for outcome in outcomes:
        if outcome.action == "created":
            outcome.facility_id = None
    created = _created_frame(plan.batch, plan.values, new_rows, stand_ins)
    return UpsertResult(outcomes, plan.warnings, None, created)


def apply_upsert(session: Session, plan: UpsertPlan | None, actor: Actor, *, writes=None):
    """Take the registry's write lock and make the plan's writes.

    When another write came in since the plan was read, the rows are planned again first,
    under the lock (the plan's matches could be stale). The lock is held until the caller's
    transaction ends.
    """
    if plan is None:
        return UpsertResult([], [], None)
    data_version = next_data_version(session)
    if data_version == plan.seen_version + 1 or _still_valid(session, plan):
        return _write(session, plan, data_version, actor, writes)
    plan = plan_upsert(session, plan.records, actor, **plan.options)
    result = _write(session, plan, data_version, actor, writes)
    result.replanned = True
    return result


# Past this many facilities written since a plan, it is made again rather than checked.
_MAX_CHECKED_SINCE = 5_000


def _still_valid(session: Session, plan: UpsertPlan) -> bool:
    """Whether the facilities written since the plan leave it as it was: none of them is a
    facility the plan matched, nor shares a key a row is matched by (source and id, hcode,
    or source, type and Thai name). Other people's writes to other sites, the usual case
    while an import runs, then cost the import no second plan under the lock."""
    since = Facility.data_version > plan.seen_version
    columns = (Facility.id, Facility.source, Facility.source_id, Facility.hcode)
    rows = session.execute(
        select(*columns, Facility.type, Facility.name_th).where(since).limit(_MAX_CHECKED_SINCE + 1)
    ).all()
    if len(rows) > _MAX_CHECKED_SINCE:
        return False
    if not rows:
        return True
    batch, values, live = plan.batch, plan.values, plan.live
    matched = set(plan.matched[plan.matched >= 0].tolist())
    by_id = set(zip(batch.source[live].tolist(), batch.source_id[live].tolist(), strict=True))
    hcodes = set(values.get("hcode")[live].tolist()) - {None, ""}
    names = set(
        zip(
            batch.source[live].tolist(),
            batch.types[live].tolist(),
            values.get("name_th")[live].tolist(),
            strict=True,
        )
    )
    for facility_id, source, source_id, hcode, facility_type, name_th in rows:
        if (
            facility_id in matched
            or (source, source_id) in by_id
            or hcode in hcodes
            or (source, facility_type, name_th) in names
        ):
            return False
    return True


def upsert_facilities(
    session: Session,
    records: pd.DataFrame | Iterable[Mapping[str, Any]],
    actor: Actor,
    *,
    tolerance_m: float,
    allowed_area_prefixes: tuple[str, ...] | None = None,
    writes=None,
) -> UpsertResult:
    """Create or update facilities from normalised records; report every row's outcome.

    ``records`` is an importer's frame (a missing value means the row does not have that
    field) or write-like mappings. Each row holds ``type``, ``lon``, ``lat``, registry field
    names, optionally stated ``province_code`` / ``district_code`` / ``subdistrict_code`` and
    ``row`` (its number in the source file, for messages). A row that fails validation is
    rejected with its message and the rest go on; the caller decides whether any rejection
    aborts the whole batch. With ``allowed_area_prefixes`` rows whose location lies outside
    those area codes are rejected. Statuses are not marked as confirmed unless the row carries
    ``status_confirmed_at``.

    ``writes`` is an open ``bulk_writes`` of the session's connection: the inserts are then
    queued on it and may still be under way when this returns (the caller leaves its block
    before using the session again). Without it the upsert waits for its own writes.

    This takes the write lock first and plans under it; an import plans first, without the
    lock (plan_upsert, then apply_upsert).
    """
    if isinstance(records, pd.DataFrame) and not len(records):
        return UpsertResult([], [], None)
    data_version = next_data_version(session)
    plan = plan_upsert(
        session,
        records,
        actor,
        tolerance_m=tolerance_m,
        allowed_area_prefixes=allowed_area_prefixes,
    )
    if plan is None:
        return UpsertResult([], [], None)
    return _write(session, plan, data_version, actor, writes)


def _write(session: Session, plan: UpsertPlan, data_version: int, actor: Actor, writes):
    batch, values, matched = plan.batch, plan.values, plan.matched
    now = utcnow()
    updates = _update(session, values, matched, plan.suspect, data_version, actor, now)
    log_rows = [row for update in updates.values() for row in update[1]]
    new_rows = np.flatnonzero(plan.new)
    own = None
    dialect = session.connection().dialect.name
    if writes is None:
        own = writes = spatial_dialect(dialect).bulk_writes(session.connection())
    # The inserts go to the database in order, from a thread on PostGIS, while the outcomes
    # are worked out here.
    with own or nullcontext():
        writes.insert(FacilityChange.__table__, log_rows)
        ids = _insert_new(writes, batch, values, new_rows, data_version, now)
        source_rows = batch.rows[new_rows]
        log_created(writes, values, new_rows, source_rows, ids, data_version, actor, now)
        outcomes = _outcomes(batch, plan.rejected, new_rows, ids, matched, plan.live, updates)
        created = _created_frame(batch, values, new_rows, ids)
    return UpsertResult(outcomes, plan.warnings, data_version, created)


def _not_in(rejected: Mapping[int, Refusal], n: int) -> np.ndarray:
    keep = np.ones(n, dtype=bool)
    keep[list(rejected)] = False
    return keep


# --------------------------------------------------------------------------- areas


def _with_areas(session, batch: CleanBatch, rejected, tolerance_m, allowed_area_prefixes):
    """Derive every row's areas; refuse points abroad and, if asked, outside the caller's area.

    Returns the rows' values (fields, areas, stated areas, note, source, id, location) and the
    warnings of the accepted rows in row order.
    """
    n = len(batch)
    rows = np.flatnonzero(_not_in(rejected, n))
    stated = {name: column[rows] for name, column in batch.stated.items()}
    areas = assign_columns(
        session,
        batch.lon[rows],
        batch.lat[rows],
        tolerance_m=tolerance_m,
        stated_province=stated["province_code"],
        stated_district=stated["district_code"],
        stated_subdistrict=stated["subdistrict_code"],
    )
    for k, error in areas.errors.items():
        rejected[int(rows[k])] = error.text or error.message
    if allowed_area_prefixes is not None:
        prefixes = tuple(allowed_area_prefixes)
        yours = [code_param(prefix) for prefix in prefixes]
        for k, code in enumerate(areas.subdistrict_code):
            if code is not None and not code.startswith(prefixes):
                rejected[int(rows[k])] = OUTSIDE_YOUR_AREA(area=code_param(code), yours=yours)
    values = Values.of_batch(batch)
    for name in AREA_FIELDS:  # in the order of apply_assignment
        derived = np.full(n, None, dtype=object)
        derived[rows] = getattr(areas, name)
        values.put(name, derived)
        values.put(f"stated_{name}", batch.stated[name], batch.stated[name] != None)  # noqa: E711
    notes = np.full(n, None, dtype=object)
    warnings: list[tuple[int, Text]] = []
    for k, messages in sorted(areas.warnings.items()):
        i = int(rows[k])
        notes[i] = "; ".join(map(str, messages)) or None
        if i not in rejected:
            warnings.extend((int(batch.rows[i]), message) for message in messages)
    values.put("area_note", notes)
    values.put("source", batch.source)
    values.put("source_id", batch.source_id)
    return values, warnings


# --------------------------------------------------------------------------- matching


def _postgis_members(column, keys: list) -> Iterator:
    yield column == any_(bindparam(None, keys, type_=ARRAY(column.type)))


def _sqlite_members(column, keys: list) -> Iterator:
    for start in range(0, len(keys), _SQLITE_CHUNK):
        yield column.in_(keys[start : start + _SQLITE_CHUNK])


# "column is one of these keys": one array parameter on PostgreSQL, chunks of IN on SQLite.
MEMBERS = {"postgresql": _postgis_members, "sqlite": _sqlite_members}


@dataclass
class _Stored:
    """Stored values of the matched facilities: id -> position, and one list per column."""

    position: dict[int, int]
    columns: dict[str, list]


def _stored_columns(values: Values, live: np.ndarray) -> list:
    """What to read of a matched facility: its id, what the matching needs, and every field
    some row would write (a time as stored, converted to UTC once per distinct value)."""
    names = ["id", "type", "source_id", "hcode", "name_th"]
    names += [n for n, present in values.present.items() if (present & live).any()]
    columns = []
    for name in dict.fromkeys(names):
        column = Facility.__table__.c[name]
        if isinstance(column.type, UTCDateTime):
            column = type_coerce(column, DateTime(timezone=True)).label(name)
        columns.append(column)
    return [*columns, func.ST_X(Facility.geom).label("lon"), func.ST_Y(Facility.geom).label("lat")]


def _match(session, batch: CleanBatch, values: Values, live: np.ndarray):
    """Find the facility each row describes: by (source, source id), else by hcode within the
    type, else (rows without any identifier) by the same source, type and exact Thai name when
    that names exactly one active facility. Returns the facility id per row (-1: new) and the
    stored values of the matched facilities."""
    session.flush()
    connection = session.connection()
    members = MEMBERS[connection.dialect.name]
    query = select(*_stored_columns(values, live))
    found: dict[int, tuple] = {}
    source_ids = batch.source_id
    hcodes = values.get("hcode")
    names_th = values.get("name_th")

    def fetch(*conditions, order: UnaryExpression | None = None) -> list:
        statement = query.where(*conditions)
        rows = connection.execute(statement if order is None else statement.order_by(order))
        rows = rows.all()
        found.update((row[0], tuple(row)) for row in rows)
        return rows

    by_key: dict[tuple[str, str], int] = {}
    keyed = live & (source_ids != None)  # noqa: E711
    for source, ids in _grouped(batch.source[keyed], source_ids[keyed]):
        if not connection.scalar(select(exists().where(Facility.source == source))):
            continue  # a first load from this source: nothing to look up
        for condition in members(Facility.source_id, ids):
            for row in fetch(Facility.source == source, condition):
                by_key[(source, row.source_id)] = row.id
    active = Facility.deleted_at.is_(None)
    by_hcode: dict[tuple[str, str], int] = {}
    coded = live & (hcodes != None) & (hcodes != "")  # noqa: E711
    for condition in members(Facility.hcode, sorted(set(hcodes[coded]))):
        for row in fetch(condition, active, order=Facility.id):
            by_hcode.setdefault((row.type, row.hcode), row.id)
    by_name: dict[tuple[str, str, str], int | None] = {}
    unnamed = live & ~keyed & ~coded & (names_th != None)  # noqa: E711
    groups = pd.Series(names_th[unnamed], dtype=object).groupby(
        [batch.source[unnamed], batch.types[unnamed]]
    )
    for (source, facility_type), group in groups:
        for condition in members(Facility.name_th, sorted(set(group))):
            for row in fetch(
                Facility.source == source, Facility.type == facility_type, condition, active
            ):
                key = (source, facility_type, row.name_th)
                # A name that two active facilities share identifies neither.
                by_name[key] = None if key in by_name else row.id

    matched = np.full(len(batch), -1, dtype=np.int64)
    for i in np.flatnonzero(live).tolist():
        source, source_id = batch.source[i], source_ids[i]
        facility = by_key.get((source, source_id)) if source_id else None
        if facility is None:
            if coded[i]:
                facility = by_hcode.get((batch.types[i], hcodes[i]))
            elif not source_id:
                facility = by_name.get((source, batch.types[i], names_th[i]))
        if facility is not None:
            matched[i] = facility
    return matched, _stored(query, list(found.values()), connection.dialect)


def _stored(query, rows: list[tuple], dialect) -> _Stored:
    labels = [column.key for column in query.selected_columns]
    transposed = list(zip(*rows, strict=True)) if rows else [()] * len(labels)
    columns = {label: list(values) for label, values in zip(labels, transposed, strict=True)}
    to_utc = UTCDateTime().process_result_value
    for name in labels:
        column = Facility.__table__.c.get(name)
        if column is not None and isinstance(column.type, UTCDateTime):
            once = {v: to_utc(v, dialect) for v in set(columns[name])}
            columns[name] = [once[v] for v in columns[name]]
    return _Stored({row[0]: k for k, row in enumerate(rows)}, columns)


def _grouped(sources: np.ndarray, keys: np.ndarray) -> Iterator[tuple[str, list]]:
    for source, group in pd.Series(keys, dtype=object).groupby(sources):
        yield source, sorted(set(group))


def _refuse_repeated_ids(batch: CleanBatch, new: np.ndarray, rejected: dict[int, Refusal]) -> None:
    first: dict[tuple[str, str], int] = {}
    for i in np.flatnonzero(new & (batch.source_id != None)):  # noqa: E711
        key = (batch.source[i], batch.source_id[i])
        if key in first:
            rejected[int(i)] = REPEATED_SOURCE_ID(id=key[1], row=first[key])
        else:
            first[key] = int(batch.rows[i])


# --------------------------------------------------------------------------- updates


def _differs(values: Values, matched, stored: _Stored, live) -> np.ndarray:
    """Rows that may change their facility: some field other than evidence differs from what
    is stored, or the facility is matched by more than one row (those go in row order)."""
    rows = np.flatnonzero(live & (matched >= 0))
    suspect = np.zeros(len(matched), dtype=bool)
    if not len(rows):
        return suspect
    facilities = matched[rows]
    at = np.array([stored.position[f] for f in facilities.tolist()], dtype=np.int64)
    differs = np.zeros(len(rows), dtype=bool)
    for name, column in values.columns.items():
        if name in EVIDENCE_FIELDS:
            continue
        present = values.present[name][rows]
        if not present.any():
            continue  # a default for new rows only (status)
        new = column[rows].tolist()
        old = [stored.columns[name][k] for k in at.tolist()]
        if isinstance(Facility.__table__.c[name].type, UTCDateTime):
            unequal = [_times_differ(a, b) for a, b in zip(new, old, strict=True)]
        else:
            unequal = [a != b for a, b in zip(new, old, strict=True)]
        differs |= present & np.array(unequal, dtype=bool)
    for axis, rounded in (("lon", values.lon), ("lat", values.lat)):
        old = [None if v is None else round(v, 7) for v in stored.columns[axis]]
        differs |= rounded[rows] != np.array([old[k] for k in at.tolist()], dtype=object)
    repeated = pd.Series(facilities).duplicated(keep=False).to_numpy()
    suspect[rows] = differs | repeated
    return suspect


def _times_differ(a, b) -> bool:
    """As ``logged(a) != logged(b)`` (their ISO 8601 texts) without writing either out: another
    instant, or the same instant in another offset."""
    return a != b or (a is not None and b is not None and a.utcoffset() != b.utcoffset())


def _update(session, values: Values, matched, suspect, data_version, actor, now) -> dict:
    """Write the rows that change their facility, through the ORM: each write is checked
    against the version read and raises it. Returns row -> (facility id, log rows, fields)."""
    rows = np.flatnonzero(suspect)
    if not len(rows):
        return {}
    facilities = _load_matched(session, matched, rows)
    updates: dict[int, tuple] = {}
    pending: list[tuple[int, Facility, dict]] = []
    for i in rows.tolist():
        existing = facilities[int(matched[i])]
        if any(f is existing for _, f, _ in pending):
            _flush(session, pending, updates, data_version, actor, now)
        changed = _changed(existing, values.of(i))
        if not set(changed) - EVIDENCE_FIELDS:
            continue  # what a source says about the areas changes nothing on its own
        for name, (_, value) in changed.items():
            if name == "location":
                existing.geom = from_shape(Point(*value), srid=4326)
            else:
                setattr(existing, name, value)
        existing.updated_at = now
        existing.data_version = data_version
        pending.append((i, existing, changed))
    _flush(session, pending, updates, data_version, actor, now)
    return updates


def _load_matched(session, matched: np.ndarray, rows: np.ndarray) -> dict[int, Facility]:
    """The matched facilities of these rows, as stored now."""
    if not len(rows):
        return {}
    members = MEMBERS[session.get_bind().dialect.name]
    facilities: dict[int, Facility] = {}
    for condition in members(Facility.id, sorted(set(matched[rows].tolist()))):
        statement = select(Facility).where(condition).execution_options(populate_existing=True)
        facilities.update((f.id, f) for f in session.scalars(statement))
    return facilities


def _changed(existing: Facility, new_values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Field -> (stored, new) for the values that differ from what is stored."""
    changed = {}
    for name, value in new_values.items():
        current = location_of(existing) if name == "location" else getattr(existing, name)
        if logged(value) != logged(current):
            changed[name] = (current, value)
    return changed


def _flush(session, pending: list, updates: dict, data_version, actor, now) -> None:
    """Write the pending changes at once, then log each field with the version it made."""
    try:
        session.flush()
    except StaleDataError:
        ids = ", ".join(str(f.id) for _, f, _ in pending[:10])
        raise ConflictError(CHANGED_DURING_IMPORT(ids=ids)) from None
    for i, facility, changed in pending:
        log = audit.entries(
            actor,
            now,
            changed,
            facility_id=facility.id,
            change_set=data_version,
            facility_version=facility.version,
            reverts_change_id=None,
        )
        updates[i] = (facility.id, log, list(changed))
    pending.clear()


# --------------------------------------------------------------------------- new rows


def _insert_new(writes, batch, values: Values, rows: np.ndarray, data_version, now) -> list[int]:
    """Insert new facilities in bulk (COPY on PostGIS), returning their ids in order.

    Core, not ORM objects: for 150,000 rows the unit of work's per-object bookkeeping costs
    more than the database.
    """
    if not len(rows):
        return []
    columns: dict[str, Any] = {}
    for name, column in values.columns.items():
        present = values.present[name][rows]
        if present.any():
            columns[name] = np.where(present, column[rows], None)
    columns["type"] = batch.types[rows]
    columns["geom"] = shapely.points(values.lon[rows], values.lat[rows])
    shared = {"version": 1, "data_version": data_version, "created_at": now, "updated_at": now}
    return writes.insert(Facility.__table__, ColumnRows(columns, shared), True)


def _created_frame(batch, values: Values, rows: np.ndarray, ids: list[int]) -> pd.DataFrame:
    hcodes = values.get("hcode")
    return pd.DataFrame(
        {
            "id": np.asarray(ids, dtype=np.int64),
            "type": batch.types[rows],
            "name_th": values.get("name_th")[rows],
            "hcode": hcodes[rows],
            "lon": values.lon[rows].astype(float),
            "lat": values.lat[rows].astype(float),
        }
    )


def _outcomes(batch, rejected, new_rows, created_ids, matched, live, updates) -> list[RowOutcome]:
    numbers = batch.rows.tolist()
    outcomes = [RowOutcome(numbers[i], "rejected", text=m) for i, m in rejected.items()]
    outcomes += [
        RowOutcome(numbers[i], "created", facility_id)
        for i, facility_id in zip(new_rows.tolist(), created_ids, strict=True)
    ]
    for i in np.flatnonzero(live & (matched >= 0)).tolist():
        if i in updates:
            facility_id, _, fields = updates[i]
            outcomes.append(RowOutcome(numbers[i], "updated", facility_id, changed_fields=fields))
        else:
            outcomes.append(RowOutcome(numbers[i], "unchanged", int(matched[i])))
    outcomes.sort(key=lambda outcome: outcome.row)
    return outcomes
