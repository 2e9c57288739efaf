"""The real MOPH hospital and clinic locations, and synthetic facilities jittered from them.

No database and no app: the benchmarks of pure ``geo`` code (nearest_bench.py,
coverage_bench.py) draw their facilities here, so that their density follows where
facilities really are.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pyproj import Geod

MOPH_FILES = ("moph_hospitals_geojson_health.geojson", "moph_clinics_geojson_clinic.geojson")
# west, south, east, north: the locations kept, and the box their jittered copies stay in.
LOCATION_BOX = (97.0, 5.0, 106.0, 21.0)
GEOD = Geod(ellps="WGS84")


def moph_locations(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) of every point of the MOPH hospital and clinic lists inside LOCATION_BOX."""
    west, south, east, north = LOCATION_BOX
    lon, lat = [], []
    for name in MOPH_FILES:
        features = json.loads((folder / name).read_text(encoding="utf-8"))["features"]
        for feature in features:
            geometry = feature.get("geometry") or {}
            if geometry.get("type") == "Point":
                x, y = geometry["coordinates"][:2]
                if west <= x <= east and south <= y <= north:
                    lon.append(x)
                    lat.append(y)
    return np.array(lon), np.array(lat)


def jittered_copies(
    lon: np.ndarray, lat: np.ndarray, count: int, jitter_deg: float, rng
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` points drawn with replacement from (lon, lat), each moved by a normal offset
    of ``jitter_deg`` degrees per axis and clipped to LOCATION_BOX."""
    west, south, east, north = LOCATION_BOX
    pick = rng.integers(0, lon.size, count)
    return (
        np.clip(lon[pick] + rng.normal(0, jitter_deg, count), west, east),
        np.clip(lat[pick] + rng.normal(0, jitter_deg, count), south, north),
    )


def geodesic_m(x: float, y: float, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """WGS 84 geodesic metres from one point (x, y) to each of (lon, lat): the brute-force
    reference the benchmarks check nearest searches against."""
    return GEOD.inv(np.full(lon.size, x), np.full(lon.size, y), lon, lat)[2]
