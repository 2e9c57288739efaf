"""Coverage gaps computed live from the registry, for planners.

One question, asked by the API, the planner page and the CLI alike: for the facilities of the
chosen types that pass the filters, who in a population layer lives farther than a threshold
from the nearest one, summed per province, district or subdistrict. The arithmetic is
:mod:`geo.coverage` (exact WGS 84 geodesic distances; a person exactly at the threshold is
covered); this module chooses the facilities, the people and the areas, and caches answers.

Facilities
----------
The eligible facilities come from the live catalog (:mod:`registry.nearest.catalog`), which
catches up with the registry's data version before every answer, so a site an official
closes drops out of the very next answer. Always: active, and not hidden from residents
(status unconfirmed for ``FRESHNESS_HIDE_AFTER_DAYS``). ``open_now`` (the default) keeps
sites whose status is 'open'; ``confirmed_only`` keeps only those confirmed open within their
type's freshness time. The other filters are the resident search's (walk-in, vaccine brand,
dose, age group served, test method). With a province chosen, only that province's people
are counted but every eligible facility in the country may serve them: people near a border
are often nearest to a site across it.

Caching
-------
An answer is kept while the data behind it is unchanged: its key holds the catalog's data
version, a digest of the eligible facilities' ids and coordinates (which also changes when a
confirmation expires with time) and the layer's id and checksum, plus the question. Entries
of older data versions are dropped as soon as a newer version is seen; the cache is an LRU
bounded by ``COVERAGE_CACHE_SIZE``.

Scale
-----
With ``DASK_SCHEDULER`` set to a scheduler address, the per-area table is computed by
:func:`geo.dask_coverage.coverage_by_area_dask` on that cluster (identical results);
capacity, curves and suggestions stay in-process.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.coverage import (
    coverage_by_area,
    coverage_by_area_of_costs,
    coverage_curve,
    service_load,
)
from geo.nearest import NearestIndex
from registry.areas.service import LEVEL_WORDS
from registry.cache import PerDatabase
from registry.coverage import messages as say
from registry.coverage import travel_time as coverage_roads
from registry.coverage.population import LayerInfo, configured_layer, layer_units
from registry.coverage.query import CURVE_KM, CURVE_MINUTES, CoverageQuery
from registry.errors import ValidationError
from registry.facilities.freshness import hide_after_hours
from registry.models import Area, Facility, utcnow
from registry.nearest.catalog import CatalogSnapshot, SiteFilter, catalogs, filter_mask
from registry.roads.service import profile_named as road_profile

# -- areas ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaTable:
    """Names, representative points and boundaries of every area, by code."""

    names: pd.DataFrame  # index code; name_th, name_en, level, lon, lat
    geometry: dict[str, object]  # code -> shapely geometry

    def subdistricts(self, province: str | None) -> pd.DataFrame:
        rows = self.names[self.names["level"] == 3]
        if province:
            rows = rows[rows.index.str.startswith(province)]
        return rows


def _build_area_table(session: Session) -> AreaTable:
    rows = session.execute(
        select(Area.code, Area.level, Area.name_th, Area.name_en, Area.geom).order_by(Area.code)
    ).all()
    geometry = {row.code: to_shape(row.geom) for row in rows}
    points = shapely.point_on_surface(np.array(list(geometry.values()), dtype=object))
    names = pd.DataFrame(
        {
            "level": [row.level for row in rows],
            "name_th": [row.name_th for row in rows],
            "name_en": [row.name_en for row in rows],
            "lon": shapely.get_x(points),
            "lat": shapely.get_y(points),
        },
        index=pd.Index([row.code for row in rows], name="code"),
    )
    return AreaTable(names, geometry)


area_tables = PerDatabase(
    _build_area_table, lambda session: session.scalar(select(func.count()).select_from(Area))
)


# -- the answer cache -------------------------------------------------------------------------


class AnswerCache:
    """A bounded LRU of answers; entries of older data versions go when a newer one arrives."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, object] = OrderedDict()
        self._newest: dict[str, int] = {}

    def get_or_compute(self, key: tuple, compute: Callable[[], object]) -> object:
        database, version = key[0], key[1]
        with self._lock:
            if version < self._newest.get(database, version):
                # A request that read an older version than others have seen: answer it
                # without caching, so nothing stale is kept.
                self.misses += 1
                stale = True
            else:
                stale = False
                value = self._entries.get(key)
                if value is not None:
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return value
                self.misses += 1
        value = compute()
        if stale:
            return value
        with self._lock:
            if version > self._newest.get(database, -1):
                self._newest[database] = version
                for old in [k for k in self._entries if k[0] == database and k[1] < version]:
                    del self._entries[old]
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._newest.clear()
            self.hits = self.misses = 0


