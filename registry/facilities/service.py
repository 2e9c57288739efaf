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
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from importers.messages import Text
from importers.vocabulary import FACILITY_TYPES, FieldSpec, fields_for
from registry import audit
from registry.areas.service import LEVEL_WORDS, assign_areas, level_of
from registry.audit import CREATED, Actor, logged
from registry.config import COAST_TOLERANCE_M
from registry.errors import ConflictError, NotFoundError, ValidationError
from registry.facilities import messages as say
from registry.facilities.messages import CHANGED_AGAIN, NOT_A_VERSION
from registry.models import DB_INT_MAX, Area, Facility, FacilityChange, utcnow
from registry.version_watch import next_data_version

AREA_FIELDS = ("province_code", "district_code", "subdistrict_code")
# Logged like fields, written only by deactivate and revert.
LIFECYCLE_FIELDS = ("deleted_at", "deleted_reason")
# Keys a write may carry besides fields: the location, the type, stated areas, a row number.
NOT_FIELDS = frozenset({"lon", "lat", "type", "row", *AREA_FIELDS})
MAX_TEXT = 2_000


@dataclass
class WriteResult:
    facility: Facility
    warnings: list[Text] = field(default_factory=list)
    changes: list[FacilityChange] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Values


def _refused(rule, name: str, value: Any, **params: Any) -> ValidationError:
    """A field's value broke ``rule``: the value quoted as the API has always shown it."""
    return ValidationError(rule(field=name, value=repr(value), **params), field=name)


def text_limit(name: str) -> int:
    """The column's own length (hcode 10, phone 100, ...) or MAX_TEXT for unbounded text."""
    column = Facility.__table__.c.get(name)
    length = getattr(column.type, "length", None) if column is not None else None
    return length or MAX_TEXT


def clean_value(spec: FieldSpec, value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    name = spec.name
    if spec.kind in ("text", "choice"):
        if not isinstance(value, str):
            raise _refused(say.NOT_TEXT, name, value)
        value = value.strip()
        limit = text_limit(name)
        if len(value) > limit:
            raise ValidationError(
                say.TOO_LONG(field=name, length=len(value), limit=limit), field=name
            )
        if spec.kind == "choice" and value not in spec.choices:
            raise _refused(say.NOT_ONE_OF, name, value, choices=list(spec.choices))
        return value
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _refused(say.NOT_WHOLE, name, value)
        try:
            number = float(value)
        except ValueError:
            raise _refused(say.NOT_WHOLE, name, value) from None
        if not number.is_integer() or number < 0:
            raise _refused(say.NOT_COUNT, name, value)
        return int(number)
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        raise _refused(say.NOT_TRUE_FALSE, name, value)
    if spec.kind == "list":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple | set):
            raise _refused(say.NOT_A_LIST, name, value)
        unknown = [item for item in items if item not in spec.choices]
        if unknown:
            raise _refused(say.NOT_ONE_OF, name, unknown[0], choices=list(spec.choices))
        # Vocabulary order, no repeats: the same set always compares equal.
        return [choice for choice in spec.choices if choice in items]
    if spec.kind == "datetime":
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise _refused(say.NOT_ISO_TIME, name, value) from None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise _refused(say.NO_TIME_ZONE, name, value)
        return value
    raise AssertionError(f"unknown field kind {spec.kind}")  # a programming error, not input


def clean_location(values: Mapping[str, Any]) -> tuple[float, float] | None:
    if "lon" not in values and "lat" not in values:
        return None
    coords = []
    for name, low, high in (("lon", -180, 180), ("lat", -90, 90)):
        raw = values.get(name)
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise _refused(say.NOT_A_NUMBER, name, raw) from None
        if not math.isfinite(number) or not low <= number <= high:
            kind = say.LONGITUDE() if name == "lon" else say.LATITUDE()
            raise _refused(say.NOT_IN_RANGE, name, raw, kind=kind, low=low, high=high)
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
            raise ValidationError(
                say.NOT_OF_TYPE(field=name, type=facility_type, fields=sorted(specs)), field=name
            )
        clean[name] = clean_value(specs[name], value)
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
            level = LEVEL_WORDS[expected_level]()
            raise _refused(say.NOT_AREA_CODE, name, code, level=level)
        stated[name] = code
    return stated


# ---------------------------------------------------------------------------------------------
# Change log


