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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import shapely
from flask import current_app
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.coverage import (
    coverage_by_area,
    coverage_by_area_of_costs,
    coverage_curve,
    greedy_cover,
    service_load,
    suggest_sites,
)
from geo.nearest import NearestIndex
from importers.vocabulary import AGE_GROUPS, DOSES, FACILITY_TYPES, TEST_METHODS, VACCINE_BRANDS
from registry.cache import PerDatabase
from registry.coverage import travel_time as coverage_roads
from registry.coverage.population import LEVEL_NAMES, LayerInfo, configured_layer, layer_units
from registry.errors import ValidationError
from registry.facilities.freshness import hide_after_hours
from registry.models import Area, Facility, utcnow
from registry.nearest.catalog import CatalogSnapshot, SiteFilter, catalogs, filter_mask
from registry.nearest.search import parse_choice, parse_flag
from registry.roads.service import profile_named as road_profile

LEVELS = {name: level for level, name in LEVEL_NAMES.items()}
# Types whose beds make "beds per 10,000 people" meaningful.
CAPACITY_TYPES = ("hospital", "field_hospital", "waiting_centre")
PARAMETERS = (
    "type",
    "threshold_km",
    "level",
    "province",
    "layer",
    "open_now",
    "confirmed_only",
    "walk_in",
    "vaccine_brand",
    "dose",
    "age_group",
    "test_method",
    # Travel time on roads: threshold_min instead of threshold_km.
    "threshold_min",
    "profile",
    "roads",
)
SUGGESTION_PARAMETERS = ("k", "candidates")
CANDIDATE_KINDS = ("subdistrict_centres", "grid", *(f"facilities:{t}" for t in FACILITY_TYPES))
MAX_THRESHOLD_KM = 200.0
MAX_THRESHOLD_MIN = 600.0
CURVE_MINUTES = tuple(float(m) for m in range(5, 61, 5))
MAX_K = 50
CURVE_KM = tuple(float(km) for km in range(1, 31))
# Grid candidates are spaced at half the threshold, widened if that would make more points.
MAX_GRID_CANDIDATES = 40_000
MAX_ROAD_GRID_CANDIDATES = 300
_KM_PER_DEGREE = 111.32


@dataclass(frozen=True)
class CoverageQuery:
    """What a planner asks; every field is checked by :func:`parse_coverage_query`."""

    types: tuple[str, ...]
    threshold_m: float
    level: int
    province: str | None = None
    layer: str | None = None
    open_now: bool = True
    confirmed_only: bool = False
    walk_in: bool | None = None
    vaccine_brand: str | None = None
    dose: str | None = None
    age_group: str | None = None
    test_method: str | None = None
    # Travel time: minutes by road with a travel profile, on the named road layer
    # or every layer; None means straight-line distance (threshold_m).
    threshold_min: float | None = None
    profile: str | None = None
    roads: str | None = None

    @property
    def by_time(self) -> bool:
        return self.threshold_min is not None

    @property
    def threshold_s(self) -> float:
        return float(self.threshold_min) * 60.0

    def site_filter(self, types: tuple[str, ...] | None = None) -> SiteFilter:
        return SiteFilter(
            types=self.types if types is None else types,
            open_now=self.open_now or self.confirmed_only,
            walk_in=self.walk_in,
            vaccine_brand=self.vaccine_brand,
            dose=self.dose,
            age_group=self.age_group,
            test_method=self.test_method,
        )

    @property
    def capacity(self) -> bool:
        """Beds per area are reported when every chosen type has beds."""
        # Beds are shared out by straight-line distance; not (yet) by travel time.
        return not self.by_time and all(t in CAPACITY_TYPES for t in self.types)

    def as_args(self) -> dict[str, str]:
        """The query as URL parameters (the inverse of parse_coverage_query)."""
        args = {
            "type": ",".join(self.types),
            "threshold_km": f"{self.threshold_m / 1000:.12g}",
            "level": LEVEL_NAMES[self.level],
            "open_now": "true" if self.open_now else "false",
        }
        optional = {
            "province": self.province,
            "layer": self.layer,
            "confirmed_only": "true" if self.confirmed_only else None,
            "walk_in": None if self.walk_in is None else str(self.walk_in).lower(),
            "vaccine_brand": self.vaccine_brand,
            "dose": self.dose,
            "age_group": self.age_group,
            "test_method": self.test_method,
        }
        args.update({name: value for name, value in optional.items() if value is not None})
        if self.by_time:
            del args["threshold_km"]
            args["threshold_min"] = f"{self.threshold_min:.12g}"
            args["profile"] = self.profile or ""
            if self.roads:
                args["roads"] = self.roads
        return args