answers = AnswerCache()


# -- facilities -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Eligible:
    """The facilities a question is about, from one catalog snapshot."""

    data_version: int
    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    digest: str

    def __len__(self) -> int:
        return int(self.ids.size)

    def index(self) -> NearestIndex | None:
        return NearestIndex(self.ids, self.lon, self.lat) if self.ids.size else None


def eligible_mask(
    snapshot: CatalogSnapshot, site_filter: SiteFilter, confirmed_only: bool, config, now
) -> np.ndarray:
    return filter_mask(
        snapshot,
        site_filter,
        now=now,
        # Open means status 'open'; with confirmed_only, also confirmed within its time.
        ttl_hours=config.get("FRESHNESS_TTL_HOURS") if confirmed_only else None,
        hide_after_hours=hide_after_hours(config),
        hide_never_confirmed=bool(config.get("FRESHNESS_HIDE_NEVER_CONFIRMED")),
    )


def _eligible(snapshot: CatalogSnapshot, mask: np.ndarray) -> Eligible:
    positions = np.flatnonzero(mask)
    ids = snapshot.ids[positions]
    lon = snapshot.lon[positions]
    lat = snapshot.lat[positions]
    digest = hashlib.sha256(ids.tobytes() + lon.tobytes() + lat.tobytes()).hexdigest()
    return Eligible(snapshot.data_version, ids, lon, lat, digest)


def eligible_facilities(
    session: Session, query: CoverageQuery, config, *, now: datetime | None = None
) -> Eligible:
    """The facilities of the query's types that pass its filters, as the registry stands."""
    snapshot = catalogs.get(session).snapshot(session)
    mask = eligible_mask(
        snapshot, query.site_filter(), query.confirmed_only, config, now or utcnow()
    )
    return _eligible(snapshot, mask)


def _beds(session: Session, ids: np.ndarray) -> tuple[np.ndarray, int]:
    """Beds per facility (total beds, else the sum by severity); unknown counts as 0."""
    known: dict[int, int] = {}
    columns = (
        Facility.id,
        Facility.beds_total,
        Facility.beds_green_total,
        Facility.beds_yellow_total,
        Facility.beds_red_total,
    )
    id_list = [int(i) for i in ids]
    for start in range(0, len(id_list), 900):
        chunk = id_list[start : start + 900]
        for row in session.execute(select(*columns).where(Facility.id.in_(chunk))):
            by_severity = [b for b in row[2:] if b is not None]
            if row.beds_total is not None:
                known[row.id] = row.beds_total
            elif by_severity:
                known[row.id] = sum(by_severity)
    beds = np.array([known.get(i, 0) for i in id_list], dtype=np.float64)
    return beds, len(id_list) - len(known)


# -- the answers ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CoverageAnswer:
    query: CoverageQuery
    layer: LayerInfo
    facilities: Eligible
    areas: pd.DataFrame  # one row per area, sorted by code
    totals: dict
    # Capacity types only: one row per facility serving anyone (served people, beds).
    load: pd.DataFrame | None
    facilities_without_beds: int
    computed_with: str  # "in-process" or "dask"
    # Travel time: the road layers used, with their licence and attribution.
    roads: list | None = None

    @property
    def data_version(self) -> int:
        return self.facilities.data_version


@dataclass(frozen=True)
class Context:
    layer: LayerInfo
    units: pd.DataFrame
    facilities: Eligible
    key: tuple
    # Travel time only: the profile and the road layers the question may use.
    profile: object = None
    road_layers: tuple = ()


