"""Bulk inserts on both spatial databases: COPY on PostGIS, one executemany on SpatiaLite.

Rows come as a list of dicts or, cheaper for big batches, as :class:`ColumnRows` (a sequence
per column plus values every row shares). Geometry columns take EWKT text or an array of
Shapely geometries (sent as EWKB to PostGIS, WKB to SpatiaLite: exact, and quicker to parse
than text).

:class:`PostgisWrites` sends its COPYs from a thread, in order, so the caller's Python work
overlaps the server's; an empty table that receives at least ``REBUILD_MIN_ROWS`` rows is
loaded the way pg_restore loads one (see :func:`_load_plan`). SpatiaLite loads such a table
without its indexes and its per-row triggers, then builds the indexes and the R*Tree once
(see :func:`_spatialite_load_plan`), in :class:`SpatialiteWrites`' thread. Everything runs
inside the caller's transaction: a failure anywhere leaves nothing behind once the caller
rolls back.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from queue import Queue

import numpy as np
import shapely
from shapely import Geometry
from sqlalchemy import Connection, bindparam, func, text
from sqlalchemy.exc import IntegrityError
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


class _ThreadedWrites:
    """Database work done by one thread, in order, while the caller goes on with Python work.

    Use as a context manager; leaving it waits for every insert and raises the first error.
    Between ``insert`` and the end of the block the caller must not use the connection.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-writes")
        self._pending: list[Future] = []

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace) -> None:
        try:
            self.wait(quiet=error is not None)  # with an error, the caller's is the one to see
        finally:
            self._pool.shutdown(wait=True)

    def wait(self, quiet: bool = False) -> None:
        """Wait for every queued insert; raise the first error unless ``quiet``."""
        pending, self._pending = self._pending, []
        errors = [job.exception() for job in pending]
        first = next((e for e in errors if e is not None), None)
        if first is not None and not quiet:
            raise first


class PostgisWrites(_ThreadedWrites):
    """Bulk inserts sent by one thread, in order, while the caller goes on with Python work."""

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


def _spatialite_load(connection: Connection, table, rows, return_ids: bool):
    """Insert the rows; returns their ids (with return_ids) and what is left to do once they
    are in (None: nothing), which must run before the connection is used for anything else.

    One executemany of plain SQL. SQLite cannot order RETURNING rows, so ids are numbered
    beforehand (the writer holds the database lock: services raise the data version first).

    Values go through each column type's bind conversion a column at a time (not row by row
    as a Core insert would), and a column not given takes its Python-side default. Shapely
    geometries go as WKB (exact, and no text to print here and parse there). A big load runs
    with a larger page cache and, into an empty table, with its indexes and SpatiaLite's
    per-row triggers set aside (see :func:`_spatialite_load_plan`).
    """
    rows = ColumnRows.of(rows)
    count = len(rows)
    if not count:
        return [], None
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
    marks = []
    for name, values in [*columns.items(), *((n, [v]) for n, v in shared.items())]:
        kind = table.c[name].type
        if _is_geometries(values):
            converted.append(shapely.to_wkb(values).tolist())
            marks.append(f"GeomFromWKB(?, {int(kind.srid)})")
            continue
        encoded = isinstance(values, JSONTexts)
        values = values.tolist() if hasattr(values, "tolist") else list(values)
        process = None if encoded else kind.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            values = _bound(values, process)
        converted.append(values * count if name in shared else values)
        expression = kind.bind_expression(bindparam(name))
        marks.append("?" if expression is None else str(expression.compile(dialect=dialect)))
    quoted = ", ".join(_quoted(name) for name in [*columns, *shared])
    statement = f"INSERT INTO {_quoted(table.name)} ({quoted}) VALUES ({', '.join(marks)})"
    restore = _bigger_cache(connection) if count >= REBUILD_MIN_ROWS else None
    try:
        plan = _spatialite_load_plan(connection, table.name, count)
        for sql, parameters in plan.before:
            connection.exec_driver_sql(sql, parameters)
        connection.exec_driver_sql(statement, list(zip(*converted, strict=True)))
    except BaseException:
        if restore is not None:
            restore()
        raise
    if restore is None and not plan.after and not plan.checks:
        return ids, None
    return ids, functools.partial(_finish_load, connection, plan, restore)


