"""Residents in a real browser: search, location, language, facility page, map, escaping."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from registry.db import db
from registry.models import Facility
from tests.e2e.conftest import XSS_NAME


def _no_trouble(page) -> None:
    assert page.errors == [], page.errors
    assert page.dialogs == [], f"a script ran from page content: {page.dialogs}"
    assert page.foreign_requests() == [], page.foreign_requests()


def test_place_search_shows_results_and_map_markers(phone, backend):
    phone.goto("/")
    phone.page.fill("#place", "เชียงใหม่")
    phone.page.click("button[type=submit]")
    phone.page.wait_for_load_state("networkidle")
    assert "place=" in phone.page.url  # the query lives in the URL: shareable
    results = phone.page.locator("#results li")
    assert results.count() == 10
    assert "km" in results.first.inner_text()
    markers = phone.page.locator("#result-map path.leaflet-interactive")
    assert markers.count() >= 11  # ten sites and the search point
    # The page fits a 360 px screen: nothing wider than the viewport.
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    phone.screenshot(f"resident-place-search-{backend}")
    _no_trouble(phone)


def test_use_my_location_with_mocked_geolocation(phone, backend):
    phone.goto("/?type=hospital")
    phone.page.click("#use-location")
    phone.page.wait_for_url(re.compile(r"lat=18\.78"))
    phone.page.wait_for_load_state("networkidle")
    first = phone.page.locator("#results li").first
    assert "km" in first.inner_text()
    distance = float(first.locator(".distance").inner_text().split()[0])
    assert distance < 5  # central Chiang Mai has hospitals within a few km
    phone.screenshot(f"resident-my-location-{backend}")
    _no_trouble(phone)


def test_english_switch(phone):
    phone.goto("/?place=Chiang+Mai")
    assert phone.page.locator("html").get_attribute("lang") == "th"
    assert "ค้นหาจุดบริการที่เปิดอยู่ใกล้คุณ" in phone.page.inner_text("h1")
    phone.page.click("#language-switch")
    phone.page.wait_for_load_state("networkidle")
    assert phone.page.locator("html").get_attribute("lang") == "en"
    assert phone.page.inner_text("h1") == "Find the nearest open site"
    assert phone.page.locator("#results li").count() == 10  # the query survived the switch
    phone.goto("/")  # the choice is remembered
    assert phone.page.locator("html").get_attribute("lang") == "en"
    _no_trouble(phone)


def test_facility_page(phone, backend):
    phone.goto("/?place=เชียงใหม่&type=hospital")
    phone.page.locator("#results li a.name").first.click()
    phone.page.wait_for_load_state("networkidle")
    assert "/facility/" in phone.page.url
    assert phone.page.locator("#facility-name").inner_text()
    assert phone.page.locator("#history tr").count() >= 2
    assert phone.page.locator("path.leaflet-interactive").count() == 1
    phone.screenshot(f"facility-page-{backend}")
    _no_trouble(phone)


def test_all_sites_map_renders_markers(desktop, e2e_app, backend):
    with e2e_app.app_context():
        active = db.session.scalar(
            select(func.count()).select_from(Facility).where(Facility.deleted_at.is_(None))
        )
    desktop.goto("/map")
    container = desktop.page.locator("#all-sites-map .folium-map")
    desktop.page.wait_for_function(
        "document.querySelector('.folium-map').dataset.loadedMode === 'clusters'"
    )
    assert int(container.get_attribute("data-loaded-count")) == active
    assert desktop.page.locator(".cluster-count").count() > 10
    desktop.screenshot(f"all-sites-map-clusters-{backend}")
    # Zoom in on Chiang Mai: individual sites arrive.
    desktop.page.evaluate(
        "Object.values(window).find(v => v instanceof L.Map).setView([18.79, 98.99], 14)"
    )
    desktop.page.wait_for_function(
        "document.querySelector('.folium-map').dataset.loadedMode === 'points'"
    )
    desktop.screenshot(f"all-sites-map-points-{backend}")
    _no_trouble(desktop)


def test_user_text_is_escaped_everywhere(phone, e2e_app, backend):
    facility_id = e2e_app.config["XSS_FACILITY_ID"]
    phone.goto("/?lat=18.7883&lon=98.9853&type=vaccination_site")
    first = phone.page.locator("#results li").first
    assert XSS_NAME in first.inner_text()
    assert phone.page.locator("#results img").count() == 0
    phone.page.locator("#result-map path.leaflet-interactive").nth(1).click()
    popup = phone.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert XSS_NAME in popup.inner_text()
    assert popup.locator("img").count() == 0
    phone.goto(f"/facility/{facility_id}")
    assert phone.page.inner_text("#facility-name") == XSS_NAME
    assert "<script>alert(2)</script>" in phone.page.inner_text("table.fields")
    phone.screenshot(f"escaped-names-{backend}")
    _no_trouble(phone)