def context_of(session: Session, query: CoverageQuery, config, now: datetime | None) -> Context:
    layer = configured_layer(session, query.layer, config)
    if query.level > layer.finest_level:
        raise ValidationError(
            say.LEVEL_TOO_FINE(
                layer=repr(layer.name),
                finest=LEVEL_WORDS[layer.finest_level](),
                level=LEVEL_WORDS[query.level](),
            ),
            field="level",
        )
    areas = area_tables.get(session)
    if query.province and (
        query.province not in areas.names.index or areas.names.at[query.province, "level"] != 1
    ):
        raise ValidationError(say.NOT_A_PROVINCE(value=repr(query.province)), field="province")
    facilities = eligible_facilities(session, query, config, now=now)
    units = layer_units(session, layer)
    if query.province:
        units = units[units["area_code"].str.startswith(query.province)]
    key = (
        str(session.get_bind().engine.url),
        facilities.data_version,
        facilities.digest,
        layer.id,
        layer.checksum,
        query,
    )
    if not query.by_time:
        return Context(layer, units, facilities, key)
    profile = road_profile(config, query.profile)
    road_layers = tuple(coverage_roads.chosen_layers(session, query.roads))
    if not road_layers:
        raise ValidationError(say.NO_ROADS(), field="threshold_min")
    key = (*key, repr(profile), tuple((r.id, r.checksum) for r in road_layers))
    return Context(layer, units, facilities, key, profile, road_layers)


def travel_times(session: Session, context: Context, config) -> coverage_roads.TravelTimes:
    """Each unit's travel time to its nearest eligible site (one pass per road layer)."""
    return answers.get_or_compute(
        (*context.key, "times"),
        lambda: coverage_roads.travel_times(
            session,
            context.units,
            context.facilities.lon,
            context.facilities.lat,
            context.profile,
            list(context.road_layers),
            config,
        ),
    )


def travel_time_context(session: Session, query: CoverageQuery, config, *, now=None):
    """The travel times behind a travel-time answer (for the map's bands)."""
    context = context_of(session, query, config, now)
    return travel_times(session, context, config)


def coverage(
    session: Session, query: CoverageQuery, config, *, now: datetime | None = None
) -> CoverageAnswer:
    """People within and beyond the threshold of the eligible facilities, per area."""
    context = context_of(session, query, config, now)
    return answers.get_or_compute(
        (*context.key, "areas"), lambda: _coverage(session, query, config, context)
    )


def _coverage(session: Session, query: CoverageQuery, config, context: Context):
    units, facilities, layer = context.units, context.facilities, context.layer
    extra, roads = {}, None
    if query.by_time:
        times = travel_times(session, context, config)
        table = coverage_by_area_of_costs(
            units[times.inside],
            times.seconds[times.inside],
            threshold=query.threshold_s,
            level=query.level,
            group_columns=layer.group_columns,
        )
        for name in ("median", "p90"):
            table[f"{name}_min"] = table.pop(name) / 60.0
        engine = "in-process"
        outside = ~times.inside
        extra = {
            "outside_roads_units": int(outside.sum()),
            "outside_roads_population": int(units["population"].to_numpy()[outside].sum()),
            "profile": times.profile.name,
            "roads": [road.name for road in times.layers],
        }
        roads = times.attributions
    else:
        table, engine = _area_table(units, facilities, query, layer, config)
    names = area_tables.get(session).names
    table.insert(1, "name_th", names["name_th"].reindex(table["code"]).to_numpy())
    table.insert(2, "name_en", names["name_en"].reindex(table["code"]).to_numpy())
    load, without_beds = None, 0
    if query.capacity:
        beds, without_beds = _beds(session, facilities.ids)
        result = service_load(
            units, facilities.lon, facilities.lat, facilities.ids, beds, level=query.level
        )
        by_area = result.areas.set_index("code")
        for column in ("facilities_serving", "beds_allocated", "beds_per_10k"):
            table[column] = by_area[column].reindex(table["code"]).to_numpy()
        load = result.facilities[result.facilities["served_population"] > 0].reset_index(drop=True)
    population = int(table["population"].sum())
    covered = int(table["covered"].sum())
    totals = {
        "population": population,
        "covered": covered,
        "uncovered": population - covered,
        "share_covered": covered / population if population else math.nan,
        "areas": len(table),
        "facilities": len(facilities),
        **extra,
    }
    return CoverageAnswer(
        query, layer, facilities, table, totals, load, without_beds, engine, roads
    )


