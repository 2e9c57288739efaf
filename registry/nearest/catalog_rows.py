"""Facility rows as the catalog holds them: filter codes in arrays, each site's GeoJSON once.

The catalog answers nearest-site questions from memory, so it keeps, beside the arrays it
filters and searches on, every active facility's GeoJSON Feature as UTF-8 bytes, exactly as
``registry.serialize.facility_feature`` builds it, less its two closing braces: an answer
appends the distance, bearing and resident status and closes it (``feature_json``).

Rows are read with one Core ``SELECT`` (no ORM objects). JSON list columns arrive as text and
are decoded once per distinct value (there are few: subsets of small vocabularies), and the
work per row is a dictionary and one ``json.dumps``.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import repeat
from json.encoder import encode_basestring
from operator import itemgetter

import numpy as np
from sqlalchemy import ColumnElement, DateTime, Text, cast, func, select, type_coerce

from importers.vocabulary import (
    AGE_GROUPS,
    DOSES,
    FACILITY_TYPES,
    STATUSES,
    TEST_METHODS,
    TYPE_FIELDS,
    VACCINE_BRANDS,
)
from registry.models import Facility
from registry.serialize import COMMON_PROPERTIES, iso

# One bit per listed value, so "offers dose 1 and takes walk-ins" is a couple of AND operations.
TAG_FIELDS = {
    "vaccine_brands": VACCINE_BRANDS,
    "doses": DOSES,
    "age_groups": AGE_GROUPS,
    "test_methods": TEST_METHODS,
}
TAG_BITS: dict[tuple[str, str], int] = {}
for _field, _values in TAG_FIELDS.items():
    for _value in _values:
        TAG_BITS[(_field, _value)] = 1 << len(TAG_BITS)

_TABLE = Facility.__table__
_LISTS = frozenset(TAG_FIELDS)
_TIMES = frozenset({"status_confirmed_at", "created_at", "updated_at", "deleted_at"})


def _column(column) -> ColumnElement:
    if column.key in _LISTS:
        # The stored JSON text, decoded here once per distinct value instead of once per row.
        return cast(column, Text).label(column.key)
    if column.key in _TIMES:
        # Without the UTCDateTime decorator's per-value call; _utc applies the same rule.
        return type_coerce(column, DateTime(timezone=True)).label(column.key)
    return column


# Every column but the geometry, which comes as its two coordinates.
COLUMNS: tuple[ColumnElement, ...] = (
    *(_column(c) for c in _TABLE.c if c.key != "geom"),
    func.ST_X(_TABLE.c.geom).label("lon"),
    func.ST_Y(_TABLE.c.geom).label("lat"),
)
_NAMES = (*(c.key for c in _TABLE.c if c.key != "geom"), "lon", "lat")
_AT = {name: i for i, name in enumerate(_NAMES)}


def select_rows(*where):
    """The catalog's SELECT, with the given WHERE clauses."""
    return select(*COLUMNS).where(*where)


@dataclass(frozen=True, eq=False)
class DecodedRows:
    """Rows in catalog form, in the order they were read."""

    ids: np.ndarray
    deleted: np.ndarray  # bool
    arrays: dict[str, np.ndarray]  # the catalog's array fields
    features: list[bytes]

    def __len__(self) -> int:
        return len(self.ids)


ARRAY_FIELDS = (
    "lon",
    "lat",
    "type_code",
    "status_code",
    "confirmed_at",
    "walk_in",
    "tags",
    "active",
)


