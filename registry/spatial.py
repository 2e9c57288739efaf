"""Everything that differs between SpatiaLite and PostGIS, chosen by dialect name.

The rest of the registry asks this module for a connection set-up, a bounding-box filter or
the list of spatial indexes, and never tests the dialect itself.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Engine, Integer, column, event, func, text
from sqlalchemy.engine import URL

from registry.errors import ConfigurationError
from registry.spatial_bulk import (
    ColumnRows,
    PostgisWrites,
    SpatialiteWrites,
    postgis_bulk_insert,
    spatialite_bulk_insert,
)

SPATIALITE_HINT = (
    "The SpatiaLite extension could not be loaded ({error}). On Debian or Ubuntu install it "
    "with: apt-get install libsqlite3-mod-spatialite (or set SPATIALITE_LIBRARY_PATH to the "
    "path of mod_spatialite)."
)


@dataclass(frozen=True)
class Waits:
    """How long a connection waits for another's lock, and lets one statement run (seconds).

    None keeps the database's own behaviour (SQLite: 30 s busy timeout; PostgreSQL: no limit).
    Past either, the statement fails and the request is answered 503 with Retry-After
    (db.make_engine turns the error into a DatabaseBusyError), instead of queueing behind a
    long writer until every worker waits.
    """

    lock_s: float | None = None
    statement_s: float | None = None


NO_WAITS = Waits()


def _ms(seconds: float | None, default: int) -> int:
    return default if seconds is None else max(0, int(seconds * 1000))


def _spatialite_on_connect(dbapi_conn, _record, waits: Waits = NO_WAITS) -> None:
    # Python's sqlite3 opens transactions lazily and not before SELECT; SQLAlchemy then cannot
    # use SAVEPOINT correctly. Take control of BEGIN ourselves (see the "begin" listener).
    dbapi_conn.isolation_level = None
    try:
        dbapi_conn.enable_load_extension(True)
        dbapi_conn.load_extension(os.environ.get("SPATIALITE_LIBRARY_PATH", "mod_spatialite"))
        dbapi_conn.enable_load_extension(False)
    except Exception as exc:  # the driver raises its own OperationalError class
        raise ConfigurationError(SPATIALITE_HINT.format(error=exc)) from exc
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {_ms(waits.lock_s, 30_000)}")
    cursor.execute("PRAGMA journal_mode = WAL")
    if cursor.execute("SELECT CheckSpatialMetaData()").fetchone()[0] == 0:
        # WGS84 only: the full EPSG table costs seconds and megabytes we never use.
        cursor.execute("SELECT InitSpatialMetaData(1, 'WGS84')")
    cursor.close()


# Python packages whose wheels bundle their own GEOS, PROJ, GDAL or SQLite.
BUNDLED_NATIVE_PACKAGES = ("shapely", "pyproj", "pyogrio", "rasterio")


def load_bundled_libraries_first() -> None:
    """Import the packages that bundle native libraries before mod_spatialite is loaded.

    SQLite opens extensions with RTLD_GLOBAL, so mod_spatialite puts the system's PROJ, GEOS
    and SQLite libraries in the process's global symbol namespace. A wheel imported afterwards
    (shapely, pyogrio, rasterio) binds its bundled copies to those system symbols of other
    versions, and crashes: shapely's WKB writer fails and the process aborts, pyogrio's and
    rasterio's GDAL segfault on the first read or write. Imported first, each binds its own.
    """
    for name in BUNDLED_NATIVE_PACKAGES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


def _configure_spatialite(engine: Engine, waits: Waits) -> None:
    load_bundled_libraries_first()
    event.listen(engine, "connect", functools.partial(_spatialite_on_connect, waits=waits))
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))


def _configure_postgis(engine: Engine, waits: Waits) -> None:
    pass  # the waits go in the connection options (engine_options)


def _spatialite_set_waits(connection: Connection, waits: Waits) -> None:
    connection.exec_driver_sql(f"PRAGMA busy_timeout = {_ms(waits.lock_s, 30_000)}")


def _postgis_set_waits(connection: Connection, waits: Waits) -> None:
    # Session settings, not SET LOCAL: they outlive the transaction on this connection.
    connection.exec_driver_sql(f"SET lock_timeout = {_ms(waits.lock_s, 0)}")
    connection.exec_driver_sql(f"SET statement_timeout = {_ms(waits.statement_s, 0)}")


def _spatialite_busy(error: BaseException) -> bool:
    # SQLITE_BUSY: another connection holds the write lock past the busy timeout.
    text = str(error).lower()
    return "database is locked" in text or "database is busy" in text


# lock_not_available (lock_timeout), query_canceled (statement_timeout), deadlock_detected.
_POSTGIS_BUSY = {"55P03", "57014", "40P01"}


def _postgis_busy(error: BaseException) -> bool:
    return getattr(error, "sqlstate", None) in _POSTGIS_BUSY


def _spatialite_read_int(dbapi_conn, sql: str, _prepared: dict) -> int | None:
    # isolation_level None (see _spatialite_on_connect): the driver begins nothing itself,
    # and keeps its own cache of prepared statements.
    row = dbapi_conn.execute(sql).fetchone()
    return None if row is None else int(row[0])


def _postgis_prepare_reads(dbapi_conn) -> None:
    dbapi_conn.autocommit = True


def _postgis_read_int(dbapi_conn, sql: str, prepared: dict) -> int | None:
    # libpq's own calls: one round trip, no BEGIN, no cursor, a statement prepared once per
    # connection; a fraction of the CPU time of a cursor's execute, on both sides, and the
    # GIL is released while it waits.
    from psycopg import pq

    pgconn = dbapi_conn.pgconn
    name = prepared.get(sql)
    if name is None:
        name = f"registry_read_{len(prepared)}".encode()
        _postgis_check(pgconn, pgconn.prepare(name, sql.encode()), pq.ExecStatus.COMMAND_OK)
        prepared[sql] = name
    result = pgconn.exec_prepared(name, None)
    _postgis_check(pgconn, result, pq.ExecStatus.TUPLES_OK)
    value = result.get_value(0, 0) if result.ntuples else None
    return None if value is None else int(value)


def _postgis_check(pgconn, result, expected) -> None:
    from psycopg import OperationalError

    if result.status != expected:
        message = (result.error_message or pgconn.error_message).decode(errors="replace")
        raise OperationalError(message.strip() or "the server did not answer")


def _postgis_broken(dbapi_conn) -> bool:
    return dbapi_conn.broken or dbapi_conn.closed


@dataclass(frozen=True)
class AutocommitReads:
    """Single-value reads outside any transaction on a driver (DBAPI) connection kept for them."""

    prepare: Callable[[object], None]  # once, on a new connection
    # The first value of the first row; the dict is the connection's, for prepared statements.
    read_int: Callable[[object, str, dict], int | None]
    broken: Callable[[object], bool]  # after a failed read: is the connection unusable?


_AUTOCOMMIT_READS = {
    "sqlite": AutocommitReads(lambda conn: None, _spatialite_read_int, lambda conn: False),
    "postgresql": AutocommitReads(_postgis_prepare_reads, _postgis_read_int, _postgis_broken),
}


def autocommit_reads(dialect_name: str) -> AutocommitReads:
    """How to run single-value reads in autocommit on a driver connection of this dialect."""
    spatial_dialect(dialect_name)  # names the supported dialects when this one is not
    return _AUTOCOMMIT_READS[dialect_name]


def _spatialite_spatial_indexes(conn: Connection) -> set[tuple[str, str]]:
    rows = conn.execute(
        text(
            "SELECT f_table_name, f_geometry_column FROM geometry_columns "
            "WHERE spatial_index_enabled = 1"
        )
    )
    return {(table.lower(), column.lower()) for table, column in rows}


def _postgis_spatial_indexes(conn: Connection) -> set[tuple[str, str]]:
    rows = conn.execute(
        text(
            "SELECT t.relname, a.attname FROM pg_index i "
            "JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_class ix ON ix.oid = i.indexrelid "
            "JOIN pg_am am ON am.oid = ix.relam "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE am.amname = 'gist' AND n.nspname = current_schema()"
        )
    )
    return {(table, column) for table, column in rows}


def _spatialite_bbox_filter(geom, table_name: str, pk, bbox) -> ColumnElement[bool]:
    west, south, east, north = bbox
    frame = func.BuildMbr(west, south, east, north, 4326)
    # The R*Tree is only used when asked for explicitly through the SpatialIndex virtual table.
    candidates = text(
        "SELECT rowid FROM SpatialIndex WHERE f_table_name = :bbox_table "
        "AND f_geometry_column = :bbox_column AND search_frame = BuildMbr("
        ":bbox_w, :bbox_s, :bbox_e, :bbox_n, 4326)"
    ).bindparams(
        bbox_table=table_name,
        bbox_column=geom.key,
        bbox_w=west,
        bbox_s=south,
        bbox_e=east,
        bbox_n=north,
    )
    return pk.in_(candidates.columns(column("rowid", Integer))) & (
        func.MbrIntersects(geom, frame) == 1
    )


def _postgis_bbox_filter(geom, _table_name: str, _pk, bbox) -> ColumnElement[bool]:
    west, south, east, north = bbox
    return geom.op("&&")(func.ST_MakeEnvelope(west, south, east, north, 4326))


@dataclass(frozen=True)
class SpatialDialect:
    """The operations whose SQL differs between the two spatial databases."""

    name: str
    configure_engine: Callable[[Engine], None]
    spatial_indexes: Callable[[Connection], set[tuple[str, str]]]
    bbox_filter: Callable[..., ColumnElement[bool]]
    # Insert many rows fast (a list of dicts or ColumnRows); with return_ids, the new ids in
    # the order of the rows.
    bulk_insert: Callable[[Connection, object, list[dict] | ColumnRows, bool], list[int]]
    # The same as a context manager whose inserts may overlap the caller's own work.
    bulk_writes: Callable[[Connection], PostgisWrites | SpatialiteWrites]
    # Change how long this connection waits for locks and statements (the CLI waits longer).
    set_waits: Callable[[Connection, Waits], None]
    # Is this driver error the database being busy (a lock or statement timeout)?
    busy: Callable[[BaseException], bool]


DIALECTS: dict[str, SpatialDialect] = {
    "sqlite": SpatialDialect(
        "spatialite",
        _configure_spatialite,
        _spatialite_spatial_indexes,
        _spatialite_bbox_filter,
        spatialite_bulk_insert,
        SpatialiteWrites,
        _spatialite_set_waits,
        _spatialite_busy,
    ),
    "postgresql": SpatialDialect(
        "postgis",
        _configure_postgis,
        _postgis_spatial_indexes,
        _postgis_bbox_filter,
        postgis_bulk_insert,
        PostgisWrites,
        _postgis_set_waits,
        _postgis_busy,
    ),
}


def spatial_dialect(dialect_name: str) -> SpatialDialect:
    """The spatial operations for a SQLAlchemy dialect name ('sqlite' or 'postgresql')."""
    try:
        return DIALECTS[dialect_name]
    except KeyError:
        known = ", ".join(sorted(DIALECTS))
        raise ConfigurationError(
            f"database dialect {dialect_name!r} is not supported; use one of: {known}"
        ) from None


def engine_options(url: URL, waits: Waits = NO_WAITS) -> dict:
    """Keyword arguments for create_engine() that the URL's dialect needs."""
    if url.get_backend_name() == "sqlite":
        import sqlean  # a sqlite3 build that can load extensions

        return {"module": sqlean}
    # No pool_pre_ping: it costs a round trip on every checkout, i.e. on every request. A
    # connection the server dropped fails the one statement that finds it; SQLAlchemy then
    # discards every older pooled connection, and db.autocommit_int retries once.
    options = []
    if waits.lock_s is not None:
        options.append(f"-c lock_timeout={_ms(waits.lock_s, 0)}")
    if waits.statement_s is not None:
        options.append(f"-c statement_timeout={_ms(waits.statement_s, 0)}")
    return {"connect_args": {"options": " ".join(options)}} if options else {}
