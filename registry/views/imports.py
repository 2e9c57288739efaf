"""The official's import page: upload, dry-run preview with the row report, then commit.

The uploaded file is kept in the instance folder between preview and commit under a random
name tied to the account, so the commit imports exactly the bytes that were previewed.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from ..auth import page_account
from ..db import db
from ..errors import NotFoundError, ValidationError
from ..services.access import area_name, area_prefixes, require_writer
from ..vocabulary import FACILITY_TYPES

bp = Blueprint("imports", __name__, url_prefix="/official/import")
KEEP_UPLOADS_S = 24 * 3600
OUT_OF_AREA = "outside your area"


@bp.before_request
@login_required
def _signed_in():
    """Importing needs a signed-in account with write rights."""
    require_writer(page_account())


def _uploads() -> Path:
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.json"):
        if old.stat().st_mtime < time.time() - KEEP_UPLOADS_S:
            old.unlink(missing_ok=True)
            old.with_suffix(".bin").unlink(missing_ok=True)
    return path


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
        area=area_name(db.session, user.area_code),
        facility_types=FACILITY_TYPES,
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
        return _page(400, error=error.message)
    try:
        outcome = preview_import(
            db.session,
            data,
            upload.filename,
            actor_name=user.username,
            allowed_area_prefixes=area_prefixes(user),
            **options,
        )
    except ValidationError as error:
        db.session.rollback()
        return _page(400, error=error.message)
    db.session.rollback()
    token = secrets.token_urlsafe(16)
    folder = _uploads()
    (folder / f"{token}.bin").write_bytes(data)
    meta = {"user_id": user.id, "file_name": upload.filename, "options": options}
    (folder / f"{token}.json").write_text(json.dumps(meta))
    return _page(outcome=outcome, token=token, file_name=upload.filename, preview=True)


@bp.post("/commit")
def commit():
    """Import the previewed file as one batch: all or nothing unless valid rows only."""
    from ..services.imports import ImportRejectedError, commit_import

    user = page_account()
    token = request.form.get("token", "")
    folder = _uploads()
    meta_path = folder / f"{token}.json"
    if not token.replace("-", "").replace("_", "").isalnum() or not meta_path.exists():
        raise NotFoundError("this preview has expired; upload the file again")
    meta = json.loads(meta_path.read_text())
    if meta["user_id"] != user.id:
        raise NotFoundError("this preview has expired; upload the file again")
    data = (folder / f"{token}.bin").read_bytes()
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
        scope_only = rejected and all(OUT_OF_AREA in (r["message"] or "") for r in rejected)
        return _page(
            403 if scope_only else 400,
            outcome=error.outcome,
            token=token,
            file_name=meta["file_name"],
            preview=True,
            error=error.message,
        )
    db.session.commit()
    meta_path.unlink(missing_ok=True)
    (folder / f"{token}.bin").unlink(missing_ok=True)
    return _page(outcome=outcome, file_name=meta["file_name"], committed=True)
