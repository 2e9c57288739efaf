"""Freshness: how long a stated value stays trusted, per facility type and field.

The 'open' status has its own time per type (``FRESHNESS_TTL_HOURS``, the hook the catalog
and the resident pages read); other fields have theirs in ``FRESHNESS_FIELD_TTL_HOURS``
("*" applies to every type). A field counts as stated when someone wrote it, changed or not:
those moments are kept in ``field_confirmation``. A site whose status was last confirmed
more than ``FRESHNESS_HIDE_AFTER_DAYS`` ago is hidden from residents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.orm import Session

from registry.models import Facility, FieldConfirmation

_CHUNK = 400


@dataclass(frozen=True)
class FieldAge:
    field: str
    confirmed_at: datetime | None
    ttl_hours: float

    @property
    def never(self) -> bool:
        return self.confirmed_at is None


def status_ttl(config: Mapping, facility_type: str) -> float | None:
    return (config.get("FRESHNESS_TTL_HOURS") or {}).get(facility_type)


def field_ttls(config: Mapping, facility_type: str) -> dict[str, float]:
    rules = config.get("FRESHNESS_FIELD_TTL_HOURS") or {}
    return {**rules.get("*", {}), **rules.get(facility_type, {})}


def hide_after_hours(config: Mapping) -> float | None:
    days = config.get("FRESHNESS_HIDE_AFTER_DAYS")
    return None if days is None else float(days) * 24


def status_is_stale(config: Mapping, facility: Facility, now: datetime) -> bool:
    """True when the status was never confirmed or its time has run out (any status)."""
    ttl = status_ttl(config, facility.type)
    if ttl is None:
        return False
    confirmed = facility.status_confirmed_at
    return confirmed is None or (now - confirmed).total_seconds() > ttl * 3600


def hidden_from_residents(config: Mapping, facility: Facility, now: datetime) -> bool:
    limit = hide_after_hours(config)
    if limit is None:
        return False
    confirmed = facility.status_confirmed_at
    if confirmed is None:
        return bool(config.get("FRESHNESS_HIDE_NEVER_CONFIRMED"))
    return (now - confirmed).total_seconds() > limit * 3600


def confirm_fields(
    session: Session, stated: Mapping[int, Iterable[str]], *, by: str, at: datetime
) -> None:
    """Record that ``by`` stated these fields of these facilities at ``at``."""
    rows = [
        {"facility_id": facility_id, "field": name, "confirmed_at": at, "confirmed_by": by[:200]}
        for facility_id, names in stated.items()
        for name in sorted(set(names))
    ]
    if not rows:
        return
    keys = [(row["facility_id"], row["field"]) for row in rows]
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        session.execute(
            delete(FieldConfirmation).where(
                tuple_(FieldConfirmation.facility_id, FieldConfirmation.field).in_(chunk)
            )
        )
    session.execute(insert(FieldConfirmation), rows)


def stale_fields(
    session: Session, config: Mapping, facilities: list[Facility], now: datetime
) -> dict[int, list[FieldAge]]:
    """Per facility, the fields with a time-to-live that are past it or were never stated."""
    if not facilities:
        return {}
    ids = [f.id for f in facilities]
    confirmed: dict[tuple[int, str], datetime] = {}
    for start in range(0, len(ids), _CHUNK):
        for row in session.execute(
            select(
                FieldConfirmation.facility_id,
                FieldConfirmation.field,
                FieldConfirmation.confirmed_at,
            ).where(FieldConfirmation.facility_id.in_(ids[start : start + _CHUNK]))
        ):
            confirmed[(row.facility_id, row.field)] = row.confirmed_at
    result: dict[int, list[FieldAge]] = {}
    for facility in facilities:
        stale = []
        for name, ttl in field_ttls(config, facility.type).items():
            at = confirmed.get((facility.id, name))
            if at is None or (now - at).total_seconds() > ttl * 3600:
                stale.append(FieldAge(name, at, ttl))
        result[facility.id] = stale
    return result


def field_confirmations(session: Session, facility_id: int) -> dict[str, FieldConfirmation]:
    return {
        row.field: row
        for row in session.scalars(
            select(FieldConfirmation).where(FieldConfirmation.facility_id == facility_id)
        )
    }
