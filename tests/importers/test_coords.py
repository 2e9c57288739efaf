from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from importers.coords import (
    THAILAND_BOUNDS,
    in_thailand,
    locate_points,
    parse_coordinate,
    parse_coordinate_column,
    parse_coordinate_pair,
    parse_number,
    resolve_crs,
    to_lonlat,
    transformer_to_wgs84,
)
from importers.errors import ImportOptionError
from tests.importers.corpus import CHIANG_MAI, project


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13.75", 13.75),
        (" ๑๓.๗๕ ", 13.75),
        ("13,75", 13.75),
        ("1,520,000", 1520000.0),
        ("1,520,000.5", 1520000.5),
        ("−3.5", -3.5),
        ("1e3", 1000.0),
        ("๑๐๐", 100.0),
    ],
)
def test_parse_number(text, expected) -> None:
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "abc", "13.7.5", "nan", "inf", "1 3 x"])
def test_parse_number_refuses(text) -> None:
    with pytest.raises(ValueError):
        parse_number(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13°45'30.5\"N", 13 + 45 / 60 + 30.5 / 3600),
        ("100 30 15 E", 100 + 30 / 60 + 15 / 3600),
        ("100° 30′ 15″ E", 100 + 30 / 60 + 15 / 3600),
        ("13° 45' 30'' N", 13 + 45 / 60 + 30 / 3600),
        ("13:45:30", 13 + 45 / 60 + 30 / 3600),
        ("13d45m30s", 13 + 45 / 60 + 30 / 3600),
        ("N 13 45 30", 13 + 45 / 60 + 30 / 3600),
        ("13 45.5 N", 13 + 45.5 / 60),
        ("13.5S", -13.5),
        ("6°30'W", -6.5),
        ("13.75°", 13.75),
        ("ละติจูด ๑๓ องศา ๔๕ ลิปดา ๓๐ ฟิลิปดา เหนือ", 13 + 45 / 60 + 30 / 3600),
        ("ลองจิจูด 100 องศา 30 ลิปดา ตะวันออก", 100.5),
        ("lat: 13 45 00", 13.75),
    ],
)
def test_parse_coordinate_dms(text, expected) -> None:
    assert parse_coordinate(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("13 75 N", "minutes or seconds of 60"),
        ("13.5 30 N", "mixes decimals"),
        ("13.7 100.5", "mixes decimals"),
        ("ดูใน google map", "is not a number or a degrees-minutes-seconds"),
        ("N 13 E", "is not a number"),
    ],
)
def test_parse_coordinate_refuses(text, rule) -> None:
    with pytest.raises(ValueError, match=rule):
        parse_coordinate(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13.7563, 100.5018", (13.7563, 100.5018)),
        ("(13.7563,100.5018)", (13.7563, 100.5018)),
        ("13,7563 100,5018", (13.7563, 100.5018)),
        ("13.7563; 100.5018", (13.7563, 100.5018)),
        ("100°30'E 13°45'N", (13.75, 100.5)),
        ("13°45'N, 100°30'E", (13.75, 100.5)),
    ],
)
def test_parse_coordinate_pair(text, expected) -> None:
    assert parse_coordinate_pair(text) == pytest.approx(expected)


def test_parse_coordinate_pair_refuses() -> None:
    with pytest.raises(ValueError, match="coordinate pair"):
        parse_coordinate_pair("near the market")


def test_parse_coordinate_column_fast_and_slow_paths() -> None:
    values = pd.Series(["13.5", " 14 ", "๑๓.๕", "13,5", "abc", None, "", "13°30'N"], dtype=object)
    numbers, bad = parse_coordinate_column(values)
    assert numbers[[0, 1, 2, 3, 7]].tolist() == [13.5, 14.0, 13.5, 13.5, 13.5]
    assert np.isnan(numbers[[4, 5, 6]]).all()
    assert list(bad) == [4]
    assert "not a number" in str(bad[4]) and bad[4].code == "coords.not_a_coordinate"


@pytest.mark.parametrize(
    ("given", "epsg"),
    [
        ("EPSG:32647", 32647),
        (32648, 32648),
        ("32647", 32647),
        ("UTM 47N", 32647),
        ("utm48n", 32648),
        ("Indian 1975 / UTM 47N", 24047),
        ("urn:ogc:def:crs:EPSG::24048", 24048),
        ("WGS84", 4326),
    ],
)
def test_resolve_crs(given, epsg) -> None:
    assert resolve_crs(given).to_epsg() == epsg


def test_resolve_crs_refuses_nonsense() -> None:
    with pytest.raises(ImportOptionError, match="'EPSG:99999999' is not a coordinate"):
        resolve_crs("EPSG:99999999")


def test_transformers_are_cached() -> None:
    assert transformer_to_wgs84("EPSG:32647") is transformer_to_wgs84("EPSG:32647")


