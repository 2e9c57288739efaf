"""An in-memory catalog of active facilities for nearest-site search and map views.

Every worker process keeps its own catalog. Before each answer it asks which data version is
committed (registry.version_watch: on PostGIS the version pushed to the process, trusted
within a stated bound, so no query; on SpatiaLite a local read). When the version has moved,
the catalog reads only the facilities written since the version it holds (writes raise the
version in order; see registry.version_watch) and applies just those rows, so a change committed
by anyone is in every worker's answers within the bound, and in its writer's next one.

A snapshot holds, per facility, the arrays the filters and the search use and the facility's
GeoJSON, encoded once (see catalog_rows), so an answer needs no other query. Filter masks are
cached per snapshot and filter, each with the time span over which no confirmation runs out,
so a cached mask is the one the rules give at that moment. New and moved facilities go into a
small second index until there are enough of them to rebuild the main one.

Over 600 lines: the snapshot, its catch-up and the filter masks are one lock-guarded piece of
state; its next split (masks and catch-up apart) waits for the import-speed work on this path.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from geo.nearest import NearestIndex, NearestList, RestrictedIndex
from importers.vocabulary import FACILITY_TYPES, STATUSES
from registry import version_watch
from registry.db import autocommit_int
from registry.errors import ValidationError
from registry.models import Facility, RegistryState
from registry.nearest.catalog_rows import (
    ARRAY_FIELDS,
    TAG_BITS,
    TAG_FIELDS,
    DecodedRows,
    FeatureStore,
    decode_rows,
    select_rows,
)
from registry.operations import outage

__all__ = [
    "TAG_BITS",
    "TAG_FIELDS",
    "CatalogRegistry",
    "CatalogSnapshot",
    "FacilityCatalog",
    "SiteFilter",
    "catalogs",
    "committed_version",
    "filter_mask",
    "nearest_in",
    "nearest_sites",
    "open_now_mask",
    "read_data_version",
    "visible_mask",
]

_OPEN = STATUSES.index("open")
# New or moved sites searched beside the main index; past this many it is rebuilt.
EXTRA_LIMIT_MIN = 1_000
EXTRA_LIMIT_SHARE = 0.02
# Plain SQL that both databases accept, run on the driver's connection (db.autocommit_int).
_VERSION_SQL = "SELECT data_version FROM registry_state WHERE id = 1"
_VERSION = select(RegistryState.data_version).where(RegistryState.id == 1)


@dataclass(frozen=True)
class SiteFilter:
    """What a resident asks for. Empty fields do not filter."""

    types: tuple[str, ...] = ()
    open_now: bool = False
    walk_in: bool | None = None
    vaccine_brand: str | None = None
    dose: str | None = None
    age_group: str | None = None
    test_method: str | None = None


@dataclass(frozen=True)
class _Rules:
    """The freshness rules a mask applies; part of its cache key."""

    ttl_seconds: tuple[tuple[int, float], ...]  # (type code, seconds)
    hide_after_seconds: float | None
    hide_never_confirmed: bool

    @classmethod
    def of(cls, ttl_hours, hide_after_hours, hide_never_confirmed) -> _Rules:
        given = (
            tuple(ttl_hours.items()) if ttl_hours else (),
            hide_after_hours,
            hide_never_confirmed,
        )
        made = _RULES.get(given)
        if made is None:
            ttl = tuple(sorted((FACILITY_TYPES.index(t), float(h) * 3600) for t, h in given[0]))
            hide = None if hide_after_hours is None else float(hide_after_hours) * 3600
            made = cls(ttl, hide, bool(hide_never_confirmed))
            if len(_RULES) < 64:  # a few configurations per process
                _RULES[given] = made
        return made


_RULES: dict[tuple, _Rules] = {}


@dataclass(eq=False)
class Eligible:
    """The sites one filter admits in one snapshot, ready to search."""

    mask: np.ndarray  # read-only, one value per snapshot position
    # The mask holds for times t with valid_after < t <= valid_until (seconds since epoch).
    valid_after: float
    valid_until: float
    snapshot: CatalogSnapshot = field(repr=False)
    _indexes: tuple | None = field(default=None, repr=False)

    def indexes(self) -> tuple[RestrictedIndex | None, RestrictedIndex | None]:
        """The main and the small index restricted to these sites, made on first search."""
        if self._indexes is None:
            # Racing threads make equal views; one is kept.
            self._indexes = self.snapshot.restricted_indexes(self.mask)
        return self._indexes


@dataclass(frozen=True, eq=False)
class CatalogSnapshot:
    """Facility attributes as parallel arrays; position i describes ids[i].

    Positions never move while the process lives: new facilities are appended, deactivated
    ones stay with ``active`` False, so a position read from one snapshot is valid in every
    later one.
    """

    data_version: int
    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    type_code: np.ndarray  # index into FACILITY_TYPES
    status_code: np.ndarray  # index into STATUSES
    confirmed_at: np.ndarray  # seconds since the epoch, NaN when never confirmed
    walk_in: np.ndarray  # -1 unknown, 0 no, 1 yes
    tags: np.ndarray  # TAG_BITS
    active: np.ndarray  # False once deactivated
    # GeoJSON Feature of each position without its last '}}' (catalog_rows.feature_json).
    features: FeatureStore = field(repr=False)
    # The main index holds positions [0, len(index)) at the locations they had when built;
    # `indexed` is False where that location is no longer current (moved, or appended).
    index: NearestIndex | None = field(repr=False)
    indexed: np.ndarray = field(repr=False)
    # Active positions whose current location the main index lacks, in a small index of
    # their own (ids are facility ids; extra_positions maps its positions to ours).
    extra_index: NearestIndex | None = field(repr=False)
    extra_positions: np.ndarray = field(repr=False)
    _eligible: dict[Hashable, Eligible] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def eligible(
        self,
        site_filter: SiteFilter,
        *,
        now: datetime,
        ttl_hours: dict[str, float] | None = None,
        hide_after_hours: float | None = None,
        hide_never_confirmed: bool = False,
    ) -> Eligible:
        """The sites a filter admits at ``now``, from this snapshot's cache when it holds."""
        rules = _Rules.of(ttl_hours, hide_after_hours, hide_never_confirmed)
        key = (site_filter, rules)
        moment = now.timestamp()
        cached = self._eligible.get(key)
        if cached is not None and cached.valid_after < moment <= cached.valid_until:
            return cached
        made = self._make_eligible(site_filter, rules, moment)
        # Racing threads may both compute it; both answers are the same.
        self._eligible[key] = made
        return made

    def resident_statuses(self, positions: list[int], now: datetime, ttl_hours) -> list[str]:
        """presentation.resident_status of each position: 'open' past its time is unconfirmed."""
        ttl_hours = ttl_hours or {}
        moment = now.timestamp()
        names = []
        for position in positions:
            status = STATUSES[self.status_code[position]]
            ttl = ttl_hours.get(FACILITY_TYPES[self.type_code[position]])
            # The rule of the masks: fresh while now <= confirmed + ttl (NaN compares False).
            fresh = ttl is None or float(self.confirmed_at[position]) + ttl * 3600 >= moment
            if status == "open" and not fresh:
                status = "unconfirmed"
            names.append(status)
        return names

    def _make_eligible(self, site_filter: SiteFilter, rules: _Rules, moment: float) -> Eligible:
        mask, deadlines = _mask_and_deadlines(self, self.active, site_filter, rules, moment)
        mask.flags.writeable = False
        after, until = -np.inf, np.inf
        if deadlines.size:
            # A site's rule flips when `moment` passes its deadline: the mask holds from the
            # last deadline before now (exclusive) to the first one at or after now.
            later = deadlines[deadlines >= moment]
            earlier = deadlines[deadlines < moment]
            until = float(later.min()) if later.size else np.inf
            after = float(earlier.max()) if earlier.size else -np.inf
        return Eligible(mask, after, until, self)

    def restricted_indexes(
        self, mask: np.ndarray
    ) -> tuple[RestrictedIndex | None, RestrictedIndex | None]:
        """The main and the small index answering only over the positions of a mask."""
        main = extra = None
        if self.index is not None:
            size = len(self.index)
            main_mask = mask[:size] & self.indexed[:size]
            main = self.index.restrict(main_mask) if main_mask.any() else None
        if self.extra_index is not None:
            extra_mask = mask[self.extra_positions]
            extra = self.extra_index.restrict(extra_mask) if extra_mask.any() else None
        return main, extra


