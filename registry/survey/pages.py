"""Survey pages for volunteers and officials: my area's entries, the phone form, corrections,
and the bedridden outreach list. The upload lives in survey_upload (a nested blueprint)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from importers.vocabulary import SURVEY_GROUPS
from registry.auth import begin_write, page_account
from registry.db import db
from registry.errors import ConflictError, ForbiddenError, ValidationError
from registry.i18n import current_language
from registry.message_text import error_text, shown
from registry.models import Area
from registry.spreadsheets import csv_bytes
from registry.survey import records as survey_records
from registry.survey import service, text
from registry.survey.rules import INPUT_FIELDS, SurveyValidationError, bangkok_today
from registry.survey.upload_pages import bp as upload_bp

bp = Blueprint("survey", __name__, url_prefix="/survey")
bp.register_blueprint(upload_bp)
PAGE_SIZE = 50
# Scopes with more subdistricts than this choose a province first (national accounts).
MAX_LISTED_SUBDISTRICTS = 400


@bp.before_request
@login_required
def _signed_in():
    """Survey pages need a signed-in volunteer, official or administrator."""
    service.require_surveyor(surveyor())


def surveyor(source: str = "web") -> service.Surveyor:
    return service.Surveyor.account(page_account(), source)


def window_days() -> int:
    return current_app.config["SURVEY_CORRECTION_WINDOW_DAYS"]


def _tolerance() -> float:
    return current_app.config["COAST_TOLERANCE_M"]


@bp.get("", strict_slashes=False)
def entries():
    """My area's entries, most recently entered first, with a button for a new one."""
    user = page_account()
    mine = request.args.get("mine") == "1"
    raw_page = request.args.get("page", "")
    page = max(1, int(raw_page)) if raw_page.isdecimal() else 1
    rows, total = survey_records.records_in_area(
        db.session,
        user.area_code,
        entered_by=user.username if mine else None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    me = surveyor()
    return render_template(
        "survey/list.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        mine=mine,
        area=text.place_name(db.session, user.area_code),
        names=survey_records.area_names(db.session, [r.area_code for r in rows]),
        editable={
            r.id: service.correction_refusal(db.session, me, r, window_days=window_days()) is None
            for r in rows
        },
        window=window_days(),
        total_of=service.groups_total,
        text=text,
    )


def _subdistrict_choices(user, chosen: str | None) -> dict:
    """Subdistricts of the account's area by district, or a province to choose first."""
    prefix = user.area_code
    provinces = []
    if prefix is None:
        provinces = db.session.execute(
            select(Area.code, Area.name_th, Area.name_en).where(Area.level == 1)
        ).all()
        prefix = (request.values.get("province") or (chosen or "")[:4]) or None
        if prefix not in {p.code for p in provinces}:
            prefix = None
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    if prefix is not None:
        areas = db.session.execute(
            select(Area.code, Area.level, Area.name_th, Area.name_en)
            .where(Area.code.startswith(prefix), Area.level >= 2)
            .order_by(Area.code)
        ).all()
        english = current_language() == "en"
        districts = {a.code: (a.name_en if english else a.name_th) for a in areas if a.level == 2}
        if len(prefix) == 8:
            districts = {prefix[:6]: ""}
        for code, name in districts.items():
            members = [
                (a.code, a.name_en if english else a.name_th)
                for a in areas
                if a.level == 3 and a.code.startswith(code)
            ]
            if members:
                groups.append((name, members[:MAX_LISTED_SUBDISTRICTS]))
    english = current_language() == "en"
    return {
        "groups": groups,
        "provinces": sorted(
            ((p.code, p.name_en if english else p.name_th) for p in provinces),
            key=lambda pair: pair[1],
        ),
        "province": prefix[:4] if prefix else "",
    }


def _form_page(texts, *, record=None, problems=(), error=None, status=200, twin=None):
    user = page_account()
    by_field: dict[str, list[str]] = {}
    for problem in problems:
        by_field.setdefault(problem.field, []).append(text.problem_text(problem))
    refusal = None
    if record is not None:
        refusal = service.correction_refusal(
            db.session, surveyor(), record, window_days=window_days()
        )
    return render_template(
        "survey/form.html",
        texts=texts,
        record=record,
        refusal=shown(refusal) if refusal else None,
        problems=[(p.field, text.field_label(p.field), text.problem_text(p)) for p in problems],
        by_field=by_field,
        error=error,
        twin=twin,
        choices=_subdistrict_choices(user, texts.get("area_code")),
        groups=SURVEY_GROUPS,
        history=service.record_history(db.session, record.id) if record else [],
        text=text,
        today=text.date_text(bangkok_today()),
    ), status


def _posted() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in INPUT_FIELDS}


