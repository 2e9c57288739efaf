"""The planner page through the test client: content, languages, labels, assets, escaping."""

from __future__ import annotations

import re

import pytest

from registry.coverage import population_store, population_units
from registry.coverage.population_files import read_area_counts
from tests.registry.coverage_layout import LAYER, build_layout, fresh_caches  # noqa: F401  (fixture)
from tests.registry.helpers import make_facility

pytestmark = pytest.mark.usefixtures("fresh_caches")
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def layout(session):
    return build_layout(session)


def test_page_shows_map_table_chart_suggestions_and_downloads(client, session, layout):
    make_facility(session, type="vaccination_site", name_th=XSS, name_en=XSS, lon=100.0, lat=15.0)
    session.commit()
    page = client.get(f"/coverage?province=TH50&level=district&layer={LAYER}&lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)

    assert "Coverage for planners" in html
    assert 'id="coverage-map"' in html and "RegistryMapLayers.coverage(" in html
    assert "/static/js/map-layers.js" in html  # the script that draws the layers
    assert re.search(r'<table class="coverage-table" id="coverage-table">', html)
    assert 'class="coverage-chart"' in html and html.count("<circle") >= 30
    assert 'class="suggestion"' in html
    assert "format=csv" in html and "format=geojson" in html and "format=xlsx" in html
    assert 'class="kind kind-measured" data-measure="measured">measured</strong>' in html
    # Every script and stylesheet comes from the app; no choropleth library from a CDN.
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert "d3" not in " ".join(sources) and "branca" not in html.lower()
    # User text is escaped everywhere, map data included.
    assert XSS not in html


def test_page_in_thai_labels_the_modelled_layer(client, session, layout):
    counts = read_area_counts(b"code,population\n50,1000\n10,2000\n", "p.csv")
    units, level, _ = population_units.units_from_area_counts(
        session, counts, placement="spread", points_per_subdistrict=1
    )
    population_store.store_layer(session, units, name="spread", title="Spread", source="t",
                           kind="modelled", finest_level=level, created_by="t")  # fmt: skip
    session.commit()
    html = client.get("/coverage?layer=spread&lang=th&level=province").get_data(as_text=True)
    assert "ความครอบคลุมสำหรับนักวางแผน" in html
    assert "จากแบบจำลอง" in html  # "modelled"
    assert "ตัวเลขระดับต่ำกว่าจังหวัดมาจากแบบจำลอง" in html
    english = client.get("/coverage?layer=spread&lang=en&level=province").get_data(as_text=True)
    assert "kind-modelled" in english
    assert 'People<br><span class="measure">(modelled)</span>' in english


def test_bad_parameters_on_the_page_say_what_is_wrong(client, layout):
    page = client.get(f"/coverage?layer={LAYER}&threshold_km=far&lang=en")
    assert page.status_code == 400
    assert "parameter &#39;threshold_km&#39;: &#39;far&#39; is not a number" in page.get_data(
        as_text=True
    )
