"""The registry's committed data version, known in every worker without a query per answer.

Every write raises ``registry_state.data_version`` (services.facilities), and the in-memory
facility catalog, the map and the HTTP validators ask which version is committed before each
answer. Asking the database each time was a round trip per answer, and most of the cost of a
nearest-site answer. Instead:

- PostGIS: a listener thread per worker process (started on the first answer of the process,
  so after gunicorn's fork) holds a connection that LISTENs on ``registry_data_version``;
  migration 0013's trigger sends each committed version to every listener on every host, so
  a change usually reaches every worker within a few milliseconds. A notification cannot prove
  that none was missed (a connection that silently died tells nothing), so the thread also
  reads the version itself every ``heartbeat``, and a version is trusted only while the last
  successful read started at most ``max_lag`` ago. Past that (the listener reconnecting, the
  database down, the process starved) each answer reads the version itself, as before, so
  the gap is never taken for quiet. Hence the bound: **a change committed at time t is in
  every answer that begins after t + max_lag** (100 ms by default), whichever host made it.
- SpatiaLite: one file on one host; every answer reads the version from a kept autocommit
  connection (a local read of a few microseconds, no round trip): bound 0.
- Read-your-writes: a write committed in this process raises the version here at once; the
  response of a request that wrote sets the cookie ``registry_wrote=<version>``, and a later
  request carrying that cookie, or an API token (``Authorization``: token holders are the
  writers), reads the committed version itself whenever the one pushed here is older. So a
  writer's next answer, on any worker of any host, holds its change.

The version only grows; a read that returns less than what a notification said keeps the
larger one. (Restoring an older backup under running workers needs a restart, as before.)
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import math
import os
import sys
import threading
import time
import weakref
from dataclasses import dataclass

import psycopg
from flask import g, has_request_context, request
from sqlalchemy import Engine, event, select, update
from sqlalchemy.orm import Session

from registry.db import autocommit_int
from registry.models import RegistryState

log = logging.getLogger("registry.version_watch")

CHANNEL = "registry_data_version"  # the trigger of migration 0013 notifies here
VERSION_SQL = "SELECT data_version FROM registry_state WHERE id = 1"
COOKIE = "registry_wrote"
COOKIE_MAX_AGE_S = 3600  # far longer than any push takes; afterwards it changes nothing
WROTE = "registry_wrote_version"  # Session.info key: the version this transaction raised to
ANY_NEWER = sys.maxsize  # "wanted": read the committed version, whatever was pushed
_STOP_CHECK_S = 0.25  # how long the listener waits at most before looking at its stop flag
_WAIT_FOR_WRITE_S = 1.0  # at most, for a replica to replay what this request's writer wrote


@dataclass(frozen=True)
class _Known:
    """A version and when (time.monotonic) a read that saw at least it began.

    One object, replaced whole, so a reader never pairs a version with another's time.
    """

    version: int
    confirmed: float


class PostgisWatch:
    """The pushed version of one PostgreSQL database, trusted within ``max_lag_s``."""

    def __init__(self, engine: Engine, max_lag_s: float, heartbeat_s: float) -> None:
        self._engine = weakref.ref(engine)
        self.max_lag_s = max_lag_s
        self.heartbeat_s = heartbeat_s
        self._known = _Known(0, -math.inf)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._failing = False

    def version(self, wanted: int = 0) -> int:
        """The committed version: the pushed one while it is recent enough and at least
        ``wanted``, else read now (one round trip)."""
        if self._thread is None:
            self._start()
        known = self._known
        if known.version >= wanted and time.monotonic() - known.confirmed <= self.max_lag_s:
            return known.version
        engine = self._engine()
        deadline = time.monotonic() + _WAIT_FOR_WRITE_S
        while True:
            started = time.monotonic()
            version = autocommit_int(engine, VERSION_SQL) or 0
            self._learn(version, started)
            # Below what its writer wrote only on a read replica that has not replayed it
            # yet: the writer's answer waits for it, a little.
            if version >= wanted or wanted == ANY_NEWER or started > deadline:
                return max(version, self._known.version)
            time.sleep(0.005)

    def wrote(self, version: int) -> None:
        """A write of this process committed ``version``: every thread here sees it at once."""
        self._learn(version)

    def _learn(self, version: int, confirmed: float = -math.inf) -> None:
        with self._lock:
            known = self._known
            if version > known.version or confirmed > known.confirmed:
                self._known = _Known(max(version, known.version), max(confirmed, known.confirmed))

    # -- the listener thread --------------------------------------------------------------------

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._listen, args=(self._stop,), name="registry-version-watch", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """End the listener (it closes its own connection); the next answer starts another."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=_STOP_CHECK_S + 1.0)

    def forget_after_fork(self) -> None:
        # The parent's thread does not exist here, its connection is the parent's, and its
        # lock may have been held at the fork.
        self._thread = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def _listen(self, stop: threading.Event) -> None:
        retry_s = self.heartbeat_s
        while not stop.is_set():
            engine = self._engine()
            if engine is None:
                return
            connection = None
            try:
                # Out of the pool, as db's autocommit reads are: it is never handed to a request.
                wrapper = engine.raw_connection()
                connection = wrapper.driver_connection
                wrapper.detach()
                del engine, wrapper  # the thread must not keep the engine alive
                self._serve(connection, stop)
            except Exception as error:  # unreachable or dropped: answers read it themselves
                # Whatever was missed meanwhile is unknown: the lease ends now, not at its term.
                with self._lock:
                    self._known = _Known(self._known.version, -math.inf)
                # At once after a drop, then less often while the database stays away.
                retry_s = min(retry_s * 2, 1.0) if self._failing else self.heartbeat_s
                self._failed(error)
            finally:
                _close_quietly(connection)
            stop.wait(retry_s)

    def _serve(self, connection, stop: threading.Event) -> None:
        connection.autocommit = True
        try:
            connection.execute(f"LISTEN {CHANNEL}")
        except psycopg.errors.ReadOnlySqlTransaction:
            # A read replica cannot LISTEN: the heartbeat alone keeps the bound there.
            log.info("no data version notifications on a read replica; heartbeats only")
        # Listening before the first read: nothing committed after the read goes unnoticed.
        self._heartbeat(connection)
        if self._failing:
            self._failing = False
            log.warning("data version notifications received again")
        due = time.monotonic() + self.heartbeat_s
        while not stop.is_set():
            # In slices, so that a stop (the gunicorn master before it forks) is quick.
            wait = min(due - time.monotonic(), _STOP_CHECK_S)
            for notice in connection.notifies(timeout=max(wait, 0.0)):
                if notice.channel == CHANNEL and notice.payload.isdecimal():
                    self._learn(int(notice.payload))
            if time.monotonic() >= due:
                due = time.monotonic() + self.heartbeat_s
                self._heartbeat(connection)

    def _heartbeat(self, connection) -> None:
        started = time.monotonic()
        row = connection.execute(VERSION_SQL).fetchone()
        self._learn(int(row[0]) if row and row[0] is not None else 0, started)

    def _failed(self, error: BaseException) -> None:
        if not self._failing:
            self._failing = True
            log.warning(
                "data version notifications interrupted (%s); answers read the version "
                "themselves until the listener is back",
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__,
            )


