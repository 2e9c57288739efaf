"""A resident's search on a 360x740 phone in Thai.

The first result is measured, not only photographed: after a search it lies wholly on the first
screen, with the map one tap away; the header folds into one line behind a menu button that
shows each role what it uses; ambiguous names offer candidates; a refused location is explained
in Thai; /map popups name the status in words and the type.
"""

from __future__ import annotations

import re

import pytest

from importers.vocabulary import STATUS_LABELS, TYPE_LABELS
from registry.presentation import UNCONFIRMED_LABELS
from tests.e2e.accounts import ensure_user, sign_in
from tests.e2e.conftest import XSS_NAME, RecordedPage

SCREEN_HEIGHT = 740


def _no_trouble(page) -> None:
    assert page.errors == [], page.errors
    assert page.foreign_requests() == [], page.foreign_requests()


def _box(page, selector: str) -> dict:
    """The element's box relative to the screen (the viewport), as the person sees it."""
    return page.page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, height: r.height}; }"
    )


def _search(page, place: str) -> None:
    page.page.fill("#place", place)
    page.page.click("#search-form button[type=submit]")
    page.page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("role", [None, "volunteer", "official"])
def test_first_result_is_on_the_first_screen_of_a_thai_phone(phone, e2e_app, backend, role):
    if role:
        ensure_user(e2e_app, f"e2e-phone-{role}", role, "TH5001")
        sign_in(phone, f"e2e-phone-{role}")
    phone.goto("/")
    _search(phone, "เชียงใหม่")
    assert phone.page.locator("html").get_attribute("lang") == "th"
    assert phone.page.evaluate("scrollY") == 0
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways
    first = _box(phone, "#results li")
    assert first["top"] >= 0
    assert first["bottom"] <= SCREEN_HEIGHT, f"the first result ends at {first['bottom']} px"
    # The header is one line: its links fold behind the menu button (no script needed).
    assert _box(phone, "header.top")["height"] <= 60
    assert phone.page.locator("#site-nav").is_hidden()
    # The page says where it searched from, and the map is one tap away.
    assert "จังหวัดเชียงใหม่" in phone.page.inner_text("#searched-from")
    phone.page.click("#searched-from a.to-map")
    phone.page.wait_for_function("scrollY > 0")
    map_box = _box(phone, "#result-map")
    assert 0 <= map_box["top"] < SCREEN_HEIGHT / 2
    phone.page.evaluate("scrollTo(0, 0)")
    phone.screenshot(f"resident-first-screen-{role or 'resident'}-{backend}")
    _no_trouble(phone)


@pytest.mark.parametrize(
    ("role", "shown", "not_shown"),
    [
        (None, ["#nav-find", "#nav-map", "#nav-sign-in"], ["#nav-survey", "#nav-my-area"]),
        (
            "volunteer",
            ["#nav-find", "#nav-survey"],
            ["#nav-my-area", "#nav-coverage", "#nav-reports"],
        ),
        ("planner", ["#nav-coverage", "#nav-stats"], ["#nav-survey", "#nav-my-area"]),
        ("official", ["#nav-my-area", "#nav-reports", "#nav-survey"], []),
    ],
)
def test_menu_button_shows_each_role_what_it_uses(phone, e2e_app, role, shown, not_shown):
    if role:
        ensure_user(e2e_app, f"e2e-menu-{role}", role, "TH5001" if role != "planner" else None)
        sign_in(phone, f"e2e-menu-{role}")
    phone.goto("/")
    nav = phone.page.locator("#site-nav")
    assert nav.is_hidden()
    phone.page.click("#menu-button")
    assert nav.is_visible()
    assert phone.page.is_checked("#menu-toggle")
    for selector in shown:
        assert phone.page.locator(selector).is_visible(), selector
    for selector in not_shown:
        assert phone.page.locator(selector).count() == 0, selector
    _no_trouble(phone)


