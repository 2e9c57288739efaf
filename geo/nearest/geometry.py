"""ECEF coordinates on the WGS 84 ellipsoid, and the chord bound that proves an answer.

A geodesic is a path between its two points, so it is never shorter than their chord (the
straight line through the Earth). :func:`proved_below` turns a computed chord into the
largest computed geodesic that it still proves to be shorter.
"""

from __future__ import annotations

import math

import numpy as np
from pyproj import Geod

# Geod.inv only reads the ellipsoid constants held by this object and releases the GIL while
# it loops, so one shared instance is safe, and useful, across threads.
GEOD = Geod(ellps="WGS84")
# ECEF must use the very ellipsoid the geodesics are measured on, or the chord would stop
# being a lower bound of the geodesic.
SEMI_MAJOR_M = float(GEOD.a)
ECCENTRICITY2 = float(GEOD.f) * (2.0 - float(GEOD.f))

# The bound compares two computed numbers: a chord (ECEF coordinates of ~6.4e6 m carry
# ~1e-9 m of rounding) and a geodesic (GeographicLib is accurate to ~15 nm). The bound must
# beat both errors, so it is shrunk by a micrometre, plus a relative term for long chords.
_SLACK_M = 1e-6
_SLACK_REL = 1e-12


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
    normal = SEMI_MAJOR_M / np.sqrt(1.0 - ECCENTRICITY2 * sin_lat * sin_lat)
    xyz = np.empty((lon.size, 3), dtype=np.float64)
    xyz[:, 0] = normal * cos_lat * np.cos(lon)
    xyz[:, 1] = normal * cos_lat * np.sin(lon)
    xyz[:, 2] = normal * (1.0 - ECCENTRICITY2) * sin_lat
    return xyz


def ecef_point(lon: float, lat: float) -> tuple[float, float, float]:
    """The scalar twin of :func:`ecef`, without NumPy's per-call cost on the single-query path."""
    lon = math.radians(lon)
    lat = math.radians(lat)
    sin_lat = math.sin(lat)
    cos_lat = math.cos(lat)
    normal = SEMI_MAJOR_M / math.sqrt(1.0 - ECCENTRICITY2 * sin_lat * sin_lat)
    return (
        normal * cos_lat * math.cos(lon),
        normal * cos_lat * math.sin(lon),
        normal * (1.0 - ECCENTRICITY2) * sin_lat,
    )


def proved_below(chord):
    """The largest geodesic distance that the chord bound still proves to be strictly smaller."""
    return chord - (_SLACK_M + _SLACK_REL * chord)
