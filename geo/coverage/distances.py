"""Each unit's nearest facility and its exact geodesic distance."""

from __future__ import annotations

import numpy as np

from geo.coverage.checks import LAT_LIMIT, LON_LIMIT, checked_coordinates, same_length
from geo.nearest import NearestIndex
from geo.zorder import z_order

# Below this many points the sort costs more than it saves.
SORT_QUERIES_FROM = 50_000


def facility_nearest_index(facility_lon, facility_lat, facility_index) -> NearestIndex | None:
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
    lon = checked_coordinates(facility_lon, "facility_lon", LON_LIMIT)
    lat = checked_coordinates(facility_lat, "facility_lat", LAT_LIMIT)
    same_length(lon, lat, "facility_lon", "facility_lat")
    if lon.size == 0:
        return None
    return NearestIndex(np.arange(lon.size), lon, lat)


def nearest_facility(
    index: NearestIndex | None, lon: np.ndarray, lat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest facility position (-1 if none) and geodesic distance (inf if none) per unit."""
    if index is None or lon.size == 0:
        return np.full(lon.size, -1, dtype=np.int64), np.full(lon.size, np.inf)
    if lon.size < SORT_QUERIES_FROM:
        return index.nearest_distances(lon, lat)
    # In Z-order the KD-tree queries are 3-4x faster (see geo.zorder); a 256 x 256 grid keeps
    # the key to 16 bits, one sorting pass. The answer for each point does not depend on the
    # order, so the result is the same.
    order = z_order(lon, lat, bits=8)
    positions = np.empty(lon.size, dtype=np.int64)
    distance = np.empty(lon.size, dtype=np.float64)
    positions[order], distance[order] = index.nearest_distances(lon[order], lat[order])
    return positions, distance
