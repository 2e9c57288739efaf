"""Measured counts per area placed on points inside each area: counts exact, places not."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.population.apportion import split_equally, split_groups
from geo.population.checks import (
    AREA_CODE,
    check_group_names,
    check_positive_int,
    check_province_totals,
    check_subdistricts,
    count_column,
)
from geo.population.dopa import AGE_GROUPS
from geo.population.points import place_points

PLACEMENT_DESCRIPTION = (
    "measured by subdistrict, placed within it: DOPA's registered count of each subdistrict, "
    "split equally among evenly spread points inside its polygon"
)


def place_area_counts(
    areas: gpd.GeoDataFrame,
    counts: pd.DataFrame,
    *,
    province_groups: pd.DataFrame | None = None,
    group_columns: Sequence[str] = AGE_GROUPS,
    points_per_area: int = 8,
    seed: int = 0,
    code_column: str = "code",
) -> gpd.GeoDataFrame:
    """Place measured counts per area on points inside each area (counts exact, places not).

    The counts are measured (a registration count per subdistrict, say); only where the
    people stand inside their area is chosen here: each area's count is split equally among
    ``points_per_area`` points spread evenly over its polygon, in whole people by the largest
    remainder method, exactly as :func:`spread_population` places a subdistrict's share
    (same Halton points for the same code and seed). An area may be of any level: people
    known only by district (a subdistrict newer than the boundaries) are spread over the
    district.

    Why evenly: the only finer fact DOPA publishes is the split between the municipal and
    the non-municipal part of a tambon, and the boundaries of municipalities are not among
    the registry's layers, so there is nowhere to put a "municipal" weight; an even spread
    claims nothing it does not know. Large upland tambons will show people in forest, as
    with the modelled layer; every figure by subdistrict, district and province is exact.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Polygons of every area ``counts`` names: a code column (``TH`` and 2, 4 or 6 digits,
        unique) and a (Multi)Polygon in longitude/latitude.
    counts : pandas.DataFrame
        ``area_code`` (unique, each in ``areas``) and ``population`` (whole people).
    province_groups : pandas.DataFrame, optional
        When the counts have no group split (DOPA publishes none by subdistrict), the groups
        of each province (``province_code`` and the ``group_columns``), adding up to the sum
        of its counts: every point gets its province's mix, rounded so that points and
        province bands both add up (see :func:`spread_population`).
    group_columns : sequence of str, default AGE_GROUPS
    points_per_area : int, default 8
    seed : int, default 0
    code_column : str, default "code"
        The code column of ``areas``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``area_code``, ``lon``, ``lat``, ``population`` and one column per group (when
        ``province_groups`` is given), ``points_per_area`` rows per area, areas in code order;
        ``attrs["modelled"]`` is False and ``attrs["placement"]`` says how they were placed.

    Raises
    ------
    ValueError
        On a bad code, geometry or count, an area without a polygon, or province groups that
        do not add up to the province's counts.

    Examples
    --------
    >>> import shapely
    >>> areas = gpd.GeoDataFrame(
    ...     {"code": ["TH500101"]}, geometry=[shapely.box(98.9, 18.7, 99.0, 18.8)], crs=4326
    ... )
    >>> units = place_area_counts(
    ...     areas, pd.DataFrame({"area_code": ["TH500101"], "population": [10]}), points_per_area=4
    ... )
    >>> units["population"].tolist()
    [3, 3, 2, 2]
    """
    check_positive_int(points_per_area, "points_per_area")
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    codes, polygons = check_subdistricts(areas, code_column, AREA_CODE)
    polygon_of = dict(zip(codes.tolist(), polygons, strict=True))
    if not {"area_code", "population"} <= set(counts.columns):
        raise ValueError("counts needs the columns 'area_code' and 'population'")
    wanted = counts["area_code"].astype(str).to_numpy()
    order = np.argsort(wanted, kind="stable")
    wanted = wanted[order]
    if wanted.size != np.unique(wanted).size:
        raise ValueError("counts: every area_code must appear once")
    missing = [code for code in wanted if code not in polygon_of]
    if missing:
        raise ValueError(f"counts: area {missing[0]!r} has no polygon in areas")
    population = count_column(counts, "population")[order]
    per_point = int(points_per_area)
    point_area = np.repeat(np.arange(wanted.size), per_point)
    point_population = split_equally(population, point_area)
    lon, lat = place_points(
        wanted, np.array([polygon_of[code] for code in wanted]), per_point, int(seed)
    )
    frame = pd.DataFrame({"area_code": wanted[point_area], "lon": lon, "lat": lat})
    frame["population"] = point_population
    if province_groups is not None:
        names = check_group_names(group_columns)
        frame = _with_province_groups(frame, province_groups, names)
    layer = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    layer.attrs["modelled"] = False
    layer.attrs["placement"] = PLACEMENT_DESCRIPTION
    return layer


def _with_province_groups(
    frame: pd.DataFrame, province_groups: pd.DataFrame, names: tuple[str, ...]
) -> pd.DataFrame:
    """Each point's groups from its province's bands, adding up per point and per province."""
    provinces, band_population, bands = check_province_totals(
        province_groups.assign(population=province_groups[list(names)].sum(axis=1)), names
    )
    parent = frame["area_code"].str[:4].to_numpy(dtype=object)
    where = np.searchsorted(provinces, parent)
    found = (where < provinces.size) & (provinces[np.minimum(where, provinces.size - 1)] == parent)
    if not found.all():
        raise ValueError(f"province {parent[int(np.argmax(~found))]!r} has no row of groups")
    people = np.bincount(where, weights=frame["population"], minlength=provinces.size)
    off = people.astype(np.int64) != band_population
    if off.any():
        position = int(np.argmax(off))
        raise ValueError(
            f"the groups of {provinces[position]} add up to {int(band_population[position])}, "
            f"not to the {int(people[position])} people counted in its areas"
        )
    groups = split_groups(frame["population"].to_numpy(np.int64), where, bands)
    for column, name in enumerate(names):
        frame[name] = groups[:, column]
    return frame