def decode_rows(rows: Sequence[Sequence]) -> DecodedRows:
    """Arrays and encoded features of rows read with ``select_rows``."""
    n = len(rows)
    columns = list(zip(*rows, strict=True)) if n else [() for _ in _NAMES]
    column = {name: columns[i] for name, i in _AT.items()}
    type_index = {name: i for i, name in enumerate(FACILITY_TYPES)}
    status_index = {name: i for i, name in enumerate(STATUSES)}
    tags = np.zeros(n, dtype=np.uint32)
    for name in _LISTS:
        bits = _Memo(lambda text, name=name: _decoded_list(name, text)[0])
        tags |= np.fromiter(map(bits.__getitem__, column[name]), dtype=np.uint32, count=n)
    deleted = np.fromiter((value is not None for value in column["deleted_at"]), bool, count=n)
    confirmed = _Memo(lambda t: np.nan if t is None else _utc(t).timestamp())
    arrays = {
        "lon": np.asarray(column["lon"], dtype=np.float64).reshape(n),
        "lat": np.asarray(column["lat"], dtype=np.float64).reshape(n),
        "type_code": np.fromiter(map(type_index.__getitem__, column["type"]), np.int8, count=n),
        "status_code": np.fromiter(
            map(status_index.__getitem__, column["status"]), np.int8, count=n
        ),
        "confirmed_at": np.fromiter(
            map(confirmed.__getitem__, column["status_confirmed_at"]), np.float64, count=n
        ),
        "walk_in": np.fromiter(
            (-1 if w is None else int(w) for w in column["walk_in"]), np.int8, count=n
        ),
        "tags": tags,
        "active": ~deleted,
    }
    ids = np.asarray(column["id"], dtype=np.int64).reshape(n)
    return DecodedRows(ids, deleted, arrays, _encode_features(column, n))


class FeatureStore:
    """The encoded features of a snapshot's positions, in one block of bytes.

    One ``bytes`` object and an offsets array instead of 150,000 objects: a worker process
    forked from the process that loaded the catalog shares the block and never writes to it
    (reading a slice touches no reference count), and a new snapshot shares it too. Features
    changed or added since the block was made are kept beside it until there are enough of
    them to make a new block.
    """

    COMPACT_AFTER = 5_000

    def __init__(self, block: bytes, offsets: array, changed: dict[int, bytes]) -> None:
        self._block = block
        # len(block's features) + 1 ascending byte offsets; an array of machine integers
        # reads as fast as a list and, unlike a list's, its items are never written to.
        self._offsets = offsets
        self._changed = changed  # position -> feature, for positions changed or appended
        self._size = max(len(offsets) - 1, max(changed, default=-1) + 1)

    @classmethod
    def of(cls, features: Sequence[bytes]) -> FeatureStore:
        offsets = np.zeros(len(features) + 1, dtype=np.int64)
        np.cumsum([len(f) for f in features], out=offsets[1:])
        return cls(b"".join(features), array("q", offsets.tobytes()), {})

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, position: int) -> bytes:
        changed = self._changed.get(position)
        if changed is not None:
            return changed
        return self._block[self._offsets[position] : self._offsets[position + 1]]

    @property
    def nbytes(self) -> int:
        return len(self._block) + sum(map(len, self._changed.values()))

    def updated(self, changes: dict[int, bytes]) -> FeatureStore:
        """A store with the given positions set (new positions follow the last one)."""
        changed = {**self._changed, **changes}
        if len(changed) <= self.COMPACT_AFTER:
            return FeatureStore(self._block, self._offsets, changed)
        size = max(self._size, max(changes, default=-1) + 1)
        merged = FeatureStore(self._block, self._offsets, changed)
        return FeatureStore.of([merged[p] for p in range(size)])


_TAIL = b',"distance_m":%r,"bearing_deg":%r,"resident_status":"%s"}}'


def features_json(
    fragments: list[bytes],
    distance_m: list[float],
    bearing_deg: list[float],
    statuses: list[str],
    extra_members: list[bytes] | None = None,
) -> bytes:
    """Several answers' Features, comma-separated, each closed as ``feature_json`` does.

    ``extra_members`` adds, per feature, members already encoded (``,"name":value``...).
    """
    parts = []
    extras = extra_members or [b""] * len(fragments)
    for fragment, distance, bearing, status, extra in zip(
        fragments, distance_m, bearing_deg, statuses, extras, strict=True
    ):
        parts.append(fragment)
        parts.append(extra)
        parts.append(_TAIL % (round(distance, 1), round(bearing, 1), status.encode()))
        parts.append(b",")
    return b"".join(parts[:-1])


def feature_json(fragment: bytes, distance_m: float, bearing_deg: float, status: str) -> bytes:
    """One answer's Feature: the stored fragment closed with what depends on the question."""
    return features_json([fragment], [distance_m], [bearing_deg], [status])


# -- private steps ------------------------------------------------------------------------------

