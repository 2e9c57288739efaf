"""Bulk inserts on both spatial databases: COPY on PostGIS, one executemany on SpatiaLite.

Rows come as a list of dicts or, cheaper for big batches, as :class:`ColumnRows` (a sequence
per column plus values every row shares). Geometry columns take EWKT text or an array of
Shapely geometries (sent as hex EWKB to PostGIS: exact, and quicker to parse than text).

:class:`PostgisWrites` sends its COPYs from a thread, in order, so the caller's Python work
overlaps the server's; an empty table that receives at least ``REBUILD_MIN_ROWS`` rows is
loaded the way pg_restore loads one (see :func:`_load_plan`); on SpatiaLite its R*Tree
index is built once after such a load instead of row by row. Everything runs inside the
caller's transaction: a failure anywhere leaves nothing behind once the caller rolls back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from queue import Queue

import numpy as np
import shapely
from shapely import Geometry
from sqlalchemy import Connection, bindparam, func, text
from sqlalchemy.types import JSON


class JSONTexts(list):
    """A column of values already encoded as JSON text: they are stored as they are."""


@dataclass(frozen=True)
class ColumnRows:
    """Rows given column by column: equal-length sequences, plus ``shared`` values that
    every row has (a data version, a time), each converted once."""

    columns: dict[str, Sequence]
    shared: dict[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def slice(self, start: int, stop: int) -> ColumnRows:
        """Rows start to stop (a column of JSON text stays one)."""
        columns = {
            name: JSONTexts(values[start:stop])
            if isinstance(values, JSONTexts)
            else values[start:stop]
            for name, values in self.columns.items()
        }
        return ColumnRows(columns, self.shared)

    @classmethod
    def of(cls, rows: list[dict] | ColumnRows) -> ColumnRows:
        if isinstance(rows, ColumnRows):
            return rows
        names = sorted(set().union(*rows)) if rows else []
        return cls({name: [row.get(name) for row in rows] for name in names})


def _is_geometries(values) -> bool:
    return isinstance(values, np.ndarray) and values.size > 0 and isinstance(values[0], Geometry)


# --------------------------------------------------------------------------- PostGIS

_COPY_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_ROWS = 20_000  # per piece: the server parses one piece while the next is encoded
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False).encode
# An empty table that receives at least this many rows at once has its secondary indexes and
# foreign keys dropped before the COPY and rebuilt (so checked) after it, as pg_restore does:
# much cheaper than keeping them up row by row. Readers of that table wait for the load to
# commit (it was empty anyway). A smaller load, or a table with rows, keeps them.
REBUILD_MIN_ROWS = 20_000
_SET_ASIDE = """
    SELECT 'DROP INDEX ' || i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    FROM pg_index i
    WHERE i.indrelid = %(table)s::regclass
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
    UNION ALL
    SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', c.conrelid::regclass, c.conname),
           format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', c.conrelid::regclass, c.conname,
                  pg_get_constraintdef(c.oid))
    FROM pg_constraint c
    WHERE c.conrelid = %(table)s::regclass AND c.contype = 'f'
"""


def _copy_text(value, encode_json: bool) -> str:
    """One non-null value in COPY's text form, before escaping."""
    if encode_json:
        return _JSON_TEXT(value)
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, float):
        return repr(value)
    if hasattr(value, "isoformat"):  # datetime, date
        return value.isoformat()
    return str(value)


def _copy_column(values: Sequence, encode_json: bool) -> list[str]:
    """A column in COPY's text form: NULL as \\N; backslashes, tabs and line breaks escaped."""
    values = values.tolist() if hasattr(values, "tolist") else list(values)
    as_is = not encode_json
    out = [
        _COPY_NULL
        if v is None
        else (v if as_is and v.__class__ is str else _copy_text(v, encode_json))
        for v in values
    ]
    joined = "".join(out)
    # Every \N accounts for one backslash; any other, or a tab or line break, needs escaping.
    if joined.count("\\") != values.count(None) or any(c in joined for c in "\t\n\r"):
        out = [
            _COPY_NULL if v is None else t.translate(_COPY_ESCAPES)
            for v, t in zip(values, out, strict=True)
        ]
    return out


def _copy_lines(table, rows: ColumnRows, ids: list[int]) -> list[str]:
    """The rows as lines of COPY's text format: the ids (if any), the columns, the shared."""
    encoded = [_copy_column(ids, False)] if ids else []
    for name, values in rows.columns.items():
        if _is_geometries(values):
            srid = table.c[name].type.srid
            wkb = shapely.to_wkb(shapely.set_srid(values, srid), hex=True, include_srid=True)
            values = wkb.astype(object)
        encode_json = isinstance(table.c[name].type, JSON) and not isinstance(values, JSONTexts)
        encoded.append(_copy_column(values, encode_json))
    for name, value in rows.shared.items():
        encoded.append(_copy_column([value], isinstance(table.c[name].type, JSON)) * len(rows))
    return list(map("\t".join, zip(*encoded, strict=True)))


