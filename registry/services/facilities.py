"""The only way facilities change: create, update, deactivate and revert, all audited.

Write services begin by raising the registry's data version. That statement takes the write
lock first (a row lock on PostGIS, the database lock on SpatiaLite), so concurrent writers
queue instead of failing half-way, and data versions commit in order, which lets readers catch
up from the last version they saw. Services flush but never commit: the caller owns the
transaction and rolls back on any error, so a refused write leaves nothing behind.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from geoalchemy2.shape import from_shape, to_shape
from shapely import Point
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from importers.messages import Rule

from .. import version_watch
from ..errors import ConflictError, NotFoundError, ValidationError
from ..models import DB_INT_MAX, Area, Facility, FacilityChange, RegistryState, utcnow
from ..vocabulary import CHANGE_SOURCES, FACILITY_TYPES, FieldSpec, fields_for
from .areas import LEVELS, assign_areas, level_of

NOT_A_VERSION = Rule(
    "facility.not_a_version",
    "field 'version': %(value)s is not a version number; send the version you read",
)
CHANGED_AGAIN = Rule(
    "facility.changed_again",
    "field '%(field)s' of facility %(id)s has changed again since change %(change)s "
    "(now %(now)s); revert the later change first",
)

AREA_FIELDS = ("province_code", "district_code", "subdistrict_code")
# Logged like fields, written only by deactivate and revert.
LIFECYCLE_FIELDS = ("deleted_at", "deleted_reason")
# Keys a write may carry besides fields: the location, the type, stated areas, a row number.
NOT_FIELDS = frozenset({"lon", "lat", "type", "row", *AREA_FIELDS})
# The change-log field of a facility's first write; its new value holds every initial field.
CREATED = "created"
MAX_TEXT = 2_000
DEFAULT_TOLERANCE_M = 5_000.0


@dataclass
class WriteResult:
    facility: Facility
    warnings: list[str] = field(default_factory=list)
    changes: list[FacilityChange] = field(default_factory=list)


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


# ---------------------------------------------------------------------------------------------
# Values


def _text_limit(name: str) -> int:
    """The column's own length (hcode 10, phone 100, ...) or MAX_TEXT for unbounded text."""
    column = Facility.__table__.c.get(name)
    length = getattr(column.type, "length", None) if column is not None else None
    return length or MAX_TEXT


def _clean_value(spec: FieldSpec, value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    name = spec.name
    if spec.kind in ("text", "choice"):
        if not isinstance(value, str):
            raise ValidationError(f"field '{name}': {value!r} is not text", field=name)
        value = value.strip()
        limit = _text_limit(name)
        if len(value) > limit:
            raise ValidationError(
                f"field '{name}': {len(value)} characters is longer than {limit}", field=name
            )
        if spec.kind == "choice" and value not in spec.choices:
            raise ValidationError(
                f"field '{name}': {value!r} is not one of {', '.join(spec.choices)}", field=name
            )
        return value
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValidationError(f"field '{name}': {value!r} is not a whole number", field=name)
        try:
            number = float(value)
        except ValueError:
            raise ValidationError(
                f"field '{name}': {value!r} is not a whole number", field=name
            ) from None
        if not number.is_integer() or number < 0:
            raise ValidationError(
                f"field '{name}': {value!r} is not a whole number of 0 or more", field=name
            )
        return int(number)
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        raise ValidationError(f"field '{name}': {value!r} is not true or false", field=name)
    if spec.kind == "list":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple | set):
            raise ValidationError(f"field '{name}': {value!r} is not a list", field=name)
        unknown = [item for item in items if item not in spec.choices]
        if unknown:
            raise ValidationError(
                f"field '{name}': {unknown[0]!r} is not one of {', '.join(spec.choices)}",
                field=name,
            )
        # Vocabulary order, no repeats: the same set always compares equal.
        return [choice for choice in spec.choices if choice in items]
    if spec.kind == "datetime":
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise ValidationError(
                    f"field '{name}': {value!r} is not an ISO 8601 date-time", field=name
                ) from None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValidationError(
                f"field '{name}': {value!r} is not a date-time with a time zone", field=name
            )
        return value
    raise AssertionError(f"unknown field kind {spec.kind}")  # a programming error, not input


