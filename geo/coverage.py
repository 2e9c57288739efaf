"""Coverage gaps for planners: who lives too far from an open site, by area, and where to add.

Pure computation on a population layer and facility coordinates. The layer has one row per
population unit (a point standing for some people): columns ``lon`` and ``lat`` (degrees
WGS 84; a GeoDataFrame of points in EPSG:4326 may carry them as its geometry instead),
``population``, an area-code column and optional group columns (people of the unit in each
group, e.g. age bands). :func:`geo.population.spread_population` builds such a layer; it is
*modelled*, and every frame returned here carries ``attrs["modelled"]`` from its input so
that whatever shows the numbers can say so. Facilities are the sites the question is about;
the caller picks them (open sites of one type, say).

Distances
---------
A unit's distance to a facility is the WGS 84 geodesic from the unit to the facility, as
``pyproj.Geod(ellps="WGS84").inv`` computes it with the unit first; the nearest facility is
found exactly by :class:`geo.nearest.NearestIndex`. A unit is *covered* when that distance is
at most ``threshold_m``: a unit exactly at the threshold counts as covered. With no
facilities at all every distance is infinite and nobody is covered.

:func:`coverage_by_area` gives the same answer as computing every unit's geodesic, to the last
bit, while computing few of them: a unit's chord (straight line through the Earth) to its
nearest facility bounds its geodesic from below and, by a curvature argument, from above
within 0.13 mm at 5 km, so the chord alone proves which facility is nearest and on which side
of the threshold the unit lies; an area's median and 90th percentile are located by the
bounds and settled by the exact geodesics of the units that could hold them (see the
section "coverage from chord bounds" in the code).

Areas
-----
Area codes are HDX pcodes: province ``TH50``, district ``TH5001``, subdistrict ``TH500101``.
Level 1, 2 or 3 aggregates on the first 4, 6 or 8 characters of each unit's code, so a layer
coded by subdistrict can be summarised at any level.

Counts
------
Population and group counts are whole people, integer columns, and every total here is an
integer sum. Integer sums do not depend on the order of addition, so results are exact and
identical however the units are ordered or partitioned (which :mod:`geo.dask_coverage`
relies on), and the totals over areas equal the layer's total.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import pandas as pd
from pyproj import Geod
from scipy.spatial import cKDTree

# The index's own ECEF conversion, on the same ellipsoid as the geodesics, so that a chord is
# a lower bound of the geodesic between the same two points.
from geo.cpus import thread_count
from geo.nearest import NearestIndex, ecef
from geo.zorder import z_order

_GEOD = Geod(ellps="WGS84")

LEVELS = {1: 4, 2: 6, 3: 8}
_LEVEL_NAMES = {1: "province", 2: "district", 3: "subdistrict"}
_AREA_CODE = re.compile(r"TH(\d\d){1,3}")

# (numerator, denominator) of the population-weighted quantiles reported per area; fractions,
# so that "at least q of the people" is decided in exact integer arithmetic.
_QUANTILES = {"median_m": (1, 2), "p90_m": (9, 10)}

# A chord never exceeds its geodesic, so a ball of chord radius threshold holds every unit
# within threshold by geodesic. The ball is widened by a metre (and a part per billion) so
# that rounding in the ECEF coordinates can never drop a unit; the extra units are removed
# by the exact geodesic test that follows.
_BALL_SLACK_M = 1.0
_BALL_SLACK_REL = 1e-9

# Capacity is reported per this many people.
_PER_PEOPLE = 10_000


@dataclass(frozen=True)
class SiteSuggestions:
    """The result of :func:`suggest_sites`.

    Attributes
    ----------
    picks : pandas.DataFrame
        One row per chosen candidate in the order chosen: ``rank`` (1, 2, ...),
        ``candidate_id``, ``candidate_position`` (row in the candidate arrays), ``lon``,
        ``lat``, ``gain`` (people newly covered by this pick), ``covered`` (people covered
        after it, existing facilities included) and ``share_covered``.
    total : int
        People in the layer.
    covered_before : int
        People covered by the existing facilities alone.
    covered_after : int
        People covered once every pick is added.
    """

    picks: pd.DataFrame
    total: int
    covered_before: int
    covered_after: int

    @property
    def share_before(self) -> float:
        """Share of the people covered by the existing facilities (NaN with no people)."""
        return _share(self.covered_before, self.total)

    @property
    def share_after(self) -> float:
        """Share of the people covered once every pick is added (NaN with no people)."""
        return _share(self.covered_after, self.total)


@dataclass(frozen=True)
class ServiceLoad:
    """The result of :func:`service_load`.

    Attributes
    ----------
    facilities : pandas.DataFrame
        One row per facility, in input order: ``facility_id``, ``served_population`` (people
        whose nearest facility it is) and, when beds were given, ``beds`` and
        ``beds_per_10k_served``.
    areas : pandas.DataFrame
        One row per area, sorted by code: ``code``, ``population``, ``facilities_serving``
        (facilities nearest to at least one person of the area) and, when beds were given,
        ``beds_allocated`` and ``beds_per_10k``.
    """

    facilities: pd.DataFrame
    areas: pd.DataFrame


# -- public -----------------------------------------------------------------------------------


def coverage_by_area(
    population: pd.DataFrame,
    facility_lon,
    facility_lat,
    *,
    threshold_m: float,
    level: int,
    area_codes_column: str = "area_code",
    group_columns: Sequence[str] = (),
    facility_index: NearestIndex | None = None,
) -> pd.DataFrame:
    """People within and beyond ``threshold_m`` of the nearest facility, per area.

    Each unit's nearest facility and its distance are found exactly by WGS 84 geodesic
    distance, with the result of :meth:`geo.nearest.NearestIndex.nearest_distances`. A unit
    is covered when that distance is at most ``threshold_m``; a unit exactly at the threshold
    is covered. Units are summed per area at ``level`` (the code's first 4, 6 or 8
    characters). Only distances are counted, so which of two equally near facilities is the
    nearest does not matter.

    On large layers (50,000 units and 40 per area or more) the geodesic is computed only
    where a unit's chord bounds (see the module docstring) cannot decide: near-ties between
    two facilities, units within a fraction of a millimetre of the threshold, and the few
    units that could be an area's quantile. The work is then one KD-tree query per unit,
    split over threads, and memory about 40 bytes per unit besides the input. Smaller
    layers get every unit's geodesic, which is as fast there. Both give the same table.

    ``median_m`` and ``p90_m`` are population-weighted lower quantiles of the distance: the
    smallest distance within which at least half (nine tenths) of the area's people live.
    They are taken from the units' own distances, never interpolated. With no facilities
    every distance is ``inf``, nobody is covered, and both quantiles are ``inf``. An area
    whose units all hold zero people appears with population 0 and NaN share and
    quantiles; areas with no unit in the layer do not appear.

    Parameters
    ----------
    population : pandas.DataFrame
        Population units: ``lon``, ``lat`` (or a point geometry in EPSG:4326),
        ``population`` (non-negative integers), the area-code column and the group columns
        (non-negative integers).
    facility_lon, facility_lat : array_like of float
        Facility coordinates in degrees WGS 84; may be empty. Pass None for both when
        ``facility_index`` is given.
    threshold_m : float
        Coverage distance in metres, finite and non-negative.
    level : int
        1 province, 2 district, 3 subdistrict.
    area_codes_column : str, default "area_code"
        Column of HDX pcodes. A unit coded coarser than ``level`` (people known only by
        district, such as those of a subdistrict newer than the boundaries) is summed in a
        row of its own coarser code, so nobody is lost from the table.
    group_columns : sequence of str, default ()
        Population groups to report, e.g. ``geo.population.AGE_GROUPS``.
    facility_index : geo.nearest.NearestIndex, optional
        A prebuilt index over the facilities, to save rebuilding it across calls.

    Returns
    -------
    pandas.DataFrame
        One row per area, sorted by code: ``code``, ``population``, ``covered``,
        ``uncovered`` (int64), ``share_covered``, ``median_m``, ``p90_m`` (float64), and for
        each group ``g``: ``g_population``, ``g_covered``, ``g_uncovered``,
        ``g_share_covered``. ``attrs["modelled"]`` is copied from the input.

    Raises
    ------
    ValueError
        If a column is missing or holds a bad value, the level or threshold is invalid, or
        the facility inputs are inconsistent.

    Examples
    --------
    Three towns on the meridian 100°E, one facility at the first; one degree of latitude
    here is about 110.6 km:

    >>> towns = pd.DataFrame(
    ...     {
    ...         "lon": [100.0, 100.0, 100.0],
    ...         "lat": [14.0, 15.0, 16.0],
    ...         "population": [100, 200, 300],
    ...         "area_code": ["TH100101", "TH100102", "TH110101"],
    ...     }
    ... )
    >>> table = coverage_by_area(towns, [100.0], [14.0], threshold_m=150_000, level=1)
    >>> table[["code", "population", "covered", "uncovered"]].to_dict("records")
    [{'code': 'TH10', 'population': 300, 'covered': 300, 'uncovered': 0}, \
{'code': 'TH11', 'population': 300, 'covered': 0, 'uncovered': 300}]
    >>> table["median_m"].round().tolist()
    [110644.0, 221298.0]
    """
    level = _check_level(level)
    _check_threshold(threshold_m, "threshold_m")
    group_columns = _check_group_columns(group_columns)
    units = _read_units(
        population, area_codes_column=area_codes_column, level=level, group_columns=group_columns
    )
    index = _facility_index(facility_lon, facility_lat, facility_index)
    if index is not None and _bounds_pay_off(units):
        table = _bounded_area_table(index, units, float(threshold_m))
    else:
        _, distance = _nearest(index, units.lon, units.lat)
        table = _area_table(
            units.area_index,
            units.area_codes,
            units.weight,
            distance,
            float(threshold_m),
            units.groups,
        )
    table.attrs["modelled"] = _modelled(population)
    return table


def coverage_by_area_of_costs(
    population: pd.DataFrame,
    cost,
    *,
    threshold: float,
    level: int,
    area_codes_column: str = "area_code",
    group_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """People within and beyond ``threshold`` per area, from each unit's given cost.

    The cost is whatever the caller measured from the unit to its nearest facility, for
    example the travel time in seconds on a road network (:mod:`geo.routing`); ``inf``
    means no facility can be reached. A unit is covered when its cost is at most
    ``threshold``. The table is :func:`coverage_by_area`'s, with the quantile columns named
    ``median`` and ``p90`` (in the cost's unit) instead of ``median_m`` and ``p90_m``.

    Examples
    --------
    >>> towns = pd.DataFrame(
    ...     {"lon": [100.0, 100.0], "lat": [14.0, 15.0], "population": [10, 30],
    ...      "area_code": ["TH100101", "TH100102"]}
    ... )
    >>> table = coverage_by_area_of_costs(towns, [600.0, 2400.0], threshold=1800, level=1)
    >>> table[["code", "covered", "uncovered", "median"]].values.tolist()
    [['TH10', 10, 30, 2400.0]]
    """
    level = _check_level(level)
    _check_threshold(threshold, "threshold")
    group_columns = _check_group_columns(group_columns)
    units = _read_units(
        population, area_codes_column=area_codes_column, level=level, group_columns=group_columns
    )
    cost = np.asarray(cost, dtype=np.float64)
    if cost.shape != units.weight.shape or np.isnan(cost).any() or (cost < 0).any():
        raise ValueError("cost must hold one non-negative number (or inf) per unit")
    table = _area_table(
        units.area_index, units.area_codes, units.weight, cost, float(threshold), units.groups
    )
    table = table.rename(columns={"median_m": "median", "p90_m": "p90"})
    table.attrs["modelled"] = _modelled(population)
    return table


def greedy_cover(
    pointer: np.ndarray, members: np.ndarray, open_weight: np.ndarray, k: int
) -> tuple[list[int], list[int]]:
    """Greedy maximal covering over candidates' reach given as CSR arrays.

    Candidate ``c`` reaches units ``members[pointer[c]:pointer[c + 1]]``; ``open_weight``
    holds the people of each unit not yet covered (it is zeroed where picks cover). Returns
    the picked candidate positions and their gains, as :func:`suggest_sites` does (ties to
    the lowest position; stops when no candidate adds anyone).
    """
    return _greedy_cover(pointer, members, open_weight, int(k))


def coverage_curve(
    population: pd.DataFrame,
    facility_lon,
    facility_lat,
    thresholds_m,
    *,
    facility_index: NearestIndex | None = None,
) -> pd.DataFrame:
    """Share of the people covered at each of several distances, from one nearest search.

    Every unit's nearest-facility distance is computed once (exact WGS 84 geodesic, see
    :func:`coverage_by_area`); the distances are sorted with their people, and each
    threshold is answered by a binary search in the cumulative sum. A unit exactly at a
    threshold is covered at it.

    Parameters
    ----------
    population : pandas.DataFrame
        Population units, as for :func:`coverage_by_area` (no area code needed).
    facility_lon, facility_lat : array_like of float
        Facility coordinates in degrees WGS 84; may be empty (then nobody is covered).
    thresholds_m : array_like of float
        Distances in metres, finite and non-negative, in any order.
    facility_index : geo.nearest.NearestIndex, optional
        A prebuilt index over the facilities.

    Returns
    -------
    pandas.DataFrame
        One row per threshold, in the order given: ``threshold_m``, ``covered``,
        ``uncovered`` (int64) and ``share_covered`` (NaN when the layer holds nobody).

    Raises
    ------
    ValueError
        If the layer, the thresholds or the facility inputs are invalid.

    Examples
    --------
    >>> towns = pd.DataFrame(
    ...     {"lon": [100.0, 100.0, 100.0], "lat": [14.0, 15.0, 16.0], "population": [1, 2, 3]}
    ... )
    >>> curve = coverage_curve(towns, [100.0], [14.0], [0, 150_000, 250_000])
    >>> curve[["threshold_m", "covered", "share_covered"]].values.tolist()
    [[0.0, 1.0, 0.16666666666666666], [150000.0, 3.0, 0.5], [250000.0, 6.0, 1.0]]
    """
    thresholds = np.asarray(thresholds_m)
    if thresholds.ndim != 1 or (thresholds.size and thresholds.dtype.kind not in "iuf"):
        raise ValueError(f"thresholds_m must be a 1-D array of metres, got {thresholds_m!r}"[:200])
    thresholds = thresholds.astype(np.float64)
    for value in thresholds:
        _check_threshold(float(value), "thresholds_m value")
    units = _read_units(population)
    index = _facility_index(facility_lon, facility_lat, facility_index)
    _, distance = _nearest(index, units.lon, units.lat)

    order = np.argsort(distance, kind="stable")
    cumulative = np.concatenate(([0], np.cumsum(units.weight[order])))
    reached = np.searchsorted(distance[order], thresholds, side="right")
    covered = cumulative[reached]
    total = int(cumulative[-1])
    curve = pd.DataFrame(
        {
            "threshold_m": thresholds,
            "covered": covered.astype(np.int64),
            "uncovered": (total - covered).astype(np.int64),
            "share_covered": _shares(covered, np.full(covered.size, total)),
        }
    )
    curve.attrs["modelled"] = _modelled(population)
    return curve


def suggest_sites(
    population: pd.DataFrame,
    facility_lon,
    facility_lat,
    candidate_lon,
    candidate_lat,
    *,
    threshold_m: float,
    k: int,
    candidate_ids=None,
) -> SiteSuggestions:
    """Choose up to ``k`` new sites among candidates to cover the most uncovered people.

    Greedy maximal covering: people already within ``threshold_m`` of an existing facility
    are covered; then, ``k`` times, the candidate covering the most people not yet covered
    is picked and its people marked covered. A candidate covers a unit when the WGS 84
    geodesic from the unit to the candidate (``Geod.inv``, unit first, as in
    :func:`coverage_by_area`) is at most ``threshold_m``, so adding the picks as facilities
    and calling :func:`coverage_by_area` reproduces ``covered_after`` exactly. Units within
    reach of each candidate are proposed by a KD-tree over ECEF coordinates, with a ball of
    chord radius ``threshold_m`` (a chord never exceeds its geodesic, so no unit within reach
    is missed), then kept only if their geodesic distance passes.

    Ties in gain go to the candidate listed first (lowest position in the candidate arrays).
    The search stops early when no candidate would cover anyone more, so fewer than ``k``
    picks mean the rest would add nobody. Gains never increase from one pick to the next.
    Greedy covering is within a factor 1 - 1/e of the best possible choice of ``k`` sites;
    it is a planning aid, not an optimum.

    The work is one nearest search, one ball query per candidate over the uncovered units,
    and a lazy greedy loop: candidates wait in a heap keyed by their last known gain, and
    since gains only shrink, a candidate whose recomputed gain still tops the heap is the
    best. Memory grows with the number of (candidate, uncovered unit) pairs within reach.

    Parameters
    ----------
    population : pandas.DataFrame
        Population units, as for :func:`coverage_by_area` (no area code needed).
    facility_lon, facility_lat : array_like of float
        Existing facilities in degrees WGS 84; may be empty.
    candidate_lon, candidate_lat : array_like of float
        Candidate sites in degrees WGS 84.
    threshold_m : float
        Coverage distance in metres, finite and non-negative.
    k : int
        Most sites to pick; a positive integer.
    candidate_ids : array_like, optional
        One unique id per candidate, reported with the picks; default the positions.

    Returns
    -------
    SiteSuggestions
        The picks with their gains and running coverage, and the coverage before and after.

    Raises
    ------
    ValueError
        If an input is invalid.

    Examples
    --------
    >>> towns = pd.DataFrame(
    ...     {"lon": [100.0, 100.0, 100.0], "lat": [14.0, 15.0, 16.0], "population": [1, 2, 3]}
    ... )
    >>> result = suggest_sites(
    ...     towns, [100.0], [14.0], [100.0, 100.0], [15.0, 16.0], threshold_m=50_000, k=2,
    ...     candidate_ids=["A", "B"],
    ... )
    >>> result.picks[["candidate_id", "gain", "covered"]].values.tolist()
    [['B', 3, 4], ['A', 2, 6]]
    >>> result.share_before, result.share_after
    (0.16666666666666666, 1.0)
    """
    _check_threshold(threshold_m, "threshold_m")
    if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
        raise ValueError(f"k must be a positive integer (sites to pick), got {k!r}")
    units = _read_units(population)
    candidate_lon = _coordinates(candidate_lon, "candidate_lon", _LON_LIMIT)
    candidate_lat = _coordinates(candidate_lat, "candidate_lat", _LAT_LIMIT)
    _same_length(candidate_lon, candidate_lat, "candidate_lon", "candidate_lat")
    ids = _candidate_ids(candidate_ids, candidate_lon.size)
    index = _facility_index(facility_lon, facility_lat, None)
    _, distance = _nearest(index, units.lon, units.lat)
    threshold = float(threshold_m)

    total = int(units.weight.sum())
    covered_before = int(units.weight[distance <= threshold].sum())
    # Only units with people and not yet covered can add to a gain.
    open_units = np.flatnonzero((distance > threshold) & (units.weight > 0))
    pointer, members = _reach(
        units.lon[open_units], units.lat[open_units], candidate_lon, candidate_lat, threshold
    )
    chosen, gains = _greedy_cover(pointer, members, units.weight[open_units].copy(), int(k))

    covered = covered_before + np.cumsum(np.asarray(gains, dtype=np.int64))
    chosen = np.asarray(chosen, dtype=np.int64)
    picks = pd.DataFrame(
        {
            "rank": np.arange(1, chosen.size + 1, dtype=np.int64),
            "candidate_id": ids[chosen],
            "candidate_position": chosen,
            "lon": candidate_lon[chosen],
            "lat": candidate_lat[chosen],
            "gain": np.asarray(gains, dtype=np.int64),
            "covered": covered.astype(np.int64),
            "share_covered": _shares(covered, np.full(covered.size, total)),
        }
    )
    picks.attrs["modelled"] = _modelled(population)
    covered_after = int(covered[-1]) if covered.size else covered_before
    return SiteSuggestions(picks, total, covered_before, covered_after)


def service_load(
    population: pd.DataFrame,
    facility_lon,
    facility_lat,
    facility_ids,
    beds=None,
    *,
    level: int,
    area_codes_column: str = "area_code",
) -> ServiceLoad:
    """People each facility would serve by nearest assignment, and beds per area.

    Every unit is assigned to its nearest facility by WGS 84 geodesic distance (ties to the
    smaller facility id; see :class:`geo.nearest.NearestIndex`). A facility's served
    population is the people assigned to it.

    Beds per area: each facility's beds are shared among the areas it serves in proportion
    to the people it serves there, so an area's ``beds_allocated`` is
    ``sum over facilities f of beds_f * served_f(area) / served_f`` and ``beds_per_10k`` is
    that per 10,000 of the area's people. Equivalently, it is the population-weighted mean,
    over the area's people, of their nearest facility's beds per person. This is chosen over
    "beds of the facilities whose served people live in the area" because it counts every
    bed once: the areas' allocations add up to the beds of the facilities serving anyone,
    and a hospital on a district border lends its beds to both districts in proportion,
    instead of whole to each. Beds of a facility that is nobody's nearest are allocated to
    no area (they show in the facility table with ``served_population`` 0).

    Parameters
    ----------
    population : pandas.DataFrame
        Population units, as for :func:`coverage_by_area`.
    facility_lon, facility_lat : array_like of float
        Facility coordinates in degrees WGS 84; may be empty.
    facility_ids : array_like of int
        Unique integer ids, one per facility.
    beds : array_like of float, optional
        Beds per facility, finite and non-negative; without them only served population and
        the number of serving facilities are reported.
    level : int
        1 province, 2 district, 3 subdistrict.
    area_codes_column : str, default "area_code"
        Column of HDX pcodes.

    Returns
    -------
    ServiceLoad
        A facility table and an area table (see :class:`ServiceLoad`); areas with no people
        have NaN ``beds_per_10k``.

    Raises
    ------
    ValueError
        If an input is invalid.

    Examples
    --------
    >>> towns = pd.DataFrame(
    ...     {
    ...         "lon": [100.0, 100.0, 100.0],
    ...         "lat": [14.0, 14.1, 15.0],
    ...         "population": [3_000, 1_000, 4_000],
    ...         "area_code": ["TH1001", "TH1002", "TH1002"],
    ...     }
    ... )
    >>> load = service_load(towns, [100.0, 100.0], [14.0, 15.0], [7, 8], [10, 40], level=2)
    >>> load.facilities[["facility_id", "served_population"]].values.tolist()
    [[7, 4000], [8, 4000]]
    >>> load.areas[["code", "beds_allocated", "beds_per_10k"]].values.tolist()
    [['TH1001', 7.5, 25.0], ['TH1002', 42.5, 85.0]]
    """
    level = _check_level(level)
    units = _read_units(population, area_codes_column=area_codes_column, level=level)
    facility_lon = _coordinates(facility_lon, "facility_lon", _LON_LIMIT)
    facility_lat = _coordinates(facility_lat, "facility_lat", _LAT_LIMIT)
    _same_length(facility_lon, facility_lat, "facility_lon", "facility_lat")
    ids = np.asarray(facility_ids)
    if ids.shape != facility_lon.shape:
        raise ValueError(
            f"facility_ids must have one id per facility ({facility_lon.size}), got shape "
            f"{ids.shape}"
        )
    if ids.size and ids.dtype.kind not in "iu":
        raise ValueError(f"facility_ids must be integers, got dtype {ids.dtype}")
    bed_counts = None if beds is None else _beds(beds, facility_lon.size)
    index = NearestIndex(ids, facility_lon, facility_lat) if facility_lon.size else None
    positions, _ = _nearest(index, units.lon, units.lat)
    return _load_tables(units, positions, ids, bed_counts)


# -- population layer -------------------------------------------------------------------------

_LON_LIMIT = (180.0, "longitude")
_LAT_LIMIT = (90.0, "latitude")


@dataclass(frozen=True)
class _Units:
    """The layer as arrays: coordinates, people, area of each unit, group counts."""

    lon: np.ndarray
    lat: np.ndarray
    weight: np.ndarray
    area_index: np.ndarray | None
    area_codes: np.ndarray | None
    groups: dict[str, np.ndarray]


def _read_units(
    population,
    *,
    area_codes_column: str | None = None,
    level: int | None = None,
    group_columns: tuple[str, ...] = (),
) -> _Units:
    if not isinstance(population, pd.DataFrame):
        raise ValueError(
            f"population must be a DataFrame of units, got {type(population).__name__}"
        )
    lon, lat = _unit_coordinates(population)
    weight = _counts(population, "population")
    groups = {name: _counts(population, name) for name in group_columns}
    area_index = area_codes = None
    if area_codes_column is not None:
        area_index, area_codes = _area_codes(population, area_codes_column, level)
    return _Units(lon, lat, weight, area_index, area_codes, groups)


def _unit_coordinates(population: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if "lon" in population.columns and "lat" in population.columns:
        lon = population["lon"].to_numpy()
        lat = population["lat"].to_numpy()
    elif _has_point_geometry(population):
        crs = population.crs
        if crs is not None and crs.to_epsg() != 4326:
            raise ValueError(
                "population has no lon/lat columns and its geometry is in "
                f"{crs.to_string()!r}; give lon/lat or points in EPSG:4326"
            )
        geometry = population.geometry
        lon = geometry.x.to_numpy()
        lat = geometry.y.to_numpy()
    else:
        raise ValueError(
            "population needs 'lon' and 'lat' columns (degrees WGS 84) or point geometry"
        )
    return (
        _coordinates(lon, "population lon", _LON_LIMIT),
        _coordinates(lat, "population lat", _LAT_LIMIT),
    )


def _has_point_geometry(frame: pd.DataFrame) -> bool:
    geometry = getattr(frame, "geometry", None)
    return (
        geometry is not None
        and hasattr(geometry, "geom_type")
        and bool((geometry.geom_type == "Point").all())
    )


def _counts(population: pd.DataFrame, column: str) -> np.ndarray:
    if column not in population.columns:
        raise ValueError(f"population has no column {column!r}")
    values = population[column].to_numpy()
    if values.dtype.kind not in "iu":
        raise ValueError(
            f"population column {column!r} must hold whole numbers of people (an integer "
            f"dtype), got dtype {values.dtype}"
        )
    negative = values < 0
    if negative.any():
        row = int(np.argmax(negative))
        raise ValueError(
            f"population row {row}: {column} = {int(values[row])} is negative; counts of "
            "people must be 0 or more"
        )
    return values.astype(np.int64, copy=False)


def _area_codes(population: pd.DataFrame, column: str, level: int) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's area at ``level`` as an index into the sorted area codes."""
    if column not in population.columns:
        raise ValueError(f"population has no column {column!r} (the area codes)")
    # Factorising first means the codes are checked and cut once per distinct code, not
    # once per unit: a country-scale layer repeats a few thousand codes millions of times.
    unit_code, distinct = pd.factorize(population[column], use_na_sentinel=True)
    if (unit_code < 0).any():
        row = int(np.argmax(unit_code < 0))
        raise ValueError(f"population row {row}: {column} is missing; every unit needs a code")
    length = LEVELS[level]
    prefixes = []
    for code in distinct:
        if not isinstance(code, str) or not _AREA_CODE.fullmatch(code):
            row = int(np.argmax(population[column].to_numpy(dtype=object) == code))
            raise ValueError(
                f"population row {row}: {column} {code!r} is not an HDX pcode ('TH' and 2, 4 "
                "or 6 digits)"
            )
        # A coarser code stays whole: its people form a row of their own at this level.
        prefixes.append(code[:length])
    area_codes, prefix_index = np.unique(np.array(prefixes, dtype=object), return_inverse=True)
    return prefix_index[unit_code].astype(np.int64), area_codes