def _load_plan(cursor, name: str, count: int) -> tuple[list[str], list[str]]:
    """Statements to run before and after a COPY of ``count`` rows into the table ``name``.

    A big load is followed by ANALYZE: the planner must know about it (autovacuum may be off).
    """
    if count < REBUILD_MIN_ROWS:
        return [], []
    cursor.execute(
        f"SELECT pg_has_role(relowner, 'USAGE') AND NOT EXISTS (SELECT 1 FROM {name}) "
        "FROM pg_class WHERE oid = %(table)s::regclass",
        {"table": name},
    )
    own_and_empty = cursor.fetchone()[0]
    after = [f"ANALYZE {name}"]
    if not own_and_empty:
        return [], after
    cursor.execute(_SET_ASIDE, {"table": name})
    set_aside = cursor.fetchall()
    return [drop for drop, _ in set_aside], [create for _, create in set_aside] + after


def _copy(connection: Connection, name: str, columns: list[str], pieces: Queue, count: int):
    """COPY the text pieces the caller queues (None ends them) into the table, with the plan
    of _load_plan. Runs in the writer thread; the pieces come encoded, so it hardly needs the
    GIL while it sends."""
    quoted = ", ".join(f'"{c}"' for c in columns)
    with connection.connection.dbapi_connection.cursor() as cursor:
        before, after = _load_plan(cursor, name, count)
        for statement in before:
            cursor.execute(statement)
        with cursor.copy(f"COPY {name} ({quoted}) FROM STDIN") as copy:
            while (piece := pieces.get()) is not None:
                copy.write(piece)
        for statement in after:
            cursor.execute(statement)


def _insert_select(connection: Connection, name: str, statement, count: int) -> None:
    """Run an INSERT ... SELECT of ``count`` rows with the plan of _load_plan (in the thread)."""
    with connection.connection.dbapi_connection.cursor() as cursor:
        before, after = _load_plan(cursor, name, count)
        for sql in before:
            cursor.execute(sql)
        connection.execute(statement)
        for sql in after:
            cursor.execute(sql)


class PostgisWrites:
    """Bulk inserts sent by one thread, in order, while the caller goes on with Python work.

    Use as a context manager; leaving it waits for every insert and raises the first error.
    Between ``insert`` and the end of the block the caller must not use the connection.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-copy")
        self._pending: list[Future] = []

    def __enter__(self) -> PostgisWrites:
        return self

    def __exit__(self, kind, error, trace) -> None:
        try:
            self.wait(quiet=error is not None)  # with an error, the caller's is the one to see
        finally:
            self._pool.shutdown(wait=True)

    def insert(self, table, rows, return_ids: bool = False) -> list[int]:
        """Queue a COPY; with return_ids, the new ids in row order (taken from the sequence)."""
        rows = ColumnRows.of(rows)
        count = len(rows)
        if not count:
            return []
        ids = self._reserve(table, count) if return_ids else []
        columns = [*(["id"] if ids else []), *rows.columns, *rows.shared]
        pieces: Queue = Queue()  # unbounded: a writer that failed never blocks this side
        job = (_copy, self._connection, self._name(table), columns, pieces, count)
        self._pending.append(self._pool.submit(*job))
        # The server parses the first rows while the next are encoded here.
        for start in range(0, count, _COPY_ROWS):
            stop = min(start + _COPY_ROWS, count)
            lines = _copy_lines(table, rows.slice(start, stop), ids[start:stop])
            pieces.put(("\n".join(lines) + "\n").encode())
        pieces.put(None)
        return ids

    def insert_select(self, table, statement, count: int) -> None:
        """Queue an INSERT ... SELECT (a Core statement) that writes ``count`` rows."""
        if count:
            work = (_insert_select, self._connection, self._name(table), statement, count)
            self._pending.append(self._pool.submit(*work))

    def _name(self, table) -> str:
        return self._connection.dialect.identifier_preparer.format_table(table)

    def wait(self, quiet: bool = False) -> None:
        """Wait for every queued insert; raise the first error unless ``quiet``."""
        pending, self._pending = self._pending, []
        errors = [job.exception() for job in pending]
        first = next((e for e in errors if e is not None), None)
        if first is not None and not quiet:
            raise first

    def _reserve(self, table, count: int) -> list[int]:
        # One block of the sequence at once. Writers hold the registry's write lock; a clash
        # with anyone else would fail on the primary key, never write a row twice.
        self.wait()
        last = self._connection.execute(
            text(
                "SELECT setval(CAST(s AS regclass), nextval(CAST(s AS regclass)) + :n - 1) "
                "FROM pg_get_serial_sequence(:t, 'id') AS s"
            ),
            {"n": count, "t": table.name},
        ).scalar_one()
        return list(range(last - count + 1, last + 1))


# --------------------------------------------------------------------------- SpatiaLite


def _bound(values: list, process) -> list:
    """A column through its type's bind conversion, each distinct value converted once."""
    try:
        once = {value: process(value) for value in set(values)}
    except TypeError:  # unhashable values (lists for JSON)
        return [process(value) for value in values]
    return [once[value] for value in values]


