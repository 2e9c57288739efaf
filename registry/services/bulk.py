"""Many facilities at once: one upsert for importers and the demo loader.

Rows are matched to existing facilities by (source, source_id), else by hcode within the same
type; new rows are created, changed rows become audited changes, unchanged rows are left
alone, so loading the same list twice changes nothing the second time. Area assignment is
vectorised over the whole batch; the batch is one data version and one change set.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from geoalchemy2.shape import from_shape
from shapely import Point
from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..errors import ConflictError, OutsideThailandError, RegistryError
from ..models import Facility, FacilityChange, utcnow
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


def _existing(session: Session, rows: list[dict[str, Any]]) -> tuple[dict, dict]:
    keys = {(r["source"], str(r["source_id"])) for r in rows if r.get("source_id")}
    hcodes = {r["hcode"] for r in rows if r.get("hcode")}
    by_key: dict[tuple[str, str], Facility] = {}
    by_hcode: dict[tuple[str, str], Facility] = {}
    key_list = sorted(keys)
    for start in range(0, len(key_list), _CHUNK):
        chunk = key_list[start : start + _CHUNK]
        for facility in session.scalars(
            select(Facility).where(tuple_(Facility.source, Facility.source_id).in_(chunk))
        ):
            by_key[(facility.source, facility.source_id)] = facility
    hcode_list = sorted(hcodes)
    for start in range(0, len(hcode_list), _CHUNK):
        chunk = hcode_list[start : start + _CHUNK]
        for facility in session.scalars(
            select(Facility)
            .where(Facility.hcode.in_(chunk), Facility.deleted_at.is_(None))
            .order_by(Facility.id)
        ):
            by_hcode.setdefault((facility.type, facility.hcode), facility)
    return by_key, by_hcode


def upsert_facilities(
    session: Session,
    records: Iterable[Mapping[str, Any]],
    actor: Actor,
    *,
    tolerance_m: float,
) -> UpsertResult:
    """Create or update facilities from normalised records; report every row's outcome.

    Each record holds ``type``, ``lon``, ``lat``, registry field names, optionally stated
    ``province_code`` / ``district_code`` / ``subdistrict_code`` and ``row`` (its number in the
    source file, for messages). A record that fails validation is rejected with its message and
    the rest go on; the caller decides whether any rejection aborts the whole batch.
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
    by_key, by_hcode = _existing(session, [c[0] for c in cleaned])
    now = utcnow()
    new_facilities: list[tuple[int, Facility, dict]] = []
    log_rows: list[dict[str, Any]] = []
    for (row, values, location), assignment in zip(cleaned, assignments, strict=True):
        if isinstance(assignment, OutsideThailandError):
            outcomes.append(RowOutcome(row["row"], "rejected", message=assignment.message))
            continue
        stated = {n: row[n] for n in AREA_FIELDS if row.get(n)}
        apply_assignment(values, assignment, stated)
        warnings.extend((row["row"], warning) for warning in assignment.warnings)
        values["source"] = row["source"]
        values["source_id"] = str(row["source_id"]) if row.get("source_id") else None
        values["location"] = [round(location[0], 7), round(location[1], 7)]

        existing = by_key.get((values["source"], values["source_id"])) or (
            by_hcode.get((row["type"], values.get("hcode"))) if values.get("hcode") else None
        )
        if existing is None:
            values["status"] = values.get("status") or "open"
            facility = Facility(
                type=row["type"],
                version=1,
                data_version=data_version,
                created_at=now,
                updated_at=now,
                geom=from_shape(Point(*values["location"]), srid=4326),
                **{k: v for k, v in values.items() if k != "location"},
            )
            session.add(facility)
            new_facilities.append((row["row"], facility, values))
            if facility.source_id:
                by_key[(facility.source, facility.source_id)] = facility
            continue
        changed = {}
        for name, value in values.items():
            current = _location_of(existing) if name == "location" else getattr(existing, name)
            if _logged(value) != _logged(current):
                changed[name] = (current, value)
        if not changed:
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
            log_rows.append(_log_row(existing, name, _logged(old), _logged(new), actor, now))
        outcomes.append(
            RowOutcome(row["row"], "updated", existing.id, changed_fields=list(changed))
        )

    session.flush()
    for number, facility, values in new_facilities:
        initial = {n: _logged(v) for n, v in values.items() if v is not None}
        log_rows.append(_log_row(facility, CREATED, None, initial, actor, now))
        outcomes.append(RowOutcome(number, "created", facility.id))
    if log_rows:
        session.execute(insert(FacilityChange), log_rows)
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


def _log_row(facility: Facility, name: str, old: Any, new: Any, actor: Actor, now) -> dict:
    return {
        "facility_id": facility.id,
        "change_set": facility.data_version,
        "facility_version": facility.version,
        "field": name,
        "old_value": old,
        "new_value": new,
        "changed_by": actor.name,
        "changed_at": now,
        "source": actor.source,
        "source_ref": actor.source_ref,
        "reverts_change_id": None,
    }