def _area_table(units, facilities: Eligible, query: CoverageQuery, layer: LayerInfo, config):
    options = {
        "threshold_m": query.threshold_m,
        "level": query.level,
        "group_columns": layer.group_columns,
    }
    address = (config.get("DASK_SCHEDULER") or "").strip()
    if address and len(units):
        from geo.dask_coverage import coverage_by_area_dask
        from registry.coverage.dask_cluster import client_for

        table = coverage_by_area_dask(
            units, facilities.lon, facilities.lat, client=client_for(address), **options
        )
        return table, "dask"
    return coverage_by_area(units, facilities.lon, facilities.lat, **options), "in-process"


def curve(
    session: Session,
    query: CoverageQuery,
    config,
    *,
    thresholds_km=CURVE_KM,
    now: datetime | None = None,
) -> pd.DataFrame:
    """Share of the people covered at each threshold (km), from one nearest search."""
    context = context_of(session, query, config, now)
    if query.by_time:
        return answers.get_or_compute(
            (*context.key, "curve-minutes"),
            lambda: _minutes_curve(session, context, config),
        )
    thresholds = tuple(float(km) for km in thresholds_km)

    def compute():
        table = coverage_curve(
            context.units,
            context.facilities.lon,
            context.facilities.lat,
            [km * 1000.0 for km in thresholds],
        )
        table.insert(0, "threshold_km", thresholds)
        return table.drop(columns="threshold_m")

    return answers.get_or_compute((*context.key, "curve", thresholds), compute)


def _minutes_curve(session: Session, context: Context, config) -> pd.DataFrame:
    """Share of the people (inside the road layers) covered at every 5 minutes to 60."""
    times = travel_times(session, context, config)
    seconds = times.seconds[times.inside]
    weight = context.units["population"].to_numpy()[times.inside].astype(np.int64)
    order = np.argsort(seconds, kind="stable")
    cumulative = np.concatenate(([0], np.cumsum(weight[order])))
    minutes = np.array(CURVE_MINUTES)
    covered = cumulative[np.searchsorted(seconds[order], minutes * 60.0, side="right")]
    total = int(cumulative[-1])
    return pd.DataFrame(
        {
            "threshold_min": minutes,
            "covered": covered.astype(np.int64),
            "uncovered": (total - covered).astype(np.int64),
            "share_covered": covered / total if total else np.full(minutes.size, np.nan),
        }
    )


def uncovered_units(
    session: Session, query: CoverageQuery, config, *, now: datetime | None = None
) -> pd.DataFrame:
    """Units farther than the threshold from every eligible facility, most people first."""
    context = context_of(session, query, config, now)

    def compute():
        units = context.units
        if query.by_time:
            times = travel_times(session, context, config)
            far = (
                times.inside
                & ~(times.seconds <= query.threshold_s)
                & (units["population"].to_numpy() > 0)
            )
            frame = pd.DataFrame(
                {
                    "lon": units["lon"].to_numpy()[far],
                    "lat": units["lat"].to_numpy()[far],
                    "population": units["population"].to_numpy()[far],
                    "area_code": units["area_code"].to_numpy()[far],
                    "travel_time_s": times.seconds[far],
                }
            )
            return frame.sort_values(["population", "area_code"], ascending=[False, True])
        index = context.facilities.index()
        lon = units["lon"].to_numpy()
        lat = units["lat"].to_numpy()
        if index is None or lon.size == 0:
            distance = np.full(lon.size, np.inf)
        else:
            distance = index.nearest_distances(lon, lat)[1]
        far = (distance > query.threshold_m) & (units["population"].to_numpy() > 0)
        frame = pd.DataFrame(
            {
                "lon": lon[far],
                "lat": lat[far],
                "population": units["population"].to_numpy()[far],
                "area_code": units["area_code"].to_numpy()[far],
                "distance_m": distance[far],
            }
        )
        return frame.sort_values(["population", "area_code"], ascending=[False, True])

    return answers.get_or_compute((*context.key, "uncovered"), compute)
