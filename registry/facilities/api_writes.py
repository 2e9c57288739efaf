"""API writes with personal tokens: create, PATCH one facility, and the bulk status feed.

Every write runs through services.scoped: the same validation, area scope and audit as the
official pages. Requests authenticate with ``Authorization: Bearer <token>`` only.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import current_app, jsonify, request

from importers.vocabulary import COMMON_FIELDS, TYPE_FIELDS
from registry.api import bp, params
from registry.auth import api_account, begin_write, stamp_token
from registry.db import db
from registry.errors import ValidationError
from registry.facilities.scoped import create_in_area, update_in_area
from registry.facilities.status_feed import status_feed
from registry.models import utcnow
from registry.operations.metrics import count_feed
from registry.serialize import facility_feature

MAX_FEED_ITEMS = 5_000
MAX_FEED_LINES = 4 * MAX_FEED_ITEMS  # lines of a CSV feed read, blank ones included
_KINDS = {spec.name: spec.kind for spec in COMMON_FIELDS}
_KINDS.update({spec.name: spec.kind for specs in TYPE_FIELDS.values() for spec in specs})


def _json_object() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("send a JSON object (Content-Type: application/json)")
    return body


def _written(result, status: int = 200):
    return jsonify(
        {
            "feature": facility_feature(result.facility),
            "changed": [change.field for change in result.changes],
            "warnings": [str(warning) for warning in result.warnings],
            "warning_codes": [warning.as_dict() for warning in result.warnings],
        }
    ), status


@bp.post("/facilities")
def create_facility_api():
    """Create a facility inside the token owner's area."""
    body = _json_object()
    user = api_account()
    begin_write()
    result = create_in_area(
        db.session,
        user,
        body,
        source="api",
        tolerance_m=current_app.config["COAST_TOLERANCE_M"],
    )
    stamp_token()
    db.session.commit()
    return _written(result, 201)


@bp.patch("/facilities/<int:facility_id>")
def patch_facility(facility_id: int):
    """Change fields of one facility; ``version`` is the version read (409 when stale)."""
    body = _json_object()
    if "version" not in body:
        raise ValidationError("field 'version': send the version you read", field="version")
    version = body.pop("version")
    user = api_account()
    begin_write()
    result = update_in_area(
        db.session,
        user,
        facility_id,
        body,
        expected_version=version,
        source="api",
        tolerance_m=current_app.config["COAST_TOLERANCE_M"],
    )
    stamp_token()
    db.session.commit()
    return _written(result)


def _csv_value(name: str, text: str) -> Any:
    kind = "int" if name in ("id", "version") else _KINDS.get(name, "text")
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            return text  # the service names the bad number
    if kind == "bool":
        lowered = text.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        return text
    if kind == "list":
        return [part.strip() for part in text.replace("|", ";").split(";") if part.strip()]
    return text


def _csv_items(raw: bytes) -> list[dict[str, Any]]:
    """Rows of a CSV with a header (id or hcode, version, status, fields); empty cells skip."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("the CSV is not UTF-8 text") from None
    items = []
    rows = csv.DictReader(io.StringIO(text))
    for row in rows:
        if rows.line_num > MAX_FEED_LINES:
            raise ValidationError(
                f"the feed has more than {MAX_FEED_LINES} lines (blank ones included), the "
                "limit; split it"
            )
        item = {
            name.strip(): _csv_value(name.strip(), (value or "").strip())
            for name, value in row.items()
            if name and (value or "").strip()
        }
        if not item:
            continue  # a blank row, dropped as it is read
        items.append(item)
        if len(items) > MAX_FEED_ITEMS:
            raise _too_many()
    return items


def _too_many() -> ValidationError:
    return ValidationError(f"the feed has more than {MAX_FEED_ITEMS} items, the limit; split it")


# JSON objects and lists an update may hold (the update, a list of brands...): past this many
# per item the body is refused before it is parsed into millions of them.
_CONTAINERS_PER_ITEM = 8


def _feed_items() -> list[Any]:
    mimetype = request.mimetype
    if mimetype in ("text/csv", "application/csv"):
        items = _csv_items(request.get_data())
    else:
        raw = request.get_data()
        if raw.count(b"{") + raw.count(b"[") > (MAX_FEED_ITEMS + 1) * _CONTAINERS_PER_ITEM:
            raise _too_many()
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("items"), list):
            body = body["items"]
        if not isinstance(body, list):
            raise ValidationError(
                'send a JSON list of updates (or {"items": [...]}) or a CSV with a header row'
            )
        items = body
    if not items:
        raise ValidationError("the feed is empty")
    if len(items) > MAX_FEED_ITEMS:
        raise _too_many()
    return items


@bp.post("/status")
def status_updates():
    """Many status updates at once: all or nothing, or each on its own with ?partial=1."""
    partial = params.boolean("partial")
    user = api_account()
    items = _feed_items()
    begin_write()
    started = utcnow()
    outcome = status_feed(db.session, user, items, partial=partial)
    count_feed(outcome.counts, outcome.applied)  # /metrics
    body = {
        "applied": outcome.applied,
        "partial": partial,
        "counts": outcome.counts,
        "items": outcome.items,
    }
    if not outcome.applied:
        db.session.rollback()
        codes = {item["status"] for item in outcome.items if item["result"] == "rejected"}
        body["message"] = (
            f"{outcome.counts['rejected']} of {len(items)} updates were refused, so none was "
            "written; fix them or send ?partial=1 to apply the rest"
        )
        return jsonify(body), codes.pop() if len(codes) == 1 else 400
    stamp_token()
    db.session.commit()
    body["seconds"] = round((utcnow() - started).total_seconds(), 3)
    return jsonify(body)
