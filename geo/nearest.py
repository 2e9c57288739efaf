"""Exact k-nearest facilities by WGS 84 geodesic distance.

Pure computation: takes facility ids and longitude/latitude arrays, answers nearest-site
queries with NumPy arrays. Used by the resident nearest-site API (single points, many per
second) and by coverage analysis (millions of points, each needing its nearest facility).

Method
------
A KD-tree over Earth-centred, Earth-fixed (ECEF) coordinates of the points on the WGS 84
ellipsoid only proposes candidates, ordered by the straight-line (chord) distance through
the Earth. The answer is ranked by the geodesic distance from ``pyproj.Geod(ellps="WGS84")``
and proved complete with one inequality: a geodesic is a path between the same two points,
so it is never shorter than the chord between them. If every item with chord below ``R``
has been evaluated and the k-th best geodesic distance found is strictly below ``R``, no
item left out can rank among the k nearest, not even by a tie. When that check fails the
candidate set is widened and the check repeated; it always ends, at the latest when every
item has been evaluated.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from numbers import Integral, Real

import numpy as np
from pyproj import Geod
from scipy.spatial import cKDTree

from . import nearest_cells

# Geod.inv only reads the ellipsoid constants held by this object and releases the GIL while
# it loops, so one shared instance is safe, and useful, across threads.
_GEOD = Geod(ellps="WGS84")
# ECEF must use the very ellipsoid the geodesics are measured on, or the chord would stop
# being a lower bound of the geodesic.
_A = float(_GEOD.a)
_E2 = float(_GEOD.f) * (2.0 - float(_GEOD.f))

# The bound compares two computed numbers: a chord (ECEF coordinates of ~6.4e6 m carry
# ~1e-9 m of rounding) and a geodesic (GeographicLib is accurate to ~15 nm). The bound must
# beat both errors, so it is shrunk by a micrometre, plus a relative term for long chords.
_SLACK_M = 1e-6
_SLACK_REL = 1e-12

# A mask is answered from the full tree by fetching more candidates while the expected number
# of candidates needed stays below this; sparser masks get a KD-tree over their items, cached.
# Measured on 150,000 items, k=10: oversampling costs 170-250 µs per query at 30-10 % density
# and 560 µs at 2 %, while a cached subset tree answers in ~150 µs at any density; but a cache
# miss builds a tree at ~0.1 ms per 1,000 eligible items (8 ms at 10 %), so only masks sparse
# enough to build cheaply are cached.
_OVERSAMPLE_LIMIT = 256
# Items of a spatially clustered mask may sit far from the query; after this many candidates
# the full-tree attempt gives up and the subset tree answers instead.
_OVERSAMPLE_GIVE_UP = 4 * _OVERSAMPLE_LIMIT
# First candidate count for batch points whose two-candidate check failed (duplicates or
# near-ties); grows fourfold per round.
_BATCH_RETRY_FETCH = 8
_MAX_WORKERS = 8


@dataclass(frozen=True, eq=False)
class NearestResult:
    """The nearest eligible items to one query point, nearest first.

    Attributes
    ----------
    ids : numpy.ndarray of int64
        Facility ids.
    positions : numpy.ndarray of int64
        Positions of those items in the arrays the index was built from.
    distance_m : numpy.ndarray of float64
        Geodesic (WGS 84) distance from the query point, in metres.
    bearing_deg : numpy.ndarray of float64
        Forward azimuth from the query point to the item, degrees clockwise from north in
        [0, 360).
    widened : bool
        True when ``max_distance_m`` was given and fewer than k eligible items (or fewer than
        all of them, when there are fewer than k) lay within it, so the answer holds items
        beyond that distance.
    """

    ids: np.ndarray
    positions: np.ndarray
    distance_m: np.ndarray
    bearing_deg: np.ndarray
    widened: bool = False

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class _Searchable:
    """A KD-tree over some index items, with the index position of each tree item."""

    tree: cKDTree
    positions: np.ndarray
    # positions[i] == i: the tree over every item, in index order.
    identity: bool = False


class NearestIndex:
    """Exact k-nearest search by WGS 84 geodesic distance over fixed facility points.

    Distances are geodesics on the WGS 84 ellipsoid as computed by
    ``pyproj.Geod(ellps="WGS84").inv`` with the query point first. Ties at equal distance are
    broken by ascending id, so the answer is exactly that of ranking every eligible item by
    ``(distance, id)``. A KD-tree over ECEF coordinates only proposes candidates; the chord
    is a lower bound of the geodesic, which proves that no item left out can rank higher
    (see the module docstring). Queries are thread-safe: the only mutable state, a small
    cache of KD-trees over mask subsets, is guarded by a lock.

    Parameters
    ----------
    ids : array_like of int
        Unique facility ids, stored as int64.
    lon, lat : array_like of float
        Longitudes in [-180, 180] and latitudes in [-90, 90], degrees WGS 84, one per id.

    Raises
    ------
    ValueError
        If the arrays are not 1-D and of equal length, the ids are not unique integers, or a
        coordinate is not finite or out of range.

    Examples
    --------
    >>> index = NearestIndex([10, 11, 12], [100.50, 100.53, 100.60], [13.75, 13.75, 13.75])
    >>> len(index)
    3
    >>> result = index.query(100.51, 13.75, k=2)
    >>> result.ids.tolist(), result.distance_m.round().tolist()
    ([10, 11], [1081.0, 2163.0])
    """

    SUBSET_CACHE_SIZE = 16

    def __init__(self, ids: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> None:
        ids, lon, lat = _check_items(ids, lon, lat)
        self._ids = ids
        self._lon = lon
        self._lat = lat
        self._xyz = ecef(lon, lat)
        self._xyz.flags.writeable = False
        self._full = _Searchable(cKDTree(self._xyz), _read_only(np.arange(len(ids))), True)
        # Keyed by the packed mask bits; an OrderedDict kept in least-recently-used order.
        self._subset_trees: OrderedDict[bytes, _Searchable] = OrderedDict()
        self._lock = threading.Lock()
        self._as_lists: tuple[list[float], list[float], list[int]] | None = None
        self._cells: nearest_cells.CellCandidates | None = None

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        return f"NearestIndex({len(self)} items)"

    def _cell_candidates(self) -> nearest_cells.CellCandidates:
        """Candidates per grid cell for single queries (geo.nearest_cells), made on first use."""
        if self._cells is None:
            # Racing threads make equal objects; one is kept.
            self._cells = nearest_cells.CellCandidates(
                self._full.tree, self._xyz, _ecef_point, _A, _E2
            )
        return self._cells

    def _lists(self) -> tuple[list[float], list[float], list[int]]:
        """lon, lat and ids as Python lists (RestrictedIndex.query_list), made on first use."""
        if self._as_lists is None:
            # Racing threads make equal lists; one is kept.
            self._as_lists = (self._lon.tolist(), self._lat.tolist(), self._ids.tolist())
        return self._as_lists

    @property
    def ids(self) -> np.ndarray:
        """Facility ids as int64, read-only, in index order."""
        return self._ids

    @property
    def lon(self) -> np.ndarray:
        """Longitudes in degrees, read-only, in index order."""
        return self._lon

    @property
    def lat(self) -> np.ndarray:
        """Latitudes in degrees, read-only, in index order."""
        return self._lat

    def query(
        self,
        lon: float,
        lat: float,
        k: int = 10,
        *,
        mask: np.ndarray | None = None,
        max_distance_m: float | None = None,
    ) -> NearestResult:
        """Find the k eligible items nearest to one point by geodesic distance.

        The result equals ranking every eligible item by ``(geodesic distance, id)`` and
        keeping the first k: distances are ``Geod(ellps="WGS84").inv`` from the query point
        to the item, and ties at equal distance go to the smaller id. Candidates come from a
        KD-tree over ECEF coordinates, nearest chord first; the first ``c`` candidates are
        ranked by geodesic and accepted only if the k-th geodesic is strictly below the
        chord of candidate ``c + 1`` (less a micrometre for rounding), which no unevaluated
        item can beat because a chord never exceeds its geodesic. Otherwise ``c`` doubles.

        A mask that selects a large share of the items is answered from the full tree with
        proportionally more candidates; a sparse mask (or one whose items lie far from the
        query) is answered from a KD-tree over the eligible items only, built once and kept
        in a small least-recently-used cache keyed by the mask's bits.

        Parameters
        ----------
        lon, lat : float
            Query point, degrees WGS 84; lon in [-180, 180], lat in [-90, 90].
        k : int, default 10
            How many items to return; fewer when fewer items are eligible.
        mask : numpy.ndarray of bool, optional
            One value per index item; only items marked True are eligible.
        max_distance_m : float, optional
            Preferred search radius in metres. It never empties or shrinks the answer: when
            fewer than k eligible items lie within it, the answer is the k nearest anywhere
            and ``widened`` is True, so the caller can say how far they are.

        Returns
        -------
        NearestResult
            Ids, index positions, distances in metres and bearings from the query point,
            nearest first; empty only when no item is eligible.

        Raises
        ------
        ValueError
            If the point, k, mask or max_distance_m is invalid.

        Examples
        --------
        >>> index = NearestIndex([1, 2, 3], [100.0, 100.0, 100.0], [13.0, 13.1, 13.3])
        >>> index.query(100.0, 13.22, k=2).ids.tolist()
        [3, 2]
        >>> result = index.query(100.0, 13.22, k=2, mask=np.array([True, False, True]))
        >>> result.ids.tolist(), result.bearing_deg.round().tolist()
        ([3, 1], [0.0, 180.0])
        >>> result.distance_m.round().tolist()
        [8851.0, 24339.0]
        >>> index.query(100.0, 13.22, k=2, max_distance_m=10_000).widened
        True
        >>> index.query(100.0, 13.22, k=1, max_distance_m=10_000).widened
        False
        """
        mask = self._check_mask(mask)
        eligible = len(self) if mask is None else int(np.count_nonzero(mask))
        return self._answer(lon, lat, k, mask, eligible, max_distance_m, None)

    def restrict(self, mask: np.ndarray) -> RestrictedIndex:
        """The same index answering only over the items ``mask`` marks, for many queries.

        ``index.restrict(mask).query(lon, lat, k)`` answers exactly as
        ``index.query(lon, lat, k, mask=mask)``; the view counts the eligible items and, for a
        sparse mask, builds its KD-tree once instead of per query. The mask is copied.

        Parameters
        ----------
        mask : numpy.ndarray of bool
            One value per index item; only items marked True are eligible.

        Returns
        -------
        RestrictedIndex

        Raises
        ------
        ValueError
            If the mask is not a boolean array with one value per item.

        Examples
        --------
        >>> index = NearestIndex([1, 2, 3], [100.0, 100.0, 100.0], [13.0, 13.1, 13.3])
        >>> open_sites = index.restrict(np.array([True, False, True]))
        >>> len(open_sites), open_sites.query(100.0, 13.22, k=2).ids.tolist()
        (2, [3, 1])
        """
        return RestrictedIndex(self, self._check_mask(mask))

    def _answer(
        self,
        lon: float,
        lat: float,
        k: int,
        mask: np.ndarray | None,
        eligible: int,
        max_distance_m: float | None,
        restricted: RestrictedIndex | None,
    ) -> NearestResult:
        # Plain floats and ints skip the general (abstract base class) checks: this path
        # answers single requests, where microseconds count.
        if type(lon) is not float or type(lat) is not float or not -180.0 <= lon <= 180.0:
            _check_point(lon, lat)
            lon = float(lon)
            lat = float(lat)
        elif not -90.0 <= lat <= 90.0:
            _check_point(lon, lat)
        if type(k) is not int or k < 1:
            _check_positive_int(k, "k")
        if max_distance_m is not None:
            _check_max_distance(max_distance_m)

        positions, distance, azimuth = self._k_nearest(lon, lat, int(k), mask, eligible, restricted)
        bearing = np.mod(azimuth, 360.0)
        # np.mod maps tiny negative azimuths such as -1e-17 to exactly 360.0.
        bearing[bearing >= 360.0] = 0.0
        widened = (
            max_distance_m is not None and distance.size > 0 and bool(distance[-1] > max_distance_m)
        )
        return NearestResult(
            ids=_read_only(self._ids[positions]),
            positions=_read_only(positions),
            distance_m=_read_only(distance),
            bearing_deg=_read_only(bearing),
            widened=widened,
        )

    def nearest_distances(
        self,
        lon: np.ndarray,
        lat: np.ndarray,
        *,
        mask: np.ndarray | None = None,
        chunk_size: int = 200_000,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Find, for many points, the nearest eligible item and its geodesic distance.

        Exact, with the same rule as :meth:`query` with ``k=1``: geodesic distance from the
        point to the item by ``Geod(ellps="WGS84").inv``, ties to the smaller id. Each
        point fetches its two chord-nearest candidates from the KD-tree and computes one
        geodesic; the first candidate is proved nearest when that geodesic is strictly below
        the second candidate's chord. Only the points failing the proof (near-ties) are
        re-queried, with more candidates each round. Items sharing an exact location tie for
        every point, so only the smallest id among them is searched, which keeps duplicate
        locations from failing the proof. Points are processed ``chunk_size`` at a time,
        split across threads, so memory stays proportional to ``chunk_size``.

        Parameters
        ----------
        lon, lat : array_like of float
            1-D arrays of equal length, degrees WGS 84.
        mask : numpy.ndarray of bool, optional
            One value per index item; only items marked True are eligible.
        chunk_size : int, default 200_000
            Points processed at once.

        Returns
        -------
        positions : numpy.ndarray of int64
            Index position of each point's nearest eligible item.
        distance_m : numpy.ndarray of float64
            Geodesic distance to it, in metres.

        Raises
        ------
        ValueError
            If the coordinates, mask or chunk_size are invalid, or no item is eligible.

        Examples
        --------
        >>> index = NearestIndex([1, 2], [100.0, 101.0], [13.0, 13.0])
        >>> positions, distance_m = index.nearest_distances([100.2, 100.9], [13.0, 13.0])
        >>> positions.tolist(), distance_m.round().tolist()
        ([0, 1], [21697.0, 10848.0])
        """
        lon = _check_coordinate_array(lon, "lon")
        lat = _check_coordinate_array(lat, "lat")
        if lon.shape != lat.shape:
            raise ValueError(
                f"lon and lat must have the same length, got {lon.size} and {lat.size}"
            )
        _check_positive_int(chunk_size, "chunk_size")
        mask = self._check_mask(mask)
        searchable = self._searchable_for_batch(mask)

        positions = np.empty(lon.size, dtype=np.int64)
        distance = np.empty(lon.size, dtype=np.float64)
        # Threading only pays once each thread gets a few thousand points.
        workers = min(_MAX_WORKERS, _available_cpus(), max(1, lon.size // 10_000))
        if workers == 1:
            for start in range(0, lon.size, chunk_size):
                part = slice(start, min(start + chunk_size, lon.size))
                self._nearest_block(
                    searchable, lon[part], lat[part], positions[part], distance[part]
                )
            return positions, distance

        # KD-tree queries and Geod.inv both release the GIL, so threads share the cores;
        # each thread writes a disjoint slice of the outputs, and at most chunk_size points
        # are in flight at once.
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for start in range(0, lon.size, chunk_size):
                stop = min(start + chunk_size, lon.size)
                edges = np.linspace(start, stop, workers + 1).astype(np.int64)
                jobs = [
                    pool.submit(
                        self._nearest_block,
                        searchable,
                        lon[a:b],
                        lat[a:b],
                        positions[a:b],
                        distance[a:b],
                    )
                    for a, b in itertools.pairwise(edges)
                    if b > a
                ]
                for job in jobs:
                    job.result()
        return positions, distance

    # -- single point -------------------------------------------------------------------------

    def _k_nearest(
        self,
        lon: float,
        lat: float,
        k: int,
        mask: np.ndarray | None,
        eligible: int,
        restricted: RestrictedIndex | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(self._ids)
        if eligible == 0:
            empty = np.empty(0, dtype=np.float64)
            return np.empty(0, dtype=np.int64), empty, empty.copy()
        k = min(k, eligible)
        point = _ecef_point(lon, lat)

        if mask is None or eligible == n:
            return self._rank_candidates(self._full, None, point, lon, lat, k, k + 1)

        # Expected candidates to meet k + 1 eligible ones if the mask were spatially random,
        # with half again as many for luck.
        oversample = math.ceil((k + 1) * n / eligible * 1.5)
        if oversample <= _OVERSAMPLE_LIMIT:
            answer = self._rank_candidates(
                self._full, mask, point, lon, lat, k, oversample, give_up=_OVERSAMPLE_GIVE_UP
            )
            if answer is not None:
                return answer
        subset = restricted.searchable() if restricted else self._cached_searchable(mask)
        return self._rank_candidates(subset, None, point, lon, lat, k, k + 1)

    def _rank_candidates(
        self,
        searchable: _Searchable,
        mask: np.ndarray | None,
        point: tuple[float, float, float],
        lon: float,
        lat: float,
        k: int,
        fetch: int,
        give_up: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Rank chord candidates by geodesic until the chord bound proves the top k.

        Returns (positions, distances, azimuths) of the k best by (distance, id), or None when
        ``give_up`` candidates were fetched without a proof.
        """
        tree = searchable.tree
        while True:
            fetch = min(fetch, tree.n)
            chord, found = tree.query(point, k=fetch)
            if fetch == 1:
                chord = np.atleast_1d(chord)
                found = np.atleast_1d(found)
            everything = fetch == tree.n
            # The last fetched candidate is held back unevaluated: its chord bounds every item
            # not evaluated. With the whole tree fetched there is nothing left to bound.
            bound = math.inf if everything else float(chord[-1])
            if not everything:
                found = found[:-1]
            positions = found if searchable.identity else searchable.positions[found]
            if mask is not None:
                positions = positions[mask[positions]]
            if positions.size >= k:
                # All four arrays are fresh, so Geod may write its results into them.
                azimuth, _, distance = _GEOD.inv(
                    np.full(positions.size, lon),
                    np.full(positions.size, lat),
                    self._lon[positions],
                    self._lat[positions],
                    inplace=True,
                )
                order = np.lexsort((self._ids[positions], distance))[:k]
                if everything or distance[order[-1]] < _proved_below(bound):
                    return positions[order], distance[order], azimuth[order]
            if everything:
                # k never exceeds the eligible count, so a full fetch has always answered.
                raise RuntimeError("nearest search evaluated every item without an answer")
            if give_up is not None and fetch >= give_up:
                return None
            fetch *= 2

    # -- many points --------------------------------------------------------------------------

    def _nearest_block(
        self,
        searchable: _Searchable,
        lon: np.ndarray,
        lat: np.ndarray,
        out_positions: np.ndarray,
        out_distance: np.ndarray,
    ) -> None:
        tree = searchable.tree
        xyz = ecef(lon, lat)
        if tree.n == 1:
            out_positions[:] = searchable.positions[0]
            out_distance[:] = _GEOD.inv(
                lon,
                lat,
                np.full(lon.size, self._lon[out_positions[0]]),
                np.full(lon.size, self._lat[out_positions[0]]),
            )[2]
            return

        chord, found = tree.query(xyz, k=2)
        first = searchable.positions[found[:, 0]]
        distance = _GEOD.inv(lon, lat, self._lon[first], self._lat[first])[2]
        # Every other item's geodesic is at least the second candidate's chord.
        proved = distance < _proved_below(chord[:, 1])
        out_positions[proved] = first[proved]
        out_distance[proved] = distance[proved]
        retry = np.flatnonzero(~proved)
        if retry.size:
            positions, distances = self._nearest_by_rounds(
                searchable, xyz[retry], lon[retry], lat[retry]
            )
            out_positions[retry] = positions
            out_distance[retry] = distances

    def _nearest_by_rounds(
        self, searchable: _Searchable, xyz: np.ndarray, lon: np.ndarray, lat: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        tree = searchable.tree
        out_positions = np.empty(lon.size, dtype=np.int64)
        out_distance = np.empty(lon.size, dtype=np.float64)
        todo = np.arange(lon.size)
        fetch = _BATCH_RETRY_FETCH
        while todo.size:
            fetch = min(fetch, tree.n)
            everything = fetch == tree.n
            chord, found = tree.query(xyz[todo], k=fetch)
            chord = chord.reshape(todo.size, fetch)
            found = found.reshape(todo.size, fetch)
            if not everything:
                bound = chord[:, -1]
                found = found[:, :-1]
            positions = searchable.positions[found]
            per_point = positions.shape[1]
            distance = _GEOD.inv(
                np.repeat(lon[todo], per_point),
                np.repeat(lat[todo], per_point),
                self._lon[positions].ravel(),
                self._lat[positions].ravel(),
            )[2].reshape(positions.shape)
            best_distance = distance.min(axis=1)
            tied_ids = np.where(
                distance == best_distance[:, None],
                self._ids[positions],
                np.iinfo(np.int64).max,
            )
            best = positions[np.arange(todo.size), tied_ids.argmin(axis=1)]
            proved = (
                np.ones(todo.size, dtype=bool)
                if everything
                else best_distance < _proved_below(bound)
            )
            out_positions[todo[proved]] = best[proved]
            out_distance[todo[proved]] = best_distance[proved]
            todo = todo[~proved]
            fetch *= 4
        return out_positions, out_distance

    # -- masks and subset trees ---------------------------------------------------------------

    def _check_mask(self, mask) -> np.ndarray | None:
        if mask is None:
            return None
        mask = np.asarray(mask)
        if mask.dtype != np.bool_:
            raise ValueError(
                f"mask must be a boolean array (True = eligible), got dtype {mask.dtype}"
            )
        if mask.shape != self._ids.shape:
            raise ValueError(
                f"mask must have one value per index item, shape ({len(self)},), "
                f"got shape {mask.shape}"
            )
        return mask

    def _searchable_for_batch(self, mask: np.ndarray | None) -> _Searchable:
        eligible = len(self) if mask is None else int(np.count_nonzero(mask))
        if eligible == 0:
            what = "the index is empty" if len(self) == 0 else "the mask selects no item"
            raise ValueError(f"nearest_distances needs at least one eligible item, but {what}")
        # Items at one exact location tie for every point, and the tie goes to the smallest
        # id, so the others can never be the nearest: dropping them keeps the answer exact
        # and spares the points near them the re-query that a zero chord gap would cause.
        return self._cached_searchable(
            None if eligible == len(self) else mask, one_per_location=True
        )

    def _cached_searchable(
        self, mask: np.ndarray | None, *, one_per_location: bool = False
    ) -> _Searchable:
        """A KD-tree over the eligible items, from the cache or built and cached."""
        # Packed bits are an eighth of the mask's bytes, so hashing and comparing keys is cheap.
        key = (b"u" if one_per_location else b"a") + (
            b"" if mask is None else np.packbits(mask).tobytes()
        )
        with self._lock:
            cached = self._subset_trees.get(key)
            if cached is not None:
                self._subset_trees.move_to_end(key)
                return cached
        # Built outside the lock so other queries are not held up; two threads may build the
        # same tree at once, which costs time but not correctness.
        positions = np.arange(len(self)) if mask is None else np.flatnonzero(mask)
        if one_per_location:
            positions = self._one_per_location(positions)
        if positions.size == len(self):
            return self._full
        positions = _read_only(positions)
        searchable = _Searchable(cKDTree(self._xyz[positions]), positions)
        with self._lock:
            self._subset_trees[key] = searchable
            self._subset_trees.move_to_end(key)
            while len(self._subset_trees) > self.SUBSET_CACHE_SIZE:
                self._subset_trees.popitem(last=False)
        return searchable

    def _one_per_location(self, positions: np.ndarray) -> np.ndarray:
        """Of the items at each exact location, keep only the one with the smallest id."""
        # Bit patterns, not float equality: 0.0 and -0.0 are equal floats but need not give
        # bit-identical geodesics, and only bit-identical inputs are certain to tie.
        lon_bits = self._lon.view(np.int64)[positions]
        lat_bits = self._lat.view(np.int64)[positions]
        order = np.lexsort((self._ids[positions], lat_bits, lon_bits))
        lon_bits = lon_bits[order]
        lat_bits = lat_bits[order]
        first = np.ones(positions.size, dtype=bool)
        first[1:] = (lon_bits[1:] != lon_bits[:-1]) | (lat_bits[1:] != lat_bits[:-1])
        return np.sort(positions[order][first])


@dataclass(frozen=True)
class NearestList:
    """A :class:`NearestResult` as plain Python lists, nearest first.

    What a single small answer is read as (a web request turns arrays into lists anyway);
    :meth:`RestrictedIndex.query_list` makes the usual answer without NumPy arrays at all.
    """

    ids: list[int]
    positions: list[int]
    distance_m: list[float]
    bearing_deg: list[float]
    widened: bool = False

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def of(cls, result: NearestResult) -> NearestList:
        return cls(
            result.ids.tolist(),
            result.positions.tolist(),
            result.distance_m.tolist(),
            result.bearing_deg.tolist(),
            result.widened,
        )

    @classmethod
    def merge(
        cls, answers: list[NearestList], k: int, max_distance_m: float | None = None
    ) -> NearestList:
        """As :func:`merge_nearest`: answers over disjoint sets, ranked by (distance, id)."""
        _check_positive_int(k, "k")
        if max_distance_m is not None:
            _check_max_distance(max_distance_m)
        items = sorted(
            (d, i, p, b)
            for a in answers
            for d, i, p, b in zip(a.distance_m, a.ids, a.positions, a.bearing_deg, strict=True)
        )[:k]
        widened = max_distance_m is not None and bool(items) and items[-1][0] > max_distance_m
        return cls(
            [i for _, i, _, _ in items],
            [p for _, _, p, _ in items],
            [d for d, _, _, _ in items],
            [b for _, _, _, b in items],
            widened,
        )


class RestrictedIndex:
    """A :class:`NearestIndex` answering only over the items of one mask (see ``restrict``).

    Thread-safe; the KD-tree over a sparse mask's items is built on first need and kept.
    """

    def __init__(self, index: NearestIndex, mask: np.ndarray) -> None:
        self._index = index
        self._mask = _read_only(mask.copy())
        self._eligible = int(np.count_nonzero(self._mask))
        self._subset: _Searchable | None = None
        # For query_list: the mask as a list (None when every item is eligible).
        self._mask_list: list[bool] | None = None
        if 0 < self._eligible < len(index):
            self._mask_list = self._mask.tolist()

    def __len__(self) -> int:
        return self._eligible

    @property
    def mask(self) -> np.ndarray:
        """The eligible items, read-only, one value per index item."""
        return self._mask

    def query(
        self, lon: float, lat: float, k: int = 10, *, max_distance_m: float | None = None
    ) -> NearestResult:
        """As :meth:`NearestIndex.query` with this view's mask; same method, ties and checks."""
        mask = None if self._eligible == len(self._index) else self._mask
        return self._index._answer(lon, lat, k, mask, self._eligible, max_distance_m, self)

    def query_list(
        self, lon: float, lat: float, k: int = 10, *, max_distance_m: float | None = None
    ) -> NearestList:
        """:meth:`query`'s answer as lists, made with as few library calls as possible.

        The same items, distances and bearings, bit for bit. A single web request pays for
        every NumPy call it makes (each runs with cold caches between the server's own
        work), so the usual case, a first fetch of candidates that proves the answer, is
        done with one KD-tree query, one geodesic per answer and Python lists; anything
        else takes :meth:`query`.
        """
        if (
            type(lon) is float
            and type(lat) is float
            and type(k) is int
            and -180.0 <= lon <= 180.0
            and -90.0 <= lat <= 90.0
            and 0 < k < self._eligible
        ):
            if max_distance_m is not None:
                _check_max_distance(max_distance_m)
            answer = self._first_fetch(lon, lat, k)
            if answer is not None:
                widened = max_distance_m is not None and answer.distance_m[-1] > max_distance_m
                return replace(answer, widened=widened) if widened else answer
        return NearestList.of(self.query(lon, lat, k, max_distance_m=max_distance_m))

    def _first_fetch(self, lon: float, lat: float, k: int) -> NearestList | None:
        """The first round of NearestIndex._rank_candidates, or None when it proves nothing.

        Of the fetched candidates (chord order) the first k eligible ones are evaluated;
        the next eligible one's chord bounds every item not evaluated, as the method needs.
        The candidates come from the point's grid cell when it has enough of them
        (geo.nearest_cells), else from the KD-tree.
        """
        index = self._index
        n = len(index)
        point = _ecef_point(lon, lat)
        mask = self._mask_list
        if nearest_cells.SIZE * self._eligible >= 2 * (k + 1) * n:
            taken = index._cell_candidates().first_k(lon, lat, point, k, mask)
            if taken is not None:
                answer = self._proved(lon, lat, *taken)
                if answer is not None:
                    return answer
        fetch = math.ceil((k + 1) * n / self._eligible * 1.5)
        if fetch >= n or fetch > _OVERSAMPLE_LIMIT:
            return None
        # An array, not a tuple: the KD-tree's own conversion of a tuple costs more.
        chord, found = index._full.tree.query(np.array(point), k=fetch)
        found = found.tolist()
        taken = found[: k + 1] if mask is None else [p for p in found if mask[p]][: k + 1]
        if len(taken) <= k:
            return None
        return self._proved(lon, lat, taken[:k], float(chord[found.index(taken[k])]))

    def _proved(self, lon: float, lat: float, taken: list[int], bound: float) -> NearestList | None:
        """The k items ``taken``, ranked by geodesic, if every item left out is at least
        ``bound`` away by chord and the farthest of them is nearer than that; else None."""
        lons, lats, ids = self._index._lists()
        k = len(taken)
        # One call for all k: Geod releases the GIL on every call, and in a threaded server
        # each release may hand the interpreter to another request.
        azimuths, _, distances = _GEOD.inv(
            [lon] * k, [lat] * k, [lons[p] for p in taken], [lats[p] for p in taken]
        )
        items = sorted(zip(distances, [ids[p] for p in taken], taken, azimuths, strict=True))
        if not items[-1][0] < _proved_below(bound):
            return None
        bearings = []
        for _, _, _, azimuth in items:
            bearing = azimuth % 360.0
            bearings.append(0.0 if bearing >= 360.0 else bearing)  # as in NearestIndex.query
        return NearestList(
            [i for _, i, _, _ in items],
            [p for _, _, p, _ in items],
            [d for d, _, _, _ in items],
            bearings,
        )

    def searchable(self) -> _Searchable:
        # Two threads may build it at once; both trees are the same, one is kept.
        if self._subset is None:
            self._subset = self._index._cached_searchable(self._mask)
        return self._subset


def merge_nearest(
    results: list[NearestResult], k: int, max_distance_m: float | None = None
) -> NearestResult:
    """The k nearest of several answers for one query point over disjoint sets of items.

    Each answer must hold the nearest items of its own set (as :meth:`NearestIndex.query`
    gives them) and no id may appear in two sets; the merge then equals one query over the
    union: ranked by ``(distance, id)``, the first k kept. ``widened`` is recomputed for
    ``max_distance_m`` as :meth:`NearestIndex.query` defines it.

    Parameters
    ----------
    results : list of NearestResult
        Answers for the same point, positions already expressed in one common numbering.
    k : int
        How many items to keep.
    max_distance_m : float, optional
        The preferred search radius the answers were asked with.

    Returns
    -------
    NearestResult

    Examples
    --------
    >>> a = NearestIndex([1, 2], [100.0, 100.0], [13.1, 13.4]).query(100.0, 13.0, k=2)
    >>> b = NearestIndex([7], [100.0], [13.2]).query(100.0, 13.0, k=2)
    >>> merge_nearest([a, b], k=2).ids.tolist()
    [1, 7]
    """
    _check_positive_int(k, "k")
    if max_distance_m is not None:
        _check_max_distance(max_distance_m)
    ids = np.concatenate([r.ids for r in results])
    distance = np.concatenate([r.distance_m for r in results])
    order = np.lexsort((ids, distance))[:k]
    distance = distance[order]
    widened = (
        max_distance_m is not None and distance.size > 0 and bool(distance[-1] > max_distance_m)
    )
    return NearestResult(
        ids=_read_only(ids[order]),
        positions=_read_only(np.concatenate([r.positions for r in results])[order]),
        distance_m=_read_only(distance),
        bearing_deg=_read_only(np.concatenate([r.bearing_deg for r in results])[order]),
        widened=widened,
    )


# -- geometry ---------------------------------------------------------------------------------


def ecef(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """ECEF coordinates (metres) of points on the WGS 84 ellipsoid surface, shape (n, 3).

    The straight line between two such points is never longer than their geodesic, so a
    KD-tree ball of chord radius r holds every point within geodesic distance r.

    Examples
    --------
    >>> xyz = ecef(np.array([100.0]), np.array([0.0]))
    >>> round(float(np.hypot(xyz[0, 0], xyz[0, 1])))  # the equatorial radius
    6378137
    """
    lon = np.radians(lon)
    lat = np.radians(lat)
    sin_lat = np.sin(lat)
    cos_lat = np.cos(lat)
    normal = _A / np.sqrt(1.0 - _E2 * sin_lat * sin_lat)
    xyz = np.empty((lon.size, 3), dtype=np.float64)
    xyz[:, 0] = normal * cos_lat * np.cos(lon)
    xyz[:, 1] = normal * cos_lat * np.sin(lon)
    xyz[:, 2] = normal * (1.0 - _E2) * sin_lat
    return xyz


def _ecef_point(lon: float, lat: float) -> tuple[float, float, float]:
    # The scalar twin of ecef, without NumPy's per-call overhead on the single-query path.
    lon = math.radians(lon)
    lat = math.radians(lat)
    sin_lat = math.sin(lat)
    cos_lat = math.cos(lat)
    normal = _A / math.sqrt(1.0 - _E2 * sin_lat * sin_lat)
    return (
        normal * cos_lat * math.cos(lon),
        normal * cos_lat * math.sin(lon),
        normal * (1.0 - _E2) * sin_lat,
    )


def _proved_below(chord):
    """The largest geodesic distance that the chord bound still proves to be strictly smaller."""
    return chord - (_SLACK_M + _SLACK_REL * chord)


# -- input checks -----------------------------------------------------------------------------

_RANGES = {"lon": (180.0, "longitude"), "lat": (90.0, "latitude")}


def _check_point(lon, lat) -> None:
    for name, value in (("lon", lon), ("lat", lat)):
        limit, word = _RANGES[name]
        if isinstance(value, bool) or not isinstance(value, Real):
            raise ValueError(f"{name} {value!r} is not a number; expected a {word} in degrees")
        if not -limit <= float(value) <= limit:
            raise ValueError(
                f"{name} {float(value)!r} is not a {word} between {-limit:g} and {limit:g}"
            )


def _check_coordinate_array(values, name: str) -> np.ndarray:
    limit, word = _RANGES[name]
    array = np.asarray(values)
    if array.size and array.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold numbers ({word}s in degrees), got dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {array.shape}")
    array = array.astype(np.float64, copy=False)
    # Written as "not inside" so that NaN fails too.
    bad = ~((array >= -limit) & (array <= limit))
    if bad.any():
        where = int(np.argmax(bad))
        more = int(bad.sum()) - 1
        tail = f" ({more} more values are out of range)" if more else ""
        raise ValueError(
            f"{name}[{where}] = {float(array[where])!r} is not a {word} between "
            f"{-limit:g} and {limit:g}{tail}"
        )
    return array


def _check_items(ids, lon, lat) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"ids must be a 1-D array, got shape {ids.shape}")
    if ids.size and ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be integers, got dtype {ids.dtype}")
    if ids.dtype.kind == "u" and ids.size and ids.max() > np.iinfo(np.int64).max:
        raise ValueError(f"ids must fit in int64, got {int(ids.max())}")
    ids = ids.astype(np.int64)
    lon = _check_coordinate_array(lon, "lon").copy()
    lat = _check_coordinate_array(lat, "lat").copy()
    if not ids.size == lon.size == lat.size:
        raise ValueError(
            f"ids, lon and lat must have the same length, got {ids.size}, {lon.size} and {lat.size}"
        )
    ordered = np.sort(ids)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    if repeated.size:
        raise ValueError(f"ids must be unique; id {int(repeated[0])} appears more than once")
    return _read_only(ids), _read_only(lon), _read_only(lat)


def _check_positive_int(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _check_max_distance(value) -> None:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 <= float(value) < math.inf:
        raise ValueError(
            f"max_distance_m must be a finite, non-negative number of metres, got {value!r}"
        )


# -- small helpers ----------------------------------------------------------------------------


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