def _clean_location(values: Mapping[str, Any]) -> tuple[float, float] | None:
    if "lon" not in values and "lat" not in values:
        return None
    coords = []
    for name, low, high in (("lon", -180, 180), ("lat", -90, 90)):
        raw = values.get(name)
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise ValidationError(f"field '{name}': {raw!r} is not a number", field=name) from None
        if not math.isfinite(number) or not low <= number <= high:
            kind = "longitude" if name == "lon" else "latitude"
            raise ValidationError(
                f"field '{name}': {raw!r} is not a {kind} between {low} and {high}", field=name
            )
        coords.append(number)
    return coords[0], coords[1]


def clean_values(facility_type: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check field names and values against the type's vocabulary; return normalised values."""
    specs = {spec.name: spec for spec in fields_for(facility_type)}
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name in NOT_FIELDS:
            continue
        if name not in specs:
            allowed = ", ".join(sorted(specs))
            raise ValidationError(
                f"field '{name}' does not belong to a {facility_type}; its fields are: {allowed}",
                field=name,
            )
        clean[name] = _clean_value(specs[name], value)
    return clean


def _stated_areas(session: Session, values: Mapping[str, Any]) -> dict[str, str]:
    stated = {}
    for name in AREA_FIELDS:
        code = values.get(name)
        if not code:
            continue
        expected_level = AREA_FIELDS.index(name) + 1
        area = session.get(Area, code) if isinstance(code, str) else None
        if area is None or level_of(code) != expected_level:
            raise ValidationError(
                f"field '{name}': {code!r} is not a {LEVELS[expected_level]} code", field=name
            )
        stated[name] = code
    return stated


# ---------------------------------------------------------------------------------------------
# Change log


def _logged(value: Any) -> Any:
    """The JSON form of a value in the change log."""
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _location_of(facility: Facility) -> list[float] | None:
    if facility.geom is None:
        return None
    point = to_shape(facility.geom)
    return [round(point.x, 7), round(point.y, 7)]


def _next_data_version(session: Session) -> int:
    version = session.execute(
        update(RegistryState)
        .where(RegistryState.id == 1)
        .values(data_version=RegistryState.data_version + 1)
        .returning(RegistryState.data_version)
        # Not an ORM-synchronised UPDATE: that would scan every object in the session on
        # each write, so long sessions would slow down with every change.
        .execution_options(synchronize_session=False)
    ).scalar_one()
    # Once committed, the writer's next answers see it at once (read-your-writes).
    version_watch.note_write(session, version)
    return version


def current_data_version(session: Session) -> int:
    return session.scalar(select(RegistryState.data_version).where(RegistryState.id == 1)) or 0


def _apply(
    session: Session,
    facility: Facility,
    new_values: dict[str, Any],
    actor: Actor,
    data_version: int,
    *,
    reverts: FacilityChange | None = None,
) -> list[FacilityChange]:
    """Write the values that differ and log each one; the version rises once per write."""
    current = {name: getattr(facility, name) for name in new_values if name != "location"}
    if "location" in new_values:
        current["location"] = _location_of(facility)
    changed = {
        name: value
        for name, value in new_values.items()
        if _logged(value) != _logged(current[name])
    }
    if not changed:
        return []
    now = utcnow()
    is_new = facility.id is None
    for name, value in changed.items():
        if name == "location":
            facility.geom = from_shape(Point(*value), srid=4326)
        else:
            setattr(facility, name, value)
    facility.updated_at = now
    facility.data_version = data_version
    if is_new:
        facility.created_at = now
        session.add(facility)
    try:
        session.flush()
    except StaleDataError:
        raise ConflictError(
            f"facility {facility.id} was changed by someone else while you edited it; "
            "reload it and apply your change again"
        ) from None
    if is_new:
        # One "created" entry holding the first values, not one row per field.
        logged = {CREATED: (None, {n: _logged(v) for n, v in changed.items() if v is not None})}
    else:
        logged = {n: (_logged(current[n]), _logged(v)) for n, v in changed.items()}
    changes = [
        FacilityChange(
            facility_id=facility.id,
            change_set=data_version,
            facility_version=facility.version,
            field=name,
            old_value=old,
            new_value=new,
            changed_by=actor.name,
            changed_at=now,
            source=actor.source,
            source_ref=actor.source_ref,
            reverts_change_id=reverts.id if reverts else None,
        )
        for name, (old, new) in logged.items()
    ]
    session.add_all(changes)
    session.flush()
    return changes


def _with_areas(
    session: Session,
    values: dict[str, Any],
    location: tuple[float, float],
    stated: dict[str, str],
    tolerance_m: float,
) -> list[str]:
    assignment = assign_areas(
        session, location[0], location[1], tolerance_m=tolerance_m, stated=stated
    )
    apply_assignment(values, assignment, stated)
    return assignment.warnings


def apply_assignment(values: dict[str, Any], assignment, stated: dict[str, str | None]) -> None:
    """Put derived and stated area codes and the mismatch note into a facility's values."""
    for name in AREA_FIELDS:
        values[name] = getattr(assignment, name)
        if name in stated:
            values[f"stated_{name}"] = stated[name]
    values["area_note"] = "; ".join(assignment.warnings) or None


# ---------------------------------------------------------------------------------------------
# Public services


def create_facility(
    session: Session,
    values: Mapping[str, Any],
    actor: Actor,
    *,
    confirm_status: bool = True,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> WriteResult:
    """Create a facility from field values plus ``type``, ``lon`` and ``lat``.

    The areas come from the location (see ``assign_areas``); stated ``province_code`` /
    ``district_code`` / ``subdistrict_code`` are kept and a mismatch is reported. With
    ``confirm_status`` the status counts as confirmed now by the actor; importers of old lists
    pass False so nothing looks fresher than it is.
    """
    facility_type = values.get("type")
    if facility_type not in FACILITY_TYPES:
        raise ValidationError(
            f"field 'type': {facility_type!r} is not one of {', '.join(FACILITY_TYPES)}",
            field="type",
        )
    location = _clean_location(values)
    if location is None:
        raise ValidationError("a facility needs a location: give 'lat' and 'lon'", field="lat")
    clean = clean_values(facility_type, values)
    if not clean.get("name_th"):
        raise ValidationError("field 'name_th': a facility needs a Thai name", field="name_th")
    clean.setdefault("status", "open")
    clean["status"] = clean["status"] or "open"
    clean.setdefault("source", actor.source)
    clean["source"] = clean["source"] or actor.source
    if confirm_status and not clean.get("status_confirmed_at"):
        clean["status_confirmed_at"] = utcnow()
        clean["status_confirmed_by"] = actor.name
    stated = _stated_areas(session, values)
    data_version = _next_data_version(session)
    clean["location"] = list(location)
    warnings = _with_areas(session, clean, location, stated, tolerance_m)
    facility = Facility(type=facility_type, version=1)
    changes = _apply(session, facility, clean, actor, data_version)
    return WriteResult(facility, warnings, changes)


def get_facility(session: Session, facility_id: int) -> Facility:
    facility = session.get(Facility, facility_id)
    if facility is None:
        raise NotFoundError(f"there is no facility with id {facility_id}")
    return facility


def changes_since(session: Session, facility_id: int, version: int) -> list[FacilityChange]:
    return list(
        session.scalars(
            select(FacilityChange)
            .where(
                FacilityChange.facility_id == facility_id,
                FacilityChange.facility_version > version,
            )
            .order_by(FacilityChange.id)
        )
    )


def _check_version(session: Session, facility: Facility, expected_version: Any) -> None:
    if (
        isinstance(expected_version, bool)
        or not isinstance(expected_version, int)
        or not 0 <= expected_version <= DB_INT_MAX
    ):
        shown = repr(expected_version)
        raise ValidationError(
            NOT_A_VERSION(value=shown if len(shown) <= 40 else shown[:39] + "…"),
            field="version",
        )
    if facility.version != expected_version:
        since = changes_since(session, facility.id, expected_version)
        fields = sorted({change.field for change in since})
        raise ConflictError(
            f"facility {facility.id} is at version {facility.version}, but you edited version "
            f"{expected_version}; changed since: {', '.join(fields) or 'nothing logged'}. "
            "Reload, check their change and apply yours again.",
            field="version",
            current_version=facility.version,
            changed_since=[
                {
                    "field": change.field,
                    "new_value": change.new_value,
                    "changed_by": change.changed_by,
                    "changed_at": change.changed_at.isoformat(),
                }
                for change in since
            ],
        )


def update_facility(
    session: Session,
    facility_id: int,
    changes: Mapping[str, Any],
    actor: Actor,
    *,
    expected_version: int,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> WriteResult:
    """Change some fields of a facility, refusing the write if ``expected_version`` is stale.

    A new ``status`` without its own ``status_confirmed_at`` counts as confirmed now by the
    actor, as does a request that repeats the current status (the "still open" tap).
    """
    data_version = _next_data_version(session)
    facility = get_facility(session, facility_id)
    _check_version(session, facility, expected_version)
    if "type" in changes and changes["type"] != facility.type:
        raise ValidationError(
            f"field 'type': a {facility.type} cannot become {changes['type']!r}; deactivate it "
            "and create the new facility",
            field="type",
        )
    clean = clean_values(facility.type, changes)
    if "status" in clean and "status_confirmed_at" not in clean:
        clean["status_confirmed_at"] = utcnow()
        clean["status_confirmed_by"] = actor.name
    if clean.get("name_th", "") is None:
        raise ValidationError("field 'name_th': a facility needs a Thai name", field="name_th")
    if clean.get("status", "") is None:
        raise ValidationError("field 'status': a facility needs a status", field="status")
    warnings: list[str] = []
    location = _clean_location(changes)
    stated = _stated_areas(session, changes)
    if location is not None or stated:
        location = location or tuple(_location_of(facility))
        clean["location"] = list(location)
        warnings = _with_areas(session, clean, location, stated, tolerance_m)
    logged = _apply(session, facility, clean, actor, data_version)
    return WriteResult(facility, warnings, logged)


def deactivate_facility(
    session: Session, facility_id: int, actor: Actor, *, reason: str, expected_version: int
) -> WriteResult:
    """Soft-delete: the facility leaves every public answer but keeps its history."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError("field 'reason': say why the facility is deactivated", field="reason")
    data_version = _next_data_version(session)
    facility = get_facility(session, facility_id)
    _check_version(session, facility, expected_version)
    if facility.deleted_at is not None:
        raise ValidationError(f"facility {facility_id} is already deactivated", field="id")
    values = {"deleted_at": utcnow(), "deleted_reason": reason.strip()}
    return WriteResult(facility, [], _apply(session, facility, values, actor, data_version))


def _from_log(field_name: str, value: Any) -> Any:
    if field_name in ("deleted_at", "status_confirmed_at") and value is not None:
        return datetime.fromisoformat(value)
    return value


def revert_change(
    session: Session, change_id: int, actor: Actor, *, tolerance_m: float = DEFAULT_TOLERANCE_M
) -> WriteResult:
    """Put one logged field back to its old value, as a new, logged change.

    Refused when the field has changed again since: revert the later change first.
    A reverted location re-derives the areas.
    """
    data_version = _next_data_version(session)
    change = session.get(FacilityChange, change_id)
    if change is None:
        raise NotFoundError(f"there is no logged change with id {change_id}")
    facility = get_facility(session, change.facility_id)
    name = change.field
    if name == CREATED:
        raise ValidationError(
            f"change {change_id} created facility {facility.id}; deactivate it instead",
            field="id",
        )
    now_value = _location_of(facility) if name == "location" else _logged(getattr(facility, name))
    if now_value != change.new_value:
        raise ConflictError(
            CHANGED_AGAIN(field=name, id=facility.id, change=change_id, now=repr(now_value)),
            field=name,
            facility_id=facility.id,
        )
    values = {name: _from_log(name, change.old_value)}
    warnings: list[str] = []
    if name == "location":
        warnings = _with_areas(session, values, tuple(change.old_value), {}, tolerance_m)
    return WriteResult(
        facility, warnings, _apply(session, facility, values, actor, data_version, reverts=change)
    )


def facility_history(
    session: Session, facility_id: int, *, limit: int | None = None, before: int | None = None
) -> list[FacilityChange]:
    """Logged changes of one facility, newest first: all, or a page of ``limit`` changes
    older than the change ``before`` (the last id of the previous page)."""
    get_facility(session, facility_id)
    query = select(FacilityChange).where(FacilityChange.facility_id == facility_id)
    if before is not None:
        query = query.where(FacilityChange.id < before)
    query = query.order_by(FacilityChange.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def history_page(
    session: Session, facility_id: int, *, limit: int, before: int | None = None
) -> tuple[list[FacilityChange], int | None, int]:
    """One page of the history, the cursor of the next (older) page or None, and the total."""
    changes = facility_history(session, facility_id, limit=limit + 1, before=before)
    total = session.scalar(
        select(func.count())
        .select_from(FacilityChange)
        .where(FacilityChange.facility_id == facility_id)
    )
    page = changes[:limit]
    return page, (page[-1].id if len(changes) > limit else None), total
