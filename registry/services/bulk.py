"""Many facilities at once: one upsert for importers and the demo loader.

Rows are matched to existing facilities by (source, source_id), else by hcode within the same
type, else by source, type and Thai name (see _Matcher). New rows are created, changed rows
become audited changes and unchanged rows are left alone, so loading the same list twice
changes nothing the second time. Area assignment is vectorised over the whole batch; the
batch is one data version and one change set.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from geoalchemy2.shape import from_shape
from shapely import Point
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..errors import ConflictError, OutsideThailandError, RegistryError
from ..models import Facility, FacilityChange, utcnow
from ..spatial import spatial_dialect
from .areas import assign_many
from .facilities import (
    AREA_FIELDS,
    CREATED,
    Actor,
    _clean_location,
    _location_of,
    _logged,
    _next_data_version,
    apply_assignment,
    clean_values,
)

_CHUNK = 500  # keys per IN (...) query
# Evidence about the areas (what the source states, the note on a mismatch): written along with
# a real change, but never a reason to change a facility. Lists differ in how they state areas
# (a province column in one week, only an address in the next); that is not news.
EVIDENCE_FIELDS = frozenset(
    {"stated_province_code", "stated_district_code", "stated_subdistrict_code", "area_note"}
)


@dataclass
class RowOutcome:
    row: int
    action: str  # created, updated, unchanged, rejected
    facility_id: int | None = None
    message: str | None = None
    changed_fields: list[str] = field(default_factory=list)


@dataclass
class UpsertResult:
    outcomes: list[RowOutcome]
    warnings: list[tuple[int, str]]
    data_version: int | None

    def count(self, action: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {a: self.count(a) for a in ("created", "updated", "unchanged", "rejected")}


def _none_for_nan(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: None if isinstance(value, float) and math.isnan(value) else value
        for key, value in record.items()
    }


def _chunks(keys: set) -> Iterator[list]:
    ordered = sorted(keys)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


class _Matcher:
    """Finds the facility a row describes: by (source, source id), else by hcode within the
    type, else (rows without any identifier) by the same source, type and exact Thai name when
    that names exactly one active facility."""

    def __init__(self, session: Session, rows: list[dict[str, Any]]) -> None:
        self.by_key: dict[tuple[str, str], Facility] = {}
        self.by_hcode: dict[tuple[str, str], Facility] = {}
        self.by_name: dict[tuple[str, str, str], Facility | None] = {}
        keys = {(r["source"], str(r["source_id"])) for r in rows if r.get("source_id")}
        for chunk in _chunks(keys):
            for facility in session.scalars(
                select(Facility).where(tuple_(Facility.source, Facility.source_id).in_(chunk))
            ):
                self.by_key[(facility.source, facility.source_id)] = facility
        active = Facility.deleted_at.is_(None)
        for chunk in _chunks({r["hcode"] for r in rows if r.get("hcode")}):
            for facility in session.scalars(
                select(Facility).where(Facility.hcode.in_(chunk), active).order_by(Facility.id)
            ):
                self.by_hcode.setdefault((facility.type, facility.hcode), facility)
        names = {
            (r["source"], r["type"], r["name_th"])
            for r in rows
            if not r.get("source_id") and not r.get("hcode") and r.get("name_th")
        }
        for chunk in _chunks(names):
            for facility in session.scalars(
                select(Facility).where(
                    tuple_(Facility.source, Facility.type, Facility.name_th).in_(chunk), active
                )
            ):
                key = (facility.source, facility.type, facility.name_th)
                # A name that two active facilities share identifies neither.
                self.by_name[key] = None if key in self.by_name else facility

    def find(self, row: dict[str, Any], values: dict[str, Any]) -> Facility | None:
        if values.get("source_id"):
            found = self.by_key.get((values["source"], values["source_id"]))
            if found is not None:
                return found
        if values.get("hcode"):
            return self.by_hcode.get((row["type"], values["hcode"]))
        if not values.get("source_id"):
            return self.by_name.get((values["source"], row["type"], values.get("name_th")))
        return None


def upsert_facilities(
    session: Session,
    records: Iterable[Mapping[str, Any]],
    actor: Actor,
    *,
    tolerance_m: float,
    allowed_area_prefixes: tuple[str, ...] | None = None,
) -> UpsertResult:
    """Create or update facilities from normalised records; report every row's outcome.

    Each record holds ``type``, ``lon``, ``lat``, registry field names, optionally stated
    ``province_code`` / ``district_code`` / ``subdistrict_code`` and ``row`` (its number in the
    source file, for messages). A record that fails validation is rejected with its message and
    the rest go on; the caller decides whether any rejection aborts the whole batch. With
    ``allowed_area_prefixes`` rows whose location lies outside those area codes are rejected.
    Statuses are not marked as confirmed unless the record carries ``status_confirmed_at``.
    """
    rows = [_none_for_nan(record) for record in records]
    for number, row in enumerate(rows, start=1):
        row.setdefault("row", number)
        row["source"] = row.get("source") or actor.source
    outcomes: list[RowOutcome] = []
    warnings: list[tuple[int, str]] = []
    if not rows:
        return UpsertResult(outcomes, warnings, None)

    data_version = _next_data_version(session)
    cleaned: list[tuple[dict, dict, tuple[float, float]]] = []
    for row in rows:
        try:
            location = _clean_location(row)
            if location is None:
                raise RegistryError("a facility needs a location: give 'lat' and 'lon'")
            values = clean_values(row["type"], row) if row.get("type") else None
            if values is None:
                raise RegistryError("field 'type': a facility needs a type")
            if not values.get("name_th"):
                raise RegistryError("field 'name_th': a facility needs a Thai name")
            cleaned.append((row, values, location))
        except (RegistryError, KeyError) as exc:
            outcomes.append(RowOutcome(row["row"], "rejected", message=str(exc)))

    assignments = assign_many(
        session,
        [c[2][0] for c in cleaned],
        [c[2][1] for c in cleaned],
        tolerance_m=tolerance_m,
        stated=[{n: c[0][n] for n in AREA_FIELDS if c[0].get(n)} for c in cleaned],
    )
    matcher = _Matcher(session, [c[0] for c in cleaned])
    now = utcnow()
    new_rows: list[tuple[int, str, dict[str, Any]]] = []
    pending: dict[tuple[str, str | None], int] = {}
    log_rows: list[dict[str, Any]] = []
    for (row, values, location), assignment in zip(cleaned, assignments, strict=True):
        if isinstance(assignment, OutsideThailandError):
            outcomes.append(RowOutcome(row["row"], "rejected", message=assignment.message))
            continue
        if allowed_area_prefixes is not None and not assignment.subdistrict_code.startswith(
            tuple(allowed_area_prefixes)
        ):
            outcomes.append(
                RowOutcome(
                    row["row"],
                    "rejected",
                    message=f"location lies in {assignment.subdistrict_code}, outside your "
                    f"area ({', '.join(allowed_area_prefixes)})",
                )
            )
            continue
        stated = {n: row[n] for n in AREA_FIELDS if row.get(n)}
        apply_assignment(values, assignment, stated)
        warnings.extend((row["row"], warning) for warning in assignment.warnings)
        values["source"] = row["source"]
        values["source_id"] = str(row["source_id"]) if row.get("source_id") else None
        values["location"] = [round(location[0], 7), round(location[1], 7)]

        existing = matcher.find(row, values)
        if existing is None:
            key = (values["source"], values["source_id"])
            if values["source_id"] and key in pending:
                message = f"repeats source id {values['source_id']} of row {pending[key]}"
                outcomes.append(RowOutcome(row["row"], "rejected", message=message))
                continue
            pending[key] = row["row"]
            values["status"] = values.get("status") or "open"
            new_rows.append((row["row"], row["type"], values))
            continue
        changed = {}
        for name, value in values.items():
            current = _location_of(existing) if name == "location" else getattr(existing, name)
            if _logged(value) != _logged(current):
                changed[name] = (current, value)
        if not set(changed) - EVIDENCE_FIELDS:
            # What a source says about the areas is kept, but on its own it changes nothing.
            outcomes.append(RowOutcome(row["row"], "unchanged", existing.id))
            continue
        for name, (_, value) in changed.items():
            if name == "location":
                existing.geom = from_shape(Point(*value), srid=4326)
            else:
                setattr(existing, name, value)
        existing.updated_at = now
        existing.data_version = data_version
        _flush(session, existing)
        for name, (old, new) in changed.items():
            log_rows.append(
                _log_row(
                    existing.id,
                    existing.version,
                    data_version,
                    name,
                    _logged(old),
                    _logged(new),
                    actor,
                    now,
                )
            )
        outcomes.append(
            RowOutcome(row["row"], "updated", existing.id, changed_fields=list(changed))
        )

    session.flush()
    ids = _insert_new(session, new_rows, data_version, now)
    for (number, _, values), facility_id in zip(new_rows, ids, strict=True):
        initial = {n: _logged(v) for n, v in values.items() if v is not None}
        log_rows.append(_log_row(facility_id, 1, data_version, CREATED, None, initial, actor, now))
        outcomes.append(RowOutcome(number, "created", facility_id))
    if log_rows:
        connection = session.connection()
        spatial_dialect(connection.dialect.name).bulk_insert(
            connection, FacilityChange.__table__, log_rows, False
        )
    outcomes.sort(key=lambda outcome: outcome.row)
    return UpsertResult(outcomes, warnings, data_version)


def _flush(session: Session, facility: Facility) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise ConflictError(
            f"facility {facility.id} was changed by someone else during the import; "
            "run the import again"
        ) from None


def _insert_new(
    session: Session, new_rows: list[tuple[int, str, dict[str, Any]]], data_version: int, now
) -> list[int]:
    """Insert new facilities in bulk (COPY on PostGIS), returning their ids in order.

    Core, not ORM objects: for 150,000 rows the unit of work's per-object bookkeeping (and,
    on SQLite, one INSERT per row because of the geometry bind) costs more than the database.
    """
    if not new_rows:
        return []
    records = []
    for _, facility_type, values in new_rows:
        lon, lat = values["location"]
        record = {k: v for k, v in values.items() if k != "location"}
        record.update(
            type=facility_type,
            geom=f"SRID=4326;POINT({lon!r} {lat!r})",
            version=1,
            data_version=data_version,
            created_at=now,
            updated_at=now,
        )
        records.append(record)
    connection = session.connection()
    return spatial_dialect(connection.dialect.name).bulk_insert(
        connection, Facility.__table__, records, True
    )


def _log_row(
    facility_id: int,
    facility_version: int,
    data_version: int,
    name: str,
    old: Any,
    new: Any,
    actor: Actor,
    now,
) -> dict:
    return {
        "facility_id": facility_id,
        "change_set": data_version,
        "facility_version": facility_version,
        "field": name,
        "old_value": old,
        "new_value": new,
        "changed_by": actor.name,
        "changed_at": now,
        "source": actor.source,
        "source_ref": actor.source_ref,
        "reverts_change_id": None,
    }