class SpatialiteWatch:
    """A SpatiaLite file: the version is read on every call, locally, with no transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)

    def version(self, wanted: int = 0) -> int:
        return autocommit_int(self._engine(), VERSION_SQL) or 0

    def wrote(self, version: int) -> None:
        pass  # every answer reads the file's committed state anyway

    def stop(self) -> None:
        pass

    def forget_after_fork(self) -> None:
        pass


Watch = PostgisWatch | SpatialiteWatch
_WATCHES: weakref.WeakKeyDictionary[Engine, Watch] = weakref.WeakKeyDictionary()
_SETTINGS: weakref.WeakKeyDictionary[Engine, tuple[float, float]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
DEFAULT_MAX_LAG_S = 0.1
DEFAULT_HEARTBEAT_S = 0.025


def configure(engine: Engine, *, max_lag_ms: float, heartbeat_ms: float) -> None:
    """The bound and heartbeat of this engine's watch (the app's configuration)."""
    if not 0 < heartbeat_ms < max_lag_ms:
        raise ValueError(
            f"DATA_VERSION_HEARTBEAT_MS ({heartbeat_ms}) must be above 0 and below "
            f"DATA_VERSION_MAX_LAG_MS ({max_lag_ms})"
        )
    _SETTINGS[engine] = (max_lag_ms / 1000, heartbeat_ms / 1000)


def watch_for(engine: Engine) -> Watch:
    """The watch of an engine's database, made on first use."""
    watch = _WATCHES.get(engine)
    if watch is None:
        with _LOCK:
            watch = _WATCHES.get(engine)
            if watch is None:
                watch = _WATCHES[engine] = _new_watch(engine)
    return watch