@bp.route("/new", methods=["GET", "POST"])
def new():
    """The phone form: subdistrict, village, date, per group living there and unvaccinated."""
    user = page_account()
    if request.method == "GET":
        area = survey_records.last_area_of(db.session, user.username)
        if area is None and user.area_code and len(user.area_code) == 8:
            area = user.area_code
        texts = {"area_code": area or "", "survey_date": text.date_text(bangkok_today())}
        return _form_page(texts)
    texts = _posted()
    begin_write()
    try:
        record = service.create_record(db.session, texts, surveyor(), tolerance_m=_tolerance())
    except SurveyValidationError as error:
        db.session.rollback()
        return _form_page(texts, problems=error.problems, status=400)
    except ConflictError as error:
        db.session.rollback()
        twin = error.details.get("record_id")
        return _form_page(texts, error=error_text(error), twin=twin, status=409)
    except ForbiddenError as error:
        db.session.rollback()
        return _form_page(texts, error=error_text(error), status=403)
    db.session.commit()
    flash(
        _(
            "Saved: %(village)s, %(area)s, %(date)s.",
            village=text.village_text(record),
            area=text.place_name(db.session, record.area_code),
            date=text.date_text(record.survey_date),
        )
    )
    return redirect(url_for(".entries"), 303)


def _version() -> int | str:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdecimal() else raw


def _readable_record(record_id: int):
    """The record when this account may see it; checked before anything else is done with it.

    A refusal is a plain error page (the site's error handler) that shows nothing of the record.
    """
    record = service.get_record(db.session, record_id)
    service.require_in_area(db.session, surveyor(), record.area_code, "see")
    return record


@bp.route("/<int:record_id>/edit", methods=["GET", "POST"])
def edit(record_id: int):
    """Correct an entry (volunteers: their own, for a few days); its change history below."""
    record = _readable_record(record_id)
    if request.method == "GET":
        return _form_page(text.form_texts(record), record=record)
    texts = _posted()
    begin_write()
    try:
        changes = service.correct_record(
            db.session,
            record_id,
            texts,
            surveyor(),
            expected_version=_version(),
            window_days=window_days(),
            tolerance_m=_tolerance(),
        )
    except SurveyValidationError as error:
        db.session.rollback()
        return _form_page(texts, record=record, problems=error.problems, status=400)
    except (ConflictError, ForbiddenError, ValidationError) as error:
        db.session.rollback()
        db.session.refresh(record)
        return _form_page(texts, record=record, error=error_text(error), status=error.status_code)
    db.session.commit()
    if changes:
        flash(
            _(
                "Corrected: %(fields)s.",
                fields=", ".join(text.field_label(c.field) for c in changes),
            )
        )
    else:
        flash(_("Nothing changed."))
    return redirect(url_for(".edit", record_id=record_id), 303)


@bp.post("/<int:record_id>/withdraw")
def withdraw(record_id: int):
    """Withdraw an entry made by mistake, with the reason; it keeps its history."""
    _readable_record(record_id)
    begin_write()
    try:
        service.withdraw_record(
            db.session,
            record_id,
            surveyor(),
            reason=request.form.get("reason", ""),
            expected_version=_version(),
            window_days=window_days(),
        )
    except (ConflictError, ForbiddenError, ValidationError) as error:
        db.session.rollback()
        record = _readable_record(record_id)  # the area again: it may have moved meanwhile
        return _form_page(
            text.form_texts(record),
            record=record,
            error=error_text(error),
            status=error.status_code,
        )
    db.session.commit()
    flash(_("Withdrawn."))
    return redirect(url_for(".entries"), 303)


def _outreach_rows() -> list[dict]:
    user = page_account()
    records = survey_records.outreach_records(db.session, user.area_code)
    names = survey_records.area_names(db.session, [r.area_code for r in records])
    english = current_language() == "en"

    def name(code: str) -> str:
        area = names.get(code)
        return "" if area is None else (area.name_en if english else area.name_th)

    return [
        {
            "province": name(r.area_code[:4]),
            "district": name(r.area_code[:6]),
            "subdistrict": name(r.area_code),
            "area_code": r.area_code,
            "village_no": r.village_no,
            "village_name": r.village_name or "",
            "village": text.village_text(r),
            "residents_bedridden": r.residents_bedridden,
            "unvaccinated_bedridden": r.unvaccinated_bedridden,
            "referred_home_visit": r.referred_home_visit,
            "survey_date": r.survey_date,
            "entered_by": r.entered_by,
        }
        for r in records
    ]


@bp.get("/outreach")
def outreach():
    """Unvaccinated bedridden residents by subdistrict and village: the home-visit list."""
    rows = _outreach_rows()
    subtotals: dict[str, int] = {}
    for row in rows:
        subtotals[row["area_code"]] = (
            subtotals.get(row["area_code"], 0) + row["unvaccinated_bedridden"]
        )
    return render_template(
        "survey/outreach.html",
        rows=rows,
        subtotals=subtotals,
        total=sum(subtotals.values()),
        area=text.place_name(db.session, page_account().area_code),
        text=text,
    )


@bp.get("/outreach.csv")
def outreach_csv():
    """The home-visit list as CSV (UTF-8 with BOM, so Excel shows the Thai)."""
    columns = (
        "province",
        "district",
        "subdistrict",
        "area_code",
        "village_no",
        "village_name",
        "residents_bedridden",
        "unvaccinated_bedridden",
        "referred_home_visit",
        "survey_date",
        "entered_by",
    )
    rows = (
        [row["survey_date"].isoformat() if c == "survey_date" else row[c] for c in columns]
        for row in _outreach_rows()
    )
    return Response(
        csv_bytes(columns, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=survey-outreach-bedridden.csv"},
    )