@pytest.mark.parametrize("crs", ["EPSG:32647", "EPSG:24047"])
def test_to_lonlat_round_trip(crs) -> None:
    x, y = project(*CHIANG_MAI, crs)
    lon, lat = to_lonlat(np.array([x]), np.array([y]), crs)
    assert (lon[0], lat[0]) == pytest.approx(CHIANG_MAI, abs=1e-7)


def test_envelope() -> None:
    lon_min, lat_min, lon_max, _ = THAILAND_BOUNDS
    lon = np.array([100.5, 101.04, 96.9, lon_min, lon_max + 0.01])
    lat = np.array([13.7, 5.46, 8.0, lat_min, 15.0])
    assert in_thailand(lon, lat).tolist() == [True, False, False, True, False]


def _locate(x, y, **kw):
    return locate_points(
        np.array(x, float), np.array(y, float), rows=np.arange(2, 2 + len(x)), **kw
    )


def test_degrees_inside_pass_without_problems() -> None:
    result = _locate([100.5, 98.98], [13.75, 18.79])
    assert result.ok.all()
    assert result.problems == []
    assert result.crs == "EPSG:4326"
    assert not result.guessed


def test_swapped_degrees_are_swapped_with_a_warning() -> None:
    result = _locate([13.75], [100.5], x_column="lon", y_column="lat")
    assert (result.lon[0], result.lat[0]) == (100.5, 13.75)
    [problem] = result.problems
    assert (problem.row, problem.column, problem.severity) == (2, "lat", "warning")
    assert "look swapped" in problem.rule


def test_utm_without_crs_guesses_zone_per_file_and_falls_back_per_row() -> None:
    x47, y47 = project(*CHIANG_MAI, "EPSG:32647")
    # Nakhon Ratchasima in zone 48: read in zone 47 it would fall west of Thailand.
    x48, y48 = project(102.1, 14.97, "EPSG:32648")
    result = _locate([x47, x47 + 100, x48], [y47, y47, y48])
    assert result.guessed and result.crs == "EPSG:32647"
    assert result.ok.all()
    assert result.lon[2] == pytest.approx(102.1, abs=1e-6)
    warnings = {(p.row, p.column) for p in result.problems if p.severity == "warning"}
    assert warnings == {(None, "lon"), (4, "lat")}


def test_utm_in_the_band_both_zones_fit_follows_the_file() -> None:
    # Ubon Ratchathani (zone 48) has an easting that zone 47 also places inside the
    # envelope (near the Myanmar border): such a row takes the file's zone. Pass crs=.
    x47, y47 = project(*CHIANG_MAI, "EPSG:32647")
    x48, y48 = project(104.85, 15.25, "EPSG:32648")
    result = _locate([x47, x47 + 10, x48], [y47, y47, y48])
    assert result.lon[2] == pytest.approx(98.85, abs=0.01)
    declared = _locate([x48], [y48], crs="EPSG:32648")
    assert declared.lon[0] == pytest.approx(104.85, abs=1e-6)


def test_declared_crs_is_used_for_all_rows() -> None:
    x, y = project(*CHIANG_MAI, "EPSG:24047")
    result = _locate([x], [y], crs="EPSG:24047")
    assert (result.lon[0], result.lat[0]) == pytest.approx(CHIANG_MAI, abs=1e-7)
    assert result.problems == [] and not result.guessed


def test_declared_wgs84_with_metres_is_an_error() -> None:
    result = _locate([662000.0], [1521000.0], crs="EPSG:4326", x_column="x", y_column="y")
    [problem] = result.problems
    assert (problem.row, problem.column, problem.severity) == (2, "x", "error")
    assert "is not in degrees" in problem.rule


@pytest.mark.parametrize(
    ("x", "y", "column", "rule"),
    [
        (101.044347, 5.462659, "lat", "is not a latitude between 5.61 and 20.47"),
        (96.9, 8.0, "lon", "is not a longitude between 97.34 and 105.64"),
        (100.5, 1375.5, "lat", "is not a latitude"),
        (1375.5, 100.5, "lon", "is not a longitude"),
        (0.0, 0.0, "lat", "lies outside Thailand"),
    ],
)
def test_outside_thailand_is_an_error_blaming_the_right_column(x, y, column, rule) -> None:
    result = _locate([x], [y], x_column="lon", y_column="lat")
    [problem] = result.problems
    assert (problem.row, problem.column, problem.severity) == (2, column, "error")
    assert rule in problem.rule
    assert not result.ok[0]


def test_nan_rows_are_left_to_the_caller() -> None:
    result = _locate([np.nan, 100.5], [13.7, np.nan])
    assert result.problems == []
    assert not result.ok.any()


def test_raw_text_is_quoted() -> None:
    result = locate_points(
        np.array([1375.5]),
        np.array([13.7]),
        rows=np.array([9]),
        x_text=np.array(["๑๓๗๕.๕"], dtype=object),
        y_text=np.array(["13.7"], dtype=object),
    )
    assert result.problems[0].value == "๑๓๗๕.๕"
