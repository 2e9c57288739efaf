"""geo.maps: offline assets only, and user text that cannot become markup or code."""

from __future__ import annotations

import doctest
import json
import re

import pytest

import geo.maps
from geo.maps import (
    Basemap,
    Bound,
    Legend,
    MapAssets,
    SiteMarker,
    add_search_point,
    add_sites,
    offline_map,
    render_parts,
)

ASSETS = MapAssets("/vendor/leaflet/leaflet.js", "/vendor/leaflet/leaflet.css")
HOSTILE = ["<img src=x onerror=alert(1)>", "${alert(2)}", "`);alert(3);//", "</script><b>x"]


def _page(fmap) -> str:
    return fmap.get_root().render()


def test_docstring_examples():
    assert doctest.testmod(geo.maps).failed == 0


def test_only_the_given_assets_are_referenced():
    fmap = offline_map(
        (13.75, 100.5),
        6,
        basemap=Basemap("https://tiles.example/{z}/{x}/{y}.png", "x"),
        assets=ASSETS,
    )
    add_sites(fmap, [SiteMarker(100.5, 13.75, "a", "open")])
    Legend("Status", [("#fff", "Open")]).add_to(fmap)
    html = _page(fmap)
    urls = set(re.findall(r"""(?:src|href)=["']([^"']+)""", html))
    assert urls == {ASSETS.leaflet_js, ASSETS.leaflet_css}
    assert "https://tiles.example/{z}/{x}/{y}.png" in html
    # Nothing needs jQuery.
    assert "$(" not in html


def test_without_tiles_the_map_still_has_a_max_zoom():
    html = _page(offline_map((13.75, 100.5), 6, basemap=None, assets=ASSETS))
    assert re.search(r'"maxZoom": 19\b', html)
    assert "tileLayer" not in html


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_stay_text_in_popups_and_tooltips(name):
    fmap = offline_map((13.75, 100.5), 6, basemap=None, assets=ASSETS)
    add_sites(fmap, [SiteMarker(100.5, 13.75, name, "open", lines=(name,), url="/f/1")])
    add_search_point(fmap, 13.7, 100.4, name)
    script = render_parts(fmap).script
    calls = re.findall(r"\.(bindPopup|bindTooltip)\((\"(?:[^\"\\]|\\.)*\")", script)
    assert len(calls) == 3
    for _, literal in calls:
        content = json.loads(literal)  # a plain JSON string: nothing else ran
        assert "<img" not in content and "<b>" not in content
    # Outside its JSON strings the script holds no trace of the name.
    code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', script)
    assert "alert" not in code and "`" not in code


def test_legend_labels_are_escaped():
    fmap = offline_map((13.75, 100.5), 6, basemap=None, assets=ASSETS)
    Legend("<b>Status</b>", [("#1a9850", "<img src=x>")]).add_to(fmap)
    html = _page(fmap)
    assert "<img src=x>" not in html
    assert "\\u0026lt;img src=x\\u0026gt;" in html


def test_bound_refuses_other_methods():
    with pytest.raises(ValueError, match="'eval' is not bindPopup or bindTooltip"):
        Bound("eval", "x")
