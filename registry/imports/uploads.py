"""Uploaded files kept between the preview and the commit of an import (sites or survey).

The preview stores the bytes under a random token for a day; the commit reads them back only
for the account that uploaded them, so a token seen by someone else is worth nothing.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from flask import current_app

from registry.errors import NotFoundError

KEEP_UPLOADS_S = 24 * 3600
# What keep() makes (secrets.token_urlsafe(16): 22 characters); anything else is no token.
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
EXPIRED = "this preview has expired; upload the file again"


def _folder(name: str) -> Path:
    path = Path(current_app.instance_path) / name
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.json"):
        try:
            expired = old.stat().st_mtime < time.time() - KEEP_UPLOADS_S
        except FileNotFoundError:
            continue  # another worker swept it first
        if expired:
            old.unlink(missing_ok=True)
            old.with_suffix(".bin").unlink(missing_ok=True)
    return path


def keep(folder_name: str, user_id: int, data: bytes, file_name: str, **extra) -> str:
    """Store an uploaded file for its commit; returns the token that names it."""
    token = secrets.token_urlsafe(16)
    folder = _folder(folder_name)
    (folder / f"{token}.bin").write_bytes(data)
    meta = {"user_id": user_id, "file_name": file_name, **extra}
    (folder / f"{token}.json").write_text(json.dumps(meta))
    return token


def take(folder_name: str, user_id: int, token: str) -> tuple[dict, bytes]:
    """The kept file's description and bytes; 404 when expired, unknown or someone else's."""
    if not TOKEN.fullmatch(token or ""):
        raise NotFoundError(EXPIRED)
    folder = _folder(folder_name)
    meta_path = folder / f"{token}.json"
    if not meta_path.exists():
        raise NotFoundError(EXPIRED)
    meta = json.loads(meta_path.read_text())
    if meta["user_id"] != user_id:
        raise NotFoundError(EXPIRED)
    return meta, (folder / f"{token}.bin").read_bytes()


def drop(folder_name: str, token: str) -> None:
    """Forget a kept file once its import is committed."""
    folder = _folder(folder_name)
    (folder / f"{token}.json").unlink(missing_ok=True)
    (folder / f"{token}.bin").unlink(missing_ok=True)
