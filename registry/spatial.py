"""Everything that differs between SpatiaLite and PostGIS, chosen by dialect name.

The rest of the registry asks this module for a connection set-up, a bounding-box filter or
the list of spatial indexes, and never tests the dialect itself.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import JSON, ColumnElement, Connection, Engine, Integer, column, event, func, text
from sqlalchemy.engine import URL

from .errors import ConfigurationError

SPATIALITE_HINT = (
    "The SpatiaLite extension could not be loaded ({error}). On Debian or Ubuntu install it "
    "with: apt-get install libsqlite3-mod-spatialite (or set SPATIALITE_LIBRARY_PATH to the "
    "path of mod_spatialite)."
)


def _spatialite_on_connect(dbapi_conn, _record) -> None:
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
    cursor.execute("PRAGMA busy_timeout = 30000")
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


def _configure_spatialite(engine: Engine) -> None:
    load_bundled_libraries_first()
    event.listen(engine, "connect", _spatialite_on_connect)
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))


def _configure_postgis(engine: Engine) -> None:
    pass


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


def _postgis_bulk_insert(connection: Connection, table, rows: list[dict], return_ids: bool):
    """COPY, as ogr2ogr does; ids are taken from the table's sequence beforehand."""
    columns = sorted(set().union(*rows))
    ids: list[int] = []
    if return_ids:
        ids = list(
            connection.execute(
                text(
                    f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": len(rows)},
            ).scalars()
        )
        columns = ["id", *columns]
        rows = [{**row, "id": i} for row, i in zip(rows, ids, strict=True)]
    # COPY's text format: JSON columns as JSON text; geometry travels as EWKT.
    as_json = [isinstance(table.c[c].type, JSON) for c in columns]
    encode = json.JSONEncoder(ensure_ascii=False).encode
    cursor = connection.connection.dbapi_connection.cursor()
    names = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            values = [row.get(c) for c in columns]
            for i, is_json in enumerate(as_json):
                if is_json and values[i] is not None:
                    values[i] = encode(values[i])
            copy.write_row(values)
    cursor.close()
    return ids


def _spatialite_bulk_insert(connection: Connection, table, rows: list[dict], return_ids: bool):
    """One executemany; SQLite cannot order RETURNING rows, so ids are numbered beforehand.

    The writer holds the database lock (services raise the data version first), so the next
    ids are known.
    """
    columns = sorted(set().union(*rows))
    rows = [{c: row.get(c) for c in columns} for row in rows]
    ids: list[int] = []
    if return_ids:
        start = connection.execute(func.coalesce(func.max(table.c.id), 0).select()).scalar_one()
        ids = list(range(start + 1, start + 1 + len(rows)))
        rows = [{**row, "id": i} for row, i in zip(rows, ids, strict=True)]
    connection.execute(table.insert(), rows)
    return ids


@dataclass(frozen=True)
class SpatialDialect:
    """The operations whose SQL differs between the two spatial databases."""

    name: str
    configure_engine: Callable[[Engine], None]
    spatial_indexes: Callable[[Connection], set[tuple[str, str]]]
    bbox_filter: Callable[..., ColumnElement[bool]]
    # Insert many rows fast; with return_ids, the new ids in the order of the rows.
    bulk_insert: Callable[[Connection, object, list[dict], bool], list[int]]


DIALECTS: dict[str, SpatialDialect] = {
    "sqlite": SpatialDialect(
        "spatialite",
        _configure_spatialite,
        _spatialite_spatial_indexes,
        _spatialite_bbox_filter,
        _spatialite_bulk_insert,
    ),
    "postgresql": SpatialDialect(
        "postgis",
        _configure_postgis,
        _postgis_spatial_indexes,
        _postgis_bbox_filter,
        _postgis_bulk_insert,
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


def engine_options(url: URL) -> dict:
    """Keyword arguments for create_engine() that the URL's dialect needs."""
    if url.get_backend_name() == "sqlite":
        import sqlean  # a sqlite3 build that can load extensions

        return {"module": sqlean}
    return {"pool_pre_ping": True}
