"""Browser tests: the real app served on localhost, headless Chromium through Playwright.

Each backend gets its own committed database with the demo data (the live server runs in
another thread, so the rolled-back connection of the other tests cannot be shared with it).
Tiles point at a closed local port: the pages must work when tiles fail, and the request log
lets a test prove that nothing is fetched from anywhere else. Screenshots go to
test-artifacts/ for people to look at.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

from registry.app import create_app
from registry.db import db
from registry.facilities.service import Actor, create_facility
from tests.conftest import drop_postgis_database, fresh_database_url, scratch_name
from tests.live_server import LiveServer

CHROMIUM = os.environ.get("REGISTRY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Nothing listens on port 9 (discard): every tile request fails, as it would offline.
DEAD_TILES = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"
XSS_NAME = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="session")
def e2e_app(backend, tmp_path_factory):
    name = scratch_name("e2e")
    url = fresh_database_url(backend, tmp_path_factory.mktemp("e2e"), name)
    app = create_app({"DATABASE_URL": url, "TILE_URL": DEAD_TILES, "SECRET_KEY": "e2e"})
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        facility = create_facility(
            db.session,
            {
                "type": "vaccination_site",
                "name_th": XSS_NAME,
                "name_en": XSS_NAME,
                "address": "<script>alert(2)</script>",
                "phone": "053-000000",
                "lon": 98.9853,
                "lat": 18.7883,
                "walk_in": True,
            },
            Actor("e2e", "cli"),
        ).facility
        db.session.commit()
        app.config["XSS_FACILITY_ID"] = facility.id
    yield app
    with app.app_context():
        db.engine.dispose()
    if backend == "postgis":
        drop_postgis_database(name)


@pytest.fixture(scope="session")
def live_server(e2e_app):
    with LiveServer(e2e_app) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is needed for browser tests but {CHROMIUM} is missing")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class RecordedPage:
    """A page plus every URL it requested and every JS error it raised."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def goto(self, path: str):
        return self.page.goto(self.base_url + path, wait_until="networkidle")

    def foreign_requests(self) -> list[str]:
        """Requests to anywhere but the app and the configured (dead) tile server."""
        allowed = {urlparse(self.base_url).netloc, urlparse(DEAD_TILES).netloc}
        return [
            url
            for url in self.requests
            if urlparse(url).scheme in ("http", "https") and urlparse(url).netloc not in allowed
        ]

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def phone(browser, live_server, backend):
    """A 360 px wide phone screen in Thai, located at Tha Phae Gate, Chiang Mai."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="th-TH",
        geolocation={"latitude": 18.7877, "longitude": 98.9934},
        permissions=["geolocation"],
    )
    recorded = RecordedPage(context.new_page(), live_server.url)
    yield recorded
    context.close()


@pytest.fixture
def desktop(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    recorded = RecordedPage(context.new_page(), live_server.url)
    yield recorded
    context.close()
