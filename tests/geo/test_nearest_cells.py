"""Tests for geo.nearest.cells: the per-cell candidates of single nearest queries.

Answers through the cells must be those of ranking every eligible item by geodesic distance
and id (tests.geo.test_nearest.brute_force), on data whose density changes by orders of
magnitude, at cell corners, across the antimeridian and near a pole; and the cells must
really answer (not always hand over to the KD-tree).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from pyproj import Geod

from geo.nearest import NearestIndex, NearestList
from geo.nearest import cells as nearest_cells
from geo.nearest.geometry import ECCENTRICITY2, SEMI_MAJOR_M, ecef_point
from tests.geo.test_nearest import brute_force

GEOD = Geod(ellps="WGS84")


def clustered(
    rng, n: int, lon0: float, lat0: float, town: float = 0.003
) -> tuple[np.ndarray, np.ndarray]:
    """A dense town (~300 m), a district (~10 km) and sparse countryside (~3 degrees)."""
    spread = rng.choice([town, 0.1, 3.0], n, p=[0.5, 0.3, 0.2])
    lon = (lon0 + rng.normal(0, spread) + 180.0) % 360.0 - 180.0
    lat = np.clip(lat0 + rng.normal(0, spread), -90, 90)
    return lon, lat


@pytest.mark.parametrize(
    ("seed", "lon0", "lat0"),
    [(1, 100.5, 13.75), (2, 100.5, 13.75), (3, 179.99, -16.0), (4, 20.0, 89.5), (5, 98.9, 18.8)],
)
def test_answers_through_the_cells_are_the_exact_ones(seed, lon0, lat0):
    rng = np.random.default_rng(seed)
    n = 3_000
    lon, lat = clustered(rng, n, lon0, lat0)
    ids = rng.choice(1_000_000, n, replace=False)
    mask = rng.random(n) < rng.uniform(0.5, 1.0)
    index = NearestIndex(ids, lon, lat)
    view = index.restrict(mask)
    eligible = np.flatnonzero(mask)
    qlon, qlat = clustered(rng, 200, lon0, lat0)
    # Points on cell corners and edges of every grid, and on items (certain ties).
    for level in nearest_cells.LEVELS:
        side = 2.0**-level
        qlon[level : level + 4] = np.floor(qlon[level : level + 4] / side) * side
        qlat[level : level + 2] = np.floor(qlat[level : level + 2] / side) * side
    qlon[-5:], qlat[-5:] = lon[eligible[:5]], lat[eligible[:5]]
    k = int(rng.integers(1, 12))
    ref_pos, ref_dist = brute_force(qlon, qlat, ids[eligible], lon[eligible], lat[eligible], k)
    for i in range(qlon.size):
        got = view.query_list(float(qlon[i]), float(qlat[i]), k=k)
        assert got.positions == eligible[ref_pos[i]].tolist(), (i, qlon[i], qlat[i])
        assert got.distance_m == ref_dist[i].tolist()
        assert got == NearestList.of(view.query(float(qlon[i]), float(qlat[i]), k=k))
    made = index._cell_candidates()._cells
    levels = {level for level, _, _ in made}
    assert len(levels) > 1, "every point was answered at one cell size"
    assert any(cell is nearest_cells._FINER for cell in made.values())


def test_the_cells_answer_most_questions_without_the_kd_tree(monkeypatch):
    # Sites as dense as the densest Thai district's (a town of 2,500 within ~3 km).
    rng = np.random.default_rng(9)
    lon, lat = clustered(rng, 5_000, 100.5, 13.75, town=0.03)
    index = NearestIndex(np.arange(5_000), lon, lat)
    view = index.restrict(rng.random(5_000) < 0.85)
    qlon, qlat = clustered(rng, 300, 100.5, 13.75, town=0.03)
    for x, y in zip(qlon, qlat, strict=True):  # the cells are made on first use
        view.query_list(float(x), float(y), k=10)
    asked = []
    counting = replace(index._full, tree=_CountingTree(index._full.tree, asked))
    monkeypatch.setattr(index, "_full", counting)
    for x, y in zip(qlon, qlat, strict=True):
        view.query_list(float(x), float(y), k=10)
    assert len(asked) < 0.1 * qlon.size, f"the KD-tree answered {len(asked)} of {qlon.size}"


class _CountingTree:
    def __init__(self, tree, asked: list) -> None:
        self._tree = tree
        self._asked = asked
        self.n = tree.n

    def query(self, *args, **kwargs):
        self._asked.append(args)
        return self._tree.query(*args, **kwargs)


@pytest.mark.parametrize("lat0", [0.0, 13.7, 45.0, 80.0, 89.99])
@pytest.mark.parametrize("level", nearest_cells.LEVELS)
def test_no_point_of_a_cell_is_farther_from_its_centre_than_the_reach(level, lat0):
    side = 2.0**-level
    rng = np.random.default_rng(level)
    column, row = np.floor(100.3 / side), np.floor(lat0 / side)
    centre = np.array(ecef_point((column + 0.5) * side, (row + 0.5) * side))
    corners = [(column + a) * side for a in (0.0, 1.0)], [(row + b) * side for b in (0.0, 1.0)]
    points = [(x, y) for x in corners[0] for y in corners[1]]
    points += [((column + u) * side, (row + v) * side) for u, v in rng.random((500, 2))]
    reach = nearest_cells.cell_reach(level, SEMI_MAJOR_M, ECCENTRICITY2)
    farthest = max(
        np.linalg.norm(np.array(ecef_point(x, min(y, 90.0))) - centre) for x, y in points
    )
    assert farthest <= reach
    if lat0 <= 45:  # where parallels are long, the bound is not uselessly loose
        assert farthest > 0.5 * reach
