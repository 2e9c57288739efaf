"""An in-memory catalog of active facilities for nearest-site search and map views.

Every worker process keeps its own catalog and, before each answer, asks the database for
the registry's data version (one indexed single-row read). When it has moved, the catalog
fetches only the facilities written since the version it holds (writes raise the version in
order; see services.facilities), so a change committed by an official is in the very next
answer of every worker, and a quiet registry costs one tiny query per request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.nearest import NearestIndex, NearestResult

from ..errors import ValidationError
from ..models import Facility
from ..vocabulary import AGE_GROUPS, DOSES, FACILITY_TYPES, STATUSES, TEST_METHODS, VACCINE_BRANDS
from .cache import PerDatabase
from .facilities import current_data_version

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

_COLUMNS = (
    Facility.id,
    Facility.type,
    Facility.status,
    Facility.status_confirmed_at,
    Facility.walk_in,
    Facility.deleted_at,
    Facility.vaccine_brands,
    Facility.doses,
    Facility.age_groups,
    Facility.test_methods,
    func.ST_X(Facility.geom).label("lon"),
    func.ST_Y(Facility.geom).label("lat"),
)


@dataclass(frozen=True, eq=False)
class CatalogSnapshot:
    """Facility attributes as parallel arrays; position i describes ids[i]."""

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
    index: NearestIndex | None
    position_of: dict[int, int] = field(repr=False)

    def __len__(self) -> int:
        return len(self.ids)


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


def _tags(row) -> int:
    bits = 0
    for name in TAG_FIELDS:
        for value in getattr(row, name) or ():
            bits |= TAG_BITS.get((name, value), 0)
    return bits


def _row_values(row) -> tuple:
    confirmed = row.status_confirmed_at.timestamp() if row.status_confirmed_at else np.nan
    walk_in = -1 if row.walk_in is None else int(row.walk_in)
    return (
        float(row.lon),
        float(row.lat),
        FACILITY_TYPES.index(row.type),
        STATUSES.index(row.status),
        confirmed,
        walk_in,
        _tags(row),
        row.deleted_at is None,
    )


_ARRAY_FIELDS = (
    "lon",
    "lat",
    "type_code",
    "status_code",
    "confirmed_at",
    "walk_in",
    "tags",
    "active",
)
_DTYPES = (np.float64, np.float64, np.int8, np.int8, np.float64, np.int8, np.uint32, bool)


def _build(data_version: int, ids: list[int], rows: list[tuple]) -> CatalogSnapshot:
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in _DTYPES]
    arrays = {
        name: np.asarray(values, dtype=dtype)
        for name, values, dtype in zip(_ARRAY_FIELDS, columns, _DTYPES, strict=True)
    }
    ids_array = np.asarray(ids, dtype=np.int64)
    index = NearestIndex(ids_array, arrays["lon"], arrays["lat"]) if len(ids) else None
    return CatalogSnapshot(
        data_version=data_version,
        ids=ids_array,
        index=index,
        position_of={facility_id: i for i, facility_id in enumerate(ids)},
        **arrays,
    )


class FacilityCatalog:
    """The catalog of one database; `snapshot(session)` returns an up-to-date snapshot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: CatalogSnapshot | None = None

    def snapshot(self, session: Session) -> CatalogSnapshot:
        version = current_data_version(session)
        current = self._snapshot
        if current is not None and current.data_version == version:
            return current
        with self._lock:
            current = self._snapshot
            if current is None:
                self._snapshot = self._load_all(session, version)
            elif current.data_version != version:
                self._snapshot = self._catch_up(session, current, version)
            return self._snapshot

    @staticmethod
    def _load_all(session: Session, version: int) -> CatalogSnapshot:
        rows = session.execute(
            select(*_COLUMNS)
            .where(Facility.deleted_at.is_(None), Facility.data_version <= version)
            .order_by(Facility.id)
        ).all()
        return _build(version, [row.id for row in rows], [_row_values(row) for row in rows])

    @staticmethod
    def _catch_up(session: Session, old: CatalogSnapshot, version: int) -> CatalogSnapshot:
        rows = session.execute(
            select(*_COLUMNS).where(
                Facility.data_version > old.data_version, Facility.data_version <= version
            )
        ).all()
        arrays = {name: getattr(old, name).copy() for name in _ARRAY_FIELDS}
        new_ids, new_rows, moved = [], [], False
        for row in rows:
            values = _row_values(row)
            position = old.position_of.get(row.id)
            if position is None:
                if row.deleted_at is None:
                    new_ids.append(row.id)
                    new_rows.append(values)
                continue
            moved |= (values[0], values[1]) != (arrays["lon"][position], arrays["lat"][position])
            for name, value in zip(_ARRAY_FIELDS, values, strict=True):
                arrays[name][position] = value
        if not new_ids and not moved:
            # Attribute changes only: the spatial index still holds.
            return replace(old, data_version=version, **arrays)
        ids = list(old.ids) + new_ids
        merged = [tuple(arrays[name][i] for name in _ARRAY_FIELDS) for i in range(len(old.ids))]
        return _build(version, ids, merged + new_rows)

    def clear(self) -> None:
        with self._lock:
            self._snapshot = None


