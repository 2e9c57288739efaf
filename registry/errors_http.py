"""How errors reach people: JSON under /api, a short HTML page elsewhere."""

from __future__ import annotations

import contextlib

from flask import (
    Flask,
    current_app,
    g,
    jsonify,
    render_template,
    render_template_string,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from importers.messages import Rule
from registry.errors import RegistryError, ValidationError
from registry.models import DB_INT_MAX
from registry.operations import outage

OUT_OF_RANGE = Rule(
    "request.out_of_range",
    "a value in this request is out of the range the registry can store (a number above "
    "%(maximum)s, a text too long, or a character no field may hold)",
)
_PAGE = """<!doctype html><html lang="th"><meta charset="utf-8">
<title>{{ status }}</title><body><h1>{{ status }}</h1><p>{{ message }}</p></body></html>"""


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _registry_error(error: RegistryError):
    from registry.db import db
    from registry.message_text import error_text

    db.session.rollback()
    # A busy database or too many sign-ins: when the same request may be sent again.
    retry = getattr(error, "retry_after", None) or error.details.get("retry_after")
    headers = {"Retry-After": str(retry)} if retry else {}
    if _wants_json():
        return jsonify(error.to_dict()), error.status_code, headers
    # A coded message in the page's language (an uncoded one, which no refusal a page can
    # meet should be, in its English).
    message = error_text(error)
    try:
        page = render_template(
            "error.html", heading=_heading(error.status_code), message=message, back=back_link()
        )
    except Exception:  # the layout itself failed (its database, say): still answer plainly
        current_app.logger.exception("the error page could not be rendered")
        page = render_template_string(_PAGE, status=error.status_code, message=message)
    return page, error.status_code, headers


def _heading(status: int) -> str:
    headings = {
        403: _("Not allowed"),
        404: _("Not found"),
        409: _("Changed meanwhile"),
        413: _("The file is too large"),
        422: _("The file cannot be read"),
        429: _("Too many requests"),
        503: _("Busy: try again in a few seconds"),
    }
    return headings.get(status, _("This cannot be done"))


def back_link() -> str:
    """The page the person came from when it is one of ours, else the home page."""
    referrer = request.referrer or ""
    if referrer.startswith(request.host_url) and referrer != request.url:
        return referrer
    return url_for("public.index")


def _http_error(error: HTTPException):
    # werkzeug's own headers stay: Allow on a 405, Content-Range on a 416 (RFC 9110 §15.5).
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    if _wants_json():
        body = {"error": error.name.lower().replace(" ", "_"), "message": error.description}
        return jsonify(body), error.code, headers
    message = _http_message(error)
    if message is None:
        return error
    heading = _("The form cannot be sent") if isinstance(error, CSRFError) else _heading(error.code)
    page = render_template("error.html", heading=heading, message=message, back=back_link())
    return page, error.code, headers


def _http_message(error: HTTPException) -> str | None:
    """What a person reads for the errors pages meet; None leaves werkzeug's own page."""
    if isinstance(error, CSRFError):
        return _(
            "The form was open too long or came from elsewhere. Reload the page and send it again."
        )
    messages = {
        404: _("There is no page at this address."),
        413: _("The file is too large: send at most %(mb)s MB.", mb=_max_mb()),
    }
    return messages.get(error.code)


def _max_mb() -> int:
    return int((current_app.config.get("MAX_CONTENT_LENGTH") or 0) / 1024 / 1024)


def _data_error(error: DataError):
    """The database refused a value the checks let through: the caller's input, so a 400."""
    current_app.logger.warning("database refused a value: %s", str(error.orig).splitlines()[0])
    return _registry_error(ValidationError(OUT_OF_RANGE(maximum=f"{DB_INT_MAX:,}")))


def _database_error(error: DBAPIError):
    """The database is down, unreachable or busy: 503 with Retry-After, no traceback."""
    from flask_login import AnonymousUserMixin

    from registry.db import db

    if not (outage.unavailable(error) or outage.busy(error)):
        raise error  # a statement that failed on its own: a real 500, with its traceback
    with contextlib.suppress(DBAPIError):  # the connection may be gone already
        db.session.rollback()
    config = current_app.config
    if outage.busy(error):
        retry = int(config["DATABASE_BUSY_RETRY_AFTER_S"])
        message = "the registry is busy with another change; try again in a few seconds"
    else:
        outage.noticed(error, request.method, request.path)
        retry = int(config["DATABASE_DOWN_RETRY_AFTER_S"])
        message = "the registry's database cannot be reached just now; try again shortly"
    headers = {"Retry-After": str(retry)}
    if _wants_json():
        return (
            jsonify({"error": "unavailable", "message": message, "retry_after": retry}),
            503,
            headers,
        )
    # The page is drawn without the account: loading it would need the database.
    g._login_user = AnonymousUserMixin()
    page_message = _(
        "The registry cannot reach its database just now. Try again in a minute; searching "
        "for the nearest site still works."
    )
    try:
        page = render_template(
            "error.html",
            heading=_("Temporarily unavailable"),
            message=page_message,
            back=back_link(),
        )
    except Exception:  # the page must be answered whatever the layout needs
        page = render_template_string(_PAGE, status=503, message=page_message)
    return page, 503, headers


def init_app(app: Flask) -> None:
    app.register_error_handler(RegistryError, _registry_error)
    app.register_error_handler(DataError, _data_error)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(PoolTimeoutError, _database_error)
    app.register_error_handler(HTTPException, _http_error)