def _mask_and_deadlines(
    snapshot: CatalogSnapshot,
    start: np.ndarray,
    site_filter: SiteFilter,
    rules: _Rules,
    moment: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Which positions of `start` a filter admits at `moment`, and the times (seconds since
    the epoch) at which a site's freshness flips; the mask is the same between two of them."""
    mask = start.copy()
    deadlines = []
    if rules.hide_after_seconds is not None:
        # Visible while confirmed within the time; never-confirmed sites stay, labelled,
        # unless hide_never_confirmed.
        until = snapshot.confirmed_at + rules.hide_after_seconds
        never = np.isnan(snapshot.confirmed_at)
        mask &= (until >= moment) | (never & (not rules.hide_never_confirmed))
        deadlines.append(until)
    if site_filter.types:
        codes = [FACILITY_TYPES.index(t) for t in site_filter.types]
        mask &= np.isin(snapshot.type_code, codes)
    if site_filter.open_now:
        mask &= snapshot.status_code == _OPEN
        candidates = mask.copy()
        for type_code, seconds in rules.ttl_seconds:
            # Fresh while confirmed within its type's time; NaN (never confirmed) is not.
            until = snapshot.confirmed_at + seconds
            of_type = snapshot.type_code == type_code
            mask &= ~of_type | (until >= moment)
            deadlines.append(until[of_type & candidates])
    if site_filter.walk_in is not None:
        mask &= snapshot.walk_in == int(site_filter.walk_in)
    for name, value in (
        ("vaccine_brands", site_filter.vaccine_brand),
        ("doses", site_filter.dose),
        ("age_groups", site_filter.age_group),
        ("test_methods", site_filter.test_method),
    ):
        if value is not None:
            bit = TAG_BITS.get((name, value))
            if bit is None:
                raise ValidationError(
                    f"'{value}' is not one of {', '.join(TAG_FIELDS[name])}", field=name
                )
            mask &= (snapshot.tags & bit) != 0
    flat = np.concatenate(deadlines) if deadlines else np.empty(0)
    return mask, flat[~np.isnan(flat)]


# -- the catalog --------------------------------------------------------------------------------


# Where the catalog reads: a request's session, or the application's bind without a session.
Source = Session | Engine | Connection


def _reader(source: Source) -> Engine | Connection | Session:
    """What the catalog reads committed data through.

    An engine (the application's) is read on its own connections: a request's session may
    hold uncommitted writes, which must never enter the catalog that every request shares.
    A connection or a session bound to one (a test's outer transaction) is read through, so
    that it sees what that transaction wrote.
    """
    if isinstance(source, Session):
        bind = source.get_bind()
        return bind if isinstance(bind, Engine) else source
    return source


def read_data_version(source: Source) -> int:
    """The registry's committed data version; on an engine one autocommit round trip."""
    reader = _reader(source)
    if isinstance(reader, Engine):
        return autocommit_int(reader, _VERSION_SQL) or 0
    return reader.scalar(_VERSION) or 0


def committed_version(source: Source) -> int:
    """The committed data version as this answer must see it: on an engine the watched one
    (version_watch: within its bound, and at least what this request's writer wrote); in a
    transaction of its own (a test's) the one it reads."""
    reader = _reader(source)
    if isinstance(reader, Engine):
        return version_watch.watch_for(reader).version(version_watch.wanted_version())
    return reader.scalar(_VERSION) or 0


def _read_rows(source: Source, statement) -> list:
    reader = _reader(source)
    if isinstance(reader, Engine):
        with reader.connect() as connection:
            return connection.execute(statement).all()
    return reader.execute(statement).all()


class FacilityCatalog:
    """The catalog of one database; `snapshot(session)` returns an up-to-date snapshot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: CatalogSnapshot | None = None
        self._checked_at = 0.0  # when the data version was last known (time.time())
        # Facility id -> position; only grows, only under the lock.
        self._position_of: dict[int, int] = {}

    @property
    def held(self) -> CatalogSnapshot | None:
        """The snapshot in memory now, without asking the database (None before the first)."""
        return self._snapshot

    def snapshot(self, source: Source) -> CatalogSnapshot:
        """The snapshot at the registry's committed data version, caught up if need be."""
        return self.snapshot_or_last(source)[0]

    def snapshot_or_last(self, source: Source) -> tuple[CatalogSnapshot, datetime | None]:
        """``snapshot``, or while the database cannot be reached the last one held, with the
        time it was last known current (None when it is current)."""
        try:
            version = committed_version(source)
        except DBAPIError as error:
            held = self._snapshot
            if held is None or not outage.unavailable(error):
                raise
            return held, datetime.fromtimestamp(self._checked_at, UTC)
        outage.recovered()
        self._checked_at = time.time()
        return self._current(source, version), None

    def _current(self, source: Source, version: int) -> CatalogSnapshot:
        current = self._snapshot
        if current is not None and current.data_version == version:
            return current
        with self._lock:
            current = self._snapshot
            try:
                if current is None:
                    self._snapshot = self._load_all(source, version)
                elif current.data_version != version:
                    self._snapshot = self._catch_up(source, current, version)
            except BaseException:
                # A half-applied catch-up may have numbered new ids: start again from scratch.
                self._snapshot, self._position_of = None, {}
                raise
            return self._snapshot

    def _load_all(self, source: Source, version: int) -> CatalogSnapshot:
        # Rows written after `version` may be read too: the snapshot is then newer than its
        # label, and the next catch-up reads them again, which changes nothing.
        rows = _read_rows(source, select_rows(Facility.deleted_at.is_(None)).order_by(Facility.id))
        decoded = decode_rows(rows)
        self._position_of = {int(i): p for p, i in enumerate(decoded.ids)}
        arrays = decoded.arrays
        return _with_index(
            CatalogSnapshot(
                data_version=version,
                ids=decoded.ids,
                features=FeatureStore.of(decoded.features),
                index=None,
                indexed=np.zeros(len(decoded), dtype=bool),
                extra_index=None,
                extra_positions=np.empty(0, dtype=np.int64),
                **arrays,
            ),
            rebuild=True,
        )

    def _catch_up(self, source: Source, old: CatalogSnapshot, version: int) -> CatalogSnapshot:
        rows = _read_rows(source, select_rows(Facility.data_version > old.data_version))
        if not rows:
            # Nothing of the facilities changed: the cached masks still hold.
            return replace(old, data_version=version)
        decoded = decode_rows(rows)
        known, new = self._split(decoded)
        n_old, n_new = len(old), len(new)
        arrays = {}
        for name in ARRAY_FIELDS:
            values = getattr(old, name)
            merged = np.empty(n_old + n_new, dtype=values.dtype)
            merged[:n_old] = values
            merged[known[1]] = decoded.arrays[name][known[0]]
            merged[n_old:] = decoded.arrays[name][new]
            arrays[name] = merged
        changes = {
            int(position): decoded.features[row]
            for row, position in zip(known[0].tolist(), known[1].tolist(), strict=True)
        }
        changes.update((n_old + i, decoded.features[row]) for i, row in enumerate(new.tolist()))
        features = old.features.updated(changes)
        moved = (arrays["lon"][known[1]] != old.lon[known[1]]) | (
            arrays["lat"][known[1]] != old.lat[known[1]]
        )
        indexed = np.zeros(n_old + n_new, dtype=bool)
        indexed[:n_old] = old.indexed
        indexed[known[1][moved]] = False
        ids = np.concatenate([old.ids, decoded.ids[new]])
        snapshot = CatalogSnapshot(
            data_version=version,
            ids=ids,
            features=features,
            index=old.index,
            indexed=indexed,
            extra_index=None,
            extra_positions=np.empty(0, dtype=np.int64),
            **arrays,
        )
        return _with_index(snapshot, rebuild=False)

    def _split(self, decoded: DecodedRows) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
        """((rows, positions) of facilities held, rows of active ones new to the catalog)."""
        rows, positions, new = [], [], []
        for row, facility_id in enumerate(decoded.ids.tolist()):
            position = self._position_of.get(facility_id)
            if position is not None:
                rows.append(row)
                positions.append(position)
            elif not decoded.deleted[row]:
                self._position_of[facility_id] = len(self._position_of)
                new.append(row)
        as_array = lambda values: np.asarray(values, dtype=np.int64)  # noqa: E731
        return (as_array(rows), as_array(positions)), as_array(new)

    def clear(self) -> None:
        with self._lock:
            self._snapshot = None
            self._position_of = {}


def _with_index(snapshot: CatalogSnapshot, *, rebuild: bool) -> CatalogSnapshot:
    """The snapshot with its main index (rebuilt when asked or when too many sites are
    outside it) and the small index of the active sites it lacks."""
    missing = np.flatnonzero(~snapshot.indexed & snapshot.active)
    limit = max(EXTRA_LIMIT_MIN, EXTRA_LIMIT_SHARE * len(snapshot))
    if rebuild or missing.size > limit:
        index = NearestIndex(snapshot.ids, snapshot.lon, snapshot.lat) if len(snapshot) else None
        indexed = np.ones(len(snapshot), dtype=bool)
        return replace(snapshot, index=index, indexed=indexed)
    extra_index = None
    if missing.size:
        extra_index = NearestIndex(
            snapshot.ids[missing], snapshot.lon[missing], snapshot.lat[missing]
        )
    return replace(snapshot, extra_index=extra_index, extra_positions=missing)


class CatalogRegistry:
    """One catalog per database (by URL), found from a session, an engine or a connection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_url: dict[str, FacilityCatalog] = {}
        # Rendering a URL costs more than the rest of a lookup: once per engine.
        self._url_of: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()

    def get(self, source: Source) -> FacilityCatalog:
        engine = (source.get_bind() if isinstance(source, Session) else source).engine
        url = self._url_of.get(engine)
        if url is None:
            url = self._url_of[engine] = engine.url.render_as_string(hide_password=False)
        catalog = self._by_url.get(url)
        if catalog is None:
            with self._lock:
                catalog = self._by_url.setdefault(url, FacilityCatalog())
        return catalog

    def clear(self) -> None:
        with self._lock:
            self._by_url.clear()


catalogs = CatalogRegistry()


# -- questions ----------------------------------------------------------------------------------


def open_now_mask(
    snapshot: CatalogSnapshot, now: datetime, ttl_hours: dict[str, float] | None
) -> np.ndarray:
    """Open and not stale: the status is 'open' and was confirmed within its type's time.

    ``ttl_hours`` maps facility type to hours; a type without an entry (or ``None`` for all)
    has no freshness rule yet and counts as fresh whatever its confirmation time. Inactive
    sites are included; combine with ``filter_mask`` for what residents see.
    """
    everything = np.ones(len(snapshot), dtype=bool)
    rules = _Rules.of(ttl_hours, None, False)
    mask, _ = _mask_and_deadlines(
        snapshot, everything, SiteFilter(open_now=True), rules, now.timestamp()
    )
    return mask


def visible_mask(
    snapshot: CatalogSnapshot,
    now: datetime,
    hide_after_hours: float | None,
    hide_never_confirmed: bool = False,
) -> np.ndarray:
    """Not hidden from residents: confirmed within ``hide_after_hours`` (any status).

    Never-confirmed sites (NaN) stay visible, labelled unconfirmed, unless
    ``hide_never_confirmed``: a freshly loaded list must still answer residents.
    """
    everything = np.ones(len(snapshot), dtype=bool)
    rules = _Rules.of(None, hide_after_hours, hide_never_confirmed)
    mask, _ = _mask_and_deadlines(snapshot, everything, SiteFilter(), rules, now.timestamp())
    return mask


def filter_mask(
    snapshot: CatalogSnapshot,
    site_filter: SiteFilter,
    *,
    now: datetime,
    ttl_hours: dict[str, float] | None = None,
    hide_after_hours: float | None = None,
    hide_never_confirmed: bool = False,
) -> np.ndarray:
    """Which catalog positions a filter admits (always only active, visible facilities).

    A writable copy of the snapshot's cached mask.
    """
    return snapshot.eligible(
        site_filter,
        now=now,
        ttl_hours=ttl_hours,
        hide_after_hours=hide_after_hours,
        hide_never_confirmed=hide_never_confirmed,
    ).mask.copy()


def nearest_in(
    snapshot: CatalogSnapshot,
    lon: float,
    lat: float,
    *,
    k: int,
    site_filter: SiteFilter,
    now: datetime,
    max_distance_m: float | None = None,
    ttl_hours: dict[str, float] | None = None,
    hide_after_hours: float | None = None,
    hide_never_confirmed: bool = False,
) -> NearestList | None:
    """The k nearest facilities of a snapshot that pass the filter, exact by geodesic distance.

    Distances are WGS 84 geodesics, ties go to the smaller id (see geo.nearest). Positions in
    the result are snapshot positions. With ``max_distance_m`` and fewer than k matches
    inside it, the answer widens to the k nearest anywhere and says so (``widened``): a
    resident never gets an empty answer while something matches. ``None`` when nothing in
    the registry matches at all.
    """
    eligible = snapshot.eligible(
        site_filter,
        now=now,
        ttl_hours=ttl_hours,
        hide_after_hours=hide_after_hours,
        hide_never_confirmed=hide_never_confirmed,
    )
    answers = []
    main, extra_index = eligible.indexes()
    if main is not None:
        answers.append(main.query_list(lon, lat, k, max_distance_m=max_distance_m))
    if extra_index is not None:
        extra = extra_index.query_list(lon, lat, k, max_distance_m=max_distance_m)
        positions = snapshot.extra_positions[extra.positions].tolist()
        answers.append(replace(extra, positions=positions))
    if not answers:
        return None
    if len(answers) == 1:
        return answers[0]
    return NearestList.merge(answers, k, max_distance_m)


def nearest_sites(
    session: Source,
    lon: float,
    lat: float,
    *,
    k: int,
    site_filter: SiteFilter,
    now: datetime,
    max_distance_m: float | None = None,
    ttl_hours: dict[str, float] | None = None,
    hide_after_hours: float | None = None,
    hide_never_confirmed: bool = False,
) -> NearestList | None:
    """``nearest_in`` the catalog as the registry stands now."""
    return nearest_in(
        catalogs.get(session).snapshot(session),
        lon,
        lat,
        k=k,
        site_filter=site_filter,
        now=now,
        max_distance_m=max_distance_m,
        ttl_hours=ttl_hours,
        hide_after_hours=hide_after_hours,
        hide_never_confirmed=hide_never_confirmed,
    )