def _spatialite_insert(connection: Connection, table, rows, return_ids: bool) -> list[int]:
    """One executemany of plain SQL. SQLite cannot order RETURNING rows, so ids are numbered
    beforehand (the writer holds the database lock: services raise the data version first).

    Values go through each column type's bind conversion a column at a time (not row by row
    as a Core insert would), and a column not given takes its Python-side default.
    """
    rows = ColumnRows.of(rows)
    count = len(rows)
    if not count:
        return []
    dialect = connection.dialect
    columns = dict(rows.columns)
    shared = dict(rows.shared)
    ids: list[int] = []
    if return_ids:
        start = connection.execute(func.coalesce(func.max(table.c.id), 0).select()).scalar_one()
        ids = list(range(start + 1, start + 1 + count))
        columns["id"] = ids
    for column in table.columns:
        default = column.default
        if column.name in columns or column.name in shared or default is None:
            continue
        if not column.primary_key:
            shared[column.name] = default.arg({}) if default.is_callable else default.arg
    converted = []
    for name, values in [*columns.items(), *((n, [v]) for n, v in shared.items())]:
        kind = table.c[name].type
        encoded = isinstance(values, JSONTexts)
        if _is_geometries(values):  # the shortest text that reads back to the same double
            wkt = shapely.to_wkt(values, rounding_precision=-1).tolist()
            values = [f"SRID={kind.srid};{geometry}" for geometry in wkt]
        values = values.tolist() if hasattr(values, "tolist") else list(values)
        process = None if encoded else kind.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            values = _bound(values, process)
        converted.append(values * count if name in shared else values)
    names = [*columns, *shared]
    rebuilt = _set_aside_spatial_indexes(connection, table.name, count)
    marks = []
    for name in names:
        expression = table.c[name].type.bind_expression(bindparam(name))
        marks.append("?" if expression is None else str(expression.compile(dialect=dialect)))
    quoted = ", ".join(f'"{name}"' for name in names)
    connection.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({quoted}) VALUES ({", ".join(marks)})',
        list(zip(*converted, strict=True)),
    )
    for column in rebuilt:
        # Builds the R*Tree from every row at once and puts its triggers back.
        connection.exec_driver_sql(f"SELECT CreateSpatialIndex('{table.name}', '{column}')")
    return ids


def _set_aside_spatial_indexes(connection: Connection, name: str, count: int) -> list[str]:
    """For a big load into an empty table: drop its R*Tree indexes, to be built after it.

    SpatiaLite keeps each R*Tree current through triggers, one R*Tree update per row: 150,000
    points took 12.5 s to insert that way, and 4.9 s with the index built once afterwards.
    Returns the geometry columns whose index is to be built again. All of it is in the load's
    transaction: a failure brings the index and its triggers back with the rollback.
    """
    if count < REBUILD_MIN_ROWS:
        return []
    columns = [
        column
        for (column,) in connection.exec_driver_sql(
            "SELECT f_geometry_column FROM geometry_columns "
            "WHERE lower(f_table_name) = lower(?) AND spatial_index_enabled = 1",
            (name,),
        )
    ]
    if not columns or connection.exec_driver_sql(f'SELECT 1 FROM "{name}" LIMIT 1').first():
        return []
    for column in columns:
        connection.exec_driver_sql(f"SELECT DisableSpatialIndex('{name}', '{column}')")
        connection.exec_driver_sql(f'DROP TABLE "idx_{name}_{column}"')
    return columns


class SpatialiteWrites:
    """The SpatiaLite side of PostgisWrites: each insert runs at once (SQLite is in-process)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def __enter__(self) -> SpatialiteWrites:
        return self

    def __exit__(self, kind, error, trace) -> None:
        pass

    def insert(self, table, rows, return_ids: bool = False) -> list[int]:
        return _spatialite_insert(self._connection, table, rows, return_ids)

    def insert_select(self, table, statement, count: int) -> None:
        if count:
            self._connection.execute(statement)

    def wait(self, quiet: bool = False) -> None:
        pass


def postgis_bulk_insert(connection: Connection, table, rows, return_ids: bool) -> list[int]:
    with PostgisWrites(connection) as writes:
        return writes.insert(table, rows, return_ids)


def spatialite_bulk_insert(connection: Connection, table, rows, return_ids: bool) -> list[int]:
    return _spatialite_insert(connection, table, rows, return_ids)