# -- parsing ----------------------------------------------------------------------------------


def _number(args: Mapping[str, str], name: str, default: float, low: float, high: float):
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise ValidationError(f"parameter '{name}': {raw!r} is not a number", field=name) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ValidationError(
            f"parameter '{name}': {raw!r} is not between {low:g} and {high:g}", field=name
        )
    return value


def parse_coverage_query(args: Mapping[str, str]) -> CoverageQuery:
    """Check every parameter; a bad one is a 400 naming it and quoting the value."""
    types = tuple(
        dict.fromkeys(t.strip() for t in (args.get("type") or "").split(",") if t.strip())
    )
    if not types:
        raise ValidationError(
            f"parameter 'type': give one or more of {', '.join(FACILITY_TYPES)}", field="type"
        )
    for facility_type in types:
        if facility_type not in FACILITY_TYPES:
            raise ValidationError(
                f"parameter 'type': {facility_type!r} is not one of {', '.join(FACILITY_TYPES)}",
                field="type",
            )
    threshold_km = _number(args, "threshold_km", 10.0, 0.0, MAX_THRESHOLD_KM)
    threshold_min, profile, roads = _travel_args(args)
    level_name = (args.get("level") or "district").strip()
    if level_name not in LEVELS:
        raise ValidationError(
            f"parameter 'level': {level_name!r} is not one of {', '.join(LEVELS)}", field="level"
        )
    province = None
    raw_province = (args.get("province") or "").strip()
    if raw_province:
        digits = raw_province.upper().removeprefix("TH")
        if not (len(digits) == 2 and digits.isdigit()):
            raise ValidationError(
                f"parameter 'province': {raw_province!r} is not a province code like TH50 or 50",
                field="province",
            )
        province = "TH" + digits
    layer = (args.get("layer") or "").strip() or None
    return CoverageQuery(
        types=types,
        threshold_m=threshold_km * 1000.0,
        level=LEVELS[level_name],
        province=province,
        layer=layer,
        open_now=bool(parse_flag(args, "open_now", True)),
        confirmed_only=bool(parse_flag(args, "confirmed_only", False)),
        walk_in=parse_flag(args, "walk_in", None),
        vaccine_brand=parse_choice(args, "vaccine_brand", VACCINE_BRANDS),
        dose=parse_choice(args, "dose", DOSES),
        age_group=parse_choice(args, "age_group", AGE_GROUPS),
        test_method=parse_choice(args, "test_method", TEST_METHODS),
        threshold_min=threshold_min,
        profile=profile,
        roads=roads,
    )


def _travel_args(args: Mapping[str, str]) -> tuple[float | None, str | None, str | None]:
    """threshold_min, profile and roads, checked; the profile against the configuration."""
    raw = (args.get("threshold_min") or "").strip()
    profile = (args.get("profile") or "").strip() or None
    roads = (args.get("roads") or "").strip() or None
    if not raw:
        if profile or roads:
            name = "profile" if profile else "roads"
            raise ValidationError(
                f"parameter '{name}': travel time needs 'threshold_min' (minutes by road)",
                field="threshold_min",
            )
        return None, None, None
    if (args.get("threshold_km") or "").strip():
        raise ValidationError(
            "give 'threshold_km' (straight-line distance) or 'threshold_min' (travel time), "
            "not both",
            field="threshold_min",
        )
    minutes = _number(args, "threshold_min", 0.0, 0.0, MAX_THRESHOLD_MIN)
    if minutes <= 0:
        raise ValidationError(
            f"parameter 'threshold_min': {raw!r} is not between 0 and {MAX_THRESHOLD_MIN:g} "
            "minutes (more than 0)",
            field="threshold_min",
        )
    chosen = road_profile(current_app.config, profile)
    return minutes, chosen.name, roads


