"""geo.areas: point in area, boundary ties, tolerance for coasts."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from shapely import box

import geo.areas
from geo.areas import AreaLocator


def test_docstring_examples():
    assert doctest.testmod(geo.areas).failed == 0


def test_inside_outside_and_tolerance():
    locator = AreaLocator(["W", "E"], [box(100, 13, 101, 14), box(101, 13, 102, 14)])
    match = locator.locate([100.5, 101.5, 102.02, 103.0], [13.5] * 4, tolerance_m=5_000)
    assert match.codes.tolist() == ["W", "E", "E", None]
    assert match.inside.tolist() == [True, True, False, False]
    # 0.02 degrees of longitude at 13.5 N is about 2.17 km along the parallel.
    assert 2_100 < match.distance_m[2] < 2_200
    assert np.isnan(match.distance_m[3])


def test_shared_boundary_goes_to_the_first_area():
    locator = AreaLocator(["W", "E"], [box(100, 13, 101, 14), box(101, 13, 102, 14)])
    assert locator.locate([101.0], [13.5]).codes.tolist() == ["W"]


def test_no_tolerance_means_no_nearest_assignment():
    locator = AreaLocator(["W"], [box(100, 13, 101, 14)])
    assert locator.locate([101.001], [13.5]).codes.tolist() == [None]


@pytest.mark.parametrize(
    ("codes", "polygons", "message"),
    [
        ([], [], "at least one area"),
        (["A", "B"], [box(0, 0, 1, 1)], "equal-length"),
    ],
)
def test_bad_construction(codes, polygons, message):
    with pytest.raises(ValueError, match=message):
        AreaLocator(codes, polygons)


def test_bad_points():
    locator = AreaLocator(["W"], [box(100, 13, 101, 14)])
    with pytest.raises(ValueError, match="differ in shape"):
        locator.locate([100.0, 100.1], [13.5])
    with pytest.raises(ValueError, match="tolerance_m must be 0 or more, got -1"):
        locator.locate([100.0], [13.5], tolerance_m=-1)
