"""Input checks of the nearest search, and read-only arrays for what it hands out."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

_RANGES = {"lon": (180.0, "longitude"), "lat": (90.0, "latitude")}


def check_point(lon, lat) -> None:
    for name, value in (("lon", lon), ("lat", lat)):
        limit, word = _RANGES[name]
        if isinstance(value, bool) or not isinstance(value, Real):
            raise ValueError(f"{name} {value!r} is not a number; expected a {word} in degrees")
        if not -limit <= float(value) <= limit:
            raise ValueError(
                f"{name} {float(value)!r} is not a {word} between {-limit:g} and {limit:g}"
            )


def check_coordinate_array(values, name: str) -> np.ndarray:
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


def check_items(ids, lon, lat) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"ids must be a 1-D array, got shape {ids.shape}")
    if ids.size and ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be integers, got dtype {ids.dtype}")
    if ids.dtype.kind == "u" and ids.size and ids.max() > np.iinfo(np.int64).max:
        raise ValueError(f"ids must fit in int64, got {int(ids.max())}")
    ids = ids.astype(np.int64)
    lon = check_coordinate_array(lon, "lon").copy()
    lat = check_coordinate_array(lat, "lat").copy()
    if not ids.size == lon.size == lat.size:
        raise ValueError(
            f"ids, lon and lat must have the same length, got {ids.size}, {lon.size} and {lat.size}"
        )
    ordered = np.sort(ids)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    if repeated.size:
        raise ValueError(f"ids must be unique; id {int(repeated[0])} appears more than once")
    return read_only(ids), read_only(lon), read_only(lat)


def check_positive_int(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_max_distance(value) -> None:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 <= float(value) < math.inf:
        raise ValueError(
            f"max_distance_m must be a finite, non-negative number of metres, got {value!r}"
        )


def read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array
