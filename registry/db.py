"""Database engine and request-scoped sessions, attached to the app in init_app()."""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, create_engine, event, exc, make_url
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from importers.messages import Rule
from registry.errors import DatabaseBusyError
from registry.spatial import (
    NO_WAITS,
    SpatialDialect,
    Waits,
    autocommit_reads,
    engine_options,
    spatial_dialect,
)


def resolve_database_url(app: Flask) -> URL:
    """The configured database URL; empty means a SpatiaLite file in the instance folder."""
    configured = app.config.get("DATABASE_URL") or ""
    if not configured:
        os.makedirs(app.instance_path, exist_ok=True)
        configured = "sqlite:///" + os.path.join(app.instance_path, "registry.sqlite")
    url = make_url(configured)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


BUSY = Rule(
    "busy.waited",
    "the registry is busy with another change (an import, say) and this request waited "
    "%(seconds)s; nothing was written: send it again in a few seconds",
)
SECONDS = Rule("busy.seconds", "%(count)s s")
TOO_LONG = Rule("busy.too_long", "too long")


def make_engine(url: URL | str, waits: Waits = NO_WAITS) -> Engine:
    """An engine with the spatial extension ready on every connection.

    ``waits`` bounds how long a statement waits for another's lock and runs; a statement
    that passes either raises DatabaseBusyError (503, retry) instead of the driver's error.
    """
    url = make_url(url)
    engine = create_engine(url, **engine_options(url, waits))
    dialect = spatial_dialect(engine.dialect.name)
    dialect.configure_engine(engine, waits)

    def busy_as_refusal(context) -> BaseException | None:
        if dialect.busy(context.original_exception):
            waited = SECONDS(count=f"{waits.lock_s:g}") if waits.lock_s is not None else TOO_LONG()
            return DatabaseBusyError(BUSY(seconds=waited))
        return None

    event.listen(engine, "handle_error", busy_as_refusal)
    from registry.operations import storage_errors  # disk full or read-only: a clear 503

    storage_errors.watch(engine)
    return engine


def waits_of(config, prefix: str = "") -> Waits:
    """The database waits configured for the web (prefix "") or the command line ("CLI_")."""
    return Waits(
        config.get(f"{prefix}DATABASE_LOCK_TIMEOUT_S"),
        config.get(f"{prefix}DATABASE_STATEMENT_TIMEOUT_S") or None,
    )


class _ReadConnections:
    """Driver connections of one pool, kept out of it for single-value autocommit reads.

    Taking a pooled connection, switching it to autocommit and back and giving it back costs
    more CPU than the read itself; these stay in autocommit and are used by one thread at a
    time. They are closed when the pool they came from goes (``engine.dispose()``).
    """

    def __init__(self, engine: Engine) -> None:
        self.reads = autocommit_reads(engine.dialect.name)
        # (detached SQLAlchemy wrapper, driver connection, its prepared statements)
        self.idle: list[tuple] = []

    def new(self, engine: Engine) -> tuple:
        wrapper = engine.raw_connection()
        driver = wrapper.driver_connection
        wrapper.detach()
        self.reads.prepare(driver)
        return wrapper, driver, {}

    def close(self, *, broken: bool = False) -> None:
        idle, self.idle = self.idle, []
        for wrapper, _, _ in idle:
            # A connection the server dropped is discarded without the rollback a close
            # would try first (and log with its traceback when it fails).
            wrapper.invalidate() if broken else wrapper.close()


_READS: weakref.WeakKeyDictionary[object, _ReadConnections] = weakref.WeakKeyDictionary()
_INHERITED: list = []


def _forget_inherited() -> None:
    # A forked child must neither use nor close its parent's connections: closing one tells
    # the server to end the parent's session.
    for held in list(_READS.values()):
        _INHERITED.extend(held.idle)
        held.idle = []


os.register_at_fork(after_in_child=_forget_inherited)


def _read_connections(engine: Engine) -> _ReadConnections | None:
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None  # every new connection would open another, empty database
    held = _READS.get(engine.pool)
    if held is None:
        held = _READS.setdefault(engine.pool, _ReadConnections(engine))
        weakref.finalize(engine.pool, held.close)
    return held


def autocommit_int(engine: Engine, sql: str) -> int | None:
    """The integer value of a read-only, single-value statement, outside any transaction.

    One round trip: no pool checkout, no pre-ping, no BEGIN, no ROLLBACK. Every call sees
    what is committed at that moment. ``sql`` is plain SQL without parameters that both
    databases accept. A connection the server has dropped is discarded and the read tried
    once more on a new one.
    """
    held = _read_connections(engine)
    if held is None:
        with engine.connect() as connection:
            value = connection.exec_driver_sql(sql).scalar()
            return None if value is None else int(value)
    dbapi_error = engine.dialect.loaded_dbapi.Error
    for attempt in (1, 2):
        try:
            connection = held.idle.pop()
        except IndexError:
            try:
                connection = held.new(engine)
            except dbapi_error as error:  # the server cannot be reached: SQLAlchemy's error
                raise exc.DBAPIError.instance(sql, None, error, dbapi_error) from error
        try:
            value = held.reads.read_int(connection[1], sql, connection[2])
        except dbapi_error as error:
            broken = held.reads.broken(connection[1])
            connection[0].invalidate() if broken else connection[0].close()
            if attempt == 1 and broken:
                # The server restarted or dropped us: so, probably, are the others.
                held.close(broken=True)
                continue
            raise exc.DBAPIError.instance(sql, None, error, dbapi_error) from error
        held.idle.append(connection)
        return value
    raise AssertionError("unreachable")  # the second attempt returns or raises


def recreate_postgis_database(server: str, name: str) -> str:
    """Create the database ``name`` empty, with PostGIS, dropping any old one; its URL.

    For tests and benchmarks: connections to the old database are ended. ``server`` is a URL
    without the database, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432``.
    """
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    _on_server(server, drop, f'CREATE DATABASE "{name}"')
    engine = create_engine(f"{server}/{name}")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
    finally:
        engine.dispose()
    return f"{server}/{name}"


def drop_postgis_database(server: str, name: str) -> None:
    """Drop the database ``name`` if it exists, ending its connections."""
    _on_server(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _on_server(server: str, *statements: str) -> None:
    # Outside any transaction, as CREATE and DROP DATABASE must be.
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        admin.dispose()


@dataclass
class DatabaseState:
    engine: Engine
    session_factory: sessionmaker[Session]

    @property
    def spatial(self) -> SpatialDialect:
        return spatial_dialect(self.engine.dialect.name)


class Database:
    """Flask extension: one engine per app, one session per application context."""

    def init_app(self, app: Flask) -> None:
        from registry.operations import outage

        engine = make_engine(resolve_database_url(app), waits_of(app.config))
        outage.watch(engine)
        app.extensions["registry_db"] = DatabaseState(
            engine, sessionmaker(bind=engine, expire_on_commit=False)
        )
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def state(app: Flask | None = None) -> DatabaseState:
        return (app or current_app).extensions["registry_db"]

    @property
    def engine(self) -> Engine:
        return self.state().engine

    @property
    def bind(self) -> Engine | Connection:
        """What the sessions are bound to: the engine (a test binds them to one connection).

        For reads that need no session, such as the facility catalog's: creating and closing
        a session costs more than the catalog's whole answer.
        """
        return self.state().session_factory.kw["bind"]

    @property
    def session(self) -> Session:
        """The session of the current application context, created on first use."""
        if "db_session" not in g:
            g.db_session = self.state().session_factory()
        return g.db_session

    @staticmethod
    def _close_session(exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()


db = Database()
