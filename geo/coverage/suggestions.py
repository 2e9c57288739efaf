"""Where to add sites: greedy maximal covering of the people still too far from one."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.coverage.checks import (
    LAT_LIMIT,
    LON_LIMIT,
    check_threshold,
    checked_coordinates,
    same_length,
    share,
    shares,
)
from geo.coverage.distances import facility_nearest_index, nearest_facility
from geo.coverage.layer import modelled, read_units

# The index's own ECEF conversion and ellipsoid, so that a chord is a lower bound of the
# geodesic between the same two points.
from geo.nearest import ecef
from geo.nearest.geometry import GEOD

# A chord never exceeds its geodesic, so a ball of chord radius threshold holds every unit
# within threshold by geodesic. The ball is widened by a metre (and a part per billion) so
# that rounding in the ECEF coordinates can never drop a unit; the extra units are removed
# by the exact geodesic test that follows.
_BALL_SLACK_M = 1.0
_BALL_SLACK_REL = 1e-9


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
        return share(self.covered_before, self.total)

    @property
    def share_after(self) -> float:
        """Share of the people covered once every pick is added (NaN with no people)."""
        return share(self.covered_after, self.total)


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
    check_threshold(threshold_m, "threshold_m")
    if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
        raise ValueError(f"k must be a positive integer (sites to pick), got {k!r}")
    units = read_units(population)
    candidate_lon = checked_coordinates(candidate_lon, "candidate_lon", LON_LIMIT)
    candidate_lat = checked_coordinates(candidate_lat, "candidate_lat", LAT_LIMIT)
    same_length(candidate_lon, candidate_lat, "candidate_lon", "candidate_lat")
    ids = _candidate_ids(candidate_ids, candidate_lon.size)
    index = facility_nearest_index(facility_lon, facility_lat, None)
    _, distance = nearest_facility(index, units.lon, units.lat)
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
            "share_covered": shares(covered, np.full(covered.size, total)),
        }
    )
    picks.attrs["modelled"] = modelled(population)
    covered_after = int(covered[-1]) if covered.size else covered_before
    return SiteSuggestions(picks, total, covered_before, covered_after)


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
    distance = GEOD.inv(
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
