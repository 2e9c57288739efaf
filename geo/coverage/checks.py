"""Input checks shared by the coverage functions, and shares that are NaN without people."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

# Characters of an area code kept at each level: province, district, subdistrict.
LEVELS = {1: 4, 2: 6, 3: 8}

LON_LIMIT = (180.0, "longitude")
LAT_LIMIT = (90.0, "latitude")


def check_level(level) -> int:
    if isinstance(level, bool) or not isinstance(level, Integral) or int(level) not in LEVELS:
        raise ValueError(
            f"level {level!r} is not an area level; use 1 (province), 2 (district) or "
            "3 (subdistrict)"
        )
    return int(level)


def check_threshold(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value < math.inf:
        raise ValueError(f"{name} {value!r} is not a finite, non-negative distance in metres")


def check_group_columns(group_columns) -> tuple[str, ...]:
    if isinstance(group_columns, str):
        raise ValueError(
            f"group_columns must be a sequence of column names, got the string {group_columns!r}"
        )
    names = tuple(group_columns)
    if len(set(names)) != len(names):
        raise ValueError(f"group_columns must not repeat a name, got {list(names)}")
    return names


def checked_coordinates(values, name: str, limit: tuple[float, str]) -> np.ndarray:
    bound, word = limit
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of {word}s, got shape {array.shape}")
    if array.size and array.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold numbers ({word}s in degrees), got dtype {array.dtype}")
    array = array.astype(np.float64, copy=False)
    # "Not inside" rather than "outside" so that NaN is caught too.
    bad = ~((array >= -bound) & (array <= bound))
    if bad.any():
        position = int(np.argmax(bad))
        raise ValueError(
            f"{name}[{position}] = {float(array[position])!r} is not a {word} between "
            f"{-bound:g} and {bound:g}"
        )
    return array


def same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.size != b.size:
        raise ValueError(
            f"{name_a} and {name_b} must have the same length, got {a.size} and {b.size}"
        )


def share(part: int, whole: int) -> float:
    return part / whole if whole else math.nan


def shares(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.divide(part, whole, out=np.full(np.shape(part), np.nan), where=np.asarray(whole) > 0)
