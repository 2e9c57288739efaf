"""Planners in a real browser: the coverage page for Chiang Mai, its map, table, suggestions,
chart and CSV download, with nothing fetched from outside the app."""

from __future__ import annotations

import csv
import io

from registry.coverage import query as coverage_query
from registry.coverage import service
from registry.db import db

CHIANG_MAI_PEOPLE = 1_789_385  # DOPA registered population, 2021-12-31 (the default layer)
QUERY = "type=vaccination_site&threshold_km=10&level=district&province=TH50"


def _no_trouble(page) -> None:
    assert page.errors == [], page.errors
    assert page.dialogs == [], f"a script ran from page content: {page.dialogs}"
    assert page.foreign_requests() == [], page.foreign_requests()


def _expected(e2e_app):
    with e2e_app.app_context():
        query = coverage_query.parse_coverage_query(dict(p.split("=") for p in QUERY.split("&")))
        return service.coverage(db.session, query, e2e_app.config)


def test_planner_page_for_chiang_mai(desktop, e2e_app, backend):
    expected = _expected(e2e_app)
    districts = len(expected.areas)
    assert districts == 25

    desktop.goto(f"/coverage?{QUERY}&lang=en")
    page = desktop.page

    # The choropleth: one shaded path per district of the province.
    areas = page.locator("#coverage-map path.coverage-area")
    assert areas.count() == districts
    fills = {areas.nth(i).get_attribute("fill") for i in range(districts)}
    assert len(fills) >= 2  # the districts are not all in one colour class
    assert "measured by subdistrict, placed within it" in page.inner_text(".map-legend")
    assert page.locator(".leaflet-control-layers-overlays label").count() == 4

    # The table: areas sorted by people not covered, most first.
    rows = page.locator("#coverage-table tbody tr")
    assert rows.count() == districts
    uncovered = [
        int(rows.nth(i).locator("td.uncovered").inner_text().replace(",", ""))
        for i in range(districts)
    ]
    assert uncovered == sorted(uncovered, reverse=True)
    assert uncovered[0] == int(expected.areas["uncovered"].max())

    # Suggestions: listed and drawn on the map.
    assert page.locator("#suggestions li.suggestion").count() >= 1
    assert page.locator("#coverage-map path.suggested-site").count() >= 1
    assert "+" in page.inner_text("#suggestions li.suggestion >> nth=0")

    # The chart of coverage against distance, 1 to 30 km.
    assert page.locator("#coverage-chart svg circle").count() == 30
    notice = page.inner_text("#population-notice")
    assert "measured by subdistrict, placed within it" in notice
    assert "(2021)" in notice and "กรมการปกครอง (DOPA)" in notice
    desktop.screenshot(f"planner-chiang-mai-{backend}")

    # A tooltip on a district names it, with its people not covered.
    areas.first.hover()
    tooltip = page.locator(".leaflet-tooltip").first
    tooltip.wait_for()
    assert "people not covered" in tooltip.inner_text()

    # The CSV download opens and holds every district with Chiang Mai's people.
    with page.expect_download() as info:
        page.click("#download-csv")
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), "rb") as handle:
        text = handle.read().decode("utf-8-sig")
    records = list(csv.DictReader(io.StringIO(text)))
    assert len(records) == districts
    assert sum(int(r["population"]) for r in records) == CHIANG_MAI_PEOPLE
    assert sum(int(r["uncovered"]) for r in records) == int(expected.totals["uncovered"])
    assert {r["population_kind"] for r in records} == {"measured"}
    assert {r["population_measure"] for r in records} == {
        "measured by subdistrict, placed within it"
    }
    assert {r["population_year"] for r in records} == {"2021"}
    assert all("กรมการปกครอง (DOPA)" in r["population_source"] for r in records)
    _no_trouble(desktop)


def test_planner_page_in_thai_on_a_phone(phone, backend):
    phone.goto(f"/coverage?{QUERY.replace('district', 'subdistrict')}&candidates=grid")
    page = phone.page
    assert page.locator("html").get_attribute("lang") == "th"
    assert "ความครอบคลุมสำหรับนักวางแผน" in page.inner_text("h1")
    assert "นับจริงรายตำบล วางตำแหน่งภายในตำบล" in page.inner_text("#population-notice")
    assert page.locator("#coverage-map path.coverage-area").count() > 200  # subdistricts
    assert page.locator("#suggestions li.suggestion").count() >= 1
    # The page fits a 360 px screen: wide tables scroll inside their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(f"planner-chiang-mai-thai-phone-{backend}")
    _no_trouble(phone)
