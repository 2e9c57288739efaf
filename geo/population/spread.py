"""The modelled layer: each province's registered people spread over its subdistricts.

See the package docstring for the model, its reasons and its weaknesses.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.population.apportion import split_equally, split_groups
from geo.population.checks import (
    check_group_names,
    check_positive_int,
    check_province_totals,
    check_subdistricts,
    province_index,
)
from geo.population.dopa import AGE_GROUPS
from geo.population.points import place_points

MODEL_DESCRIPTION = (
    "modelled: DOPA registered population per province, split equally among its "
    "subdistricts, then equally among evenly spread points inside each subdistrict"
)


def spread_population(
    subdistricts: gpd.GeoDataFrame,
    province_totals: pd.DataFrame,
    *,
    points_per_subdistrict: int = 8,
    seed: int = 0,
    code_column: str = "adm3_pcode",
    group_columns: Sequence[str] = AGE_GROUPS,
) -> gpd.GeoDataFrame:
    """Spread each province's population over points inside its subdistricts (modelled).

    Each province's total is split equally among its subdistricts, each subdistrict's share
    equally among ``points_per_subdistrict`` points spread evenly inside its polygon, always
    in whole people by the largest remainder method; every point gets the province's age
    mix, rounded so that the bands add up both per point and per province. The module
    docstring gives the reasons and the weaknesses. The province of a subdistrict is its
    code's first four characters (``TH500101`` is in ``TH50``).

    Parameters
    ----------
    subdistricts : geopandas.GeoDataFrame
        One row per subdistrict: a code column (``TH`` and six digits, unique) and a
        non-empty (Multi)Polygon in longitude/latitude (EPSG:4326, or no CRS).
    province_totals : pandas.DataFrame
        One row per province: ``province_code`` (``TH`` and two digits), ``population`` and
        one column per name in ``group_columns``, all non-negative integers, the groups of a
        province adding up to its population (see :func:`province_totals_from_dopa`). Every
        province must have at least one subdistrict, and every subdistrict a province row.
    points_per_subdistrict : int, default 8
        Points per subdistrict; 8 gives 59,400 points for Thailand's 7,425 subdistricts.
    seed : int, default 0
        Seeds the placement of the points; a non-negative integer.
    code_column : str, default "adm3_pcode"
        The column of ``subdistricts`` holding the codes.
    group_columns : sequence of str, default AGE_GROUPS
        Population groups to carry; ``()`` for none.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per point, sorted by subdistrict code then point number, in EPSG:4326:
        ``area_code`` (the subdistrict), ``lon``, ``lat``, ``population`` and the group
        columns (int64), and the point ``geometry``. ``attrs["modelled"]`` is True and
        ``attrs["model"]`` describes the model.

    Raises
    ------
    ValueError
        If a code, polygon, CRS, count or parameter breaks the rules above.

    Examples
    --------
    >>> from shapely import box
    >>> subdistricts = gpd.GeoDataFrame(
    ...     {"adm3_pcode": ["TH500101", "TH500102"]},
    ...     geometry=[box(98.9, 18.7, 99.0, 18.8), box(99.0, 18.7, 99.1, 18.8)],
    ...     crs="EPSG:4326",
    ... )
    >>> totals = pd.DataFrame({"province_code": ["TH50"], "population": [11], "adults": [11]})
    >>> layer = spread_population(
    ...     subdistricts, totals, points_per_subdistrict=2, group_columns=["adults"]
    ... )
    >>> layer[["area_code", "population", "adults"]].to_dict("list")
    {'area_code': ['TH500101', 'TH500101', 'TH500102', 'TH500102'], \
'population': [3, 3, 3, 2], 'adults': [3, 3, 3, 2]}
    >>> bool(layer.within(subdistricts.union_all()).all()), layer.attrs["modelled"]
    (True, True)
    """
    check_positive_int(points_per_subdistrict, "points_per_subdistrict")
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    group_columns = check_group_names(group_columns)
    codes, polygons = check_subdistricts(subdistricts, code_column)
    provinces, province_population, province_groups = check_province_totals(
        province_totals, group_columns
    )

    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    polygons = polygons[order]
    province_of = province_index(codes, provinces)

    subdistrict_population = split_equally(province_population, province_of)
    per_point = int(points_per_subdistrict)
    point_subdistrict = np.repeat(np.arange(codes.size), per_point)
    point_population = split_equally(subdistrict_population, point_subdistrict)
    lon, lat = place_points(codes, polygons, per_point, int(seed))
    groups = split_groups(point_population, province_of[point_subdistrict], province_groups)

    frame = pd.DataFrame(
        {"area_code": codes[point_subdistrict], "lon": lon, "lat": lat},
    )
    frame["population"] = point_population
    for column, name in enumerate(group_columns):
        frame[name] = groups[:, column]
    layer = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    layer.attrs["modelled"] = True
    layer.attrs["model"] = MODEL_DESCRIPTION
    return layer