def location_of(facility: Facility) -> list[float] | None:
    if facility.geom is None:
        return None
    point = to_shape(facility.geom)
    return [round(point.x, 7), round(point.y, 7)]


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
        current["location"] = location_of(facility)
    changed = {
        name: value for name, value in new_values.items() if logged(value) != logged(current[name])
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
        raise ConflictError(say.CHANGED_WHILE_EDITING(id=facility.id)) from None
    if is_new:  # one "created" entry holding the first values, not one row per field
        logged_changes = audit.created(changed)
    else:
        logged_changes = {n: (current[n], v) for n, v in changed.items()}
    rows = audit.entries(
        actor,
        now,
        logged_changes,
        facility_id=facility.id,
        change_set=data_version,
        facility_version=facility.version,
        reverts_change_id=reverts.id if reverts else None,
    )
    return audit.record(session, FacilityChange, rows)


def _with_areas(
    session: Session,
    values: dict[str, Any],
    location: tuple[float, float],
    stated: dict[str, str],
    tolerance_m: float,
) -> list[Text]:
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
    values["area_note"] = "; ".join(map(str, assignment.warnings)) or None


# ---------------------------------------------------------------------------------------------
# Public services


def create_facility(
    session: Session,
    values: Mapping[str, Any],
    actor: Actor,
    *,
    confirm_status: bool = True,
    tolerance_m: float = COAST_TOLERANCE_M,
) -> WriteResult:
    """Create a facility from field values plus ``type``, ``lon`` and ``lat``.

    The areas come from the location (see ``assign_areas``); stated ``province_code`` /
    ``district_code`` / ``subdistrict_code`` are kept and a mismatch is reported. With
    ``confirm_status`` the status counts as confirmed now by the actor; importers of old lists
    pass False so nothing looks fresher than it is.
    """
    facility_type = values.get("type")
    if facility_type not in FACILITY_TYPES:
        raise _refused(say.NOT_ONE_OF, "type", facility_type, choices=list(FACILITY_TYPES))
    location = clean_location(values)
    if location is None:
        raise ValidationError(say.NEEDS_LOCATION(), field="lat")
    clean = clean_values(facility_type, values)
    if not clean.get("name_th"):
        raise ValidationError(say.NEEDS_NAME(), field="name_th")
    clean.setdefault("status", "open")
    clean["status"] = clean["status"] or "open"
    clean.setdefault("source", actor.source)
    clean["source"] = clean["source"] or actor.source
    if confirm_status and not clean.get("status_confirmed_at"):
        clean["status_confirmed_at"] = utcnow()
        clean["status_confirmed_by"] = actor.name
    stated = _stated_areas(session, values)
    data_version = next_data_version(session)
    clean["location"] = list(location)
    warnings = _with_areas(session, clean, location, stated, tolerance_m)
    facility = Facility(type=facility_type, version=1)
    changes = _apply(session, facility, clean, actor, data_version)
    return WriteResult(facility, warnings, changes)


def get_facility(session: Session, facility_id: int) -> Facility:
    facility = session.get(Facility, facility_id)
    if facility is None:
        raise NotFoundError(say.NO_FACILITY(id=facility_id))
    return facility


def changes_since(session: Session, facility_id: int, version: int) -> list[FacilityChange]:
    """The logged changes that made versions after ``version``, oldest first."""
    since = list(
        session.scalars(
            select(FacilityChange)
            .where(
                FacilityChange.facility_id == facility_id,
                FacilityChange.facility_version > version,
            )
            .order_by(FacilityChange.id)
        )
    )
    if version < 1:  # the creation made version 1: logged in a block when bulk-created
        created = audit.block_entry(session, facility_id)
        since[:0] = [created] if created is not None else []
    return since


def check_version(session: Session, facility: Facility, expected_version: Any) -> None:
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
            say.STALE_VERSION(
                id=facility.id,
                version=facility.version,
                edited=expected_version,
                fields=fields or say.NOTHING_LOGGED(),
            ),
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
    tolerance_m: float = COAST_TOLERANCE_M,
) -> WriteResult:
    """Change some fields of a facility, refusing the write if ``expected_version`` is stale.

    A new ``status`` without its own ``status_confirmed_at`` counts as confirmed now by the
    actor, as does a request that repeats the current status (the "still open" tap).
    """
    data_version = next_data_version(session)
    facility = get_facility(session, facility_id)
    check_version(session, facility, expected_version)
    if "type" in changes and changes["type"] != facility.type:
        raise ValidationError(
            say.TYPE_CHANGE(type=facility.type, value=repr(changes["type"])), field="type"
        )
    clean = clean_values(facility.type, changes)
    if "status" in clean and "status_confirmed_at" not in clean:
        clean["status_confirmed_at"] = utcnow()
        clean["status_confirmed_by"] = actor.name
    if clean.get("name_th", "") is None:
        raise ValidationError(say.NEEDS_NAME(), field="name_th")
    if clean.get("status", "") is None:
        raise ValidationError(say.NEEDS_STATUS(), field="status")
    warnings: list[Text] = []
    location = clean_location(changes)
    stated = _stated_areas(session, changes)
    if location is not None or stated:
        location = location or tuple(location_of(facility))
        clean["location"] = list(location)
        warnings = _with_areas(session, clean, location, stated, tolerance_m)
    logged = _apply(session, facility, clean, actor, data_version)
    return WriteResult(facility, warnings, logged)


