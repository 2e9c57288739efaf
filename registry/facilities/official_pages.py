"""Official pages: my area by staleness, one-tap status, edit, add, deactivate, history, revert."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import and_, case, func, or_, select

from importers.vocabulary import FACILITY_TYPES, STATUSES
from registry.accounts.access import ROLES, area_condition, area_name, require_facility_in_area
from registry.assets import map_assets
from registry.auth import begin_write, page_account
from registry.db import db
from registry.errors import ConflictError, ForbiddenError, ValidationError
from registry.facilities import freshness
from registry.facilities.change_values import change_value
from registry.facilities.form import (
    changes_from_form,
    changes_from_form_quietly,
    facility_texts,
    form_fields,
)
from registry.facilities.scoped import (
    create_in_area,
    deactivate_in_area,
    revert_in_area,
    update_in_area,
)
from registry.facilities.service import get_facility, history_page
from registry.facilities.site_duplicates import likely_duplicates
from registry.i18n import current_language
from registry.local_paths import local_path
from registry.message_text import error_text, shown
from registry.models import DB_INT_MAX, Facility, utcnow
from registry.presentation import facility_name, field_label, status_label, type_label

bp = Blueprint("official", __name__, url_prefix="/official")
PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 100


@bp.before_request
@login_required
def _signed_in():
    """Every official page needs a signed-in account."""


def _tolerance() -> float:
    return current_app.config["COAST_TOLERANCE_M"]


def _int_arg(name: str, default: int) -> int:
    raw = request.values.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else default


def _stale_condition(now):
    ttls = current_app.config.get("FRESHNESS_TTL_HOURS") or {}
    return or_(
        Facility.status_confirmed_at.is_(None),
        *[
            and_(Facility.type == t, Facility.status_confirmed_at < now - timedelta(hours=h))
            for t, h in ttls.items()
        ],
    )


@bp.get("/")
def my_area():
    """Facilities of my area, least recently confirmed first, with one-tap status actions."""
    user = page_account()
    now = utcnow()
    conditions = [Facility.deleted_at.is_(None)]
    scope = area_condition(user)
    if scope is not None:
        conditions.append(scope)
    chosen_type = request.args.get("type") if request.args.get("type") in FACILITY_TYPES else ""
    chosen_status = request.args.get("status") if request.args.get("status") in STATUSES else ""
    stale_only = request.args.get("stale") == "1"
    if chosen_type:
        conditions.append(Facility.type == chosen_type)
    if chosen_status:
        conditions.append(Facility.status == chosen_status)
    if stale_only:
        conditions.append(_stale_condition(now))
    total = db.session.scalar(select(func.count()).select_from(Facility).where(*conditions))
    stale_total = db.session.scalar(
        select(func.count()).select_from(Facility).where(*conditions, _stale_condition(now))
    )
    page = max(1, _int_arg("page", 1))
    never_first = case((Facility.status_confirmed_at.is_(None), 0), else_=1)
    rows = db.session.scalars(
        select(Facility)
        .where(*conditions)
        .order_by(never_first, Facility.status_confirmed_at, Facility.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    config = current_app.config
    stale_fields = freshness.stale_fields(db.session, config, list(rows), now)
    return render_template(
        "facilities/area.html",
        user=user,
        role=ROLES[user.role],
        area=area_name(db.session, user.area_code, current_language()),
        rows=rows,
        stale_status={f.id: freshness.status_is_stale(config, f, now) for f in rows},
        stale_fields=stale_fields,
        total=total,
        stale_total=stale_total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        chosen={"type": chosen_type, "status": chosen_status, "stale": stale_only},
        facility_types=FACILITY_TYPES,
        statuses=STATUSES,
        type_label=type_label,
        status_label=status_label,
        field_label=field_label,
        facility_name=facility_name,
    )


def _version() -> int | str:
    raw = request.form.get("version", "")
    return int(raw) if raw.isascii() and raw.isdigit() else raw


def _conflict_page(facility, error: ConflictError, retry: dict):
    return render_template(
        "facilities/conflict.html",
        facility=facility,
        name=facility_name(facility),
        error=error,
        changed=error.details.get("changed_since", []),
        retry=retry,
        field_label=field_label,
    ), 409


@bp.post("/facility/<int:facility_id>/status")
def set_status(facility_id: int):
    """One tap: still open (confirmed now), full, temporarily closed or closed."""
    user = page_account()
    status = request.form.get("status", "")
    begin_write()
    try:
        result = update_in_area(
            db.session,
            user,
            facility_id,
            {"status": status},
            expected_version=_version(),
            tolerance_m=_tolerance(),
        )
    except ConflictError as error:
        db.session.rollback()
        facility = get_facility(db.session, facility_id)
        return _conflict_page(facility, error, {"status": status, "version": facility.version})
    db.session.commit()
    flash(
        _(
            "Saved: %(name)s is now “%(status)s”, confirmed now.",
            name=facility_name(result.facility),
            status=status_label(status),
        )
    )
    back = local_path(request.form.get("back")) or ""
    return redirect(back if back.startswith("/official/") else url_for(".my_area"), 303)


def _read_only_reason(user, facility) -> str | None:
    """Why this account cannot save this site (its role, its area, or the site is gone)."""
    try:
        require_facility_in_area(db.session, user, facility, "change")
    except ForbiddenError as refusal:
        return error_text(refusal)
    if facility.deleted_at is not None:
        return _("This site is no longer active.")
    return None


def _edit_page(
    facility, texts, orig, version, *, error=None, conflict=None, duplicates=(), status=200
):
    user = page_account()
    return render_template(
        "facilities/edit.html",
        facility=facility,
        facility_type=facility.type if facility else request.values.get("type"),
        name=facility_name(facility) if facility else None,
        fields=form_fields(facility.type if facility else request.values["type"]),
        texts=texts,
        orig=orig,
        version=version,
        error=error,
        conflict=conflict,
        read_only=_read_only_reason(user, facility) if facility is not None else None,
        duplicates=duplicates,
        report_id=request.values.get("report", ""),
        field_label=field_label,
        status_label=status_label,
        type_label=type_label,
        statuses=STATUSES,
        assets=map_assets(),
        tile_url=current_app.config.get("TILE_URL") or "",
    ), status


def _problem(error: ValidationError | ForbiddenError) -> str:
    """The service's message in the page's language, fields named as the form labels them."""
    return error_text(error, field_label)


@bp.route("/facility/<int:facility_id>/edit", methods=["GET", "POST"])
def edit(facility_id: int):
    """The full form: the type's fields and a map to place or drag the point."""
    user = page_account()
    facility = get_facility(db.session, facility_id)
    if request.method == "GET":
        texts = facility_texts(facility)
        return _edit_page(facility, texts, texts, facility.version)
    from registry.facilities.reports import accept_report

    # Access first: a refusal says so and shows nothing of what was sent or stored.
    require_facility_in_area(db.session, user, facility, "change")
    begin_write()
    try:
        changes, edited = changes_from_form(request.form, facility.type, only_edited=True)
        report_id = _int_arg("report", 0)
        if report_id:
            report = accept_report(
                db.session,
                user,
                report_id,
                expected_version=_version(),
                changes=changes,
                tolerance_m=_tolerance(),
                facility_id=facility_id,
            )
            result_facility, warnings = get_facility(db.session, report.facility_id), []
        else:
            result = update_in_area(
                db.session,
                user,
                facility_id,
                changes,
                expected_version=_version(),
                tolerance_m=_tolerance(),
            )
            result_facility, warnings = result.facility, result.warnings
    except ConflictError as error:
        db.session.rollback()
        current = get_facility(db.session, facility_id)
        db.session.refresh(current)
        now_texts = facility_texts(current)
        orig = {k: request.form.get(f"orig-{k}", "") for k in now_texts}
        mine = {
            k: v
            for k, v in changes_from_form(request.form, facility.type, only_edited=False)[1].items()
            if v != orig.get(k)
        }
        texts = {**now_texts, **mine}
        return _edit_page(current, texts, now_texts, current.version, conflict=error, status=409)
    except (ValidationError, ForbiddenError) as error:  # a bad value, or a move out of the area
        db.session.rollback()
        edited = changes_from_form(request.form, facility.type, only_edited=False)[1]
        orig = {k: request.form.get(f"orig-{k}", "") for k in edited}
        return _edit_page(
            facility, edited, orig, _version(), error=_problem(error), status=error.status_code
        )
    db.session.commit()
    for warning in warnings:
        flash(shown(warning))
    flash(
        _(
            "Saved %(name)s: version %(version)s.",
            name=facility_name(result_facility),
            version=result_facility.version,
        )
    )
    return redirect(url_for(".edit", facility_id=facility_id), 303)


