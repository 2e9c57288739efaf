"""Tests for geo.population: the modelled population layer.

The real-data tests use DOPA's province files from the shared data folder and the bundled
subdistrict polygons; they check the promises of the model (exact totals at every level,
every point inside its own subdistrict), not its realism, which the module docstring
discusses.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import box

from geo.population import AGE_GROUPS, province_totals_from_dopa, spread_population
from geo.population.apportion import split_groups

ROOT = Path(__file__).resolve().parents[2]
SUBDISTRICTS = ROOT / "data" / "th_adm3_subdistricts.geojson"
POPULATION = ROOT.parent / "shared" / "data" / "population"
DOPA_TOTAL = 66_186_727


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def subdistricts() -> gpd.GeoDataFrame:
    return gpd.read_file(SUBDISTRICTS)


@pytest.fixture(scope="module")
def province_totals() -> pd.DataFrame:
    if not POPULATION.is_dir():
        pytest.skip(f"the shared population data {POPULATION} is not here")
    census = json.loads((POPULATION / "th-census-data.json").read_text(encoding="utf-8"))
    ages = json.loads((POPULATION / "th-census-age-group.json").read_text(encoding="utf-8"))
    return province_totals_from_dopa(census, ages)


@pytest.fixture(scope="module")
def layer(subdistricts, province_totals) -> gpd.GeoDataFrame:
    return spread_population(subdistricts, province_totals)


def two_boxes(codes=("TH500101", "TH500102")) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"adm3_pcode": list(codes)},
        geometry=[box(98.9 + 0.1 * i, 18.7, 99.0 + 0.1 * i, 18.8) for i in range(len(codes))],
        crs="EPSG:4326",
    )


def totals(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["province_code", "population", *AGE_GROUPS])


# -- DOPA province table ----------------------------------------------------------------------


def test_dopa_table_keeps_the_census_totals_and_splits_them_into_bands(province_totals):
    assert len(province_totals) == 77
    assert province_totals["province_code"].is_unique
    assert province_totals["province_code"].str.fullmatch(r"TH\d\d").all()
    assert int(province_totals["population"].sum()) == DOPA_TOTAL
    bands = province_totals[list(AGE_GROUPS)]
    assert (bands.sum(axis=1) == province_totals["population"]).all()
    assert int(bands.to_numpy().sum()) == DOPA_TOTAL
    bangkok = province_totals.set_index("province_code").loc["TH10"]
    assert bangkok["population"] == 5_588_222


def test_dopa_bands_are_the_age_file_shares_rounded_by_largest_remainder():
    census = [{"PROV_CODE": "10", "population": 10}, {"PROV_CODE": "11", "population": 0}]
    ages = [
        {"PROV_CODE": 10, "<20": 1, "20-60": 1, ">60": 1},
        {"PROV_CODE": 11, "<20": 5, "20-60": 0, ">60": 0},
    ]

    table = province_totals_from_dopa(census, ages)

    # 10/3 each: 3, 3, 3 and the one left over goes to the first band (equal remainders).
    assert table.to_dict("records") == [
        {"province_code": "TH10", "population": 10, "under_20": 4, "20_60": 3, "over_60": 3},
        {"province_code": "TH11", "population": 0, "under_20": 0, "20_60": 0, "over_60": 0},
    ]


@pytest.mark.parametrize(
    ("census", "ages", "message"),
    [
        ([{"PROV_CODE": "5", "population": 1}], [], r"PROV_CODE '5' is not a two-digit"),
        (
            [{"PROV_CODE": "10", "population": -1}],
            [{"PROV_CODE": 10, "<20": 1, "20-60": 1, ">60": 1}],
            r"'population' = -1 is not a non-negative integer",
        ),
        (
            [{"PROV_CODE": "10", "population": 1}, {"PROV_CODE": 10, "population": 1}],
            [],
            r"'TH10' appears twice",
        ),
        (
            [{"PROV_CODE": "10", "population": 1}],
            [{"PROV_CODE": 11, "<20": 1, "20-60": 1, ">60": 1}],
            r"only in census: \['TH10'\], only in age_groups: \['TH11'\]",
        ),
        (
            [{"PROV_CODE": "10", "population": 5}],
            [{"PROV_CODE": 10, "<20": 0, "20-60": 0, ">60": 0}],
            r"TH10 has population 5 but no one in any age band",
        ),
        (
            [{"PROV_CODE": "10", "population": 5}],
            [{"PROV_CODE": 10, "<20": 1.5, "20-60": 0, ">60": 0}],
            r"'<20' = 1.5 is not a non-negative integer",
        ),
    ],
)
def test_dopa_table_rejects_bad_records(census, ages, message):
    with pytest.raises(ValueError, match=message):
        province_totals_from_dopa(census, ages)


# -- the real layer ---------------------------------------------------------------------------


def test_real_layer_adds_up_to_every_province_total(layer, province_totals):
    assert len(layer) == 7_425 * 8
    assert int(layer["population"].sum()) == DOPA_TOTAL
    by_province = layer.groupby(layer["area_code"].str[:4])[["population", *AGE_GROUPS]].sum()
    expected = province_totals.set_index("province_code")[["population", *AGE_GROUPS]]
    pd.testing.assert_frame_equal(
        by_province.sort_index(), expected.sort_index(), check_names=False
    )
    assert (layer[list(AGE_GROUPS)].sum(axis=1) == layer["population"]).all()
    assert (layer[["population", *AGE_GROUPS]] >= 0).all().all()


def test_real_layer_splits_provinces_equally_among_subdistricts(layer):
    per_subdistrict = layer.groupby("area_code")["population"].sum()
    spread = per_subdistrict.groupby(per_subdistrict.index.str[:4]).agg(["min", "max"])
    assert ((spread["max"] - spread["min"]) <= 1).all()
    per_point = layer.groupby("area_code")["population"].agg(["min", "max"])
    assert ((per_point["max"] - per_point["min"]) <= 1).all()


def test_real_layer_points_lie_in_their_own_subdistrict(layer, subdistricts):
    assert set(layer["area_code"]) == set(subdistricts["adm3_pcode"])
    assert (layer.groupby("area_code").size() == 8).all()
    polygons = subdistricts.set_index("adm3_pcode").geometry.loc[layer["area_code"]].to_numpy()
    points = shapely.points(layer["lon"].to_numpy(), layer["lat"].to_numpy())
    assert shapely.covers(polygons, points).all()
    # ... and in no other subdistrict: the polygons do not overlap, so each point falls in
    # exactly one (a point on a shared edge would count twice, and none does).
    tree = shapely.STRtree(subdistricts.geometry.to_numpy())
    point_index, _ = tree.query(points, predicate="intersects")
    assert np.bincount(point_index, minlength=len(points)).max() == 1
    assert np.array_equal(layer.geometry.x.to_numpy(), layer["lon"].to_numpy())


def test_real_layer_age_bands_are_proportional_within_one_person(layer, province_totals):
    shares = province_totals.set_index("province_code")
    province = layer["area_code"].str[:4]
    for band in AGE_GROUPS:
        share = (shares[band] / shares["population"]).loc[province].to_numpy()
        expected = layer["population"].to_numpy() * share
        assert np.abs(layer[band].to_numpy() - expected).max() <= 1.0


def test_real_layer_is_labelled_modelled(layer):
    assert layer.attrs["modelled"] is True
    assert layer.attrs["model"].startswith("modelled:")
    assert layer.crs.to_epsg() == 4326
    assert list(layer.columns) == [
        "area_code",
        "lon",
        "lat",
        "population",
        *AGE_GROUPS,
        "geometry",
    ]


# -- placement --------------------------------------------------------------------------------


def test_placement_is_reproducible_and_depends_only_on_each_subdistrict(subdistricts):
    chiang_mai = subdistricts[subdistricts["adm1_pcode"] == "TH50"]
    some = chiang_mai.iloc[::3]
    table = totals([("TH50", 1_000_000, 200_000, 600_000, 200_000)])

    whole = spread_population(chiang_mai, table, seed=7).set_index("area_code")
    part = spread_population(some.iloc[::-1], table, seed=7).set_index("area_code")
    again = spread_population(chiang_mai, table, seed=7).set_index("area_code")
    other_seed = spread_population(chiang_mai, table, seed=8).set_index("area_code")

    pd.testing.assert_frame_equal(whole, again)
    common = whole.loc[part.index.unique()]
    np.testing.assert_array_equal(common["lon"].to_numpy(), part["lon"].to_numpy())
    np.testing.assert_array_equal(common["lat"].to_numpy(), part["lat"].to_numpy())
    assert not np.array_equal(whole["lon"].to_numpy(), other_seed["lon"].to_numpy())


def test_points_spread_over_the_polygon_rather_than_bunching():
    square = two_boxes(["TH500101"])
    layer = spread_population(square, totals([("TH50", 16, 0, 16, 0)]), points_per_subdistrict=16)
    # A low-discrepancy sequence splits evenly where random points would not: 16 uniform
    # random points fall 8/8 in a half only one time in five.
    for values, middle in ((layer["lon"], 98.95), (layer["lat"], 18.75)):
        assert 7 <= int((values < middle).sum()) <= 9


def test_a_sliver_too_thin_to_sample_falls_back_to_a_point_on_its_surface():
    # A diagonal hair: it fills about 1e-7 of its bounding box.
    sliver = shapely.Polygon([(99.0, 18.0), (99.5, 18.5), (99.5, 18.5 + 1e-7)])
    layer = spread_population(
        gpd.GeoDataFrame({"adm3_pcode": ["TH500101"]}, geometry=[sliver], crs="EPSG:4326"),
        totals([("TH50", 7, 7, 0, 0)]),
        points_per_subdistrict=3,
    )
    assert shapely.covers(sliver, shapely.points(layer["lon"], layer["lat"])).all()
    assert int(layer["population"].sum()) == 7


def test_multipolygon_islands_receive_points():
    islands = shapely.MultiPolygon([box(99.0, 9.0, 99.1, 9.1), box(99.3, 9.3, 99.4, 9.4)])
    layer = spread_population(
        gpd.GeoDataFrame({"adm3_pcode": ["TH840101"]}, geometry=[islands], crs="EPSG:4326"),
        totals([("TH84", 100, 0, 100, 0)]),
        points_per_subdistrict=16,
    )
    assert shapely.covers(islands, shapely.points(layer["lon"], layer["lat"])).all()
    on_first = (layer["lon"] < 99.2).sum()
    assert 4 <= on_first <= 12


def test_no_groups_and_zero_population():
    layer = spread_population(
        two_boxes(),
        pd.DataFrame({"province_code": ["TH50"], "population": [0]}),
        group_columns=(),
    )
    assert list(layer.columns) == ["area_code", "lon", "lat", "population", "geometry"]
    assert (layer["population"] == 0).all()


# -- controlled rounding of the groups --------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=30),
    st.lists(st.integers(0, 30), min_size=1, max_size=5),
)
def test_group_rounding_is_exact_on_both_margins(row_totals, weights):
    population = np.array(row_totals, dtype=np.int64)
    total = int(population.sum())
    weights = np.array(weights, dtype=np.int64)
    if weights.sum() == 0:
        weights[0] = 1
    # Column totals that add up to the rows: the weights, apportioned.
    band_totals = (total * weights) // weights.sum()
    band_totals[0] += total - band_totals.sum()

    groups = split_groups(population, np.zeros(population.size, dtype=np.int64), band_totals[None])

    assert (groups >= 0).all()
    assert np.array_equal(groups.sum(axis=1), population)
    assert np.array_equal(groups.sum(axis=0), band_totals)
    if total:
        proportional = population[:, None] * band_totals[None, :] / total
        assert np.abs(groups - proportional).max() <= 1.0 + 1e-9


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subdistricts", "table", "kwargs", "message"),
    [
        (two_boxes(["TH5001", "TH500102"]), None, {}, r"'TH5001' is not a subdistrict code"),
        (two_boxes(["TH500101", "TH500101"]), None, {}, r"'TH500101' appears 2 times"),
        (
            two_boxes(["TH500101", "TH510101"]),
            None,
            {},
            r"'TH510101' is in province 'TH51', which has no row",
        ),
        (
            two_boxes(),
            totals([("TH50", 10, 5, 5, 0), ("TH51", 3, 1, 1, 1)]),
            {},
            r"province 'TH51' has a population total but no subdistrict",
        ),
        (
            two_boxes(),
            totals([("TH50", 10, 5, 5, 1)]),
            {},
            r"add up to 11, not to its population 10",
        ),
        (
            two_boxes(),
            pd.DataFrame({"province_code": ["TH50"], "population": [10.0]}),
            {"group_columns": ()},
            r"'population' must hold whole numbers of people",
        ),
        (two_boxes(), None, {"points_per_subdistrict": 0}, r"points_per_subdistrict must be"),
        (two_boxes(), None, {"seed": -1}, r"seed must be a non-negative integer, got -1"),
        (two_boxes().to_crs("EPSG:32647"), None, {}, r"EPSG:4326\), got CRS 'EPSG:32647'"),
        (
            gpd.GeoDataFrame(
                {"adm3_pcode": ["TH500101"]}, geometry=[shapely.Point(99, 18)], crs="EPSG:4326"
            ),
            None,
            {},
            r"'TH500101': geometry 'POINT \(99 18\)' is not a non-empty polygon",
        ),
        (two_boxes(), None, {"code_column": "code"}, r"no column 'code'"),
    ],
)
def test_bad_input_is_refused_with_the_value_and_the_rule(subdistricts, table, kwargs, message):
    table = totals([("TH50", 10, 3, 4, 3)]) if table is None else table
    with pytest.raises(ValueError, match=message):
        spread_population(subdistricts, table, **kwargs)
