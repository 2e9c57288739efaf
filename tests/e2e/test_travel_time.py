"""Travel time in a real browser: a planner switches the coverage page of the
demo city (Chiang Mai, whose roads `registry demo` loads) to 30 minutes by motorcycle and
sees the travel-time bands and the table change; a resident ranks sites by road."""

from __future__ import annotations

QUERY = "type=vaccination_site&level=subdistrict&province=TH50&lang=en"


def _no_trouble(page) -> None:
    assert page.errors == [], page.errors
    assert page.dialogs == [], f"a script ran from page content: {page.dialogs}"
    assert page.foreign_requests() == [], page.foreign_requests()


def _table(page) -> list[str]:
    rows = page.locator("#coverage-table tbody tr")
    return [rows.nth(i).inner_text() for i in range(rows.count())]


def test_planner_switches_to_30_minutes_by_motorcycle(desktop, backend):
    desktop.goto(f"/coverage?{QUERY}")
    page = desktop.page
    assert page.locator("#coverage-map path.travel-band").count() == 0
    before = _table(page)
    header_before = page.inner_text("#coverage-table thead")
    assert "Median (km)" in header_before

    page.select_option("#profile", "motorcycle")
    page.fill("#threshold_min", "30")
    with page.expect_navigation():
        page.click("#coverage-form button[type=submit]")

    bands = page.locator("#coverage-map path.travel-band")
    bands.first.wait_for()
    # Quarters of the threshold: several bands drawn on the demo city's roads.
    classes = {bands.nth(i).get_attribute("class") for i in range(bands.count())}
    assert len({c for c in classes if "travel-band-" in c}) >= 2
    assert "Minutes to the nearest site" in page.inner_text("#coverage-map")
    assert "within 30 minutes of a site (Travel time by motorcycle)" in page.inner_text(
        "#coverage-totals"
    )
    notice = page.inner_text("#roads-notice")
    assert "chiang-mai" in notice and "OpenStreetMap" in notice
    assert "OpenStreetMap" in page.inner_text(".leaflet-control-attribution")
    assert "Median (min)" in page.inner_text("#coverage-table thead")
    after = _table(page)
    assert after and after != before
    # Only the subdistricts the roads reach are in the table now.
    assert len(after) < len(before)
    assert page.locator("#coverage-chart svg circle").count() == 12
    _no_trouble(desktop)
    desktop.screenshot(f"planner-travel-time-{backend}")


def test_resident_ranks_sites_by_road(phone, backend):
    phone.goto("/?lat=18.7877&lon=98.9934&profile=motorcycle&open_now=false&lang=en")
    page = phone.page
    first = page.locator("#results .travel-time").first
    first.wait_for()
    text = first.inner_text()
    assert "min" in text and "km by road" in text and "km straight" in text
    assert "OpenStreetMap" in page.inner_text("#road-attribution")
    _no_trouble(phone)
    phone.screenshot(f"resident-by-road-{backend}")
