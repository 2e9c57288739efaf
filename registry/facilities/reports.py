"""Resident reports: "closed", "full" or "wrong location", queued for the officials of the area.

Residents need no account; each client (a keyed hash of its address) may send a few reports
an hour. Accepting a "closed" or "full" report changes the status through the facility
services (audited, source_ref "report:<id>"); a "wrong location" report is accepted by saving
the corrected point in the edit form.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.accounts.access import facility_area, require_facility_in_area
from registry.config import COAST_TOLERANCE_M
from registry.errors import ConflictError, NotFoundError, TooManyRequestsError, ValidationError
from registry.facilities import messages as say
from registry.facilities.scoped import update_in_area, write_lock
from registry.models import Facility, ResidentReport, User, utcnow

REPORT_KINDS = ("closed", "full", "wrong_location")
STATUS_FOR_KIND = {"closed": "closed", "full": "full"}
MAX_NOTE = 500


def submit_report(
    session: Session,
    facility_id: int,
    kind: str,
    note: str | None,
    *,
    client: str,
    per_hour: int,
) -> ResidentReport:
    if kind not in REPORT_KINDS:
        raise ValidationError(
            say.REPORT_KIND(kind=repr(kind), kinds=", ".join(REPORT_KINDS)), field="kind"
        )
    facility = session.get(Facility, facility_id)
    if facility is None or facility.deleted_at is not None:
        raise NotFoundError(say.NO_ACTIVE_FACILITY(id=facility_id))
    since = utcnow() - timedelta(hours=1)
    sent = session.scalar(
        select(func.count())
        .select_from(ResidentReport)
        .where(ResidentReport.client == client, ResidentReport.created_at >= since)
    )
    if sent >= per_hour:
        raise TooManyRequestsError(say.TOO_MANY_REPORTS(count=sent))
    note = (note or "").strip()[:MAX_NOTE] or None
    report = ResidentReport(
        facility_id=facility_id,
        kind=kind,
        note=note,
        client=client,
        area_code=facility_area(facility),
        created_at=utcnow(),
        status="open",
    )
    session.add(report)
    session.flush()
    return report


def open_reports(session: Session, user: User, limit: int = 200) -> list[ResidentReport]:
    """The open reports of the account's area, oldest first."""
    query = select(ResidentReport).where(ResidentReport.status == "open")
    if user.area_code is not None:
        query = query.where(ResidentReport.area_code.startswith(user.area_code, autoescape=True))
    return list(session.scalars(query.order_by(ResidentReport.id).limit(limit)))


def _open_report(session: Session, report_id: int) -> ResidentReport:
    report = session.get(ResidentReport, report_id)
    if report is None:
        raise NotFoundError(say.NO_REPORT(id=report_id))
    if report.status != "open":
        status = say.REPORT_STATUSES.get(report.status)
        raise ConflictError(
            say.REPORT_RESOLVED(
                id=report_id,
                status=status() if status else report.status,
                who=report.resolved_by,
            )
        )
    return report


def _resolve(report: ResidentReport, status: str, user: User, change_set: int | None) -> None:
    report.status = status
    report.resolved_by = user.username
    report.resolved_at = utcnow()
    report.change_set = change_set


def accept_report(
    session: Session,
    user: User,
    report_id: int,
    *,
    expected_version: int,
    changes: dict | None = None,
    tolerance_m: float = COAST_TOLERANCE_M,
    facility_id: int | None = None,
) -> ResidentReport:
    """Apply what the report says as an audited change; 'wrong location' needs ``changes``."""
    write_lock(session)
    report = _open_report(session, report_id)
    if facility_id is not None and report.facility_id != facility_id:
        raise ValidationError(
            say.REPORT_OTHER_FACILITY(id=report_id, facility=report.facility_id, other=facility_id),
            field="report",
        )
    if report.kind in STATUS_FOR_KIND:
        changes = {"status": STATUS_FOR_KIND[report.kind]}
    elif not changes or "lat" not in changes:
        raise ValidationError(say.REPORT_WRONG_LOCATION(), field="lat")
    result = update_in_area(
        session,
        user,
        report.facility_id,
        changes,
        expected_version=expected_version,
        source_ref=f"report:{report.id}",
        tolerance_m=tolerance_m,
    )
    change_set = result.changes[0].change_set if result.changes else None
    _resolve(report, "accepted", user, change_set)
    session.flush()
    return report


def dismiss_report(session: Session, user: User, report_id: int) -> ResidentReport:
    write_lock(session)
    report = _open_report(session, report_id)
    facility = session.get(Facility, report.facility_id)
    require_facility_in_area(session, user, facility, "handle reports of")
    _resolve(report, "dismissed", user, None)
    session.flush()
    return report
