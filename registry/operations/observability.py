"""Request ids, access logs, JSON logs and the 500 answer.

Every request carries an id: a sane incoming ``X-Request-ID`` (from nginx, a load balancer or
the client) is kept, anything else is replaced by a new random one. The id goes back in the
response's ``X-Request-ID`` header, into every log line written while the request runs, and
onto the error page, so a person's "it failed" can be matched with the server's log.

One access-log line per request goes to the ``registry.access`` logger; where log lines end
up (stderr for journald, or a file that logrotate moves) and whether they are JSON is set
once per process by ``logging_config`` (``registry serve`` and
``registry.operations.gunicorn_conf``).
An unexpected error is logged with its traceback; the client only ever sees a short message
with the request id.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import InternalServerError

REQUEST_ID_HEADER = "X-Request-ID"
# Printable, no spaces or quotes, at most 128 characters: what proxies and tracers send
# (UUIDs, hex, base64). Anything else could forge log lines or bloat them, so it is replaced.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=@-]{0,127}")

access_log = logging.getLogger("registry.access")


def request_id() -> str | None:
    """The id of the request being answered, or None outside a request."""
    return g.get("request_id") if has_request_context() else None


def _incoming_id() -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    if _SANE_REQUEST_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def _begin_request() -> None:
    g.request_id = _incoming_id()
    g.request_started = time.perf_counter()


def _route() -> str:
    """The URL rule that answered (a template, so few distinct values), not the raw path."""
    rule = request.url_rule
    return rule.rule if rule is not None else "(unmatched)"


def _finish_request(response):
    rid = g.get("request_id")
    if rid is None:  # a request that failed before the first hook ran
        _begin_request()
        rid = g.request_id
    response.headers[REQUEST_ID_HEADER] = rid
    elapsed = time.perf_counter() - g.request_started
    route = _route()
    from registry.db import db
    from registry.nearest.catalog import catalogs
    from registry.operations import metrics

    metrics.observe_request(route, request.method, response.status_code, elapsed)
    metrics.observe_catalog(catalogs.get(db.bind).held)
    access_log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "request_id": rid,
            "http": {
                "method": request.method,
                "path": request.path,
                "query": request.query_string.decode("latin-1")[:512],
                "route": route,
                "status": response.status_code,
                "bytes": response.calculate_content_length(),
                "duration_ms": round(elapsed * 1000, 2),
                "remote_addr": request.remote_addr,
                "user_agent": request.user_agent.string[:200],
            },
        },
    )
    return response


def _server_error(error: InternalServerError):
    """An unexpected failure: the traceback goes to the log, the client gets the request id."""
    # Flask has already logged the traceback (app.log_exception), with the request id.
    rid = request_id()
    message = _(
        "Something went wrong on our side. Quote this reference if you report it: %(id)s",
        id=rid,
    )
    if request.path.startswith("/api/"):
        return jsonify({"error": "internal_error", "message": message, "request_id": rid}), 500
    try:
        from registry.errors_http import back_link

        page = render_template(
            "error.html", heading=_("Server error"), message=message, back=back_link()
        )
    except Exception:  # the layout itself failed (its database, say): still answer plainly
        page = f"<!doctype html><title>500</title><h1>500</h1><p>{_escape(message)}</p>"
    return page, 500


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def init_app(app: Flask) -> None:
    app.before_request(_begin_request)
    app.after_request(_finish_request)
    app.register_error_handler(InternalServerError, _server_error)


# -- log lines -----------------------------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (None outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        return True


_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def logging_config(fmt: str = "json", level: str = "INFO", file: str = "-") -> dict[str, Any]:
    """A logging.dictConfig for a server process: the registry's and gunicorn's loggers.

    ``file`` "-" writes to stderr (journald keeps it under systemd); a path appends to that
    file through a WatchedFileHandler, which reopens it after logrotate moves it away.
    gunicorn's own access log stays off: the app writes richer lines to registry.access.
    """
    if fmt not in ("json", "text"):
        raise ValueError(f"LOG_FORMAT {fmt!r} is not 'json' or 'text'")
    handler: dict[str, Any] = {
        "formatter": fmt,
        "filters": ["request_id"],
    }
    if file in ("", "-"):
        handler |= {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    else:
        handler |= {"class": "logging.handlers.WatchedFileHandler", "filename": file}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"json": {"()": JsonFormatter}, "text": {"()": TextFormatter}},
        "handlers": {"main": handler},
        "root": {"level": level.upper(), "handlers": ["main"]},
        "loggers": {
            "gunicorn.error": {"level": level.upper(), "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }
