"""The nearest index: exact k-nearest facilities by WGS 84 geodesic distance.

One point at a time (the resident nearest-site API), with an optional mask of eligible
items; :mod:`.batch` answers many points at once and :mod:`.restricted` one mask for many
queries. The method and its proof are in the package docstring.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict

import numpy as np
from scipy.spatial import cKDTree

from geo.nearest import cells
from geo.nearest.batch import nearest_of_points
from geo.nearest.checks import (
    check_coordinate_array,
    check_items,
    check_max_distance,
    check_point,
    check_positive_int,
    read_only,
)
from geo.nearest.geometry import ECCENTRICITY2, GEOD, SEMI_MAJOR_M, ecef, ecef_point, proved_below
from geo.nearest.restricted import RestrictedIndex
from geo.nearest.results import NearestResult
from geo.nearest.searchable import OVERSAMPLE_GIVE_UP, OVERSAMPLE_LIMIT, Searchable


class NearestIndex:
    """Exact k-nearest search by WGS 84 geodesic distance over fixed facility points.

    Distances are geodesics on the WGS 84 ellipsoid as computed by
    ``pyproj.Geod(ellps="WGS84").inv`` with the query point first. Ties at equal distance are
    broken by ascending id, so the answer is exactly that of ranking every eligible item by
    ``(distance, id)``. A KD-tree over ECEF coordinates only proposes candidates; the chord
    is a lower bound of the geodesic, which proves that no item left out can rank higher
    (see the package docstring). Queries are thread-safe: the only mutable state, a small
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
        ids, lon, lat = check_items(ids, lon, lat)
        self._ids = ids
        self._lon = lon
        self._lat = lat
        self._xyz = ecef(lon, lat)
        self._xyz.flags.writeable = False
        self._full = Searchable(cKDTree(self._xyz), read_only(np.arange(len(ids))), True)
        # Keyed by the packed mask bits; an OrderedDict kept in least-recently-used order.
        self._subset_trees: OrderedDict[bytes, Searchable] = OrderedDict()
        self._lock = threading.Lock()
        self._as_lists: tuple[list[float], list[float], list[int]] | None = None
        self._cells: cells.CellCandidates | None = None

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        return f"NearestIndex({len(self)} items)"

    def _cell_candidates(self) -> cells.CellCandidates:
        """Candidates per grid cell for single queries (geo.nearest.cells), made on first use."""
        if self._cells is None:
            # Racing threads make equal objects; one is kept.
            self._cells = cells.CellCandidates(
                self._full.tree, self._xyz, ecef_point, SEMI_MAJOR_M, ECCENTRICITY2
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
            check_point(lon, lat)
            lon = float(lon)
            lat = float(lat)
        elif not -90.0 <= lat <= 90.0:
            check_point(lon, lat)
        if type(k) is not int or k < 1:
            check_positive_int(k, "k")
        if max_distance_m is not None:
            check_max_distance(max_distance_m)

        positions, distance, azimuth = self._k_nearest(lon, lat, int(k), mask, eligible, restricted)
        bearing = np.mod(azimuth, 360.0)
        # np.mod maps tiny negative azimuths such as -1e-17 to exactly 360.0.
        bearing[bearing >= 360.0] = 0.0
        widened = (
            max_distance_m is not None and distance.size > 0 and bool(distance[-1] > max_distance_m)
        )
        return NearestResult(
            ids=read_only(self._ids[positions]),
            positions=read_only(positions),
            distance_m=read_only(distance),
            bearing_deg=read_only(bearing),
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
        lon = check_coordinate_array(lon, "lon")
        lat = check_coordinate_array(lat, "lat")
        if lon.shape != lat.shape:
            raise ValueError(
                f"lon and lat must have the same length, got {lon.size} and {lat.size}"
            )
        check_positive_int(chunk_size, "chunk_size")
        mask = self._check_mask(mask)
        searchable = self._searchable_for_batch(mask)

        items = (self._ids, self._lon, self._lat)
        return nearest_of_points(items, searchable, lon, lat, chunk_size)

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
        point = ecef_point(lon, lat)

        if mask is None or eligible == n:
            return self._rank_candidates(self._full, None, point, lon, lat, k, k + 1)

        # Expected candidates to meet k + 1 eligible ones if the mask were spatially random,
        # with half again as many for luck.
        oversample = math.ceil((k + 1) * n / eligible * 1.5)
        if oversample <= OVERSAMPLE_LIMIT:
            answer = self._rank_candidates(
                self._full, mask, point, lon, lat, k, oversample, give_up=OVERSAMPLE_GIVE_UP
            )
            if answer is not None:
                return answer
        subset = restricted.searchable() if restricted else self._cached_searchable(mask)
        return self._rank_candidates(subset, None, point, lon, lat, k, k + 1)

    def _rank_candidates(
        self,
        searchable: Searchable,
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
                azimuth, _, distance = GEOD.inv(
                    np.full(positions.size, lon),
                    np.full(positions.size, lat),
                    self._lon[positions],
                    self._lat[positions],
                    inplace=True,
                )
                order = np.lexsort((self._ids[positions], distance))[:k]
                if everything or distance[order[-1]] < proved_below(bound):
                    return positions[order], distance[order], azimuth[order]
            if everything:
                # k never exceeds the eligible count, so a full fetch has always answered.
                raise RuntimeError("nearest search evaluated every item without an answer")
            if give_up is not None and fetch >= give_up:
                return None
            fetch *= 2

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

    def _searchable_for_batch(self, mask: np.ndarray | None) -> Searchable:
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
    ) -> Searchable:
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
        positions = read_only(positions)
        searchable = Searchable(cKDTree(self._xyz[positions]), positions)
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
