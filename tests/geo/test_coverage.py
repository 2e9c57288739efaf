"""Tests for geo.coverage: coverage by area, coverage curves, site suggestions, service load.

Expected answers come from ``pyproj.Geod(ellps="WGS84").inv`` evaluated here between every
unit and every facility (unit first, the convention the module documents), so the reference
uses no KD-tree and no shortcut.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from geo.coverage import (
    bounded,
    chord_bounds,
    coverage_by_area,
    coverage_curve,
    service_load,
    suggest_sites,
)
from geo.nearest import NearestIndex, ecef
from geo.population import AGE_GROUPS, province_totals_from_dopa, spread_population

GEOD = Geod(ellps="WGS84")
ROOT = Path(__file__).resolve().parents[2]
SUBDISTRICTS = ROOT / "data" / "th_adm3_subdistricts.geojson"
HOSPITALS = ROOT / "data" / "moph_hospitals_geojson_health.geojson"
SHARED = ROOT.parent / "shared" / "data"
DOPA_TOTAL = 66_186_727


# -- references -------------------------------------------------------------------------------


def geodesic(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (lon1, lat1, lon2, lat2))
    )
    flat = GEOD.inv(lon1.ravel(), lat1.ravel(), lon2.ravel(), lat2.ravel())[2]
    return flat.reshape(lon1.shape)


def brute_distances(units: pd.DataFrame, flon, flat) -> np.ndarray:
    """Distance from every unit to its nearest facility, over all facilities."""
    flon = np.asarray(flon, dtype=float)
    flat = np.asarray(flat, dtype=float)
    if flon.size == 0:
        return np.full(len(units), np.inf)
    lon = units["lon"].to_numpy()
    lat = units["lat"].to_numpy()
    out = np.empty(lon.size)
    for start in range(0, lon.size, 5_000):
        rows = slice(start, start + 5_000)
        out[rows] = geodesic(lon[rows, None], lat[rows, None], flon, flat).min(axis=1)
    return out


def lower_quantile(distance, weight, fraction) -> float:
    """Smallest distance within which at least ``fraction`` of the people live, by a loop."""
    total = weight.sum()
    if total == 0:
        return np.nan
    order = np.argsort(distance, kind="stable")
    running = 0
    for i in order:
        running += weight[i]
        # fraction is 1/2 or 9/10; compare in integers as the module promises.
        numerator, denominator = (1, 2) if fraction == 0.5 else (9, 10)
        if running * denominator >= numerator * total:
            return float(distance[i])
    raise AssertionError("unreachable")


def reference_table(units, flon, flat, threshold, level, groups=()) -> pd.DataFrame:
    distance = brute_distances(units, flon, flat)
    code = units["area_code"].str[: {1: 4, 2: 6, 3: 8}[level]].to_numpy()
    rows = []
    for area in sorted(set(code)):
        here = code == area
        weight = units["population"].to_numpy()[here]
        near = distance[here] <= threshold
        row = {
            "code": area,
            "population": int(weight.sum()),
            "covered": int(weight[near].sum()),
            "uncovered": int(weight[~near].sum()),
            "share_covered": weight[near].sum() / weight.sum() if weight.sum() else np.nan,
            "median_m": lower_quantile(distance[here], weight, 0.5),
            "p90_m": lower_quantile(distance[here], weight, 0.9),
        }
        for group in groups:
            counts = units[group].to_numpy()[here]
            row[f"{group}_population"] = int(counts.sum())
            row[f"{group}_covered"] = int(counts[near].sum())
            row[f"{group}_uncovered"] = int(counts[~near].sum())
            row[f"{group}_share_covered"] = (
                counts[near].sum() / counts.sum() if counts.sum() else np.nan
            )
        rows.append(row)
    return pd.DataFrame(rows)


def assert_same_table(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        actual.reset_index(drop=True),
        expected.reset_index(drop=True),
        check_exact=True,
        check_dtype=False,
    )


def random_units(rng, n, codes, box=(99.0, 13.0, 101.0, 15.0), groups=("kids",)):
    frame = pd.DataFrame(
        {
            "lon": rng.uniform(box[0], box[2], n),
            "lat": rng.uniform(box[1], box[3], n),
            "population": rng.integers(0, 60, n),
            "area_code": rng.choice(np.asarray(codes), n),
        }
    )
    for group in groups:
        frame[group] = rng.integers(0, 30, n)
    return frame


CODES = [f"TH{p}{d:02d}{s:02d}" for p in (10, 11) for d in (1, 2) for s in (1, 2, 3)]


# -- the two ways of finding distances --------------------------------------------------------


def force_bounds(monkeypatch) -> None:
    """Make coverage_by_area use the chord bounds whatever the size of the layer."""
    monkeypatch.setattr(bounded, "_BOUNDED_MIN_UNITS", 1)
    monkeypatch.setattr(bounded, "_BOUNDED_MIN_UNITS_PER_AREA", 0)


@pytest.fixture(params=["every geodesic", "chord bounds"])
def way(request, monkeypatch) -> str:
    """Run a test through both ways coverage_by_area has of finding the distances."""
    if request.param == "chord bounds":
        force_bounds(monkeypatch)
    else:
        monkeypatch.setattr(bounded, "_BOUNDED_MIN_UNITS", 10**18)
    return request.param


# -- three towns on a meridian ----------------------------------------------------------------


@pytest.fixture
def towns() -> pd.DataFrame:
    """Towns at 14, 15 and 16 °N on 100 °E; the only facility is in the first."""
    return pd.DataFrame(
        {
            "lon": [100.0, 100.0, 100.0],
            "lat": [14.0, 15.0, 16.0],
            "population": [100, 200, 300],
            "area_code": ["TH100101", "TH100102", "TH110101"],
        }
    )


def test_meridian_towns_hand_checked(towns, way):
    one_degree = geodesic(100.0, 15.0, 100.0, 14.0)
    two_degrees = geodesic(100.0, 16.0, 100.0, 14.0)
    # The meridian arc between 14 and 15 °N on WGS 84 is 110.644 km (the length of a degree
    # of latitude grows from 110.574 km at the equator).
    assert one_degree == pytest.approx(110_644, abs=1)
    assert two_degrees == pytest.approx(221_298, abs=1)

    table = coverage_by_area(towns, [100.0], [14.0], threshold_m=150_000, level=3)

    assert table["code"].tolist() == ["TH100101", "TH100102", "TH110101"]
    assert table["covered"].tolist() == [100, 200, 0]
    assert table["uncovered"].tolist() == [0, 0, 300]
    assert table["share_covered"].tolist() == [1.0, 1.0, 0.0]
    assert table["median_m"].tolist() == [0.0, one_degree, two_degrees]
    assert table["p90_m"].tolist() == [0.0, one_degree, two_degrees]


def test_a_unit_exactly_at_the_threshold_is_covered(towns, way):
    exactly = float(geodesic(100.0, 15.0, 100.0, 14.0))

    at = coverage_by_area(towns, [100.0], [14.0], threshold_m=exactly, level=1)
    below = coverage_by_area(towns, [100.0], [14.0], threshold_m=np.nextafter(exactly, 0), level=1)

    assert at["covered"].tolist() == [300, 0]
    assert below["covered"].tolist() == [100, 0]


def test_levels_cut_the_codes(towns, way):
    by_district = coverage_by_area(towns, [100.0], [14.0], threshold_m=150_000, level=2)
    by_province = coverage_by_area(towns, [100.0], [14.0], threshold_m=150_000, level=1)

    assert by_district["code"].tolist() == ["TH1001", "TH1101"]
    assert by_district["population"].tolist() == [300, 300]
    assert by_province["code"].tolist() == ["TH10", "TH11"]
    assert by_province["covered"].tolist() == [300, 0]


@pytest.mark.parametrize(
    ("weights", "median_index", "p90_index"),
    [
        ([1, 1, 2], 1, 2),  # half of 4 is reached at the second town, 90 % only at the third
        ([2, 1, 1], 0, 2),  # the first town alone holds half
        ([1, 8, 1], 1, 1),  # 9 of 10 people are within the second town's distance
        ([0, 0, 5], 2, 2),  # empty units count for nothing
    ],
)
def test_weighted_quantiles_pick_a_units_own_distance(towns, way, weights, median_index, p90_index):
    towns["population"] = weights
    towns["area_code"] = "TH100101"
    distance = geodesic(towns["lon"], towns["lat"], 100.0, 14.0)

    table = coverage_by_area(towns, [100.0], [14.0], threshold_m=0, level=1)

    assert table["median_m"].item() == distance[median_index]
    assert table["p90_m"].item() == distance[p90_index]


def test_no_facilities_leaves_everyone_uncovered_at_infinite_distance(towns):
    table = coverage_by_area(towns, [], [], threshold_m=1e9, level=1)

    assert table["covered"].tolist() == [0, 0]
    assert table["uncovered"].tolist() == [300, 300]
    assert table["share_covered"].tolist() == [0.0, 0.0]
    assert np.isinf(table["median_m"]).all() and np.isinf(table["p90_m"]).all()


def test_areas_without_people_appear_with_nan_share(towns, way):
    towns["population"] = [0, 0, 300]

    table = coverage_by_area(towns, [100.0], [14.0], threshold_m=150_000, level=1)

    assert table["code"].tolist() == ["TH10", "TH11"]
    assert table["population"].tolist() == [0, 300]
    assert np.isnan(table.loc[0, "share_covered"])
    assert np.isnan(table.loc[0, "median_m"]) and np.isnan(table.loc[0, "p90_m"])
    assert table.loc[1, "share_covered"] == 0.0


def test_groups_are_counted_like_the_population(towns, way):
    towns["kids"] = [10, 20, 30]
    towns["elders"] = [0, 5, 0]

    table = coverage_by_area(
        towns, [100.0], [14.0], threshold_m=150_000, level=1, group_columns=["kids", "elders"]
    )

    assert table["kids_population"].tolist() == [30, 30]
    assert table["kids_covered"].tolist() == [30, 0]
    assert table["kids_uncovered"].tolist() == [0, 30]
    assert table["kids_share_covered"].tolist() == [1.0, 0.0]
    assert table["elders_population"].tolist() == [5, 0]
    assert table.loc[0, "elders_share_covered"] == 1.0
    assert np.isnan(table.loc[1, "elders_share_covered"])


def test_empty_layer_gives_an_empty_table_with_all_columns(towns):
    table = coverage_by_area(
        towns.iloc[:0], [100.0], [14.0], threshold_m=1.0, level=2, group_columns=["population"]
    )
    assert table.empty
    assert "population_share_covered" in table.columns


def test_a_prebuilt_index_gives_the_same_answer(towns, way):
    index = NearestIndex([0, 1], [100.0, 100.0], [14.0, 16.0])
    direct = coverage_by_area(towns, [100.0, 100.0], [14.0, 16.0], threshold_m=60_000, level=3)

    reused = coverage_by_area(towns, None, None, threshold_m=60_000, level=3, facility_index=index)

    assert_same_table(reused, direct)
    with pytest.raises(ValueError, match="facility_lon differs from the coordinates"):
        coverage_by_area(
            towns, [101.0, 100.0], [14.0, 16.0], threshold_m=1, level=3, facility_index=index
        )


def test_point_geometry_can_stand_in_for_lon_lat(towns, way):
    frame = gpd.GeoDataFrame(
        towns.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(towns["lon"], towns["lat"]),
        crs="EPSG:4326",
    )
    frame.attrs["modelled"] = True

    table = coverage_by_area(frame, [100.0], [14.0], threshold_m=150_000, level=1)

    assert table["covered"].tolist() == [300, 0]
    assert table.attrs["modelled"] is True
    with pytest.raises(ValueError, match="geometry is in 'EPSG:32647'"):
        coverage_by_area(frame.to_crs(32647), [100.0], [14.0], threshold_m=1, level=1)


# -- against the brute-force reference --------------------------------------------------------


@pytest.mark.parametrize("level", [1, 2, 3])
def test_matches_brute_force_on_random_layouts(level, way):
    rng = np.random.default_rng(level)
    units = random_units(rng, 3_000, CODES)
    flon = rng.uniform(99.0, 101.0, 30)
    flat = rng.uniform(13.0, 15.0, 30)

    table = coverage_by_area(
        units, flon, flat, threshold_m=12_000, level=level, group_columns=["kids"]
    )

    assert_same_table(table, reference_table(units, flon, flat, 12_000, level, ["kids"]))
    assert table["population"].sum() == units["population"].sum()


def test_matches_brute_force_on_a_large_unsorted_layer(way):
    # Large enough for the nearest search to reorder the units along a space-filling curve.
    rng = np.random.default_rng(11)
    units = random_units(rng, 60_000, CODES, box=(98.0, 8.0, 104.0, 20.0), groups=())
    flon = rng.uniform(98.0, 104.0, 6)
    flat = rng.uniform(8.0, 20.0, 6)

    table = coverage_by_area(units, flon, flat, threshold_m=300_000, level=3)

    assert_same_table(table, reference_table(units, flon, flat, 300_000, 3))


# -- exact answers from chord bounds ----------------------------------------------------------


def test_chord_bounds_enclose_the_geodesic_and_are_tight():
    # Pairs anywhere on Earth, in every direction, from a metre to 1,000 km apart.
    rng = np.random.default_rng(21)
    n = 50_000
    lon1 = rng.uniform(-180, 180, n)
    lat1 = rng.uniform(-89.9, 89.9, n)
    reach = 10 ** rng.uniform(0, 6, n)
    lon2, lat2, _ = GEOD.fwd(lon1, lat1, rng.uniform(-180, 180, n), reach)
    chord = np.linalg.norm(ecef(lon1, lat1) - ecef(lon2, lat2), axis=1)
    distance = GEOD.inv(lon1, lat1, lon2, lat2)[2]

    lower = chord_bounds.geodesic_lower(chord)
    upper = chord_bounds.geodesic_upper(chord)

    assert (lower <= distance).all()
    assert (distance <= upper).all()
    # Tight enough to decide almost every unit: within 0.2 mm up to 5 km, and within about a
    # part in a thousand up to 1,000 km.
    assert (upper - lower)[reach < 5_000].max() < 2e-4
    assert ((upper - lower) / distance).max() < 1.1e-3
    # Past the longest chord bounded the upper bound gives up rather than guess.
    assert chord_bounds.geodesic_upper(np.array([2_000_000.0]))[0] == np.inf


def test_few_geodesics_are_computed(monkeypatch):
    force_bounds(monkeypatch)
    rng = np.random.default_rng(8)
    units = random_units(rng, 20_000, CODES, groups=())
    flon = rng.uniform(99.0, 101.0, 50)
    flat = rng.uniform(13.0, 15.0, 50)
    computed = []
    plain = NearestIndex.nearest_distances

    def counted(self, lon, lat, **kwargs):
        computed.append(len(lon))
        return plain(self, lon, lat, **kwargs)

    monkeypatch.setattr(NearestIndex, "nearest_distances", counted)
    table = coverage_by_area(units, flon, flat, threshold_m=12_000, level=3)

    assert sum(computed) < 0.01 * len(units)
    monkeypatch.undo()
    assert_same_table(table, reference_table(units, flon, flat, 12_000, 3))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_loose_bounds_small_tasks_and_hard_layouts_change_nothing(monkeypatch, seed):
    # Looser bounds are still bounds, so the answer must not move; they leave many units
    # undecided, which runs every exact path: the threshold test, quantile windows over
    # several buckets, many candidates per quantile. Tiny tasks split the work in many
    # pieces. The layout has facilities sharing a location, units on facilities, units
    # sharing a location, people-less units and a threshold equal to some unit's distance.
    force_bounds(monkeypatch)
    monkeypatch.setattr(chord_bounds, "_BOUND_SLACK_M", 300.0)
    monkeypatch.setattr(chord_bounds, "_CUBIC", chord_bounds._CUBIC * 1e5)
    monkeypatch.setattr(bounded, "_TASK_UNITS", 700)
    monkeypatch.setattr(bounded, "_QUERY_UNITS", 128)
    rng = np.random.default_rng(seed)
    units = random_units(rng, 4_000, CODES)
    flon = rng.uniform(99.0, 101.0, 40)
    flat = rng.uniform(13.0, 15.0, 40)
    flon[:10], flat[:10] = flon[10:20], flat[10:20]
    units.loc[:299, "lon"] = np.resize(flon, 300)
    units.loc[:299, "lat"] = np.resize(flat, 300)
    units.loc[300:599, ["lon", "lat"]] = units.loc[600:899, ["lon", "lat"]].to_numpy()
    units.loc[rng.random(len(units)) < 0.2, "population"] = 0
    threshold = float(brute_distances(units, flon, flat)[1_234])

    table = coverage_by_area(
        units, flon, flat, threshold_m=threshold, level=3, group_columns=["kids"]
    )

    assert_same_table(table, reference_table(units, flon, flat, threshold, 3, ["kids"]))


def test_facilities_beyond_the_bounded_chord_are_measured_exactly(monkeypatch):
    force_bounds(monkeypatch)
    # Facilities in Europe: every chord is over 1,000 km, so every unit gets its geodesic.
    rng = np.random.default_rng(4)
    units = random_units(rng, 500, CODES, groups=())
    flon = rng.uniform(0.0, 20.0, 5)
    flat = rng.uniform(40.0, 55.0, 5)

    threshold = float(np.median(brute_distances(units, flon, flat)))

    table = coverage_by_area(units, flon, flat, threshold_m=threshold, level=2)

    assert_same_table(table, reference_table(units, flon, flat, threshold, 2))
    assert 0 < table["covered"].sum() < table["population"].sum()


def test_counts_too_large_for_float_sums_are_still_exact(towns, monkeypatch):
    force_bounds(monkeypatch)
    towns = towns.assign(population=np.array([2**52, 2**52 + 1, 3], dtype=np.int64))

    table = coverage_by_area(towns, [100.0], [14.0], threshold_m=150_000, level=1)

    assert table["population"].tolist() == [2**53 + 1, 3]
    assert table["covered"].tolist() == [2**53 + 1, 0]


# -- coverage curve ---------------------------------------------------------------------------


def test_curve_agrees_with_coverage_by_area_at_every_threshold():
    rng = np.random.default_rng(5)
    units = random_units(rng, 2_000, CODES, groups=())
    flon = rng.uniform(99.0, 101.0, 10)
    flat = rng.uniform(13.0, 15.0, 10)
    thresholds = [30_000, 0, 5_000, 10_000.5, 1e7]

    curve = coverage_curve(units, flon, flat, thresholds)

    assert curve["threshold_m"].tolist() == thresholds
    for threshold, covered in zip(thresholds, curve["covered"], strict=True):
        table = coverage_by_area(units, flon, flat, threshold_m=threshold, level=1)
        assert covered == table["covered"].sum()
    total = units["population"].sum()
    assert (curve["covered"] + curve["uncovered"] == total).all()
    assert curve["share_covered"].iloc[-1] == 1.0


def test_curve_without_facilities_or_people():
    towns = pd.DataFrame({"lon": [100.0], "lat": [14.0], "population": [5]})
    assert coverage_curve(towns, [], [], [1e6])["covered"].tolist() == [0]
    empty = coverage_curve(towns.iloc[:0], [100.0], [14.0], [1.0, 2.0])
    assert empty["covered"].tolist() == [0, 0]
    assert empty["share_covered"].isna().all()


# -- site suggestions -------------------------------------------------------------------------


def brute_greedy(units, flon, flat, clon, clat, threshold, k):
    """Greedy covering over a full geodesic matrix, ties to the lowest candidate index."""
    weight = units["population"].to_numpy().astype(np.int64)
    open_weight = np.where(brute_distances(units, flon, flat) <= threshold, 0, weight)
    reach = (
        geodesic(units["lon"].to_numpy()[:, None], units["lat"].to_numpy()[:, None], clon, clat)
        <= threshold
    )
    picks, gains = [], []
    for _ in range(k):
        gain = (reach * open_weight[:, None]).sum(axis=0)
        best = int(np.argmax(gain))  # argmax returns the first of equal maxima
        if gain[best] == 0:
            break
        picks.append(best)
        gains.append(int(gain[best]))
        open_weight[reach[:, best]] = 0
    return picks, gains


def test_suggestions_match_a_brute_force_greedy():
    rng = np.random.default_rng(3)
    units = random_units(rng, 1_500, CODES, groups=())
    flon, flat = rng.uniform(99.0, 101.0, 5), rng.uniform(13.0, 15.0, 5)
    clon, clat = rng.uniform(99.0, 101.0, 300), rng.uniform(13.0, 15.0, 300)

    result = suggest_sites(units, flon, flat, clon, clat, threshold_m=15_000, k=25)

    picks, gains = brute_greedy(units, flon, flat, clon, clat, 15_000, 25)
    assert result.picks["candidate_position"].tolist() == picks
    assert result.picks["gain"].tolist() == gains
    assert result.picks["candidate_id"].tolist() == picks
    np.testing.assert_array_equal(result.picks["lon"], clon[picks])


def test_suggestions_hand_checked(towns):
    exactly = float(geodesic(100.0, 16.0, 100.0, 15.5))

    result = suggest_sites(
        towns,
        [100.0],
        [14.0],
        [100.0, 100.0, 100.0],
        [15.5, 15.5, 15.0],
        threshold_m=exactly,
        k=5,
        candidate_ids=[101, 102, 103],
    )

    # The first two candidates are the same place and reach both northern towns (the third
    # exactly at the threshold); the tie goes to the first listed. Nothing is left to gain
    # after it, so the search stops with one pick.
    assert result.picks["candidate_id"].tolist() == [101]
    assert result.picks["gain"].tolist() == [500]
    assert result.picks["covered"].tolist() == [600]
    assert result.picks["rank"].tolist() == [1]
    assert (result.total, result.covered_before, result.covered_after) == (600, 100, 600)
    assert result.share_before == pytest.approx(1 / 6)
    assert result.share_after == 1.0


def test_suggestions_with_no_candidates_or_no_one_left():
    towns = pd.DataFrame({"lon": [100.0], "lat": [14.0], "population": [5]})
    none = suggest_sites(towns, [], [], [], [], threshold_m=1.0, k=3)
    assert none.picks.empty and none.covered_after == 0
    covered = suggest_sites(towns, [100.0], [14.0], [100.0], [14.0], threshold_m=1.0, k=3)
    assert covered.picks.empty and covered.covered_after == 5


LON = st.floats(100.0, 100.4, allow_nan=False)
LAT = st.floats(14.0, 14.4, allow_nan=False)


@st.composite
def layouts(draw):
    n_units = draw(st.integers(1, 40))
    units = pd.DataFrame(
        {
            "lon": draw(st.lists(LON, min_size=n_units, max_size=n_units)),
            "lat": draw(st.lists(LAT, min_size=n_units, max_size=n_units)),
            "population": draw(st.lists(st.integers(0, 50), min_size=n_units, max_size=n_units)),
            "area_code": draw(
                st.lists(st.sampled_from(CODES[:4]), min_size=n_units, max_size=n_units)
            ),
        }
    )
    units["population"] = units["population"].astype(np.int64)
    n_facilities = draw(st.integers(0, 4))
    facilities = (
        np.array(draw(st.lists(LON, min_size=n_facilities, max_size=n_facilities))),
        np.array(draw(st.lists(LAT, min_size=n_facilities, max_size=n_facilities))),
    )
    return units, facilities


PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(layouts(), LON, LAT, st.floats(0, 40_000))
def test_adding_a_site_never_lowers_coverage(layout, extra_lon, extra_lat, threshold):
    units, (flon, flat) = layout
    before = coverage_by_area(units, flon, flat, threshold_m=threshold, level=3)
    after = coverage_by_area(
        units,
        np.append(flon, extra_lon),
        np.append(flat, extra_lat),
        threshold_m=threshold,
        level=3,
    )
    assert (after["covered"].to_numpy() >= before["covered"].to_numpy()).all()
    assert (after["median_m"].to_numpy() <= before["median_m"].to_numpy()).all() or (
        before["population"].eq(0).any()
    )


@PROPERTY_SETTINGS
@given(layouts(), st.lists(st.floats(0, 60_000), min_size=2, max_size=6))
def test_raising_the_threshold_never_lowers_coverage(layout, thresholds):
    units, (flon, flat) = layout
    thresholds = sorted(thresholds)
    curve = coverage_curve(units, flon, flat, thresholds)
    assert (np.diff(curve["covered"].to_numpy()) >= 0).all()
    tables = [
        coverage_by_area(units, flon, flat, threshold_m=t, level=2)["covered"].to_numpy()
        for t in thresholds
    ]
    for lower, higher in itertools.pairwise(tables):
        assert (higher >= lower).all()


@PROPERTY_SETTINGS
@given(
    layouts(),
    st.lists(st.tuples(LON, LAT), min_size=1, max_size=25),
    st.floats(0, 20_000),
    st.integers(1, 8),
)
def test_greedy_gains_shrink_and_the_picks_give_the_reported_coverage(
    layout, candidates, threshold, k
):
    units, (flon, flat) = layout
    clon = np.array([c[0] for c in candidates])
    clat = np.array([c[1] for c in candidates])

    result = suggest_sites(units, flon, flat, clon, clat, threshold_m=threshold, k=k)

    gains = result.picks["gain"].to_numpy()
    assert (gains > 0).all()
    assert (np.diff(gains) <= 0).all()
    assert len(gains) <= k
    assert result.covered_after == result.covered_before + gains.sum()
    picked = result.picks["candidate_position"].to_numpy()
    with_picks = coverage_by_area(
        units,
        np.concatenate([flon, clon[picked]]),
        np.concatenate([flat, clat[picked]]),
        threshold_m=threshold,
        level=1,
    )
    assert with_picks["covered"].sum() == result.covered_after
    before = coverage_by_area(units, flon, flat, threshold_m=threshold, level=1)
    assert before["covered"].sum() == result.covered_before
    assert result.picks["covered"].tolist() == (result.covered_before + np.cumsum(gains)).tolist()


# -- service load -----------------------------------------------------------------------------


def test_service_load_hand_checked():
    towns = pd.DataFrame(
        {
            "lon": [100.0, 100.0, 100.0, 100.0],
            "lat": [14.0, 14.1, 15.0, 15.0],
            "population": [3_000, 1_000, 4_000, 0],
            "area_code": ["TH1001", "TH1002", "TH1002", "TH1003"],
        }
    )

    load = service_load(
        towns, [100.0, 100.0, 100.2], [14.0, 15.0, 18.0], [7, 8, 9], [10, 40, 99], level=2
    )

    assert load.facilities["facility_id"].tolist() == [7, 8, 9]
    assert load.facilities["served_population"].tolist() == [4_000, 4_000, 0]
    assert load.facilities["beds_per_10k_served"].tolist()[:2] == [25.0, 100.0]
    assert np.isnan(load.facilities["beds_per_10k_served"].iloc[2])
    assert load.areas["code"].tolist() == ["TH1001", "TH1002", "TH1003"]
    assert load.areas["population"].tolist() == [3_000, 5_000, 0]
    assert load.areas["facilities_serving"].tolist() == [1, 2, 0]
    # Facility 7's 10 beds serve 3,000 people in TH1001 and 1,000 in TH1002.
    assert load.areas["beds_allocated"].tolist() == [7.5, 42.5, 0.0]
    assert load.areas["beds_per_10k"].tolist()[:2] == [25.0, 85.0]
    assert np.isnan(load.areas["beds_per_10k"].iloc[2])


def test_service_load_ties_go_to_the_smaller_id_and_beds_are_conserved():
    rng = np.random.default_rng(8)
    units = random_units(rng, 2_000, CODES, groups=())
    flon = np.append(rng.uniform(99.0, 101.0, 20), [100.0, 100.0])
    flat = np.append(rng.uniform(13.0, 15.0, 20), [14.0, 14.0])
    ids = np.append(np.arange(100, 120), [9, 4])
    beds = rng.uniform(0, 300, flon.size)

    load = service_load(units, flon, flat, ids, beds, level=3)

    served = load.facilities.set_index("facility_id")["served_population"]
    assert served.loc[9] == 0 and served.loc[4] > 0
    assert served.sum() == units["population"].sum()
    serving = served.to_numpy() > 0
    assert load.areas["beds_allocated"].sum() == pytest.approx(beds[serving].sum())
    assert load.areas["population"].sum() == units["population"].sum()


def test_service_load_without_beds_or_facilities(towns):
    load = service_load(towns, [100.0], [14.5], [1], level=1)
    assert list(load.areas.columns) == ["code", "population", "facilities_serving"]
    assert list(load.facilities.columns) == ["facility_id", "served_population"]
    nothing = service_load(towns, [], [], [], [], level=1)
    assert nothing.facilities.empty
    assert nothing.areas["facilities_serving"].tolist() == [0, 0]
    assert nothing.areas["beds_per_10k"].tolist() == [0.0, 0.0]


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (None, {"level": 4}, r"level 4 is not an area level; use 1 \(province\)"),
        (None, {"level": True}, r"level True is not an area level"),
        (None, {"threshold_m": -1.0}, r"threshold_m -1.0 is not a finite, non-negative"),
        (None, {"threshold_m": float("inf")}, r"threshold_m inf is not a finite"),
        (None, {"threshold_m": "5"}, r"threshold_m '5' is not a finite"),
        (
            lambda t: t.assign(population=[1.5, 2.0, 3.0]),
            {},
            r"'population' must hold whole numbers of people .* got dtype float64",
        ),
        (
            lambda t: t.assign(population=[1, -2, 3]),
            {},
            r"population row 1: population = -2 is negative",
        ),
        (lambda t: t.drop(columns="population"), {}, r"population has no column 'population'"),
        (lambda t: t.drop(columns="lat"), {}, r"needs 'lon' and 'lat' columns"),
        (
            lambda t: t.assign(lat=[14.0, np.nan, 16.0]),
            {},
            r"population lat\[1\] = nan is not a latitude between -90 and 90",
        ),
        (
            lambda t: t.assign(area_code=["TH100101", None, "TH110101"]),
            {},
            r"population row 1: area_code is missing",
        ),
        (
            lambda t: t.assign(area_code=["TH100101", "X1000102", "TH110101"]),
            {},
            r"area_code 'X1000102' is not an HDX pcode",
        ),
        (None, {"group_columns": "kids"}, r"got the string 'kids'"),
        (None, {"group_columns": ["kids"]}, r"population has no column 'kids'"),
        (None, {"area_codes_column": "tambon"}, r"no column 'tambon' \(the area codes\)"),
        (lambda t: t.to_numpy(), {}, r"population must be a DataFrame of units, got ndarray"),
    ],
)
def test_coverage_by_area_refuses_bad_input(towns, change, kwargs, message):
    population = towns if change is None else change(towns)
    arguments = {"threshold_m": 1_000.0, "level": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        coverage_by_area(population, [100.0], [14.0], **arguments)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda t: coverage_by_area(t, [100.0, 200.0], [14.0, 14.0], threshold_m=1, level=1),
            r"facility_lon\[1\] = 200.0 is not a longitude between -180 and 180",
        ),
        (
            lambda t: coverage_by_area(t, [100.0], [14.0, 15.0], threshold_m=1, level=1),
            r"facility_lon and facility_lat must have the same length, got 1 and 2",
        ),
        (
            lambda t: coverage_curve(t, [100.0], [14.0], [[1.0]]),
            r"thresholds_m must be a 1-D array of metres",
        ),
        (
            lambda t: coverage_curve(t, [100.0], [14.0], [1.0, -5.0]),
            r"thresholds_m value -5.0 is not a finite, non-negative",
        ),
        (
            lambda t: suggest_sites(t, [], [], [100.0], [14.0], threshold_m=1, k=0),
            r"k must be a positive integer \(sites to pick\), got 0",
        ),
        (
            lambda t: suggest_sites(
                t, [], [], [100.0, 100.1], [14.0, 14.0], threshold_m=1, k=1, candidate_ids=[3, 3]
            ),
            r"candidate_ids must be unique; 3 appears more than once",
        ),
        (
            lambda t: suggest_sites(t, [], [], [100.0], [95.0], threshold_m=1, k=1),
            r"candidate_lat\[0\] = 95.0 is not a latitude",
        ),
        (
            lambda t: service_load(t, [100.0], [14.0], [1], [np.nan], level=1),
            r"beds\[0\] = nan is not a finite, non-negative number of beds",
        ),
        (
            lambda t: service_load(t, [100.0], [14.0], [1.5], level=1),
            r"facility_ids must be integers, got dtype float64",
        ),
        (
            lambda t: service_load(t, [100.0], [14.0], [1, 2], level=1),
            r"facility_ids must have one id per facility \(1\), got shape \(2,\)",
        ),
    ],
)
def test_other_functions_refuse_bad_input(towns, call, message):
    with pytest.raises(ValueError, match=message):
        call(towns)


# -- the real modelled layer and real hospitals -----------------------------------------------


@pytest.fixture(scope="module")
def modelled_layer() -> gpd.GeoDataFrame:
    population = SHARED / "population"
    if not population.is_dir():
        pytest.skip(f"the shared population data {population} is not here")
    table = province_totals_from_dopa(
        json.loads((population / "th-census-data.json").read_text(encoding="utf-8")),
        json.loads((population / "th-census-age-group.json").read_text(encoding="utf-8")),
    )
    return spread_population(gpd.read_file(SUBDISTRICTS), table)


@pytest.fixture(scope="module")
def hospitals() -> gpd.GeoDataFrame:
    return gpd.read_file(HOSPITALS)


def test_real_layer_totals_hold_at_every_level(modelled_layer, hospitals):
    lon, lat = hospitals.geometry.x.to_numpy(), hospitals.geometry.y.to_numpy()
    index = NearestIndex(np.arange(lon.size), lon, lat)
    rows = {}
    for level in (1, 2, 3):
        table = coverage_by_area(
            modelled_layer,
            None,
            None,
            threshold_m=10_000,
            level=level,
            group_columns=AGE_GROUPS,
            facility_index=index,
        )
        rows[level] = len(table)
        assert table["population"].sum() == DOPA_TOTAL
        assert (table["covered"] + table["uncovered"] == table["population"]).all()
        assert table[[f"{g}_population" for g in AGE_GROUPS]].to_numpy().sum() == DOPA_TOTAL
        assert table.attrs["modelled"] is True
        assert (table["median_m"] <= table["p90_m"]).all()
    assert rows == {1: 77, 2: 928, 3: 7_425}


def test_real_suggestions_at_country_scale(modelled_layer, hospitals):
    # About 60,000 modelled points against 10,000 candidates: jittered hospital and clinic
    # locations. This is the size the lazy greedy is meant for; it runs in a few seconds.
    clinics = SHARED / "facilities" / "moph_clinics_geojson_clinic.geojson"
    if not clinics.is_file():
        pytest.skip(f"the shared clinic list {clinics} is not here")
    clinic_points = gpd.read_file(clinics).geometry
    rng = np.random.default_rng(0)
    base_lon = np.concatenate([hospitals.geometry.x, clinic_points.x])
    base_lat = np.concatenate([hospitals.geometry.y, clinic_points.y])
    pick = rng.integers(0, base_lon.size, 10_000)
    clon = np.clip(base_lon[pick] + rng.normal(0, 0.05, pick.size), 97.0, 106.0)
    clat = np.clip(base_lat[pick] + rng.normal(0, 0.05, pick.size), 5.0, 21.0)
    flon, flat = hospitals.geometry.x.to_numpy(), hospitals.geometry.y.to_numpy()

    result = suggest_sites(modelled_layer, flon, flat, clon, clat, threshold_m=5_000, k=200)

    gains = result.picks["gain"].to_numpy()
    assert len(gains) == 200
    assert (np.diff(gains) <= 0).all()
    with_picks = coverage_curve(
        modelled_layer,
        np.concatenate([flon, result.picks["lon"]]),
        np.concatenate([flat, result.picks["lat"]]),
        [5_000],
    )
    assert with_picks["covered"].item() == result.covered_after
    assert result.picks.attrs["modelled"] is True


def test_units_coded_coarser_than_the_level_keep_a_row_of_their_own(towns):
    """People known only by district (a tambon newer than the boundaries) are not lost."""
    population = towns.assign(area_code=["TH1001", "TH100102", "TH100103"])
    table = coverage_by_area(population, [100.0], [14.0], threshold_m=1e9, level=3)
    assert table["code"].tolist() == ["TH1001", "TH100102", "TH100103"]
    assert table["population"].sum() == towns["population"].sum()
    by_district = coverage_by_area(population, [100.0], [14.0], threshold_m=1e9, level=2)
    assert by_district["code"].tolist() == ["TH1001"]
    assert by_district["population"].sum() == towns["population"].sum()
