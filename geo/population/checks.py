"""Input checks of the population layers: codes, polygons, province tables and counts."""

from __future__ import annotations

import re
from numbers import Integral

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

_SUBDISTRICT_CODE = re.compile(r"TH\d{6}")
AREA_CODE = re.compile(r"TH(?:\d{2}|\d{4}|\d{6})")
_PROVINCE_CODE = re.compile(r"TH\d{2}")


def check_positive_int(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_group_names(group_columns) -> tuple[str, ...]:
    if isinstance(group_columns, str):
        raise ValueError(
            f"group_columns must be a sequence of column names, got the string {group_columns!r}"
        )
    names = tuple(group_columns)
    reserved = {"province_code", "population", "area_code", "lon", "lat", "geometry"}
    for name in names:
        if not isinstance(name, str) or not name or name in reserved:
            raise ValueError(
                f"group column {name!r} must be a non-empty string other than {sorted(reserved)}"
            )
    if len(set(names)) != len(names):
        raise ValueError(f"group_columns must not repeat a name, got {list(names)}")
    return names


def check_subdistricts(
    subdistricts, code_column: str, pattern: re.Pattern = _SUBDISTRICT_CODE
) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(subdistricts, gpd.GeoDataFrame):
        raise ValueError(f"subdistricts must be a GeoDataFrame, got {type(subdistricts).__name__}")
    if subdistricts.crs is not None and subdistricts.crs.to_epsg() != 4326:
        raise ValueError(
            f"subdistricts must be in longitude/latitude (EPSG:4326), got CRS "
            f"{subdistricts.crs.to_string()!r}"
        )
    if code_column not in subdistricts.columns:
        raise ValueError(f"subdistricts has no column {code_column!r} (the subdistrict codes)")
    if len(subdistricts) == 0:
        raise ValueError("subdistricts is empty; there is nowhere to put the population")
    codes = subdistricts[code_column].to_numpy(dtype=object)
    for position, code in enumerate(codes):
        if not isinstance(code, str) or not pattern.fullmatch(code):
            what = (
                "a subdistrict code ('TH' and six digits, e.g. 'TH500101')"
                if pattern is _SUBDISTRICT_CODE
                else "an area code ('TH' and 2, 4 or 6 digits, e.g. 'TH500101')"
            )
            raise ValueError(f"subdistricts row {position}: {code_column} {code!r} is not {what}")
    unique, counts = np.unique(codes.astype(str), return_counts=True)
    if (counts > 1).any():
        raise ValueError(
            f"subdistrict codes must be unique; {str(unique[counts > 1][0])!r} appears "
            f"{counts[counts > 1][0]} times"
        )
    polygons = subdistricts.geometry.to_numpy()
    kinds = shapely.get_type_id(polygons)
    bad = (kinds != shapely.GeometryType.POLYGON) & (kinds != shapely.GeometryType.MULTIPOLYGON)
    bad |= shapely.is_empty(polygons) | ~(shapely.area(polygons) > 0)
    if bad.any():
        position = int(np.argmax(bad))
        raise ValueError(
            f"subdistrict {codes[position]!r}: geometry {shapely.to_wkt(polygons[position])[:60]!r}"
            " is not a non-empty polygon or multipolygon"
        )
    return codes.astype(str), polygons


def check_province_totals(
    totals, group_columns: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(totals, pd.DataFrame):
        raise ValueError(f"province_totals must be a DataFrame, got {type(totals).__name__}")
    needed = ["province_code", "population", *group_columns]
    missing = [name for name in needed if name not in totals.columns]
    if missing:
        raise ValueError(f"province_totals lacks the columns {missing}; it needs {needed}")
    codes = totals["province_code"].to_numpy(dtype=object)
    for position, code in enumerate(codes):
        if not isinstance(code, str) or not _PROVINCE_CODE.fullmatch(code):
            raise ValueError(
                f"province_totals row {position}: province_code {code!r} is not a province "
                "code ('TH' and two digits, e.g. 'TH50')"
            )
    if len(set(codes)) != len(codes):
        repeated = pd.Series(codes).loc[pd.Series(codes).duplicated()].iloc[0]
        raise ValueError(f"province_totals: province_code {repeated!r} appears more than once")
    counts = {name: count_column(totals, name) for name in ["population", *group_columns]}
    population = counts["population"]
    groups = (
        np.column_stack([counts[name] for name in group_columns])
        if group_columns
        else (np.zeros((len(codes), 0), dtype=np.int64))
    )
    if group_columns:
        off = groups.sum(axis=1) != population
        if off.any():
            position = int(np.argmax(off))
            raise ValueError(
                f"province_totals: the groups of {codes[position]} add up to "
                f"{int(groups[position].sum())}, not to its population {int(population[position])}"
            )
    order = np.argsort(codes.astype(str))
    return codes.astype(str)[order], population[order], groups[order]


def count_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    values = frame[name].to_numpy()
    if values.dtype.kind not in "iu":
        raise ValueError(
            f"province_totals column {name!r} must hold whole numbers of people, got dtype "
            f"{values.dtype}"
        )
    if (values < 0).any():
        position = int(np.argmax(values < 0))
        raise ValueError(
            f"province_totals row {position}: {name} = {int(values[position])} is negative"
        )
    return values.astype(np.int64)


def province_index(codes: np.ndarray, provinces: np.ndarray) -> np.ndarray:
    """Position in ``provinces`` (sorted) of each subdistrict's province; checks both ways."""
    parent = np.array([code[:4] for code in codes], dtype=object)
    where = np.searchsorted(provinces, parent)
    found = (where < provinces.size) & (provinces[np.minimum(where, provinces.size - 1)] == parent)
    if not found.all():
        position = int(np.argmax(~found))
        raise ValueError(
            f"subdistrict {str(codes[position])!r} is in province {parent[position]!r}, which has "
            "no row in province_totals"
        )
    empty = np.bincount(where, minlength=provinces.size) == 0
    if empty.any():
        raise ValueError(
            f"province {str(provinces[int(np.argmax(empty))])!r} has a population total but no "
            "subdistrict to put it in"
        )
    return where