@bp.route("/facility/new", methods=["GET", "POST"])
def new():
    """Add a facility: choose the type, fill its fields, place it on the map."""
    user = page_account()
    facility_type = request.values.get("type", "")
    if facility_type not in FACILITY_TYPES:
        return render_template(
            "facilities/choose_type.html", facility_types=FACILITY_TYPES, type_label=type_label
        )
    if request.method == "GET":
        return _edit_page(None, {"status": "open"}, {}, 0)
    if request.form.get("duplicate_ok") != "1":
        edited = changes_from_form_quietly(request.form, facility_type)
        duplicates = likely_duplicates(db.session, {**edited, "type": facility_type})
        if duplicates:  # say so before adding; saving again adds it all the same
            return _edit_page(None, edited, {}, 0, duplicates=duplicates)
    begin_write()
    try:
        changes, edited = changes_from_form(request.form, facility_type, only_edited=False)
        result = create_in_area(
            db.session, user, {**changes, "type": facility_type}, tolerance_m=_tolerance()
        )
    except (ValidationError, ForbiddenError) as error:
        db.session.rollback()
        edited = changes_from_form(request.form, facility_type, only_edited=False)[1]
        return _edit_page(None, edited, {}, 0, error=_problem(error), status=error.status_code)
    db.session.commit()
    for warning in result.warnings:
        flash(shown(warning))
    flash(_("Added %(name)s.", name=facility_name(result.facility)))
    return redirect(url_for(".edit", facility_id=result.facility.id), 303)