def _finish_load(connection: Connection, plan: _LoadPlan, restore) -> None:
    """The checks and statements of the plan after a load's rows, then the page cache back."""
    try:
        for sql, parameters, rule in plan.checks:
            if connection.exec_driver_sql(sql, parameters).first() is not None:
                error = connection.dialect.dbapi.IntegrityError(rule)
                raise IntegrityError(sql, parameters, error)
        for sql, parameters in plan.after:
            connection.exec_driver_sql(sql, parameters)
    finally:
        if restore is not None:
            restore()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# A big load may keep this many KiB of pages in memory (the default is 2,000 KiB): the indexes
# and the R*Tree it builds then stay off the disk. The connection's own size returns after it.
_LOAD_CACHE_KIB = 65_536


def _bigger_cache(connection: Connection):
    """Raise the connection's page cache to _LOAD_CACHE_KIB; returns what puts it back."""
    size = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    page = connection.exec_driver_sql("PRAGMA page_size").scalar_one()
    kib = -size if size < 0 else size * page // 1024  # negative: KiB; positive: pages
    if kib >= _LOAD_CACHE_KIB:
        return None
    connection.exec_driver_sql(f"PRAGMA cache_size = {-_LOAD_CACHE_KIB}")
    return functools.partial(connection.exec_driver_sql, f"PRAGMA cache_size = {size}")


_Statement = tuple[str, tuple]


@dataclass
class _LoadPlan:
    """What to run around a load: ``before`` it, ``checks`` after it (a query that finds a
    row breaking a rule, and the rule), then ``after``."""

    before: list[_Statement] = field(default_factory=list)
    checks: list[tuple[str, tuple, str]] = field(default_factory=list)
    after: list[_Statement] = field(default_factory=list)


# SpatiaLite's triggers that work on every inserted row, by the prefix of their name (then
# table and column): the geometry's type and SRID checked, the R*Tree entry added, the time
# of the last insert noted. A big load does each once for all its rows instead.
_GEOMETRY_CHECK, _SPATIAL_INDEX, _INSERT_TIME = "ggi", "gii", "tmi"
_RULE = "{table}.{column} violates Geometry constraint [geom-type or SRID not allowed]"


