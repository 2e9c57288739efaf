"""Which administrative area a point lies in, with a tolerance for coasts and islands.

Pure computation: takes area codes and Shapely polygons, returns NumPy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Geod

_GEOD = Geod(ellps="WGS84")
# One degree of latitude is at least 110.5 km; used only to size the candidate search window.
_MIN_METRES_PER_DEGREE = 110_500.0


@dataclass(frozen=True)
class AreaMatch:
    """Where each point falls: the area code, or None, and the distance to it in metres.

    ``distance_m`` is 0 for points inside an area, the geodesic distance to the nearest area's
    boundary for points assigned by tolerance, and NaN for points with no area within it.
    """

    codes: np.ndarray  # object array of str | None
    distance_m: np.ndarray

    @property
    def inside(self) -> np.ndarray:
        return self.distance_m == 0

    @property
    def by_tolerance(self) -> np.ndarray:
        return self.distance_m > 0

    @property
    def unmatched(self) -> np.ndarray:
        return np.isnan(self.distance_m)


class AreaLocator:
    """Point-in-polygon over non-overlapping areas (e.g. the 7,425 subdistricts).

    Parameters
    ----------
    codes : sequence of str
        One code per polygon.
    polygons : sequence of shapely (Multi)Polygon
        Longitude/latitude (EPSG:4326) polygons that do not overlap.

    Examples
    --------
    >>> from shapely import box
    >>> locator = AreaLocator(["A", "B"], [box(0, 0, 1, 1), box(1, 0, 2, 1)])
    >>> locator.locate([0.5, 1.5, 3.0], [0.5, 0.5, 0.5], tolerance_m=1_000).codes.tolist()
    ['A', 'B', None]
    """

    def __init__(self, codes, polygons) -> None:
        codes = np.asarray(codes, dtype=object)
        polygons = np.asarray(polygons, dtype=object)
        if codes.shape != polygons.shape or codes.ndim != 1:
            raise ValueError(
                f"codes and polygons must be two equal-length sequences, got {codes.shape} "
                f"and {polygons.shape}"
            )
        if len(codes) == 0:
            raise ValueError("an AreaLocator needs at least one area, got none")
        self.codes = codes
        self.polygons = polygons
        shapely.prepare(self.polygons)
        self._tree = shapely.STRtree(self.polygons)

    def locate(self, lon, lat, *, tolerance_m: float = 0.0) -> AreaMatch:
        """Assign each point to the area containing it, else to the nearest within tolerance.

        A point on a shared boundary goes to the area that comes first in the locator's order.
        The tolerance distance is the geodesic (WGS 84) length from the point to the nearest
        point of the area's boundary, found after scaling longitude by cos(latitude) so that
        the planar search is locally isotropic.

        Parameters
        ----------
        lon, lat : array_like of float
            Degrees, WGS 84.
        tolerance_m : float
            How far outside every area a point may be and still be assigned.

        Returns
        -------
        AreaMatch

        Examples
        --------
        >>> from shapely import box
        >>> locator = AreaLocator(["A"], [box(100, 13, 101, 14)])
        >>> m = locator.locate([101.01], [13.5], tolerance_m=5_000)
        >>> m.codes[0], round(float(m.distance_m[0]))
        ('A', 1083)
        """
        lon = np.atleast_1d(np.asarray(lon, dtype=float))
        lat = np.atleast_1d(np.asarray(lat, dtype=float))
        if lon.shape != lat.shape:
            raise ValueError(f"lon and lat differ in shape: {lon.shape} and {lat.shape}")
        if tolerance_m < 0:
            raise ValueError(f"tolerance_m must be 0 or more, got {tolerance_m}")
        codes = np.full(lon.shape, None, dtype=object)
        distance = np.full(lon.shape, np.nan)
        points = shapely.points(lon, lat)
        point_index, area_index = self._tree.query(points, predicate="intersects")
        # Keep the first area per point (boundaries are shared by neighbours).
        first_point, first_at = np.unique(point_index, return_index=True)
        codes[first_point] = self.codes[area_index[first_at]]
        distance[first_point] = 0.0
        if tolerance_m > 0:
            outside = np.flatnonzero(np.isnan(distance))
            for i in outside:
                self._assign_nearest(i, lon[i], lat[i], tolerance_m, codes, distance)
        return AreaMatch(codes, distance)

    def _assign_nearest(self, i, lon, lat, tolerance_m, codes, distance) -> None:
        window = tolerance_m / (_MIN_METRES_PER_DEGREE * max(np.cos(np.radians(lat)), 0.05))
        point = shapely.Point(lon, lat)
        candidates = self._tree.query(point.buffer(window))
        best = (np.inf, None)
        scale = np.cos(np.radians(lat))
        for j in candidates:
            scaled = shapely.transform(
                self.polygons[j], lambda xy, s=scale: xy * np.array([s, 1.0])
            )
            near = shapely.shortest_line(shapely.Point(lon * scale, lat), scaled)
            near_lon, near_lat = near.coords[1][0] / scale, near.coords[1][1]
            metres = _GEOD.inv(lon, lat, near_lon, near_lat)[2]
            if metres < best[0]:
                best = (metres, self.codes[j])
        if best[0] <= tolerance_m:
            distance[i], codes[i] = best
