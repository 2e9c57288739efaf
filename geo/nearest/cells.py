"""Candidates for single-point nearest queries, kept per cell of a longitude/latitude grid.

A web request asks for the k nearest eligible items to one point. The KD-tree finds the
candidates in a few microseconds of C, but its Python-level call costs tens of microseconds
more in a request (argument handling, NumPy allocations, cold caches) and releases the GIL.
For a grid cell, the ``SIZE`` items nearest to the cell's centre by chord are found once with
the KD-tree and kept; a point inside the cell then ranks the eligible ones among them by
their chord from the point, in plain Python.

Why that stays exact (see geo.nearest for the rest of the proof): every item outside the
list is at least ``beyond`` from the centre (the chord of the first item left out), and the
point is at most ``reach`` from the centre, so by the triangle inequality every item outside
the list is at least ``beyond - reach`` from the point. ``reach`` bounds the geodesic, hence
the chord, from the centre to any point of the cell: along a meridian then a parallel it is
at most (|dlat| + |dlon|) times the largest radius of curvature of the WGS 84 ellipsoid,
a / sqrt(1 - e^2). So the k first eligible items by chord, with the next one's chord or
``beyond - reach`` whichever is smaller as the bound, are what the first fetch of
:class:`geo.nearest.RestrictedIndex` needs; when the bound does not prove the answer, the
caller asks the KD-tree as before.

Cells come in four sizes (1/16 degree down to 1/1024): a cell whose list reaches less than
``DENSE`` times its own reach is too coarse for the sites around it, and so is one whose list
does not reach the point's k-th candidate; the point is then looked up in the next finer grid.
Cells are made on first use and kept, up to ``MAX_CELLS``; they hold positions of the index,
so they serve every mask and outlive the catalog's snapshots until the index is rebuilt.

Measured on 150,000 sites (bench/nearest_load.py's data, k=10, most sites open): 98 % of
random points are answered from a cell; a whole /api/v1/nearest request took ~20 % less time
than with the KD-tree's query, in process, on a busy machine.
"""

from __future__ import annotations

import math
from array import array

import numpy as np
from scipy.spatial import cKDTree

SIZE = 32  # items kept per cell
LEVELS = (4, 6, 8, 10)  # cells of 2**-level degrees
DENSE = 4.0  # a list reaching less than this many reaches: look in a finer cell
MAX_CELLS = 16_384  # per index; past this the cells are forgotten and made again
# The rounding of a chord between ECEF coordinates (~6.4e6 m) is ~1e-9 m: a millimetre
# off every bound is far more than it.
_SLACK_M = 1e-3
_FINER = object()  # a cell too coarse for the density around it


def cell_reach(level: int, a: float, e2: float) -> float:
    """An upper bound, in metres, of the chord from a cell's centre to any point of it."""
    half_side = math.radians(2.0**-level) / 2
    return 2 * half_side * a / math.sqrt(1.0 - e2) + _SLACK_M


class CellCandidates:
    """The nearest items of the centres of the cells queried so far, over one KD-tree.

    Thread-safe: two threads may make the same cell at once; one of the equal lists is kept.
    """

    def __init__(self, tree: cKDTree, xyz: np.ndarray, ecef_point, a: float, e2: float) -> None:
        self._tree = tree
        self._xyz = array("d", np.ascontiguousarray(xyz, dtype=np.float64).ravel().tobytes())
        self._ecef_point = ecef_point
        self._reach = {level: cell_reach(level, a, e2) for level in LEVELS}
        self._cells: dict[tuple[int, int, int], tuple[array, float] | object] = {}

    def first_k(
        self, lon: float, lat: float, q: tuple[float, float, float], k: int, mask
    ) -> tuple[list[int], float] | None:
        """The k eligible items nearest ``q`` by chord among those kept for its cell, and a
        chord that no item left out is nearer than; None when a cell cannot say.

        ``mask`` is a list of booleans per item, or None when every item is eligible.
        """
        cells = self._cells
        for level in LEVELS:
            scale = 2.0**level
            key = (level, math.floor(lon * scale), math.floor(lat * scale))
            cell = cells.get(key)
            if cell is None:
                cell = self._make(key, scale)
            if cell is _FINER:
                continue
            positions, beyond = cell
            taken = _first_k(positions, beyond - self._reach[level], self._xyz, q, k, mask)
            if taken is not _FINER:
                return taken
        return None

    def _make(self, key: tuple[int, int, int], scale: float):
        level, column, row = key
        centre = self._ecef_point((column + 0.5) / scale, (row + 0.5) / scale)
        found = min(SIZE + 1, self._tree.n)
        chords, positions = self._tree.query(np.array(centre), k=found)
        if found <= SIZE:  # every item is in the list: nothing lies beyond it
            beyond = math.inf
        else:
            beyond = float(chords[-1])
            positions = positions[:-1]
        reach = self._reach[level]
        if beyond < DENSE * reach and level != LEVELS[-1]:
            cell = _FINER
        else:
            cell = (array("q", positions.astype(np.int64).tobytes()), beyond)
        if len(self._cells) >= MAX_CELLS:
            self._cells = {}
        self._cells[key] = cell
        return cell


def _first_k(positions: array, outside: float, xyz: array, q, k: int, mask):
    """(the k nearest eligible by chord, their bound), None, or _FINER when only a smaller
    cell could prove them."""
    qx, qy, qz = q
    found = []
    for p in positions:
        if mask is None or mask[p]:
            i = 3 * p
            dx = xyz[i] - qx
            dy = xyz[i + 1] - qy
            dz = xyz[i + 2] - qz
            found.append((dx * dx + dy * dy + dz * dz, p))
    if len(found) <= k:
        return None
    found.sort()
    kth, next_one = math.sqrt(found[k - 1][0]), math.sqrt(found[k][0])
    if kth >= outside:
        return _FINER  # the list does not reach far enough from this point: a smaller cell
    if kth >= next_one:
        return None  # a geodesic is never below its chord: no proof could follow
    return [p for _, p in found[:k]], min(next_one, outside)
