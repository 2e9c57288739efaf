"""A nearest index answering over the items of one mask, for many queries."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from geo.nearest import cells
from geo.nearest.checks import check_max_distance, read_only
from geo.nearest.geometry import GEOD, ecef_point, proved_below
from geo.nearest.results import NearestList, NearestResult
from geo.nearest.searchable import OVERSAMPLE_LIMIT, Searchable

if TYPE_CHECKING:  # .index builds RestrictedIndex: no import of it at load
    from geo.nearest.index import NearestIndex


class RestrictedIndex:
    """A :class:`NearestIndex` answering only over the items of one mask (see ``restrict``).

    Thread-safe; the KD-tree over a sparse mask's items is built on first need and kept.
    """

    def __init__(self, index: NearestIndex, mask: np.ndarray) -> None:
        self._index = index
        self._mask = read_only(mask.copy())
        self._eligible = int(np.count_nonzero(self._mask))
        self._subset: Searchable | None = None
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
                check_max_distance(max_distance_m)
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
        (geo.nearest.cells), else from the KD-tree.
        """
        index = self._index
        n = len(index)
        point = ecef_point(lon, lat)
        mask = self._mask_list
        if cells.SIZE * self._eligible >= 2 * (k + 1) * n:
            taken = index._cell_candidates().first_k(lon, lat, point, k, mask)
            if taken is not None:
                answer = self._proved(lon, lat, *taken)
                if answer is not None:
                    return answer
        fetch = math.ceil((k + 1) * n / self._eligible * 1.5)
        if fetch >= n or fetch > OVERSAMPLE_LIMIT:
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
        azimuths, _, distances = GEOD.inv(
            [lon] * k, [lat] * k, [lons[p] for p in taken], [lats[p] for p in taken]
        )
        items = sorted(zip(distances, [ids[p] for p in taken], taken, azimuths, strict=True))
        if not items[-1][0] < proved_below(bound):
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

    def searchable(self) -> Searchable:
        # Two threads may build it at once; both trees are the same, one is kept.
        if self._subset is None:
            self._subset = self._index._cached_searchable(self._mask)
        return self._subset
