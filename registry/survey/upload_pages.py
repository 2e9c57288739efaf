"""Bulk upload of survey sheets: a blank template, preview with the row report, then commit.

Nested in the survey blueprint (so its sign-in rule applies). As on the facility import page,
the previewed bytes are kept in the instance folder under a random name tied to the account,
so the commit writes exactly what was previewed.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _

from importers.limits import ImportLimits
from registry.auth import begin_write, page_account
from registry.db import db
from registry.errors import NotFoundError, RegistryError
from registry.i18n import current_language
from registry.imports import uploads
from registry.message_text import error_text
from registry.spreadsheets import XLSX_MIMETYPE, Workbook, csv_bytes
from registry.survey import text
from registry.survey.messages import NO_TEMPLATE
from registry.survey.service import Surveyor
from registry.survey.sheet_columns import template_headers
from registry.survey.sheets import (
    SurveyImportRejectedError,
    commit_survey_upload,
    preview_survey_upload,
)

bp = Blueprint("upload", __name__, url_prefix="/upload")
FOLDER = "survey-uploads"  # in the instance folder


def _options() -> dict:
    return {
        "tolerance_m": current_app.config["COAST_TOLERANCE_M"],
        "window_days": current_app.config["SURVEY_CORRECTION_WINDOW_DAYS"],
        # The web's limits, as the facility import has them.
        "limits": ImportLimits.from_config(current_app.config["IMPORT_LIMITS"]),
    }


def _page(status: int = 200, **context):
    return render_template(
        "survey/upload.html",
        area=text.place_name(db.session, page_account().area_code),
        text=text,
        **context,
    ), status


@bp.get("/")
def form():
    """Choose a file; download the blank template."""
    return _page()


@bp.get("/template.<fmt>")
def template(fmt: str):
    """The blank sheet: one header row, Thai (or English on English pages)."""
    headers = template_headers("th" if current_language() == "th" else "en")
    if fmt == "csv":
        body, mimetype = csv_bytes(headers, []), "text/csv"
    elif fmt == "xlsx":
        workbook = Workbook()
        workbook.sheet("survey").append(headers)
        body, mimetype = workbook.to_bytes(), XLSX_MIMETYPE
    else:
        raise NotFoundError(NO_TEMPLATE(format=repr(fmt)))
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename=survey-template.{fmt}"},
    )


@bp.post("/preview")
def preview():
    """Read and check every row and show what the upload would do; nothing is written."""
    user = page_account()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(400, error=_("Choose a file to upload."))
    data = upload.read()
    begin_write()
    try:
        outcome = preview_survey_upload(
            db.session, data, upload.filename, Surveyor.account(user, "import"), **_options()
        )
    except RegistryError as error:  # the file cannot be read at all, or passes a limit
        db.session.rollback()
        return _page(error.status_code, error=error_text(error))
    db.session.rollback()
    token = None
    if not outcome.errors:
        token = uploads.keep(FOLDER, user.id, data, upload.filename)
    return _page(
        400 if outcome.errors else 200,
        outcome=outcome,
        token=token,
        file_name=upload.filename,
    )


@bp.post("/commit")
def commit():
    """Write every previewed row, or nothing."""
    user = page_account()
    token = request.form.get("token", "")
    meta, data = uploads.take(FOLDER, user.id, token)
    begin_write()
    try:
        outcome = commit_survey_upload(
            db.session, data, meta["file_name"], Surveyor.account(user, "import"), **_options()
        )
    except SurveyImportRejectedError as error:
        db.session.rollback()
        return _page(
            400, outcome=error.outcome, file_name=meta["file_name"], error=error_text(error)
        )
    db.session.commit()
    uploads.drop(FOLDER, token)
    return _page(outcome=outcome, file_name=meta["file_name"], committed=True)