def _new_watch(engine: Engine) -> Watch:
    if engine.dialect.name != "postgresql":
        return SpatialiteWatch(engine)
    max_lag_s, heartbeat_s = _SETTINGS.get(engine, (DEFAULT_MAX_LAG_S, DEFAULT_HEARTBEAT_S))
    watch = PostgisWatch(engine, max_lag_s, heartbeat_s)
    # A disposed engine (the gunicorn master before it forks, a test's engine) ends its
    # listener; the next answer through the engine starts a new one.
    event.listen(engine, "engine_disposed", lambda _engine: watch.stop())
    weakref.finalize(engine, watch.stop)
    return watch


def _forget_after_fork() -> None:
    global _LOCK
    _LOCK = threading.Lock()
    for watch in list(_WATCHES.values()):
        watch.forget_after_fork()


os.register_at_fork(after_in_child=_forget_after_fork)


@atexit.register
def _stop_all() -> None:
    # Each listener closes its connection itself, so the server sees a goodbye, not a reset.
    for watch in list(_WATCHES.values()):
        watch.stop()


def _close_quietly(connection) -> None:
    if connection is None:
        return
    with contextlib.suppress(Exception):  # already gone with the server
        connection.close()


# -- read-your-writes ---------------------------------------------------------------------------


def wanted_version() -> int:
    """The version this request must see: what its writer wrote (cookie), ANY_NEWER for an
    API token holder, 0 for everyone else (and outside requests)."""
    if not has_request_context():
        return 0
    environ = request.environ
    if "HTTP_AUTHORIZATION" in environ:
        return ANY_NEWER
    if "HTTP_COOKIE" not in environ:
        return 0
    raw = request.cookies.get(COOKIE, "")
    return int(raw) if raw.isdecimal() and len(raw) < 19 else 0


def note_write(session: Session, version: int) -> None:
    """Called by the write path with the version its transaction raised the registry to."""
    session.info[WROTE] = version


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    version = session.info.pop(WROTE, None)
    if version is None:
        return
    bind = session.get_bind()
    if isinstance(bind, Engine):
        watch_for(bind).wrote(version)
    if has_request_context():
        g.registry_wrote = max(version, g.get("registry_wrote", 0))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous) -> None:
    session.info.pop(WROTE, None)


def _set_cookie(response):
    wrote = g.get("registry_wrote")
    if wrote:
        response.set_cookie(
            COOKIE,
            str(wrote),
            max_age=COOKIE_MAX_AGE_S,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


def init_app(app) -> None:
    from registry.db import db

    configure(
        db.state(app).engine,
        max_lag_ms=float(app.config.get("DATA_VERSION_MAX_LAG_MS", 100)),
        heartbeat_ms=float(app.config.get("DATA_VERSION_HEARTBEAT_MS", 25)),
    )
    app.after_request(_set_cookie)


# -- raising and reading the version --------------------------------------------------------


def next_data_version(session: Session) -> int:
    version = session.execute(
        update(RegistryState)
        .where(RegistryState.id == 1)
        .values(data_version=RegistryState.data_version + 1)
        .returning(RegistryState.data_version)
        # Not an ORM-synchronised UPDATE: that would scan every object in the session on
        # each write, so long sessions would slow down with every change.
        .execution_options(synchronize_session=False)
    ).scalar_one()
    # Once committed, the writer's next answers see it at once (read-your-writes).
    note_write(session, version)
    return version


def current_data_version(session: Session) -> int:
    return session.scalar(select(RegistryState.data_version).where(RegistryState.id == 1)) or 0
