"""The official's import page: upload, dry-run preview with the row report, then commit.

The uploaded file is kept in the instance folder between preview and commit under a random
name tied to the account, so the commit imports exactly the bytes that were previewed.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from ..auth import page_account
from ..db import db
from ..errors import RegistryError, ValidationError
from ..i18n import current_language
from ..presentation import type_label
from ..services.access import area_name, area_prefixes, require_writer
from ..vocabulary import FACILITY_TYPES
from . import problem_text, uploads

bp = Blueprint("imports", __name__, url_prefix="/official/import")
FOLDER = "uploads"  # in the instance folder
OUT_OF_AREA = "outside your area"


@bp.before_request
@login_required
def _signed_in():
    """Importing needs a signed-in account with write rights."""
    require_writer(page_account())


def _options(form) -> dict:
    facility_type = form.get("facility_type") or None
    if facility_type is not None and facility_type not in FACILITY_TYPES:
        raise ValidationError(
            f"type {facility_type!r} is not one of {', '.join(FACILITY_TYPES)}", field="type"
        )
    return {
        "facility_type": facility_type,
        "source": (form.get("source") or "").strip() or None,
        "crs": (form.get("crs") or "").strip() or None,
    }


def _page(status: int = 200, **context):
    user = page_account()
    return render_template(
        "official/import.html",
        area=area_name(db.session, user.area_code, current_language()),
        facility_types=FACILITY_TYPES,
        type_label=type_label,
        text=problem_text,
        **context,
    ), status


@bp.get("/")
def form():
    """Choose a file and options."""
    return _page()


@bp.post("/preview")
def preview():
    """Read and check the file and show what an import would do; nothing is written."""
    from ..services.imports import preview_import

    user = page_account()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(400, error=_("Choose a file to import."))
    data = upload.read()
    try:
        options = _options(request.form)
    except ValidationError as error:
        return _page(400, error=problem_text.rule_text(error.message))
    try:
        outcome = preview_import(
            db.session,
            data,
            upload.filename,
            actor_name=user.username,
            allowed_area_prefixes=area_prefixes(user),
            **options,
        )
    except RegistryError as error:  # a file that cannot be read, or a bad option
        db.session.rollback()
        return _page(error.status_code, error=problem_text.rule_text(error.message))
    db.session.rollback()
    token = uploads.keep(FOLDER, user.id, data, upload.filename, options=options)
    return _page(outcome=outcome, token=token, file_name=upload.filename, preview=True)


@bp.post("/commit")
def commit():
    """Import the previewed file as one batch: all or nothing unless valid rows only."""
    from ..services.imports import ImportRejectedError, commit_import, row_list

    user = page_account()
    token = request.form.get("token", "")
    meta, data = uploads.take(FOLDER, user.id, token)
    try:
        outcome = commit_import(
            db.session,
            data,
            meta["file_name"],
            actor_name=user.username,
            valid_rows_only=request.form.get("valid_rows_only") == "1",
            allowed_area_prefixes=area_prefixes(user),
            **meta["options"],
        )
    except ImportRejectedError as error:
        db.session.rollback()
        rejected = [r for r in error.outcome.rows if r["action"] == "rejected"]
        scope_only = rejected and all(OUT_OF_AREA in (r.get("message") or "") for r in rejected)
        return _page(
            403 if scope_only else 400,
            outcome=error.outcome,
            token=token,
            file_name=meta["file_name"],
            preview=True,
            error=_(
                "Nothing was imported: %(errors)s errors in %(count)s rows (rows %(rows)s). "
                "Fix them in the file and upload it again, or tick “Import the valid rows "
                "only” and commit again.",
                errors=len(error.outcome.errors),
                count=len(error.rejected_rows),
                rows=row_list(error.rejected_rows),
            ),
        )
    db.session.commit()
    uploads.drop(FOLDER, token)
    return _page(outcome=outcome, file_name=meta["file_name"], committed=True)
