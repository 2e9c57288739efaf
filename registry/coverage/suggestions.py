"""Where new sites would help most: candidates (subdistrict centres, a grid, existing sites of
another type) ranked greedily by the people they would newly cover, by distance or travel time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.coverage import (
    greedy_cover,
    suggest_sites,
)
from registry.coverage import travel_time as coverage_roads
from registry.coverage.population import LayerInfo
from registry.coverage.query import (
    KM_PER_DEGREE,
    MAX_GRID_CANDIDATES,
    MAX_ROAD_GRID_CANDIDATES,
    CoverageQuery,
)
from registry.coverage.service import (
    AreaTable,
    Context,
    Eligible,
    answers,
    area_tables,
    context_of,
    eligible_mask,
    travel_times,
)
from registry.models import Facility, utcnow
from registry.nearest.catalog import SiteFilter, catalogs


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
    context = context_of(session, query, config, now)
    return answers.get_or_compute(
        (*context.key, "suggestions", k, candidates),
        lambda: _suggestions(session, query, config, context, k, candidates, now),
    )


def _suggestions(session, query, config, context: Context, k, candidates, now):
    pool = _candidates(session, query, config, candidates, now)
    if query.by_time:
        result = _suggest_by_time(session, query, context, config, pool, k)
        roads = travel_times(session, context, config).attributions
    else:
        result = _suggest_by_distance(context, pool, query, k)
        roads = None
    return _suggestion_answer(query, context, pool, result, k, candidates, roads)


def _suggest_by_distance(context: Context, pool: pd.DataFrame, query: CoverageQuery, k: int):
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


def _suggest_by_time(session, query: CoverageQuery, context: Context, config, pool, k: int):
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


def _suggestion_answer(query, context: Context, pool, result, k, candidates, roads):
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
    mask = eligible_mask(snapshot, site_filter, False, config, now or utcnow())
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
    box_km2 = (east - west) * KM_PER_DEGREE * middle * (north - south) * KM_PER_DEGREE
    spacing_km = max(spacing_km, math.sqrt(box_km2 / most))
    step_lat = spacing_km / KM_PER_DEGREE
    step_lon = spacing_km / (KM_PER_DEGREE * middle)
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
