"""The population layer read into arrays: coordinates, people, area and groups of each unit."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.coverage.checks import LAT_LIMIT, LEVELS, LON_LIMIT, checked_coordinates

_AREA_CODE = re.compile(r"TH(\d\d){1,3}")


@dataclass(frozen=True)
class Units:
    """The layer as arrays: coordinates, people, area of each unit, group counts."""

    lon: np.ndarray
    lat: np.ndarray
    weight: np.ndarray
    area_index: np.ndarray | None
    area_codes: np.ndarray | None
    groups: dict[str, np.ndarray]


def read_units(
    population,
    *,
    area_codes_column: str | None = None,
    level: int | None = None,
    group_columns: tuple[str, ...] = (),
) -> Units:
    if not isinstance(population, pd.DataFrame):
        raise ValueError(
            f"population must be a DataFrame of units, got {type(population).__name__}"
        )
    lon, lat = _unit_coordinates(population)
    weight = _counts(population, "population")
    groups = {name: _counts(population, name) for name in group_columns}
    area_index = area_codes = None
    if area_codes_column is not None:
        area_index, area_codes = _area_codes(population, area_codes_column, level)
    return Units(lon, lat, weight, area_index, area_codes, groups)


def _unit_coordinates(population: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if "lon" in population.columns and "lat" in population.columns:
        lon = population["lon"].to_numpy()
        lat = population["lat"].to_numpy()
    elif _has_point_geometry(population):
        crs = population.crs
        if crs is not None and crs.to_epsg() != 4326:
            raise ValueError(
                "population has no lon/lat columns and its geometry is in "
                f"{crs.to_string()!r}; give lon/lat or points in EPSG:4326"
            )
        geometry = population.geometry
        lon = geometry.x.to_numpy()
        lat = geometry.y.to_numpy()
    else:
        raise ValueError(
            "population needs 'lon' and 'lat' columns (degrees WGS 84) or point geometry"
        )
    return (
        checked_coordinates(lon, "population lon", LON_LIMIT),
        checked_coordinates(lat, "population lat", LAT_LIMIT),
    )


def _has_point_geometry(frame: pd.DataFrame) -> bool:
    geometry = getattr(frame, "geometry", None)
    return (
        geometry is not None
        and hasattr(geometry, "geom_type")
        and bool((geometry.geom_type == "Point").all())
    )


def _counts(population: pd.DataFrame, column: str) -> np.ndarray:
    if column not in population.columns:
        raise ValueError(f"population has no column {column!r}")
    values = population[column].to_numpy()
    if values.dtype.kind not in "iu":
        raise ValueError(
            f"population column {column!r} must hold whole numbers of people (an integer "
            f"dtype), got dtype {values.dtype}"
        )
    negative = values < 0
    if negative.any():
        row = int(np.argmax(negative))
        raise ValueError(
            f"population row {row}: {column} = {int(values[row])} is negative; counts of "
            "people must be 0 or more"
        )
    return values.astype(np.int64, copy=False)


def _area_codes(population: pd.DataFrame, column: str, level: int) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's area at ``level`` as an index into the sorted area codes."""
    if column not in population.columns:
        raise ValueError(f"population has no column {column!r} (the area codes)")
    # Factorising first means the codes are checked and cut once per distinct code, not
    # once per unit: a country-scale layer repeats a few thousand codes millions of times.
    unit_code, distinct = pd.factorize(population[column], use_na_sentinel=True)
    if (unit_code < 0).any():
        row = int(np.argmax(unit_code < 0))
        raise ValueError(f"population row {row}: {column} is missing; every unit needs a code")
    length = LEVELS[level]
    prefixes = []
    for code in distinct:
        if not isinstance(code, str) or not _AREA_CODE.fullmatch(code):
            row = int(np.argmax(population[column].to_numpy(dtype=object) == code))
            raise ValueError(
                f"population row {row}: {column} {code!r} is not an HDX pcode ('TH' and 2, 4 "
                "or 6 digits)"
            )
        # A coarser code stays whole: its people form a row of their own at this level.
        prefixes.append(code[:length])
    area_codes, prefix_index = np.unique(np.array(prefixes, dtype=object), return_inverse=True)
    return prefix_index[unit_code].astype(np.int64), area_codes


def modelled(population: pd.DataFrame) -> bool:
    return bool(population.attrs.get("modelled", False))