def test_ambiguous_name_lets_the_resident_pick(phone, backend):
    phone.goto("/")
    _search(phone, "ช้างเผือก")
    assert phone.page.locator("#results").count() == 0
    choices = phone.page.locator("#place-choice a")
    assert choices.count() == 3
    texts = choices.all_inner_texts()
    assert any("จังหวัดร้อยเอ็ด" in t for t in texts)
    phone.screenshot(f"resident-place-choice-{backend}")
    phone.page.locator("#place-choice a", has_text="จังหวัดเชียงใหม่").click()
    phone.page.wait_for_load_state("networkidle")
    searched = phone.page.inner_text("#searched-from")
    assert "ตำบลช้างเผือก อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่" in searched
    assert phone.page.locator("#results li").count() == 10
    # Directions from a named place leave the start to the phone (it knows where it is).
    google = phone.page.locator("#results li a[href*='google.com/maps/dir']").first
    assert "origin=" not in google.get_attribute("href")
    _no_trouble(phone)


def test_unknown_name_answers_in_thai_with_the_location_button(phone, backend):
    phone.goto("/")
    _search(phone, "นิมมาน")
    unknown = phone.page.locator("#place-unknown")
    assert "ไม่พบจังหวัด อำเภอ ตำบล หรือหมู่บ้านชื่อ “นิมมาน”" in unknown.inner_text()
    assert "parameter" not in phone.page.inner_text("body")
    unknown.locator("button.use-location").click()
    phone.page.wait_for_url(re.compile(r"lat=18\.78"))
    phone.page.wait_for_load_state("networkidle")
    assert phone.page.locator("#results li").count() > 0
    google = phone.page.locator("#results li a[href*='google.com/maps/dir']").first
    assert "origin=18.78" in google.get_attribute("href")  # from the person's own position
    _no_trouble(phone)


def test_refused_location_is_explained_in_thai(browser, live_server, backend):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="th-TH"
    )  # no geolocation permission: the browser refuses
    page = RecordedPage(context.new_page(), live_server.url)
    try:
        page.goto("/?lang=th")
        page.page.click("#use-location")
        message = page.page.locator("#location-error")
        message.wait_for()
        text = message.inner_text()
        assert "อนุญาต" in text and "ตำแหน่ง" in text, text
        assert not re.search(r"[A-Za-z]{4,}", text), text  # not the browser's English
        page.screenshot(f"resident-location-refused-{backend}")
        _no_trouble(page)
    finally:
        context.close()


def test_map_popup_names_status_in_words_and_type(desktop, e2e_app, backend):
    desktop.goto("/map?lang=th")
    desktop.page.wait_for_function(
        "document.querySelector('.folium-map').dataset.loadedMode === 'clusters'"
    )
    desktop.page.evaluate(
        "Object.values(window).find(v => v instanceof L.Map).setView([18.79, 98.99], 15)"
    )
    desktop.page.wait_for_function(
        "document.querySelector('.folium-map').dataset.loadedMode === 'points'"
    )
    # Sites are drawn on one canvas: click where the first one is drawn, as a person would.
    point = desktop.page.evaluate(
        """() => {
          const map = Object.values(window).find(v => v instanceof L.Map);
          let found = null;
          map.eachLayer(l => {
            if (!found && l instanceof L.CircleMarker && !l.getTooltip()) found = l;
          });
          const p = map.latLngToContainerPoint(found.getLatLng());
          const box = map.getContainer().getBoundingClientRect();
          return {x: box.left + p.x, y: box.top + p.y};
        }"""
    )
    desktop.page.mouse.click(point["x"], point["y"])
    popup = desktop.page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    statuses = [th for th, _en in STATUS_LABELS.values()] + [UNCONFIRMED_LABELS[0]]
    badge = popup.locator(".badge").inner_text()
    assert badge in statuses, text
    assert any(th in text for th, _en in TYPE_LABELS.values()), text
    desktop.screenshot(f"all-sites-map-popup-{backend}")
    # A name someone typed goes into the popup as text.
    desktop.page.evaluate(
        """id => {
          const layer = Object.values(window).find(v => v instanceof RegistryViewportLayer);
          let marker = null;
          layer.group.eachLayer(l => { if (!marker) marker = l; });
          layer.openSite(marker, id, "open");
        }""",
        e2e_app.config["XSS_FACILITY_ID"],
    )
    desktop.page.wait_for_function(
        "[...document.querySelectorAll('.leaflet-popup-content')]"
        ".some(p => p.textContent.includes('onerror'))"
    )
    popup = desktop.page.locator(".leaflet-popup-content")
    assert XSS_NAME in popup.inner_text()
    assert popup.locator("img").count() == 0
    assert desktop.dialogs == []
    _no_trouble(desktop)
