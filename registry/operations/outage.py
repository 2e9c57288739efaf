"""While the database cannot be reached: one warning per outage, one line per request.

``unavailable(error)`` tells a database that is down or unreachable (connection refused,
dropped, timed out, pool exhausted) from a statement that failed on its own. The error
handlers answer such requests 503 with Retry-After (see errors_http) and call ``noticed``;
the first call of an outage logs one warning, each request one line without a traceback.
The first statement that succeeds afterwards ends the outage with one more line.

The standard ``logging`` module throughout, so the service's log formatter applies.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

log = logging.getLogger("registry.operations.outage")
_BUSY = ("database is locked", "database table is locked")


class _State:
    lock = threading.Lock()
    since: float | None = None
    requests = 0


def _first_line(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip().splitlines()
    return text[0] if text else type(cause).__name__


def busy(error: BaseException) -> bool:
    """SQLite's other writer holding the lock: the database is up, just busy for a moment."""
    return isinstance(error, OperationalError) and any(b in str(error.orig) for b in _BUSY)


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached (rather than a bad statement)."""
    if isinstance(error, PoolTimeoutError | DisconnectionError):
        return True
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    return False


def noticed(error: BaseException, method: str, path: str) -> None:
    """Record a request refused because the database is down; warn once per outage."""
    with _State.lock:
        first = _State.since is None
        if first:
            _State.since, _State.requests = time.time(), 0
        _State.requests += 1
    if first:
        log.warning("database unreachable: %s; answering 503 until it is back", _first_line(error))
    log.info("503 %s %s: database unreachable", method, path)


def recovered() -> None:
    """The database answered: end the outage, if there was one (one line)."""
    if _State.since is None:
        return
    with _State.lock:
        since, count = _State.since, _State.requests
        _State.since = None
    if since is not None:
        log.warning(
            "database reachable again after %.0f s (%d requests refused meanwhile)",
            time.time() - since,
            count,
        )


def down_since() -> datetime | None:
    since = _State.since
    return None if since is None else datetime.fromtimestamp(since, UTC)


def watch(engine: Engine) -> None:
    """End an outage on the first statement that runs on ``engine``."""

    @event.listens_for(engine, "after_cursor_execute")
    def _ran(*_args) -> None:
        if _State.since is not None:
            recovered()
