"""Facility writes on behalf of an account: the facility services plus role and area checks.

Pages, the API, the status feed and accepted resident reports all write through here, so the
scope rule lives in one place: the facility must lie in the account's area before the write,
and still lie there after it (moving a site out of one's area is refused and rolled back by
the caller). Every field the writer stated is recorded as confirmed (see services.freshness).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from registry.accounts.access import (
    area_param,
    covers,
    facility_area,
    require_facility_in_area,
    require_writer,
)
from registry.config import COAST_TOLERANCE_M
from registry.errors import ForbiddenError, NotFoundError, ValidationError
from registry.facilities import messages as say
from registry.facilities import service
from registry.facilities.freshness import confirm_fields
from registry.models import Facility, FacilityChange, RegistryState, User, utcnow


def write_lock(session: Session) -> None:
    """Take the registry's write lock before reading what the write depends on.

    The same row the facility services raise; touching it first means that the scope and
    version checks read data no other writer can change before this transaction ends (on
    SpatiaLite it must be the transaction's first statement: see views' begin_write).
    """
    session.execute(
        update(RegistryState)
        .where(RegistryState.id == 1)
        .values(data_version=RegistryState.data_version)
    )


def actor_for(user: User, source: str, source_ref: str | None = None) -> service.Actor:
    return service.Actor(user.username, source, source_ref)


def stated_fields(values: Mapping[str, Any]) -> set[str]:
    names = {n for n in values if n not in service.NOT_FIELDS and n != "version"}
    names.discard("status")  # the status has its own confirmation columns
    names.discard("status_confirmed_at")
    names.discard("status_confirmed_by")
    if "lat" in values or "lon" in values:
        names.add("location")
    return names


def _require_still_inside(session: Session, user: User, facility: Facility) -> None:
    code = facility_area(facility)
    if not covers(user, code):
        raise ForbiddenError(
            say.MOVED_OUT_OF_AREA(
                area=area_param(session, code), yours=area_param(session, user.area_code)
            ),
            your_area=user.area_code,
            area=code,
        )


def _load(session: Session, facility_id: int) -> Facility:
    facility = session.get(Facility, facility_id)
    if facility is None:
        raise NotFoundError(say.NO_FACILITY(id=facility_id))
    return facility


def create_in_area(
    session: Session,
    user: User,
    values: Mapping[str, Any],
    *,
    source: str = "web",
    tolerance_m: float = COAST_TOLERANCE_M,
) -> service.WriteResult:
    require_writer(user)
    write_lock(session)
    result = service.create_facility(
        session, values, actor_for(user, source), tolerance_m=tolerance_m
    )
    _require_still_inside(session, user, result.facility)
    confirm_fields(
        session, {result.facility.id: stated_fields(values)}, by=user.username, at=utcnow()
    )
    return result


def update_in_area(
    session: Session,
    user: User,
    facility_id: int,
    changes: Mapping[str, Any],
    *,
    expected_version: Any,
    source: str = "web",
    source_ref: str | None = None,
    tolerance_m: float = COAST_TOLERANCE_M,
) -> service.WriteResult:
    write_lock(session)
    facility = _load(session, facility_id)
    require_facility_in_area(session, user, facility, "change")
    if facility.deleted_at is not None:
        raise ValidationError(say.DEACTIVATED(id=facility_id))
    result = service.update_facility(
        session,
        facility_id,
        changes,
        actor_for(user, source, source_ref),
        expected_version=expected_version,
        tolerance_m=tolerance_m,
    )
    _require_still_inside(session, user, result.facility)
    confirm_fields(session, {facility_id: stated_fields(changes)}, by=user.username, at=utcnow())
    return result


def deactivate_in_area(
    session: Session, user: User, facility_id: int, *, reason: str, expected_version: Any
) -> service.WriteResult:
    write_lock(session)
    facility = _load(session, facility_id)
    require_facility_in_area(session, user, facility, "deactivate")
    return service.deactivate_facility(
        session,
        facility_id,
        actor_for(user, "web"),
        reason=reason,
        expected_version=expected_version,
    )


def revert_in_area(
    session: Session,
    user: User,
    change_id: int,
    *,
    tolerance_m: float = COAST_TOLERANCE_M,
) -> service.WriteResult:
    write_lock(session)
    change = session.get(FacilityChange, change_id)
    if change is None:
        raise NotFoundError(say.NO_CHANGE(id=change_id))
    require_facility_in_area(session, user, _load(session, change.facility_id), "revert")
    result = service.revert_change(
        session,
        change_id,
        actor_for(user, "revert", f"change:{change_id}"),
        tolerance_m=tolerance_m,
    )
    _require_still_inside(session, user, result.facility)
    return result