_LIST_CACHE: dict[tuple[str, str | None], tuple[int, list[str] | None]] = {}
_LIST_CACHE_SIZE = 10_000
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class _Memo(dict):
    """f(value) per distinct value: most columns hold few distinct values (types, sources,
    lists of tags, the time of one import), so each is converted once."""

    def __init__(self, convert) -> None:
        super().__init__()
        self._convert = convert

    def __missing__(self, value):
        converted = self[value] = self._convert(value)
        return converted


def _decoded_list(name: str, text: str | None) -> tuple[int, list[str] | None]:
    """(tag bits, the list) of one stored JSON list; memoised across reads."""
    cached = _LIST_CACHE.get((name, text))
    if cached is None:
        values = None if text is None else json.loads(text)
        bits = 0
        for value in values or ():
            bits |= TAG_BITS.get((name, value), 0)
        cached = (bits, values)
        if len(_LIST_CACHE) < _LIST_CACHE_SIZE:
            _LIST_CACHE[(name, text)] = cached
    return cached


def _utc(value: datetime | None) -> datetime | None:
    # The rule of models.UTCDateTime: naive values (SQLite) are UTC wall times.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# JSON text of one value of a column, by the column's Python type. What json.dumps writes:
# floats as repr, strings escaped by the same C function json.dumps uses.
_JSON_TRUTH = {True: "true", False: "false", None: "null"}


def _json_times(values: Sequence) -> list[str]:
    convert = _Memo(lambda t: "null" if t is None else f'"{iso(_utc(t))}"')
    return list(map(convert.__getitem__, values))


def _json_texts(values: Sequence) -> list[str]:
    return ["null" if v is None else encode_basestring(v) for v in values]


def _json_numbers(values: Sequence) -> list[str]:
    return ["null" if v is None else repr(v) for v in values]


def _json_coordinates(values: Sequence) -> list[str]:
    return list(map(repr, map(round, map(float, values), repeat(7))))


def _json_column(name: str, values: Sequence) -> list[str]:
    if name in _LISTS:
        convert = _Memo(lambda text: _ENCODE(_decoded_list(name, text)[1]))
        return list(map(convert.__getitem__, values))
    if name in _TIMES:
        return _json_times(values)
    if name in ("lon", "lat"):
        return _json_coordinates(values)
    kind = _TABLE.c[name].type.python_type
    if kind is bool:
        return list(map(_JSON_TRUTH.__getitem__, values))
    if kind is int:
        return _json_numbers(values)
    if kind is str:
        return _json_texts(values)
    return list(map(_ENCODE, values))


def _templates() -> dict[tuple[str, bool], tuple[str, itemgetter]]:
    """Per type (and deleted or not): the Feature as a %-template and what fills it."""
    made = {}
    for facility_type, specs in TYPE_FIELDS.items():
        # The keys and order of serialize.facility_properties.
        keys = (
            *COMMON_PROPERTIES,
            "status_confirmed_at",
            *(spec.name for spec in specs),
            "created_at",
            "updated_at",
            "deleted_at",
        )
        for deleted in (False, True):
            shown = (*keys, "deleted_reason") if deleted else keys
            template = (
                '{"type":"Feature","id":%s,"geometry":{"type":"Point","coordinates":[%s,%s]},'
                '"properties":{"id":%s' + "".join(f',"{key}":%s' for key in shown)
            )
            fill = ("id", "lon", "lat", "id", *shown)
            made[(facility_type, deleted)] = (template, itemgetter(*(_AT[k] for k in fill)))
    return made


_TEMPLATES = _templates()


def _encode_features(column: dict, n: int) -> list[bytes]:
    """facility_feature's output for each row, as compact UTF-8 JSON without its last '}}'.

    Values are encoded column by column (once per distinct value), then each row fills the
    template of its type: one string formatting per row.
    """
    encoded = [_json_column(name, column[name]) for name in _NAMES]
    templates = [
        _TEMPLATES[(facility_type, deleted_at is not None)]
        for facility_type, deleted_at in zip(column["type"], column["deleted_at"], strict=True)
    ]
    return [
        (template % fill(row)).encode()
        for (template, fill), row in zip(templates, zip(*encoded, strict=True), strict=True)
    ]