def _modelled(population: pd.DataFrame) -> bool:
    return bool(population.attrs.get("modelled", False))


# -- facilities and distances -----------------------------------------------------------------


def _facility_index(facility_lon, facility_lat, facility_index) -> NearestIndex | None:
    """A NearestIndex over the facilities (ids = positions), or None when there are none."""
    if facility_index is not None:
        if not isinstance(facility_index, NearestIndex):
            raise ValueError(
                "facility_index must be a geo.nearest.NearestIndex, got "
                f"{type(facility_index).__name__}"
            )
        for given, held, name in (
            (facility_lon, facility_index.lon, "facility_lon"),
            (facility_lat, facility_index.lat, "facility_lat"),
        ):
            if given is not None and not np.array_equal(np.asarray(given, dtype=float), held):
                raise ValueError(
                    f"{name} differs from the coordinates of facility_index; pass None or "
                    "the same coordinates"
                )
        return facility_index if len(facility_index) else None
    if facility_lon is None or facility_lat is None:
        raise ValueError("facility_lon and facility_lat are needed when facility_index is None")
    lon = _coordinates(facility_lon, "facility_lon", _LON_LIMIT)
    lat = _coordinates(facility_lat, "facility_lat", _LAT_LIMIT)
    _same_length(lon, lat, "facility_lon", "facility_lat")
    if lon.size == 0:
        return None
    return NearestIndex(np.arange(lon.size), lon, lat)


