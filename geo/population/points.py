"""Points spread evenly inside polygons: a shifted Halton sequence over each bounding box."""

from __future__ import annotations

import numpy as np
import shapely

# Halton points tested per subdistrict, round by round: most tambons fill about half their
# bounding box, so 64 points almost always yield 8 inside; thin or island-strewn ones get
# more rounds. After the last round, any points still missing are the polygon's
# representative point (see place_points).
_HALTON_ROUNDS = (64, 1024, 16_384)


def _radical_inverse(indices: np.ndarray, base: int) -> np.ndarray:
    """The van der Corput radical inverse of each index in ``base``, in [0, 1)."""
    result = np.zeros(indices.size)
    remaining = indices.copy()
    scale = 1.0 / base
    while remaining.any():
        result += scale * (remaining % base)
        remaining //= base
        scale /= base
    return result


# Index 0 would be the corner (0, 0) before the shift; starting at 1 is the usual convention.
_HALTON = np.column_stack(
    [_radical_inverse(np.arange(1, _HALTON_ROUNDS[-1] + 1), base) for base in (2, 3)]
)


def place_points(
    codes: np.ndarray, polygons: np.ndarray, per_subdistrict: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``per_subdistrict`` points inside each polygon, evenly spread (see the module docstring).

    Returns lon and lat, ``per_subdistrict`` consecutive entries per subdistrict.
    """
    shifts = np.array([np.random.default_rng([seed, int(code[2:])]).random(2) for code in codes])
    bounds = shapely.bounds(polygons)
    lon = np.full((codes.size, per_subdistrict), np.nan)
    lat = np.full((codes.size, per_subdistrict), np.nan)
    shapely.prepare(polygons)
    todo = np.arange(codes.size)
    for tested in _HALTON_ROUNDS:
        if todo.size == 0:
            break
        # Same prefix of the sequence every round, so the points kept are always the first
        # ones inside, whatever round found them.
        unit = np.mod(_HALTON[None, :tested, :] + shifts[todo, None, :], 1.0)
        low = bounds[todo, None, :2]
        size = bounds[todo, None, 2:] - bounds[todo, None, :2]
        xy = low + unit * size
        inside = shapely.contains_xy(polygons[todo, None], xy[..., 0], xy[..., 1])
        found = inside.sum(axis=1)
        done = found >= per_subdistrict
        # A stable sort of "not inside" lists the inside points first, in sequence order.
        first = np.argsort(~inside[done], axis=1, kind="stable")[:, :per_subdistrict]
        kept = np.take_along_axis(xy[done], first[..., None], axis=1)
        lon[todo[done]] = kept[..., 0]
        lat[todo[done]] = kept[..., 1]
        if not done.all() and tested == _HALTON_ROUNDS[-1]:
            _fill_with_surface_points(polygons, todo[~done], xy[~done], inside[~done], lon, lat)
        todo = todo[~done]
    return lon.ravel(), lat.ravel()


def _fill_with_surface_points(polygons, rows, xy, inside, lon, lat) -> None:
    """For polygons too thin for the sequence: the points found, then the surface point.

    A polygon with fewer inside points than needed among the 16,384 tested (for 8 points, one
    filling under 1/2,048 of its bounding box: a hair-thin sliver) gets its missing points
    at shapely's ``point_on_surface``, which is always inside; they carry their equal shares
    there.
    """
    per_subdistrict = lon.shape[1]
    for row, points, hits in zip(rows, xy, inside, strict=True):
        found = points[hits][:per_subdistrict]
        surface = shapely.point_on_surface(polygons[row])
        lon[row] = surface.x
        lat[row] = surface.y
        lon[row, : len(found)] = found[:, 0]
        lat[row, : len(found)] = found[:, 1]