@bp.post("/facility/<int:facility_id>/deactivate")
def deactivate(facility_id: int):
    """Deactivate with a reason: the site leaves public answers and keeps its history."""
    user = page_account()
    begin_write()
    try:
        deactivate_in_area(
            db.session,
            user,
            facility_id,
            reason=request.form.get("reason", ""),
            expected_version=_version(),
        )
    except ConflictError as error:
        db.session.rollback()
        facility = get_facility(db.session, facility_id)
        return _conflict_page(facility, error, None)
    db.session.commit()
    flash(_("Deactivated."))
    return redirect(url_for(".history", facility_id=facility_id), 303)


@bp.get("/facility/<int:facility_id>/history")
def history(facility_id: int):
    """Every change of a facility, field by field, with a revert button."""
    facility = get_facility(db.session, facility_id)
    before = _int_arg("before", 0)
    before = before if 0 < before <= DB_INT_MAX else None
    changes, older, total = history_page(
        db.session, facility_id, limit=HISTORY_PAGE_SIZE, before=before
    )
    return render_template(
        "facilities/history.html",
        facility=facility,
        name=facility_name(facility),
        changes=changes,
        older=older,
        total=total,
        first_page=before is None,
        field_label=field_label,
        change_value=change_value,
    )


@bp.post("/change/<int:change_id>/revert")
def revert(change_id: int):
    """Put one logged field back; refused (409) when the field changed again since."""
    user = page_account()
    begin_write()
    try:
        result = revert_in_area(db.session, user, change_id, tolerance_m=_tolerance())
    except ConflictError as error:
        db.session.rollback()
        flash(error_text(error))
        back = local_path(urlsplit(request.referrer or "")._replace(scheme="", netloc="").geturl())
        return redirect(back or url_for(".my_area"), 303)
    db.session.commit()
    flash(_("Reverted: version %(version)s.", version=result.facility.version))
    return redirect(url_for(".history", facility_id=result.facility.id), 303)