def _nearest(
    index: NearestIndex | None, lon: np.ndarray, lat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest facility position (-1 if none) and geodesic distance (inf if none) per unit."""
    if index is None or lon.size == 0:
        return np.full(lon.size, -1, dtype=np.int64), np.full(lon.size, np.inf)
    if lon.size < _SORT_QUERIES_FROM:
        return index.nearest_distances(lon, lat)
    # In Z-order the KD-tree queries are 3-4x faster (see geo.zorder); a 256 x 256 grid keeps
    # the key to 16 bits, one sorting pass. The answer for each point does not depend on the
    # order, so the result is the same.
    order = z_order(lon, lat, bits=8)
    positions = np.empty(lon.size, dtype=np.int64)
    distance = np.empty(lon.size, dtype=np.float64)
    positions[order], distance[order] = index.nearest_distances(lon[order], lat[order])
    return positions, distance


# Below this many points the sort costs more than it saves.
_SORT_QUERIES_FROM = 50_000


def _reach(
    unit_lon: np.ndarray,
    unit_lat: np.ndarray,
    candidate_lon: np.ndarray,
    candidate_lat: np.ndarray,
    threshold: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Units within ``threshold`` of each candidate, as CSR arrays (pointer, members)."""
    empty = np.zeros(candidate_lon.size + 1, dtype=np.int64), np.empty(0, dtype=np.int64)
    if unit_lon.size == 0 or candidate_lon.size == 0:
        return empty
    tree = cKDTree(ecef(unit_lon, unit_lat))
    radius = threshold + _BALL_SLACK_M + _BALL_SLACK_REL * threshold
    balls = tree.query_ball_point(
        ecef(candidate_lon, candidate_lat), radius, workers=-1, return_sorted=True
    )
    sizes = np.fromiter((len(ball) for ball in balls), dtype=np.int64, count=len(balls))
    members = np.concatenate([np.asarray(ball, dtype=np.int64) for ball in balls])
    owner = np.repeat(np.arange(candidate_lon.size), sizes)
    # Unit first, as NearestIndex measures, so a pick's coverage matches coverage_by_area's
    # to the last bit.
    distance = _GEOD.inv(
        unit_lon[members], unit_lat[members], candidate_lon[owner], candidate_lat[owner]
    )[2]
    within = distance <= threshold
    members = members[within]
    pointer = np.concatenate(([0], np.cumsum(np.bincount(owner[within], minlength=sizes.size))))
    return pointer.astype(np.int64), members


def _greedy_cover(
    pointer: np.ndarray, members: np.ndarray, open_weight: np.ndarray, k: int
) -> tuple[list[int], list[int]]:
    """Lazy greedy maximal covering; zeroes ``open_weight`` of the units it covers."""
    running = np.concatenate(([0], np.cumsum(open_weight[members])))
    gains = running[pointer[1:]] - running[pointer[:-1]]
    # Heap entries are (-gain, position): the largest gain first, ties to the lowest position.
    heap = [(-int(gain), int(position)) for position, gain in enumerate(gains) if gain > 0]
    heapq.heapify(heap)
    chosen: list[int] = []
    chosen_gains: list[int] = []
    while heap and len(chosen) < k:
        stale_gain, position = heapq.heappop(heap)
        reached = members[pointer[position] : pointer[position + 1]]
        gain = int(open_weight[reached].sum())
        if gain == -stale_gain:
            # Every other entry's true gain is at most its stored key, which ranks no higher
            # than this entry, so this is the best candidate under the tie rule.
            chosen.append(position)
            chosen_gains.append(gain)
            open_weight[reached] = 0
        elif gain > 0:
            heapq.heappush(heap, (-gain, position))
    return chosen, chosen_gains


def _candidate_ids(candidate_ids, count: int) -> np.ndarray:
    if candidate_ids is None:
        return np.arange(count, dtype=np.int64)
    ids = np.asarray(candidate_ids)
    if ids.shape != (count,):
        raise ValueError(
            f"candidate_ids must have one id per candidate ({count}), got shape {ids.shape}"
        )
    unique = pd.Index(ids)
    if not unique.is_unique:
        repeated = unique[unique.duplicated()].tolist()[0]
        raise ValueError(f"candidate_ids must be unique; {repeated!r} appears more than once")
    return ids


def _beds(beds, count: int) -> np.ndarray:
    values = np.asarray(beds)
    if values.shape != (count,) or (values.size and values.dtype.kind not in "iuf"):
        raise ValueError(
            f"beds must hold one number per facility ({count}), got shape {values.shape} "
            f"and dtype {values.dtype}"
        )
    values = values.astype(np.float64)
    bad = ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        position = int(np.argmax(bad))
        raise ValueError(
            f"beds[{position}] = {float(values[position])!r} is not a finite, non-negative "
            "number of beds; leave facilities with unknown beds out or give 0"
        )
    return values


# -- aggregation ------------------------------------------------------------------------------


def _area_table(
    area_index: np.ndarray,
    area_codes: np.ndarray,
    weight: np.ndarray,
    distance: np.ndarray,
    threshold: float,
    groups: dict[str, np.ndarray],
) -> pd.DataFrame:
    """Sum units per area; the result does not depend on the order of the units."""
    columns = _empty_area_columns(groups)
    if area_index.size == 0:
        return pd.DataFrame(columns)

    order = _area_distance_order(area_index, distance, area_codes.size)
    sorted_area = area_index[order]
    sorted_weight = weight[order]
    sorted_distance = distance[order]
    covered_unit = sorted_distance <= threshold
    # Areas come from the units themselves, so every area starts somewhere.
    starts = np.searchsorted(sorted_area, np.arange(area_codes.size))

    population = np.add.reduceat(sorted_weight, starts)
    covered = np.add.reduceat(np.where(covered_unit, sorted_weight, 0), starts)
    columns["code"] = area_codes.astype(str)
    columns["population"] = population
    columns["covered"] = covered
    columns["uncovered"] = population - covered
    columns["share_covered"] = _shares(covered, population)
    running = np.cumsum(sorted_weight)
    before = running[starts] - sorted_weight[starts]
    for name, (numerator, denominator) in _QUANTILES.items():
        columns[name] = _weighted_quantile(
            sorted_distance, running, before, population, numerator, denominator
        )
    for name, counts in groups.items():
        sorted_counts = counts[order]
        group_population = np.add.reduceat(sorted_counts, starts)
        group_covered = np.add.reduceat(np.where(covered_unit, sorted_counts, 0), starts)
        columns[f"{name}_population"] = group_population
        columns[f"{name}_covered"] = group_covered
        columns[f"{name}_uncovered"] = group_population - group_covered
        columns[f"{name}_share_covered"] = _shares(group_covered, group_population)
    return pd.DataFrame(columns)


def _area_distance_order(area_index: np.ndarray, distance: np.ndarray, n_areas: int) -> np.ndarray:
    """Unit order by area, then distance (as ``np.lexsort((distance, area_index))``)."""
    # Ties in distance may come in any order: no result depends on their order.
    by_distance = np.argsort(distance)
    # A stable sort of small integers is a radix sort in NumPy, several times faster than
    # lexsort on ten million units; the ties keep the distance order of the first pass.
    narrow = np.int16 if n_areas <= np.iinfo(np.int16).max else np.int64
    by_area = np.argsort(area_index[by_distance].astype(narrow), kind="stable")
    return by_distance[by_area]


def _empty_area_columns(groups) -> dict[str, np.ndarray]:
    counts = np.empty(0, dtype=np.int64)
    floats = np.empty(0, dtype=np.float64)
    columns = {
        "code": np.empty(0, dtype=str),
        "population": counts,
        "covered": counts,
        "uncovered": counts,
        "share_covered": floats,
        **{name: floats for name in _QUANTILES},
    }
    for name in groups:
        columns.update(
            {
                f"{name}_population": counts,
                f"{name}_covered": counts,
                f"{name}_uncovered": counts,
                f"{name}_share_covered": floats,
            }
        )
    return columns


def _weighted_quantile(
    sorted_distance: np.ndarray,
    running: np.ndarray,
    before: np.ndarray,
    population: np.ndarray,
    numerator: int,
    denominator: int,
) -> np.ndarray:
    """Smallest distance within which at least numerator/denominator of the people live.

    ``running`` is the cumulative people over units sorted by (area, distance), ``before``
    the running total before each area. The first unit whose running total reaches
    ``before + ceil(q * population)`` is the quantile; it lies inside the area because that
    target is above ``before`` and at most the area's end.
    """
    target = (numerator * population + denominator - 1) // denominator
    reached = np.searchsorted(running, before + np.maximum(target, 1), side="left")
    reached = np.minimum(reached, sorted_distance.size - 1)
    return np.where(population > 0, sorted_distance[reached], np.nan)


def _load_tables(
    units: _Units, positions: np.ndarray, ids: np.ndarray, beds: np.ndarray | None
) -> ServiceLoad:
    n_facilities = ids.size
    n_areas = units.area_codes.size
    assigned = positions >= 0
    # Integer sums over (area, facility) pairs first; beds enter only at the end, so the
    # result does not depend on the order of the units.
    pair = units.area_index[assigned] * max(n_facilities, 1) + positions[assigned]
    pairs, pair_of_unit = np.unique(pair, return_inverse=True)
    pair_people = np.zeros(pairs.size, dtype=np.int64)
    np.add.at(pair_people, pair_of_unit, units.weight[assigned])
    pair_area = pairs // max(n_facilities, 1)
    pair_facility = pairs % max(n_facilities, 1)

    served = np.zeros(n_facilities, dtype=np.int64)
    np.add.at(served, pair_facility, pair_people)
    area_population = np.zeros(n_areas, dtype=np.int64)
    np.add.at(area_population, units.area_index, units.weight)
    serving = np.zeros(n_areas, dtype=np.int64)
    np.add.at(serving, pair_area, (pair_people > 0).astype(np.int64))

    facilities = pd.DataFrame({"facility_id": ids, "served_population": served})
    areas = pd.DataFrame(
        {
            "code": units.area_codes.astype(str),
            "population": area_population,
            "facilities_serving": serving,
        }
    )
    if beds is not None:
        facilities["beds"] = beds
        facilities["beds_per_10k_served"] = _shares(beds * _PER_PEOPLE, served)
        share = np.divide(
            pair_people,
            served[pair_facility],
            out=np.zeros(pairs.size),
            where=served[pair_facility] > 0,
        )
        allocated = np.zeros(n_areas)
        np.add.at(allocated, pair_area, beds[pair_facility] * share)
        areas["beds_allocated"] = allocated
        areas["beds_per_10k"] = _shares(allocated * _PER_PEOPLE, area_population)
    return ServiceLoad(facilities, areas)


# -- coverage from chord bounds ---------------------------------------------------------------
#
# coverage_by_area reports, per area, sums of people within the threshold and two quantiles,
# each of which is one unit's distance. So a unit's exact geodesic is needed only when the
# unit sits so near the threshold or near a quantile that nothing cheaper can place it. The
# KD-tree's chord gives both bounds. Lower: a chord never exceeds its geodesic. Upper:
# a geodesic of length s on WGS 84 is a space curve whose curvature never exceeds
# 1/rho, rho = b^2/a being the smallest radius of curvature of the ellipsoid (the meridian's
# at the equator); by Schur's comparison theorem its chord c is then at least that of a
# circular arc of radius rho and the same length, c >= 2 rho sin(s / 2 rho), so
# s <= 2 rho asin(c / 2 rho) while s <= pi rho. Since asin(x) <= x + x^3 / (6 (1 - x^2)) (every
# coefficient of its series past the first is at most 1/6), s <= c + c^3 / (24 rho^2 (1 - x^2))
# with x = c / 2 rho. The bound is used for chords up to _CHORD_LIMIT_M only. There s stays
# below pi rho (about 19,900 km): as the second point moves away from the first within that
# chord (a connected cap), s grows continuously from 0, and wherever s <= pi rho the bound
# keeps it under 1,001 km, so it can never reach pi rho. The cubic term is below 1.05 km at
# 1,000 km and 0.13 mm at 5 km, so almost every unit is decided by its chord alone.

# The smallest radius of curvature of the ellipsoid the geodesics are measured on.
_RHO_M = float(_GEOD.b) ** 2 / float(_GEOD.a)
_CHORD_LIMIT_M = 1_000_000.0
# 1/(24 rho^2 (1 - x^2)) at the longest chord bounded; rounded up by a part per billion.
_CUBIC = (1.0 + 1e-9) / (24.0 * _RHO_M**2 * (1.0 - (_CHORD_LIMIT_M / (2.0 * _RHO_M)) ** 2))
# Computed chords (ECEF coordinates of ~6.4e6 m carry ~1e-9 m of rounding) and computed
# geodesics (GeographicLib is accurate to ~15 nm) are compared with a micrometre to spare,
# plus a relative term for long chords, as geo.nearest does for its own proof.
_BOUND_SLACK_M = 1e-6
_BOUND_SLACK_REL = 1e-12

# Units per task and per KD-tree query: tasks big enough that per-task sums are cheap beside
# the work, queries small enough that their temporaries stay in cache.
_TASK_UNITS = 1 << 20
_QUERY_UNITS = 1 << 16

# Quantiles are located first by a histogram of the distance bounds per area. Buckets are the
# top bits of the float32 pattern (exponent and 4 mantissa bits): 16 per doubling of
# distance, each at most 4.4 % wide, from 0.5 m to 4,194 km, with one more at each end.
# Bucketing is monotone (never puts a longer distance in a lower bucket), which is all the
# selection relies on.
_BUCKET_SHIFT = 19
_BUCKET_FLOOR = int(np.float32(0.5).view(np.uint32)) >> _BUCKET_SHIFT
_BUCKETS = (int(np.float32(2.0**22).view(np.uint32)) >> _BUCKET_SHIFT) - _BUCKET_FLOOR + 1

# Per-area sums are float64 sums of whole numbers (np.bincount's weights); they are exact, in
# any order, while every partial sum stays below 2**53.
_EXACT_FLOAT_SUM = 2**53


# The bounds save about a microsecond per unit but cost a fixed few milliseconds per thousand
# areas (the histograms); below these sizes computing every geodesic is as fast.
_BOUNDED_MIN_UNITS = 50_000
_BOUNDED_MIN_UNITS_PER_AREA = 40


def _bounds_pay_off(units: _Units) -> bool:
    """Whether to use the chord bounds: a layer large enough, and sums exact in float64."""
    n = units.lon.size
    if n < max(_BOUNDED_MIN_UNITS, _BOUNDED_MIN_UNITS_PER_AREA * units.area_codes.size):
        return False
    # Float64 sums of whole numbers are exact whatever the order while below 2**53.
    columns = [units.weight, *units.groups.values()]
    return all(int(column.max()) * n < _EXACT_FLOAT_SUM for column in columns)


def _geodesic_lower(chord: np.ndarray) -> np.ndarray:
    """A lower bound, never negative, of the computed geodesic whose computed chord is given."""
    # Written so that an infinite chord (no second facility) stays infinite, never NaN.
    return np.maximum(chord * (1.0 - _BOUND_SLACK_REL) - _BOUND_SLACK_M, 0.0)


def _geodesic_upper(chord: np.ndarray) -> np.ndarray:
    """An upper bound of the computed geodesic whose computed chord is given (inf if too long)."""
    longest = chord * (1.0 + _BOUND_SLACK_REL) + _BOUND_SLACK_M
    upper = (longest + _CUBIC * longest**3) * (1.0 + _BOUND_SLACK_REL) + _BOUND_SLACK_M
    return np.where(longest <= _CHORD_LIMIT_M, upper, np.inf)


def _distance_bounds(value: np.ndarray, exact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of each unit's distance: the distance itself where exact."""
    lower = np.where(exact, value, _geodesic_lower(value))
    upper = np.where(exact, value, _geodesic_upper(value))
    return lower, upper


def _distance_bucket(distance: np.ndarray) -> np.ndarray:
    """Histogram bucket of each distance (non-negative); monotone in the distance."""
    # abs: a -0.0 would otherwise carry the sign bit into the top bits.
    top = (np.abs(distance).astype(np.float32).view(np.uint32) >> _BUCKET_SHIFT).astype(np.int32)
    return np.clip(top - _BUCKET_FLOOR, 0, _BUCKETS - 1).astype(np.int16)


@dataclass
class _BoundedLayer:
    """The units with each one's chord to its nearest facility, or its distance.

    ``value[i]`` is the chord from unit ``i`` to its nearest facility when ``exact[i]`` is
    False, and its exact geodesic distance when True. ``low`` and ``high`` are the histogram
    buckets of its lower and upper distance bounds.
    """

    index: NearestIndex
    units: _Units
    value: np.ndarray
    exact: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def exact_distances(self, rows: np.ndarray) -> np.ndarray:
        """Exact distance of these units, computed where not yet."""
        distance = self.value[rows].copy()
        todo = np.flatnonzero(~self.exact[rows])
        if todo.size:
            rows = rows[todo]
            distance[todo] = self.index.nearest_distances(
                self.units.lon[rows], self.units.lat[rows]
            )[1]
        return distance


@dataclass
class _BlockSums:
    covered: np.ndarray
    group_covered: dict[str, np.ndarray]
    low_histogram: np.ndarray
    moved_from: np.ndarray
    moved_to: np.ndarray
    moved_weight: np.ndarray


def _bounded_area_table(index: NearestIndex, units: _Units, threshold: float) -> pd.DataFrame:
    """:func:`_area_table` of the exact distances, computing few of them.

    Same result as ``_area_table`` over every unit's exact nearest distance, to the last bit:
    the counts are the same integers and each quantile is the same unit's distance. Units
    run in tasks over threads (KD-tree queries, Geod.inv and NumPy's sums release the GIL).
    """
    n_areas = units.area_codes.size
    n = units.lon.size
    layer = _BoundedLayer(
        index,
        units,
        np.empty(n, dtype=np.float64),
        np.empty(n, dtype=bool),
        np.empty(n, dtype=np.int16),
        np.empty(n, dtype=np.int16),
    )
    tree = _location_tree(index)
    # A few tasks per thread, so that threads finishing early find more work.
    cpus = thread_count()
    size = max(min(_TASK_UNITS, -(-units.lon.size // (4 * cpus))), _QUERY_UNITS)
    tasks = [(start, min(start + size, units.lon.size)) for start in range(0, units.lon.size, size)]
    workers = max(1, min(cpus, len(tasks)))

    def first_pass(task):
        start, stop = task
        return _bound_nearest(layer, tree, start, stop, threshold)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        sums = _add_block_sums(pool.map(first_pass, tasks), n_areas, units.groups)
        population = np.bincount(units.area_index, weights=units.weight, minlength=n_areas)
        windows = _quantile_windows(sums, population)

        def second_pass(task):
            start, stop = task
            return _window_candidates(layer, start, stop, windows)

        found = list(pool.map(second_pass, tasks))

        def quantile(number, name):
            candidates = np.concatenate([block[number] for block in found])
            window = windows[name]
            return _quantile_from_candidates(layer, candidates, window.below, window.goal)

        quantiles = dict(
            zip(_QUANTILES, pool.map(quantile, range(len(_QUANTILES)), _QUANTILES), strict=True)
        )

    columns = _empty_area_columns(units.groups)
    covered = sums.covered.astype(np.int64)
    population = population.astype(np.int64)
    columns["code"] = units.area_codes.astype(str)
    columns["population"] = population
    columns["covered"] = covered
    columns["uncovered"] = population - covered
    columns["share_covered"] = _shares(covered, population)
    columns.update(quantiles)
    for name, counts in units.groups.items():
        group_population = np.bincount(units.area_index, weights=counts, minlength=n_areas).astype(
            np.int64
        )
        group_covered = sums.group_covered[name].astype(np.int64)
        columns[f"{name}_population"] = group_population
        columns[f"{name}_covered"] = group_covered
        columns[f"{name}_uncovered"] = group_population - group_covered
        columns[f"{name}_share_covered"] = _shares(group_covered, group_population)
    return pd.DataFrame(columns)


def _location_tree(index: NearestIndex) -> cKDTree:
    """A KD-tree over the facilities' distinct locations, in ECEF.

    Facilities at one location are equally near every unit; keeping one of them keeps the
    second-nearest chord a different place, which the nearest proof needs.
    """
    bits = np.stack([index.lon.view(np.int64), index.lat.view(np.int64)], axis=1)
    _, first = np.unique(bits, axis=0, return_index=True)
    return cKDTree(ecef(index.lon[first], index.lat[first]))


def _bound_nearest(
    layer: _BoundedLayer, tree: cKDTree, start: int, stop: int, threshold: float
) -> _BlockSums:
    """Nearest chord or distance of the units start..stop, and their sums.

    A unit keeps its chord when the chord bounds prove which facility is nearest (the upper
    bound of the nearest chord's geodesic below the lower bound of the second's) and place
    its geodesic on one side of the threshold; otherwise its exact distance is computed.
    Returns the people covered per area and the histogram of lower-bound buckets.
    """
    lon = layer.units.lon[start:stop]
    lat = layer.units.lat[start:stop]
    # KD-tree queries in Z-order walk the tree's nodes while they are still in cache (see
    # geo.zorder); a 4096 x 4096 grid, finer than _nearest's, measured 10 % faster queries
    # with millions of units. Sorting each task's own units keeps every gather below inside
    # the task's slice, and the sort itself runs in the task's thread.
    order = z_order(lon, lat, bits=12) if lon.size >= _SORT_QUERIES_FROM else np.arange(lon.size)
    value = layer.value[start:stop]
    exact = layer.exact[start:stop]
    low = layer.low[start:stop]
    high = layer.high[start:stop]
    covered = np.empty(lon.size, dtype=bool)
    for begin in range(0, lon.size, _QUERY_UNITS):
        rows = order[begin : begin + _QUERY_UNITS]
        unit_lon = lon[rows]
        unit_lat = lat[rows]
        chord, _ = tree.query(ecef(unit_lon, unit_lat), k=2)
        nearest = chord[:, 0]
        upper = _geodesic_upper(nearest)
        undecided = (upper >= _geodesic_lower(chord[:, 1])) | (
            (_geodesic_lower(nearest) <= threshold) & (upper > threshold)
        )
        todo = np.flatnonzero(undecided)
        if todo.size:
            nearest[todo] = layer.index.nearest_distances(unit_lon[todo], unit_lat[todo])[1]
        lower, upper = _distance_bounds(nearest, undecided)
        value[rows] = nearest
        exact[rows] = undecided
        # Every unit is decided now: exact, or with both bounds on one side of the threshold.
        covered[rows] = upper <= threshold
        low[rows] = _distance_bucket(lower)
        high[rows] = _distance_bucket(upper)
    return _block_sums(layer, start, stop, covered)


def _block_sums(layer: _BoundedLayer, start: int, stop: int, covered: np.ndarray) -> _BlockSums:
    """Covered people per area and the histogram of lower bounds, for the units start..stop."""
    n_areas = layer.units.area_codes.size
    area = layer.units.area_index[start:stop]
    weight = layer.units.weight[start:stop].astype(np.float64)
    covered_sums = np.bincount(area, weights=np.where(covered, weight, 0.0), minlength=n_areas)
    group_covered = {
        name: np.bincount(
            area,
            weights=np.where(covered, counts[start:stop], 0).astype(np.float64),
            minlength=n_areas,
        )
        for name, counts in layer.units.groups.items()
    }
    low = layer.low[start:stop]
    high = layer.high[start:stop]
    cell = area * _BUCKETS + low
    histogram = np.bincount(cell, weights=weight, minlength=n_areas * _BUCKETS)
    moved = np.flatnonzero(high != low)
    return _BlockSums(
        covered_sums,
        group_covered,
        histogram,
        cell[moved],
        area[moved] * _BUCKETS + high[moved],
        weight[moved],
    )


def _add_block_sums(blocks, n_areas: int, groups: dict) -> _BlockSums:
    """The tasks' sums added up, consuming them as they arrive."""
    covered = np.zeros(n_areas)
    group_covered = {name: np.zeros(n_areas) for name in groups}
    histogram = np.zeros(n_areas * _BUCKETS)
    moved = ([], [], [])
    for block in blocks:
        covered += block.covered
        for name in groups:
            group_covered[name] += block.group_covered[name]
        histogram += block.low_histogram
        parts = (block.moved_from, block.moved_to, block.moved_weight)
        for gathered, part in zip(moved, parts, strict=True):
            gathered.append(part)
    return _BlockSums(covered, group_covered, histogram, *(np.concatenate(m) for m in moved))


@dataclass
class _Window:
    """Per area: the buckets a quantile lies in, the people surely nearer, and the goal."""

    low: np.ndarray
    high: np.ndarray
    below: np.ndarray
    goal: np.ndarray


def _quantile_windows(sums: _BlockSums, population: np.ndarray) -> dict[str, _Window]:
    """For each quantile: per area, the buckets it lies in, the people surely below, the goal.

    With ``low`` the bucket of each unit's lower bound and ``high`` of its upper bound (so
    ``low <= bucket(distance) <= high``), the quantile's bucket is at least the first bucket
    where the people with ``low`` up to it reach the goal, and at most the first where those
    with ``high`` up to it do. Units whose ``high`` is below the window are surely nearer
    than the quantile; those whose ``low`` is above it surely farther.
    """
    n_areas = population.size
    low_cumulative = np.cumsum(sums.low_histogram.reshape(n_areas, _BUCKETS), axis=1)
    high_histogram = sums.low_histogram.copy()
    np.add.at(high_histogram, sums.moved_to, sums.moved_weight)
    np.subtract.at(high_histogram, sums.moved_from, sums.moved_weight)
    high_cumulative = np.cumsum(high_histogram.reshape(n_areas, _BUCKETS), axis=1)
    people = population.astype(np.int64)
    windows = {}
    for name, (numerator, denominator) in _QUANTILES.items():
        goal = np.maximum((numerator * people + denominator - 1) // denominator, 1)
        low_window = np.argmax(low_cumulative >= goal[:, None], axis=1)
        high_window = np.argmax(high_cumulative >= goal[:, None], axis=1)
        below = np.where(
            low_window > 0,
            high_cumulative[np.arange(n_areas), np.maximum(low_window - 1, 0)],
            0.0,
        )
        # An area without people has no quantile: an empty window selects none of its units.
        empty = people == 0
        low_window[empty] = _BUCKETS
        high_window[empty] = -1
        windows[name] = _Window(low_window, high_window, below, goal)
    return windows


def _window_candidates(
    layer: _BoundedLayer, start: int, stop: int, windows: dict[str, _Window]
) -> list[np.ndarray]:
    """The units, among start..stop, inside each quantile's window."""
    area = layer.units.area_index[start:stop]
    low = layer.low[start:stop]
    high = layer.high[start:stop]
    found = []
    for window in windows.values():
        inside = (high >= window.low[area]) & (low <= window.high[area])
        found.append(start + np.flatnonzero(inside))
    return found


def _quantile_from_candidates(
    layer: _BoundedLayer, candidates: np.ndarray, below: np.ndarray, goal: np.ndarray
) -> np.ndarray:
    """Each area's quantile from the units in its window, computing few exact distances.

    In an area, the people surely nearer than the quantile (``below``) plus those of the
    window's units taken by increasing lower bound first reach the goal at some lower bound
    ``xl``, and the quantile is at least ``xl``; the largest upper bound ``m`` among the
    units taken is at least the quantile. The quantile is therefore the exact distance of a
    unit whose bounds meet [xl, m]: only those units get an exact distance, the others being
    surely nearer or surely farther.
    """
    result = np.full(goal.size, np.nan)
    if candidates.size == 0:
        return result
    area = layer.units.area_index[candidates]
    weight = layer.units.weight[candidates]
    lower, upper = _distance_bounds(layer.value[candidates], layer.exact[candidates])
    by_lower = np.lexsort((lower, area))
    area, weight, lower, upper, candidates = (
        column[by_lower] for column in (area, weight, lower, upper, candidates)
    )
    present, starts = np.unique(area, return_index=True)
    ends = np.append(starts[1:], area.size)
    run = np.repeat(np.arange(present.size), ends - starts)

    # Each area's window holds its quantile, so every goal is reached inside the area's run.
    reached = _first_reaching(weight, starts, goal[present] - below[present])
    low_quantile = lower[reached]
    last = reached.copy()
    while True:  # units sharing that lower bound belong to the prefix too
        step = (last + 1 < ends) & (lower[np.minimum(last + 1, area.size - 1)] <= low_quantile)
        if not step.any():
            break
        last[step] += 1
    # reduceat needs every index inside the array, hence the element appended.
    spans = np.column_stack([starts, last + 1]).ravel()
    high_quantile = np.maximum.reduceat(np.append(upper, 0.0), spans)[::2]

    surely_below = upper < low_quantile[run]
    known = below[present] + np.bincount(
        run, weights=np.where(surely_below, weight, 0), minlength=present.size
    )
    ambiguous = np.flatnonzero(~surely_below & (lower <= high_quantile[run]))
    distance = layer.exact_distances(candidates[ambiguous])
    run, weight = run[ambiguous], weight[ambiguous]
    by_distance = np.lexsort((distance, run))
    run, weight, distance = run[by_distance], weight[by_distance], distance[by_distance]
    starts = np.searchsorted(run, np.arange(present.size))
    result[present] = distance[_first_reaching(weight, starts, goal[present] - known)]
    return result


def _first_reaching(weight: np.ndarray, starts: np.ndarray, need) -> np.ndarray:
    """Position of the first unit of each run at which the run's people reach ``need``."""
    running = np.cumsum(weight)
    before = np.concatenate(([0], running))[starts]
    return np.searchsorted(running, before + need, side="left")


# -- small checks and helpers -----------------------------------------------------------------


def _check_level(level) -> int:
    if isinstance(level, bool) or not isinstance(level, Integral) or int(level) not in LEVELS:
        raise ValueError(
            f"level {level!r} is not an area level; use 1 (province), 2 (district) or "
            "3 (subdistrict)"
        )
    return int(level)


def _check_threshold(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value < math.inf:
        raise ValueError(f"{name} {value!r} is not a finite, non-negative distance in metres")


def _check_group_columns(group_columns) -> tuple[str, ...]:
    if isinstance(group_columns, str):
        raise ValueError(
            f"group_columns must be a sequence of column names, got the string {group_columns!r}"
        )
    names = tuple(group_columns)
    if len(set(names)) != len(names):
        raise ValueError(f"group_columns must not repeat a name, got {list(names)}")
    return names


def _coordinates(values, name: str, limit: tuple[float, str]) -> np.ndarray:
    bound, word = limit
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of {word}s, got shape {array.shape}")
    if array.size and array.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold numbers ({word}s in degrees), got dtype {array.dtype}")
    array = array.astype(np.float64, copy=False)
    # "Not inside" rather than "outside" so that NaN is caught too.
    bad = ~((array >= -bound) & (array <= bound))
    if bad.any():
        position = int(np.argmax(bad))
        raise ValueError(
            f"{name}[{position}] = {float(array[position])!r} is not a {word} between "
            f"{-bound:g} and {bound:g}"
        )
    return array


def _same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.size != b.size:
        raise ValueError(
            f"{name_a} and {name_b} must have the same length, got {a.size} and {b.size}"
        )


def _share(part: int, whole: int) -> float:
    return part / whole if whole else math.nan


def _shares(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.divide(part, whole, out=np.full(np.shape(part), np.nan), where=np.asarray(whole) > 0)
