"""The official's import page: upload, dry-run preview with the row report, then commit.

The uploaded file is kept in the instance folder between preview and commit under a random
name tied to the account, so the commit imports exactly the bytes that were previewed.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from importers.limits import ImportLimits
from importers.vocabulary import FACILITY_TYPES
from registry.accounts.access import area_name, area_prefixes, require_writer
from registry.auth import begin_write, page_account
from registry.db import db
from registry.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RegistryError,
    ValidationError,
)
from registry.i18n import current_language
from registry.imports import uploads
from registry.imports.messages import NO_BATCH, NOT_A_TYPE, NOT_YOUR_BATCH, OUTSIDE_YOUR_AREA
from registry.message_text import error_text, problem_rule
from registry.models import ImportBatch
from registry.presentation import type_label

bp = Blueprint("imports", __name__, url_prefix="/official/import")
FOLDER = "uploads"  # in the instance folder
BATCHES_SHOWN = 100


@bp.before_request
@login_required
def _signed_in():
    """Importing needs a signed-in account with write rights."""
    require_writer(page_account())


def _options(form) -> dict:
    facility_type = form.get("facility_type") or None
    if facility_type is not None and facility_type not in FACILITY_TYPES:
        raise ValidationError(
            NOT_A_TYPE(value=repr(facility_type), choices=list(FACILITY_TYPES)), field="type"
        )
    return {
        "facility_type": facility_type,
        "source": (form.get("source") or "").strip() or None,
        "crs": (form.get("crs") or "").strip() or None,
    }


def _limits() -> ImportLimits:
    return ImportLimits.from_config(current_app.config["IMPORT_LIMITS"])


def problem_line(problem: dict) -> str:
    """A problem's rule (or a row's refusal) in the page's language, by its code."""
    return problem_rule(problem) or problem.get("message") or ""


def action_label(action: str) -> str:
    """What an import does with a row, as the page says it."""
    if action == "created":
        return _("new")
    if action == "updated":
        return _("updated")
    if action == "unchanged":
        return _("unchanged")
    return _("refused") if action == "rejected" else action


def _batches_of(user) -> list[ImportBatch]:
    """The account's own import batches, newest first."""
    return list(
        db.session.scalars(
            select(ImportBatch)
            .where(ImportBatch.created_by == user.username)
            .order_by(ImportBatch.id.desc())
            .limit(BATCHES_SHOWN)
        )
    )


def _page(status: int = 200, **context):
    user = page_account()
    return render_template(
        "imports/import.html",
        area=area_name(db.session, user.area_code, current_language()),
        facility_types=FACILITY_TYPES,
        type_label=type_label,
        action_label=action_label,
        problem_line=problem_line,
        batches=_batches_of(user),
        **context,
    ), status


@bp.get("/")
def form():
    """Choose a file and options."""
    return _page()


@bp.post("/preview")
def preview():
    """Read and check the file and show what an import would do; nothing is written."""
    from registry.imports.service import preview_import

    user = page_account()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(400, error=_("Choose a file to import."))
    data = upload.read()
    try:
        options = _options(request.form)
    except ValidationError as error:
        return _page(400, error=error_text(error))
    try:
        outcome = preview_import(
            db.session,
            data,
            upload.filename,
            actor_name=user.username,
            allowed_area_prefixes=area_prefixes(user),
            limits=_limits(),
            **options,
        )
    except RegistryError as error:  # a file that cannot be read, or a bad option
        db.session.rollback()
        return _page(error.status_code, error=error_text(error))
    db.session.rollback()
    token = uploads.keep(FOLDER, user.id, data, upload.filename, options=options)
    return _page(outcome=outcome, token=token, file_name=upload.filename, preview=True)


@bp.post("/commit")
def commit():
    """Import the previewed file as one batch: all or nothing unless valid rows only."""
    from registry.imports.service import ImportRejectedError, commit_import, row_list

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
            limits=_limits(),
            **meta["options"],
        )
    except ImportRejectedError as error:
        db.session.rollback()
        rejected = [r for r in error.outcome.rows if r["action"] == "rejected"]
        scope_only = rejected and all(r.get("code") == OUTSIDE_YOUR_AREA.code for r in rejected)
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


@bp.post("/batch/<int:batch_id>/undo")
def undo(batch_id: int):
    """Undo one of my batches: its new sites deactivated, its changes reverted; refused, with
    nothing written, when someone changed those fields since (as on the command line)."""
    from registry.imports.service import undo_import

    user = page_account()
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFoundError(NO_BATCH(batch=batch_id))
    if batch.created_by != user.username:
        raise ForbiddenError(NOT_YOUR_BATCH(batch=batch_id))
    begin_write()
    try:
        counts = undo_import(db.session, batch_id, actor_name=user.username)
    except (ConflictError, ValidationError) as error:
        db.session.rollback()
        return _page(error.status_code, error=error_text(error), undo_refused=batch_id)
    db.session.commit()
    flash(
        _(
            "Import batch %(batch)s undone: %(deactivated)s sites deactivated, %(reverted)s "
            "changes reverted.",
            batch=batch_id,
            deactivated=counts["deactivated"],
            reverted=counts["reverted"],
        )
    )
    return redirect(url_for(".form") + "#batches", 303)
