"""Planner map layers and the coverage chart (geo.coverage_map): colours, escaping, no CDN."""

from __future__ import annotations

import doctest
import math
import re

import pytest

import geo.coverage_map
from geo.coverage_map import (
    NO_PEOPLE_COLOUR,
    UNCOVERED_CLASSES,
    AreaShape,
    CoverageLayers,
    MapPoint,
    coverage_chart_svg,
    uncovered_colour,
)
from geo.maps import MapAssets, offline_map

XSS = "<img src=x onerror=alert(1)>`${x}`"


def test_docstring_examples():
    assert doctest.testmod(geo.coverage_map).failed == 0


@pytest.mark.parametrize(
    ("share", "colour"),
    [
        (0.0, UNCOVERED_CLASSES[0][1]),
        (0.0499, UNCOVERED_CLASSES[0][1]),
        (0.05, UNCOVERED_CLASSES[1][1]),  # a class includes its lower bound
        (0.3, UNCOVERED_CLASSES[3][1]),
        (1.0, UNCOVERED_CLASSES[4][1]),
        (math.nan, NO_PEOPLE_COLOUR),
    ],
)
def test_uncovered_colour_classes(share, colour):
    assert uncovered_colour(share) == colour


def test_layers_render_escaped_json_with_only_the_given_assets():
    fmap = offline_map(
        (18.8, 99.0), 8, basemap=None, assets=MapAssets("/static/l.js", "/static/l.css")
    )
    area = AreaShape(
        "TH5001",
        {
            "type": "Polygon",
            "coordinates": [[[98.9, 18.7], [99.1, 18.7], [99.1, 18.9], [98.9, 18.7]]],
        },
        0.4,
        (XSS, "12 of 30 people not covered"),
    )
    CoverageLayers(
        [area],
        [MapPoint(99.0, 18.8, XSS)],
        [MapPoint(99.0, 18.75, XSS)],
        [MapPoint(99.05, 18.8, XSS, 9)],
        bounds=[[18.7, 98.9], [18.9, 99.1]],
    ).add_to(fmap)
    html = fmap.get_root().render()
    # No raw markup anywhere; the label travels HTML-escaped inside JSON strings (double
    # quotes, not a template literal, so the backticks and ${x} are inert).
    assert "<img" not in html
    assert '"\\u0026lt;img src=x onerror=alert(1)\\u0026gt;`${x}`"' in html
    assert uncovered_colour(0.4) in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert set(sources) == {"/static/l.js", "/static/l.css"}
    # Element ids are random hex and may contain "d3", so look for the library's use, "d3.".
    assert not re.search(r"\bd3\.", html)
    assert "branca" not in html.lower() and "cdn" not in html.lower()


def test_chart_marks_the_threshold_and_escapes_labels():
    svg = coverage_chart_svg(
        [1, 2, 3], [0.2, math.nan, 0.9], current_km=2, title=XSS, x_label="km", y_label="%"
    )
    assert "<img" not in svg and "&lt;img" in svg
    assert svg.count("<circle") == 2  # the NaN point is skipped
    assert 'class="current"' in svg