# One catalog per database; it keeps itself current, so its stamp never changes.
catalogs = PerDatabase(lambda session: FacilityCatalog(), lambda session: None)


def open_now_mask(
    snapshot: CatalogSnapshot, now: datetime, ttl_hours: dict[str, float] | None
) -> np.ndarray:
    """Open and not stale: the status is 'open' and was confirmed within its type's time.

    ``ttl_hours`` maps facility type to hours; a type without an entry (or ``None`` for all)
    has no freshness rule yet and counts as fresh whatever its confirmation time.
    """
    mask = snapshot.status_code == STATUSES.index("open")
    if not ttl_hours:
        return mask
    age_hours = (now.timestamp() - snapshot.confirmed_at) / 3600.0
    fresh = np.ones(len(snapshot), dtype=bool)
    for type_name, hours in ttl_hours.items():
        of_type = snapshot.type_code == FACILITY_TYPES.index(type_name)
        # NaN (never confirmed) compares False: not fresh.
        fresh &= ~of_type | (age_hours <= hours)
    return mask & fresh


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
    if hide_after_hours is None:
        return np.ones(len(snapshot), dtype=bool)
    age_hours = (now.timestamp() - snapshot.confirmed_at) / 3600.0
    never = np.isnan(snapshot.confirmed_at)
    return (age_hours <= hide_after_hours) | (never & (not hide_never_confirmed))


def filter_mask(
    snapshot: CatalogSnapshot,
    site_filter: SiteFilter,
    *,
    now: datetime,
    ttl_hours: dict[str, float] | None = None,
    hide_after_hours: float | None = None,
    hide_never_confirmed: bool = False,
) -> np.ndarray:
    """Which catalog positions a filter admits (always only active, visible facilities)."""
    mask = snapshot.active.copy()
    if hide_after_hours is not None:
        mask &= visible_mask(snapshot, now, hide_after_hours, hide_never_confirmed)
    if site_filter.types:
        codes = [FACILITY_TYPES.index(t) for t in site_filter.types]
        mask &= np.isin(snapshot.type_code, codes)
    if site_filter.open_now:
        mask &= open_now_mask(snapshot, now, ttl_hours)
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
    return mask


def nearest_sites(
    session: Session,
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
) -> NearestResult | None:
    """The k nearest facilities that pass the filter, exact by geodesic distance.

    With ``max_distance_m`` and fewer than k matches inside it, the answer widens to the k
    nearest anywhere and says so (``widened``): a resident never gets an empty answer while
    something matches. ``None`` when nothing in the registry matches at all.
    """
    snapshot = catalogs.get(session).snapshot(session)
    if snapshot.index is None:
        return None
    mask = filter_mask(
        snapshot,
        site_filter,
        now=now,
        ttl_hours=ttl_hours,
        hide_after_hours=hide_after_hours,
        hide_never_confirmed=hide_never_confirmed,
    )
    if not mask.any():
        return None
    return snapshot.index.query(lon, lat, k, mask=mask, max_distance_m=max_distance_m)