def parse_suggestion_args(args: Mapping[str, str]) -> tuple[int, str]:
    raw_k = (args.get("k") or "").strip()
    k = 5
    if raw_k:
        if not raw_k.isdigit() or not 1 <= int(raw_k) <= MAX_K:
            raise ValidationError(
                f"parameter 'k': {raw_k!r} is not a whole number from 1 to {MAX_K}", field="k"
            )
        k = int(raw_k)
    candidates = (args.get("candidates") or "subdistrict_centres").strip()
    if candidates not in CANDIDATE_KINDS:
        raise ValidationError(
            f"parameter 'candidates': {candidates!r} is not one of {', '.join(CANDIDATE_KINDS)}",
            field="candidates",
        )
    return k, candidates


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


def _mask(
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
    mask = _mask(snapshot, query.site_filter(), query.confirmed_only, config, now or utcnow())
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


@dataclass(frozen=True, eq=False)
class SuggestionAnswer:
    query: CoverageQuery
    layer: LayerInfo
    facilities: Eligible
    k: int
    candidates: str
    candidate_count: int
    picks: pd.DataFrame  # rank, candidate_id, name_th, name_en, lon, lat, area_code, gain, ...
    total: int
    covered_before: int
    covered_after: int
    roads: list | None = None

    @property
    def share_before(self) -> float:
        return self.covered_before / self.total if self.total else math.nan

    @property
    def share_after(self) -> float:
        return self.covered_after / self.total if self.total else math.nan


@dataclass(frozen=True)
class _Context:
    layer: LayerInfo
    units: pd.DataFrame
    facilities: Eligible
    key: tuple
    # Travel time only: the profile and the road layers the question may use.
    profile: object = None
    road_layers: tuple = ()


def _context(session: Session, query: CoverageQuery, config, now: datetime | None) -> _Context:
    layer = configured_layer(session, query.layer, config)
    if query.level > layer.finest_level:
        raise ValidationError(
            f"parameter 'level': layer {layer.name!r} holds counts per "
            f"{LEVEL_NAMES[layer.finest_level]}, so it cannot answer by "
            f"{LEVEL_NAMES[query.level]}; choose level {LEVEL_NAMES[layer.finest_level]} or a "
            "coarser one",
            field="level",
        )
    areas = area_tables.get(session)
    if query.province and (
        query.province not in areas.names.index or areas.names.at[query.province, "level"] != 1
    ):
        raise ValidationError(
            f"parameter 'province': {query.province!r} is not a province of the registry",
            field="province",
        )
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
        return _Context(layer, units, facilities, key)
    profile = road_profile(config, query.profile)
    road_layers = tuple(coverage_roads.chosen_layers(session, query.roads))
    if not road_layers:
        raise ValidationError(
            "no road network is loaded, so travel time cannot be answered; load one with "
            "'registry roads load FILE --name NAME' or ask by threshold_km",
            field="threshold_min",
        )
    key = (*key, repr(profile), tuple((r.id, r.checksum) for r in road_layers))
    return _Context(layer, units, facilities, key, profile, road_layers)


def travel_times(session: Session, context: _Context, config) -> coverage_roads.TravelTimes:
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
    context = _context(session, query, config, now)
    return travel_times(session, context, config)


def coverage(
    session: Session, query: CoverageQuery, config, *, now: datetime | None = None
) -> CoverageAnswer:
    """People within and beyond the threshold of the eligible facilities, per area."""
    context = _context(session, query, config, now)
    return answers.get_or_compute(
        (*context.key, "areas"), lambda: _coverage(session, query, config, context)
    )


def _coverage(session: Session, query: CoverageQuery, config, context: _Context):
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
    context = _context(session, query, config, now)
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


def _minutes_curve(session: Session, context: _Context, config) -> pd.DataFrame:
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
    context = _context(session, query, config, now)

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


def suggestions(
    session: Session,
    query: CoverageQuery,
    config,
    *,
    k: int,
    candidates: str,
    now: datetime | None = None,
) -> SuggestionAnswer:
    """Up to k new sites among the candidates that would cover the most uncovered people."""
    context = _context(session, query, config, now)
    return answers.get_or_compute(
        (*context.key, "suggestions", k, candidates),
        lambda: _suggestions(session, query, config, context, k, candidates, now),
    )


def _suggestions(session, query, config, context: _Context, k, candidates, now):
    pool = _candidates(session, query, config, candidates, now)
    if query.by_time:
        result = _suggest_by_time(session, query, context, config, pool, k)
        roads = travel_times(session, context, config).attributions
    else:
        result = _suggest_by_distance(context, pool, query, k)
        roads = None
    return _suggestion_answer(query, context, pool, result, k, candidates, roads)


def _suggest_by_distance(context: _Context, pool: pd.DataFrame, query: CoverageQuery, k: int):
    return suggest_sites(
        context.units,
        context.facilities.lon,
        context.facilities.lat,
        pool["lon"].to_numpy(),
        pool["lat"].to_numpy(),
        threshold_m=query.threshold_m,
        k=k,
        candidate_ids=pool["candidate_id"].to_numpy(),
    )


def _suggest_by_time(session, query: CoverageQuery, context: _Context, config, pool, k: int):
    """Greedy maximal covering in minutes: as suggest_sites, with reach by travel time."""
    from geo.coverage import SiteSuggestions

    query_s = query.threshold_s
    times = travel_times(session, context, config)
    weight = context.units["population"].to_numpy().astype(np.int64)
    covered_unit = times.inside & (times.seconds <= query_s)
    total = int(weight[times.inside].sum())
    covered_before = int(weight[covered_unit].sum())
    open_weight = np.where(times.inside & ~covered_unit, weight, 0)
    lon = pool["lon"].to_numpy(dtype=np.float64)
    lat = pool["lat"].to_numpy(dtype=np.float64)
    pointer, members = coverage_roads.candidate_reach(
        times, context.units, lon, lat, query_s, config
    )
    chosen, gains = greedy_cover(pointer, members, open_weight, k)
    chosen = np.asarray(chosen, dtype=np.int64)
    covered = covered_before + np.cumsum(np.asarray(gains, dtype=np.int64))
    picks = pd.DataFrame(
        {
            "rank": np.arange(1, chosen.size + 1, dtype=np.int64),
            "candidate_id": pool["candidate_id"].to_numpy()[chosen],
            "candidate_position": chosen,
            "lon": lon[chosen],
            "lat": lat[chosen],
            "gain": np.asarray(gains, dtype=np.int64),
            "covered": covered.astype(np.int64),
            "share_covered": covered / total if total else np.full(chosen.size, np.nan),
        }
    )
    after = int(covered[-1]) if covered.size else covered_before
    return SiteSuggestions(picks, total, covered_before, after)


def _suggestion_answer(query, context: _Context, pool, result, k, candidates, roads):
    picks = result.picks.drop(columns=["candidate_position"])
    chosen = pool.set_index("candidate_id").loc[picks["candidate_id"]]
    picks.insert(2, "name_th", chosen["name_th"].to_numpy())
    picks.insert(3, "name_en", chosen["name_en"].to_numpy())
    picks["area_code"] = chosen["area_code"].to_numpy()
    return SuggestionAnswer(
        query,
        context.layer,
        context.facilities,
        k,
        candidates,
        len(pool),
        picks,
        result.total,
        result.covered_before,
        result.covered_after,
        roads,
    )


def _candidates(session, query: CoverageQuery, config, kind: str, now) -> pd.DataFrame:
    """Candidate sites: candidate_id, name_th, name_en, lon, lat, area_code."""
    areas = area_tables.get(session)
    if kind == "subdistrict_centres":
        rows = areas.subdistricts(query.province)
        return pd.DataFrame(
            {
                "candidate_id": rows.index.to_numpy(dtype=object),
                "name_th": rows["name_th"].to_numpy(),
                "name_en": rows["name_en"].to_numpy(),
                "lon": rows["lon"].to_numpy(),
                "lat": rows["lat"].to_numpy(),
                "area_code": rows.index.to_numpy(dtype=object),
            }
        )
    if kind == "grid":
        return _grid_candidates(session, areas, query, _road_bounds(session, query))
    facility_type = kind.split(":", 1)[1]
    snapshot = catalogs.get(session).snapshot(session)
    site_filter = SiteFilter(types=(facility_type,), open_now=query.open_now)
    mask = _mask(snapshot, site_filter, False, config, now or utcnow())
    ids = [int(i) for i in snapshot.ids[mask]]
    rows = []
    for start in range(0, len(ids), 900):
        statement = select(
            Facility.id, Facility.name_th, Facility.name_en, Facility.subdistrict_code
        ).where(Facility.id.in_(ids[start : start + 900]))
        if query.province:
            statement = statement.where(Facility.province_code == query.province)
        rows.extend(session.execute(statement))
    position = {int(i): p for p, i in enumerate(snapshot.ids)}
    at = np.array([position[row.id] for row in rows], dtype=np.int64)
    return pd.DataFrame(
        {
            "candidate_id": np.array([f"facility:{row.id}" for row in rows], dtype=object),
            "name_th": [row.name_th for row in rows],
            "name_en": [row.name_en or row.name_th for row in rows],
            "lon": snapshot.lon[at] if at.size else np.empty(0),
            "lat": snapshot.lat[at] if at.size else np.empty(0),
            "area_code": [row.subdistrict_code for row in rows],
        }
    )


def _grid_points(bounds, spacing_km: float, most: int) -> tuple[np.ndarray, np.ndarray]:
    """A regular grid over the box, spacing_km apart, widened to hold at most ``most``."""
    west, south, east, north = bounds
    middle = math.cos(math.radians((south + north) / 2))
    box_km2 = (east - west) * _KM_PER_DEGREE * middle * (north - south) * _KM_PER_DEGREE
    spacing_km = max(spacing_km, math.sqrt(box_km2 / most))
    step_lat = spacing_km / _KM_PER_DEGREE
    step_lon = spacing_km / (_KM_PER_DEGREE * middle)
    lats = np.arange(south + step_lat / 2, north, step_lat)
    lons = np.arange(west + step_lon / 2, east, step_lon)
    grid_lon, grid_lat = np.meshgrid(lons, lats)
    return grid_lon.ravel(), grid_lat.ravel()


def _road_bounds(session, query: CoverageQuery):
    """Travel time: the extents of the road layers the question may use; else None."""
    if not query.by_time:
        return None
    return [layer.bounds for layer in coverage_roads.chosen_layers(session, query.roads)]


def _grid_candidates(session, areas: AreaTable, query: CoverageQuery, roads=None) -> pd.DataFrame:
    """Points of a regular grid inside the province (or the country), half a threshold apart.

    By travel time, one grid per road layer over its extent (within the province), 0.5 km
    apart or wider, at most MAX_ROAD_GRID_CANDIDATES points in all (one road search each).
    """
    from registry.areas.service import locators

    if query.province:
        bounds = areas.geometry[query.province].bounds
    else:
        provinces = areas.names[areas.names["level"] == 1].index
        bounds = shapely.total_bounds([areas.geometry[code] for code in provinces])
    if roads is None:
        boxes = [(bounds, max(query.threshold_m / 2000.0, 0.5), MAX_GRID_CANDIDATES)]
    else:
        boxes = []
        for box in roads:
            inner = (
                max(bounds[0], box[0]),
                max(bounds[1], box[1]),
                min(bounds[2], box[2]),
                min(bounds[3], box[3]),
            )
            if inner[0] < inner[2] and inner[1] < inner[3]:
                boxes.append((inner, 0.5, MAX_ROAD_GRID_CANDIDATES // max(len(roads), 1)))
    points = [_grid_points(*box) for box in boxes]
    grid_lon = np.concatenate([p[0] for p in points]) if points else np.empty(0)
    grid_lat = np.concatenate([p[1] for p in points]) if points else np.empty(0)
    match = locators.get(session).locate(grid_lon, grid_lat, tolerance_m=0.0)
    codes = match.codes
    inside = np.array(
        [c is not None and (not query.province or c.startswith(query.province)) for c in codes],
        dtype=bool,
    )
    codes = codes[inside].astype(str)
    grid_lon, grid_lat = grid_lon[inside], grid_lat[inside]
    names = areas.names.reindex(codes)
    return pd.DataFrame(
        {
            "candidate_id": np.array(
                [f"grid:{y:.5f},{x:.5f}" for x, y in zip(grid_lon, grid_lat, strict=True)],
                dtype=object,
            ),
            "name_th": names["name_th"].to_numpy(),
            "name_en": names["name_en"].to_numpy(),
            "lon": grid_lon,
            "lat": grid_lat,
            "area_code": codes,
        }
    )