def deactivate_facility(
    session: Session, facility_id: int, actor: Actor, *, reason: str, expected_version: int
) -> WriteResult:
    """Soft-delete: the facility leaves every public answer but keeps its history."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError(say.NEEDS_REASON(), field="reason")
    data_version = next_data_version(session)
    facility = get_facility(session, facility_id)
    check_version(session, facility, expected_version)
    if facility.deleted_at is not None:
        raise ValidationError(say.ALREADY_DEACTIVATED(id=facility_id), field="id")
    values = {"deleted_at": utcnow(), "deleted_reason": reason.strip()}
    return WriteResult(facility, [], _apply(session, facility, values, actor, data_version))


def _from_log(field_name: str, value: Any) -> Any:
    if field_name in ("deleted_at", "status_confirmed_at") and value is not None:
        return datetime.fromisoformat(value)
    return value


def revert_change(
    session: Session, change_id: int, actor: Actor, *, tolerance_m: float = COAST_TOLERANCE_M
) -> WriteResult:
    """Put one logged field back to its old value, as a new, logged change.

    Refused when the field has changed again since: revert the later change first.
    A reverted location re-derives the areas.
    """
    data_version = next_data_version(session)
    change = session.get(FacilityChange, change_id)
    if change is None:
        raise NotFoundError(say.NO_CHANGE(id=change_id))
    facility = get_facility(session, change.facility_id)
    name = change.field
    if name == CREATED:
        raise ValidationError(say.REVERT_CREATED(change=change_id, id=facility.id), field="id")
    now_value = location_of(facility) if name == "location" else logged(getattr(facility, name))
    if now_value != change.new_value:
        raise ConflictError(
            CHANGED_AGAIN(field=name, id=facility.id, change=change_id, now=repr(now_value)),
            field=name,
            facility_id=facility.id,
        )
    values = {name: _from_log(name, change.old_value)}
    warnings: list[Text] = []
    if name == "location":
        warnings = _with_areas(session, values, tuple(change.old_value), {}, tolerance_m)
    return WriteResult(
        facility, warnings, _apply(session, facility, values, actor, data_version, reverts=change)
    )


def facility_history(
    session: Session, facility_id: int, *, limit: int | None = None, before: int | None = None
) -> list[FacilityChange]:
    """Logged changes of one facility, newest first: all, or a page of ``limit`` changes
    older than the change ``before`` (the last id of the previous page).

    A facility a bulk write created has its "created" entry in a created block: it comes
    last, as the oldest entry, on the page that reaches the end (it has no id, so it is never
    a page's cursor: a page that ends on it is the last).
    """
    get_facility(session, facility_id)
    query = select(FacilityChange).where(FacilityChange.facility_id == facility_id)
    if before is not None:
        query = query.where(FacilityChange.id < before)
    query = query.order_by(FacilityChange.id.desc())
    if limit is not None:
        query = query.limit(limit)
    changes = list(session.scalars(query))
    if limit is None or len(changes) < limit:
        created = audit.block_entry(session, facility_id)
        changes += [created] if created is not None else []
    return changes


def history_page(
    session: Session, facility_id: int, *, limit: int, before: int | None = None
) -> tuple[list[FacilityChange], int | None, int]:
    """One page of the history, the cursor of the next (older) page or None, and the total."""
    changes = facility_history(session, facility_id, limit=limit + 1, before=before)
    total = session.scalar(
        select(func.count())
        .select_from(FacilityChange)
        .where(FacilityChange.facility_id == facility_id)
    ) + audit.in_block(session, facility_id)
    page = changes[:limit]
    return page, (page[-1].id if len(changes) > limit else None), total
