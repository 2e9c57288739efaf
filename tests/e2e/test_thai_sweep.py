"""Every page for every role in Thai, read in Chromium: no English words outside proper names
and codes.

The text read is what a person meets: the visible text, the titles and labels of controls
(Leaflet's zoom buttons included), placeholders, and the options of every select. Words in
Latin letters are allowed only when they are proper names or codes people use as they are.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.db import db
from registry.models import SurveyRecord, User
from tests.e2e.accounts import PASSWORD, ensure_user
from tests.e2e.conftest import XSS_NAME

# Proper names and codes that stay in Latin letters on Thai pages.
ALLOWED = {
    # names of things, data sources and formats
    "leaflet",
    "openstreetmap",
    "osm",
    "hdx",
    "cod",
    "ab",
    "moph",
    "dopa",
    "who",
    "covid",
    "api",
    "csv",
    "xlsx",
    "json",
    "geojson",
    "kml",
    "zip",
    "gpkg",
    "shapefile",
    "excel",
    "geopackage",
    "utf",
    "epsg",
    "crs",
    "utm",
    "wgs",
    "id",
    "hcode",
    "atk",
    "rt",
    "pcr",
    "qr",
    "sms",
    "url",
    "png",
    "pdf",
    "a4",
    "th",
    "en",
    "km",
    "m",
    "ok",
    "sinovac",
    "sinopharm",
    "astrazeneca",
    "pfizer",
    "moderna",
    "johnson",
    "janssen",
    "worldpop",
    "gdal",
    "tis",
    "cp",
    "bom",
    "lat",
    "lon",
    "e2e",
    "bkk",
    "cm",
    "provincial_sheet_",
    "researcher",
    "porames",
    "gpl",
    "cc",
    "by",
    "igo",
    "mapbox",
    "google",
    # the other language offered by the language switch, in its own words
    "english",
    # DOPA's dataset of registered population, by its name
    "statbyyear",
}
PROPER_PHRASES = ("Google Maps",)
# A token of Latin letters, digits and _ . : / - ; one with a digit, _ or / is a code.
TOKEN = re.compile(r"[A-Za-z0-9_./:@'’-]*[A-Za-z][A-Za-z0-9_./:@'’-]*")
# Code samples (<code>, <pre>, <kbd>) are code, not sentences.
TEXT_OF_PAGE = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('code, pre, kbd, script, style').forEach((el) => el.remove());
  document.body.appendChild(body);
  body.style.display = 'block';
  const shown = body.innerText;
  body.remove();
  const parts = [document.title, shown];
  for (const el of document.querySelectorAll('[title],[aria-label],[placeholder],option')) {
    parts.push(el.getAttribute('title') || '', el.getAttribute('aria-label') || '',
               el.getAttribute('placeholder') || '', el.tagName === 'OPTION' ? el.textContent : '');
  }
  return parts.join('\\n');
}"""
ROLES = {
    None: ["/", "/map", "/stats", "/stats/TH50", "/login", "/facility/{site}"],
    "th-sweep-official": [
        "/official/",
        "/official/facility/new",
        "/official/facility/new?type=hospital",
        "/official/facility/{site}/edit",
        "/official/facility/{site}/history",
        "/official/reports",
        "/official/import/",
        "/account/tokens",
        "/survey",
        "/survey/new",
        "/survey/outreach",
        "/upload/",
    ],
    "th-sweep-volunteer": ["/survey", "/survey/new", "/upload/"],
    "th-sweep-planner": ["/coverage", "/coverage?threshold_km=5&level=province"],
    "th-sweep-admin": ["/admin/users", "/official/"],
    "th-sweep-far": ["/official/facility/{site}/edit"],  # read-only: outside the area
}
ACCOUNTS = {
    "th-sweep-official": ("official", "TH50"),
    "th-sweep-volunteer": ("volunteer", "TH5001"),
    "th-sweep-planner": ("planner", None),
    "th-sweep-admin": ("provincial_admin", "TH50"),
    "th-sweep-far": ("official", "TH10"),
}


def english_words(text: str, typed: tuple[str, ...] = ()) -> set[str]:
    """Latin-letter words that are not proper names or codes of the allow-list, leaving out
    what people typed (user names, site names)."""
    for value in (*PROPER_PHRASES, *typed):
        text = text.replace(value, " ")
    words = set()
    for token in TOKEN.findall(text):
        token = token.strip(".:'’-/@")
        if not token or re.search(r"[\d_/@]|[A-Za-z]\.[A-Za-z]", token):
            continue  # a code: TH5001, EPSG:32647, provincial_sheet_2021, data.go.th
        words.update(w.lower() for w in re.findall(r"[A-Za-z]+", token))
    return {w for w in words if w not in ALLOWED}


def test_the_allow_list_does_not_hide_english():
    text = "ขยาย Zoom in OpenStreetMap EPSG:32647 TH5001 somchai provincial_sheet_2021"
    assert english_words(text, typed=("somchai",)) == {"zoom", "in"}


def _typed_by_people(app) -> tuple[str, ...]:
    """What people typed that pages show as it is: user and display names (other tests'
    accounts too) and survey entries' village names (the English manual walk types one)."""
    with app.app_context():
        accounts = db.session.execute(select(User.username, User.display_name)).all()
        names = [name for account in accounts for name in account if name]
        villages = db.session.scalars(
            select(SurveyRecord.village_name).where(SurveyRecord.village_name.is_not(None))
        ).all()
    # Longest first, so that a name inside another is not cut out of it first.
    return tuple(sorted({*ACCOUNTS, *names, *villages}, key=len, reverse=True))


@pytest.mark.parametrize("username", list(ROLES), ids=lambda u: u or "visitor")
def test_every_page_in_thai_has_no_english_words(browser, live_server, e2e_app, username):
    site = e2e_app.config["XSS_FACILITY_ID"]
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="th-TH")
    page = context.new_page()
    base = live_server.url
    if username:
        ensure_user(e2e_app, username, *ACCOUNTS[username])
        page.goto(base + "/login?lang=th")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_load_state("networkidle")
    found = {}
    for path in ROLES[username]:
        url = base + path.format(site=site)
        page.goto(url + ("&" if "?" in url else "?") + "lang=th", wait_until="networkidle")
        text = page.evaluate(TEXT_OF_PAGE)
        # Read after the page: other tests may add accounts while this one walks.
        typed = (*_typed_by_people(e2e_app), XSS_NAME, "<script>alert(2)</script>")
        words = english_words(text, typed=typed)
        if words:
            found[path] = sorted(words)
    context.close()
    assert not found, "\n".join(f"{p}: {w}" for p, w in found.items())
