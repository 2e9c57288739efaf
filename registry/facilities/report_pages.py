"""Resident reports: sent from the facility page, handled in the officials' queue."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from registry.auth import begin_write, client, page_account
from registry.db import db
from registry.errors import ConflictError
from registry.facilities.reports import accept_report, dismiss_report, open_reports, submit_report
from registry.message_text import error_text
from registry.models import Facility
from registry.presentation import facility_name, status_label, type_label

bp = Blueprint("reports", __name__)


@bp.post("/facility/<int:facility_id>/report")
def report(facility_id: int):
    """A resident says the site is closed, full or in the wrong place (no account needed)."""
    submit_report(
        db.session,
        facility_id,
        request.form.get("kind", ""),
        request.form.get("note"),
        client=client(),
        per_hour=current_app.config["REPORTS_PER_CLIENT_PER_HOUR"],
    )
    db.session.commit()
    flash(_("Thank you. The officials of this area will check your report."))
    return redirect(url_for("public.facility_page", facility_id=facility_id), 303)


@bp.get("/official/reports")
@login_required
def queue():
    """Open resident reports of my area, oldest first."""
    reports = open_reports(db.session, page_account())
    facilities = (
        {
            f.id: f
            for f in db.session.query(Facility).filter(
                Facility.id.in_({r.facility_id for r in reports})
            )
        }
        if reports
        else {}
    )
    return render_template(
        "facilities/reports.html",
        reports=reports,
        facilities=facilities,
        facility_name=facility_name,
        type_label=type_label,
        status_label=status_label,
    )


@bp.post("/official/reports/<int:report_id>/accept")
@login_required
def accept(report_id: int):
    """Apply a 'closed' or 'full' report as an audited status change."""
    version = request.form.get("version", "")
    user = page_account()
    begin_write()
    try:
        accept_report(
            db.session,
            user,
            report_id,
            expected_version=int(version) if version.isdecimal() else version,
            tolerance_m=current_app.config["COAST_TOLERANCE_M"],
        )
    except ConflictError as error:
        db.session.rollback()
        flash(error_text(error))
        return redirect(url_for(".queue"), 303)
    db.session.commit()
    flash(_("Report accepted and applied."))
    return redirect(url_for(".queue"), 303)


@bp.post("/official/reports/<int:report_id>/dismiss")
@login_required
def dismiss(report_id: int):
    """Dismiss a report that is wrong."""
    user = page_account()
    begin_write()
    dismiss_report(db.session, user, report_id)
    db.session.commit()
    flash(_("Report dismissed."))
    return redirect(url_for(".queue"), 303)