def _spatialite_load_plan(connection: Connection, name: str, count: int) -> _LoadPlan:
    """For a big load into a table that holds no more rows than it brings: set aside the
    table's indexes and SpatiaLite's per-row triggers, and do their work once afterwards.

    Kept up row by row, ten b-tree indexes, the R*Tree and the triggers took 9.4 s of the
    10.9 s that 150,000 facilities took to insert into an empty table; built once after the
    rows, 2.7 s. The indexes, the R*Tree and the triggers are created again from their own
    SQL; the R*Tree is filled with one INSERT ... SELECT (the same boxes its trigger writes),
    the geometries' type and SRID are checked in one query, and the index of a UNIQUE
    constraint (which cannot be dropped) stays and checks every row as it comes. Building
    over the rows already there costs at most as much again as over the new ones.

    Unlike PostgreSQL's DROP INDEX, none of this makes readers wait: in WAL mode other
    connections go on reading the table as it was, with its indexes, until the commit. A
    rollback brings every index and trigger back.
    """
    plan = _LoadPlan()
    if count < REBUILD_MIN_ROWS:
        return plan
    table = _quoted(name)
    stored = connection.exec_driver_sql(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT ?)", (count + 1,)
    ).scalar_one()
    if stored > count:
        return plan
    schema = {
        (kind, entry.lower()): (entry, sql)
        for kind, entry, sql in connection.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ?", (name,)
        )
    }
    geometries = connection.exec_driver_sql(
        "SELECT f_geometry_column, geometry_type, srid, spatial_index_enabled "
        "FROM geometry_columns WHERE lower(f_table_name) = lower(?)",
        (name,),
    ).all()
    recreated = []
    for column, geometry_type, srid, indexed in geometries:
        found = {
            kind: schema.get(("trigger", f"{kind}_{name}_{column}".lower()))
            for kind in (_GEOMETRY_CHECK, _SPATIAL_INDEX, _INSERT_TIME)
        }
        rtree = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND lower(name) = lower(?)",
            (f"idx_{name}_{column}",),
        ).first()
        if indexed != 1 or rtree is None:  # 2: the old MBR cache, kept up by its own triggers
            found[_SPATIAL_INDEX] = None
        for trigger in found.values():
            if trigger is not None:
                plan.before.append((f"DROP TRIGGER {_quoted(trigger[0])}", ()))
                recreated.append((trigger[1], ()))
        quoted = _quoted(column)
        if found[_GEOMETRY_CHECK]:
            rule = _RULE.format(table=name, column=column)
            plan.checks.append(
                (
                    f"SELECT 1 FROM {table} "
                    f"WHERE GeometryConstraints({quoted}, ?, ?) IS NOT 1 LIMIT 1",
                    (geometry_type, srid),
                    rule,
                )
            )
        if found[_SPATIAL_INDEX]:
            # Dropped whole: deleting its entries one by one would cost as much as adding them.
            plan.before.append((f"DROP TABLE {_quoted(rtree[0])}", ()))
            plan.after.append((rtree[1], ()))
            plan.after.append(
                (
                    f"INSERT INTO {_quoted(rtree[0])} (pkid, xmin, xmax, ymin, ymax) "
                    f"SELECT ROWID, MbrMinX({quoted}), MbrMaxX({quoted}), MbrMinY({quoted}), "
                    f"MbrMaxY({quoted}) FROM {table} WHERE MbrMinX({quoted}) IS NOT NULL",
                    (),
                )
            )
        if found[_INSERT_TIME]:
            plan.after.append(
                (
                    "UPDATE geometry_columns_time "
                    "SET last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                    "WHERE lower(f_table_name) = lower(?) AND lower(f_geometry_column) = lower(?)",
                    (name, column),
                )
            )
    # Indexes a statement created; those of PRIMARY KEY and UNIQUE (no SQL) stay.
    for (kind, _), (index, sql) in schema.items():
        if kind == "index" and sql is not None:
            plan.before.append((f"DROP INDEX {_quoted(index)}", ()))
            recreated.append((sql, ()))
    plan.after += recreated
    return plan


class SpatialiteWrites(_ThreadedWrites):
    """The SpatiaLite side of PostgisWrites. The rows go in at once, from the caller's thread:
    binding them holds the GIL row by row, so a thread would only wait for it. What a big load
    does once after its rows (checks, the R*Tree, index builds: long statements that SQLite
    runs without the GIL) goes to the thread while the caller goes on; the next write waits
    for it."""

    def insert(self, table, rows, return_ids: bool = False) -> list[int]:
        self.wait()
        ids, finish = _spatialite_load(self._connection, table, rows, return_ids)
        if finish is not None:
            self._pending.append(self._pool.submit(finish))
        return ids

    def insert_select(self, table, statement, count: int) -> None:
        self.wait()
        if count:
            self._connection.execute(statement)


def postgis_bulk_insert(connection: Connection, table, rows, return_ids: bool) -> list[int]:
    with PostgisWrites(connection) as writes:
        return writes.insert(table, rows, return_ids)


def spatialite_bulk_insert(connection: Connection, table, rows, return_ids: bool) -> list[int]:
    ids, finish = _spatialite_load(connection, table, rows, return_ids)
    if finish is not None:
        finish()
    return ids
