"""A modelled population layer: province totals spread over points inside the subdistricts.

Pure computation: the caller passes DOPA's registered population per province (already parsed
from its JSON) and the subdistrict polygons; the functions here return frames. Nothing is read
from disk here.

Why a model
-----------
Coverage questions ("who lives more than 10 km from an open vaccination site?") need people
placed on the map. The Department of Provincial Administration (DOPA) publishes the registered
population of each of the 77 provinces, with three age bands, but no district or subdistrict
count is available in public form. So the people of a province have to be spread over its
land by a model, and every number derived from the layer is *modelled*, not measured: frames
returned here carry ``attrs["modelled"] = True`` and a one-line description in
``attrs["model"]``, and whatever shows them must say "modelled".

The model
---------
1. **Equal share per subdistrict within a province.** A province's registered total is split
   equally among its subdistricts (tambon, or khwaeng in Bangkok). Tambons are drawn around
   settlements: each groups a number of villages (muban), and small ones are merged and large
   ones split, so their populations vary far less than their areas do. A mountain tambon may
   be fifty times the area of a lowland one while holding a similar number of people. An
   area-proportional spread would send most of Chiang Mai's or Tak's population into empty
   forest; an equal share keeps people where the administrative map says settlements are.
2. **Points spread evenly over each subdistrict.** Each subdistrict's share is carried by
   ``points_per_subdistrict`` points, placed along a two-dimensional Halton sequence (a
   low-discrepancy sequence: every prefix covers the square evenly) over the polygon's
   bounding box, keeping the first points that fall inside the polygon. The sequence is
   shifted modulo 1 (a Cranley-Patterson rotation) by an offset drawn from a random
   generator seeded with ``(seed, subdistrict number)``, so the layout is reproducible, and
   each subdistrict's points depend only on its own code, its polygon and the seed, never on
   which other subdistricts are passed. Evenly spread points each stand for about the same
   area, which suits the equal share they carry. The box is sampled uniformly in degrees;
   across one subdistrict cos(latitude) changes by well under 1 %, so uniform in degrees is
   uniform in area to that accuracy.
3. **Whole people, exact totals.** Shares are apportioned in integers by the largest
   remainder method: the equal split of ``T`` people over ``n`` parts gives every part
   ``T // n`` and one more to the first ``T % n`` parts in code order (all remainders are
   equal, so code order breaks the tie). Subdistrict totals therefore add up exactly to the
   province totals, and point totals to the subdistrict totals.
4. **Age bands in proportion, exact both ways.** Every point of a province gets the
   province's age mix. Each band count is the point's proportional share rounded down or up
   (so within one person of proportional), chosen such that the bands of every point add up
   to the point's population *and* each band adds up over the province to the province's
   band total. Such a rounding always exists (the fractional shares form a point of a
   transportation polytope, whose vertices are integral); it is built row by row, giving
   each point's spare people to the bands with the most people still to place (Ryser's
   construction).

:func:`province_totals_from_dopa` prepares the province table from DOPA's two public files.
The age-band file comes from another extract than the totals (it sums to 66,181,932 against
66,186,727), so its bands are used as shares of the registered total, apportioned again by
largest remainder.

Weaknesses
----------
* Equal shares understate dense towns and overstate remote tambons: a municipal tambon may
  hold ten times the people of a rural one in the same province. Province totals are right;
  subdistrict and district figures are only as good as that assumption.
* Within a subdistrict people are spread over all land, forest, paddy and reservoirs
  included, while real people live in villages along roads. Distances are overstated in
  large upland tambons and the spread hides the clusters a planner would look for.
* Registered population is where people are registered, not where they live: migrant
  workers, students and commuters count at home. Bangkok has 5.59 million registered, while
  the NSO estimate of the people living there (also public, also only by province) is 7.70
  million; Samut Prakan 1.35 against 1.93 million.
* Every subdistrict of a province shares one age mix.
* The boundaries date from 2019; about a dozen tambons created since are missing, and their
  people sit in the polygons they were split from.
* Points are a fixed number per subdistrict, so a subdistrict's people are represented at
  ``points_per_subdistrict`` locations only: distances are resolved to roughly the
  subdistrict's size divided by the square root of that number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from numbers import Integral

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

#: The age bands of DOPA's public file, as column names: under 20, 20 to 60, over 60.
AGE_GROUPS: tuple[str, ...] = ("under_20", "20_60", "over_60")
# Keys of the bands in th-census-age-group.json, in the order of AGE_GROUPS.
_DOPA_BAND_KEYS = ("<20", "20-60", ">60")

MODEL_DESCRIPTION = (
    "modelled: DOPA registered population per province, split equally among its "
    "subdistricts, then equally among evenly spread points inside each subdistrict"
)

_SUBDISTRICT_CODE = re.compile(r"TH\d{6}")
_AREA_CODE = re.compile(r"TH(?:\d{2}|\d{4}|\d{6})")
_PROVINCE_CODE = re.compile(r"TH\d{2}")

# Halton points tested per subdistrict, round by round: most tambons fill about half their
# bounding box, so 64 points almost always yield 8 inside; thin or island-strewn ones get
# more rounds. After the last round, any points still missing are the polygon's
# representative point (see _place_points).
_HALTON_ROUNDS = (64, 1024, 16_384)


# -- public -----------------------------------------------------------------------------------


def province_totals_from_dopa(
    census: Iterable[Mapping], age_groups: Iterable[Mapping]
) -> pd.DataFrame:
    """Registered population per province with its age bands, as a province table.

    ``census`` is DOPA's registered population per province (``th-census-data.json``: one
    record per province with ``PROV_CODE`` and ``population``); ``age_groups`` its counts by
    age band (``th-census-age-group.json``: ``PROV_CODE``, ``<20``, ``20-60``, ``>60``). The
    two files come from different extracts, so the bands are taken as shares of the census
    total and apportioned to it by the largest remainder method (ties to the younger band);
    each province's bands then add up exactly to its census total.

    Parameters
    ----------
    census : iterable of mapping
        Records with ``PROV_CODE`` (DOPA province code, e.g. ``"50"`` or ``50``) and
        ``population`` (a non-negative integer).
    age_groups : iterable of mapping
        Records with ``PROV_CODE`` and the band counts ``<20``, ``20-60`` and ``>60``.

    Returns
    -------
    pandas.DataFrame
        One row per province, sorted by code: ``province_code`` (HDX pcode such as
        ``"TH50"``), ``population``, ``under_20``, ``20_60``, ``over_60`` (int64).

    Raises
    ------
    ValueError
        If a code is not a two-digit province code or repeats, a count is not a
        non-negative integer, the two inputs name different provinces, or a province with
        people has no people in any age band.

    Examples
    --------
    >>> census = [{"PROV_CODE": "50", "population": 1000}]
    >>> ages = [{"PROV_CODE": 50, "<20": 201, "20-60": 600, ">60": 200}]
    >>> province_totals_from_dopa(census, ages).to_dict("records")
    [{'province_code': 'TH50', 'population': 1000, 'under_20': 201, '20_60': 599, 'over_60': 200}]
    """
    totals = {}
    for number, record in enumerate(census):
        code = _dopa_province_code(record, "census", number)
        if code in totals:
            raise ValueError(f"census record {number}: province code {code!r} appears twice")
        totals[code] = _count(record, "population", f"census record {number} ({code})")
    bands = {}
    for number, record in enumerate(age_groups):
        code = _dopa_province_code(record, "age_groups", number)
        if code in bands:
            raise ValueError(f"age_groups record {number}: province code {code!r} appears twice")
        where = f"age_groups record {number} ({code})"
        bands[code] = [_count(record, key, where) for key in _DOPA_BAND_KEYS]
    if set(totals) != set(bands):
        only_census = sorted(set(totals) - set(bands))
        only_ages = sorted(set(bands) - set(totals))
        raise ValueError(
            "census and age_groups must name the same provinces; only in census: "
            f"{only_census}, only in age_groups: {only_ages}"
        )

    rows = []
    for code in sorted(totals):
        weights = np.array(bands[code], dtype=np.int64)
        if totals[code] > 0 and weights.sum() == 0:
            raise ValueError(
                f"province {code} has population {totals[code]} but no one in any age band, "
                "so its bands cannot be apportioned"
            )
        shares = _largest_remainder(totals[code], weights)
        rows.append((code, totals[code], *shares.tolist()))
    frame = pd.DataFrame(rows, columns=["province_code", "population", *AGE_GROUPS])
    frame[["population", *AGE_GROUPS]] = frame[["population", *AGE_GROUPS]].astype(np.int64)
    return frame


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
    _check_positive_int(points_per_subdistrict, "points_per_subdistrict")
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    group_columns = _check_group_names(group_columns)
    codes, polygons = _check_subdistricts(subdistricts, code_column)
    provinces, province_population, province_groups = _check_province_totals(
        province_totals, group_columns
    )

    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    polygons = polygons[order]
    province_of = _province_index(codes, provinces)

    subdistrict_population = split_equally(province_population, province_of)
    per_point = int(points_per_subdistrict)
    point_subdistrict = np.repeat(np.arange(codes.size), per_point)
    point_population = split_equally(subdistrict_population, point_subdistrict)
    lon, lat = _place_points(codes, polygons, per_point, int(seed))
    groups = _split_groups(point_population, province_of[point_subdistrict], province_groups)

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
    _check_positive_int(points_per_area, "points_per_area")
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    codes, polygons = _check_subdistricts(areas, code_column, _AREA_CODE)
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
    population = _count_column(counts, "population")[order]
    per_point = int(points_per_area)
    point_area = np.repeat(np.arange(wanted.size), per_point)
    point_population = split_equally(population, point_area)
    lon, lat = _place_points(
        wanted, np.array([polygon_of[code] for code in wanted]), per_point, int(seed)
    )
    frame = pd.DataFrame({"area_code": wanted[point_area], "lon": lon, "lat": lat})
    frame["population"] = point_population
    if province_groups is not None:
        names = _check_group_names(group_columns)
        frame = _with_province_groups(frame, province_groups, names)
    layer = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    layer.attrs["modelled"] = False
    layer.attrs["placement"] = PLACEMENT_DESCRIPTION
    return layer


def _with_province_groups(
    frame: pd.DataFrame, province_groups: pd.DataFrame, names: tuple[str, ...]
) -> pd.DataFrame:
    """Each point's groups from its province's bands, adding up per point and per province."""
    provinces, band_population, bands = _check_province_totals(
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
    groups = _split_groups(frame["population"].to_numpy(np.int64), where, bands)
    for column, name in enumerate(names):
        frame[name] = groups[:, column]
    return frame


# -- input checks -----------------------------------------------------------------------------


def _dopa_province_code(record: Mapping, source: str, number: int) -> str:
    raw = record.get("PROV_CODE") if isinstance(record, Mapping) else None
    text = str(raw).strip() if isinstance(raw, (str, Integral)) else ""
    if not (text.isdigit() and len(text) == 2):
        raise ValueError(
            f"{source} record {number}: PROV_CODE {raw!r} is not a two-digit DOPA province code"
        )
    return "TH" + text


def _count(record: Mapping, key: str, where: str) -> int:
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise ValueError(f"{where}: {key!r} = {value!r} is not a non-negative integer count")
    return int(value)


def _check_positive_int(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _check_group_names(group_columns) -> tuple[str, ...]:
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


def _check_subdistricts(
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


def _check_province_totals(
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
    counts = {name: _count_column(totals, name) for name in ["population", *group_columns]}
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


def _count_column(frame: pd.DataFrame, name: str) -> np.ndarray:
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


def _province_index(codes: np.ndarray, provinces: np.ndarray) -> np.ndarray:
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


# -- apportionment ----------------------------------------------------------------------------


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` in proportion to integer ``weights``; remainder ties to the first."""
    weight_sum = int(weights.sum())
    if total == 0:
        return np.zeros(weights.size, dtype=np.int64)
    # Integer arithmetic keeps the quotas and their remainders exact.
    product = weights.astype(object) * total
    shares = np.array([int(p // weight_sum) for p in product], dtype=np.int64)
    remainders = np.array([int(p % weight_sum) for p in product], dtype=np.int64)
    extra = total - int(shares.sum())
    # lexsort's last key is primary: largest remainder first, then band order.
    winners = np.lexsort((np.arange(weights.size), -remainders))[:extra]
    shares[winners] += 1
    return shares


def split_equally(parent_totals: np.ndarray, parent_of: np.ndarray) -> np.ndarray:
    """Split each parent's total equally among its children, in whole units.

    ``parent_of`` must be sorted (children of a parent contiguous, in code order). Every child
    gets ``total // n`` and the first ``total % n`` children one more: the largest remainder
    method when all remainders are equal, with ties to the lower code.
    """
    children = np.bincount(parent_of, minlength=parent_totals.size)
    first_child = np.concatenate(([0], np.cumsum(children)[:-1]))
    rank = np.arange(parent_of.size) - first_child[parent_of]
    base = parent_totals[parent_of] // children[parent_of]
    return base + (rank < parent_totals[parent_of] % children[parent_of])


def _split_groups(
    population: np.ndarray, province_of: np.ndarray, province_groups: np.ndarray
) -> np.ndarray:
    """Group counts per point, adding up to the point's population and the province's groups.

    Controlled rounding of the table of proportional shares ``population * group / total``:
    every cell is its share rounded down, plus one for some cells, so that row sums (points)
    and column sums (groups) come out exact. Each row's spare people go to the groups with
    the most people still unplaced (ties to the larger fractional share, then group order).
    By Ryser's exchange argument this greedy order never gets stuck when a 0/1 completion
    exists, and one does: the fractional parts themselves are a fractional one.
    """
    groups = np.zeros((population.size, province_groups.shape[1]), dtype=np.int64)
    if province_groups.shape[1] == 0:
        return groups
    for province in range(province_groups.shape[0]):
        rows = np.flatnonzero(province_of == province)
        band_totals = province_groups[province]
        total = int(band_totals.sum())
        if total == 0 or rows.size == 0:
            continue
        product = population[rows, None] * band_totals[None, :]
        floor = product // total
        fraction = product % total
        row_spare = (population[rows] - floor.sum(axis=1)).tolist()
        column_spare = (band_totals - floor.sum(axis=0)).tolist()
        # Plain Python on a handful of groups per row beats NumPy's per-call overhead here.
        fractions = fraction.tolist()
        bands = range(band_totals.size)
        for row, spare in enumerate(row_spare):
            if spare == 0:
                continue
            ranked = sorted((-column_spare[band], -fractions[row][band], band) for band in bands)
            for *_, band in ranked[:spare]:
                if column_spare[band] <= 0:
                    raise RuntimeError("controlled rounding of the age groups ran out of people")
                column_spare[band] -= 1
                floor[row, band] += 1
        groups[rows] = floor
    return groups


# -- point placement --------------------------------------------------------------------------


def _radical_inverse(indices: np.ndarray, base: int) -> np.ndarray:
    """The van der Corput radical inverse of each index in ``base``, in [0, 1)."""
    result = np.zeros(indices.size)
    remaining = indices.copy()
    scale = 1.0 / base
    while remaining.any():
        result += scale * (remaining % base)
        remaining //= base
        scale /= base
    return result


# Index 0 would be the corner (0, 0) before the shift; starting at 1 is the usual convention.
_HALTON = np.column_stack(
    [_radical_inverse(np.arange(1, _HALTON_ROUNDS[-1] + 1), base) for base in (2, 3)]
)


def _place_points(
    codes: np.ndarray, polygons: np.ndarray, per_subdistrict: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``per_subdistrict`` points inside each polygon, evenly spread (see the module docstring).

    Returns lon and lat, ``per_subdistrict`` consecutive entries per subdistrict.
    """
    shifts = np.array([np.random.default_rng([seed, int(code[2:])]).random(2) for code in codes])
    bounds = shapely.bounds(polygons)
    lon = np.full((codes.size, per_subdistrict), np.nan)
    lat = np.full((codes.size, per_subdistrict), np.nan)
    shapely.prepare(polygons)
    todo = np.arange(codes.size)
    for tested in _HALTON_ROUNDS:
        if todo.size == 0:
            break
        # Same prefix of the sequence every round, so the points kept are always the first
        # ones inside, whatever round found them.
        unit = np.mod(_HALTON[None, :tested, :] + shifts[todo, None, :], 1.0)
        low = bounds[todo, None, :2]
        size = bounds[todo, None, 2:] - bounds[todo, None, :2]
        xy = low + unit * size
        inside = shapely.contains_xy(polygons[todo, None], xy[..., 0], xy[..., 1])
        found = inside.sum(axis=1)
        done = found >= per_subdistrict
        # A stable sort of "not inside" lists the inside points first, in sequence order.
        first = np.argsort(~inside[done], axis=1, kind="stable")[:, :per_subdistrict]
        kept = np.take_along_axis(xy[done], first[..., None], axis=1)
        lon[todo[done]] = kept[..., 0]
        lat[todo[done]] = kept[..., 1]
        if not done.all() and tested == _HALTON_ROUNDS[-1]:
            _fill_with_surface_points(polygons, todo[~done], xy[~done], inside[~done], lon, lat)
        todo = todo[~done]
    return lon.ravel(), lat.ravel()


def _fill_with_surface_points(polygons, rows, xy, inside, lon, lat) -> None:
    """For polygons too thin for the sequence: the points found, then the surface point.

    A polygon with fewer inside points than needed among the 16,384 tested (for 8 points, one
    filling under 1/2,048 of its bounding box: a hair-thin sliver) gets its missing points
    at shapely's ``point_on_surface``, which is always inside; they carry their equal shares
    there.
    """
    per_subdistrict = lon.shape[1]
    for row, points, hits in zip(rows, xy, inside, strict=True):
        found = points[hits][:per_subdistrict]
        surface = shapely.point_on_surface(polygons[row])
        lon[row] = surface.x
        lat[row] = surface.y
        lon[row, : len(found)] = found[:, 0]
        lat[row, : len(found)] = found[:, 1]
