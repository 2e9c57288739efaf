"""A committed registry database served over real HTTP, for tests with real GIS clients.

GDAL, OWSLib and pyogrio talk to a werkzeug server on a free 127.0.0.1 port; the server
runs in another thread, so it needs committed data (not the rolled-back test connection).
The data: the bundled MOPH hospitals and COVID checkpoints, plus a few vaccination sites
and waiting centres so every collection has features with its type's fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from registry.app import create_app
from registry.db import db
from registry.demo import DEMO_FACILITY_FILES
from registry.facilities.service import Actor, create_facility, deactivate_facility
from registry.imports.bulk import upsert_facilities
from registry.paths import DATA_DIR
from tests.live_server import LiveServer as BaseLiveServer

LOADER = Actor("test loader", "cli")
EXTRA_SITES = [
    {
        "type": "vaccination_site",
        "name_th": "จุดฉีดวัคซีนเซ็นทรัลเฟสติวัล",
        "lon": 98.9995,
        "lat": 18.8065,
        "vaccine_brands": ["pfizer", "sinovac"],
        "doses": ["1", "2"],
        "walk_in": True,
        "daily_capacity": 800,
    },
    {
        "type": "vaccination_site",
        "name_th": "จุดฉีดวัคซีนบางซื่อ",
        "lon": 100.5341,
        "lat": 13.8026,
        "vaccine_brands": ["moderna"],
        "daily_capacity": 10000,
        "hcode": "A00012345",
    },
    {
        "type": "waiting_centre",
        "name_th": "ศูนย์พักคอยวัดสะพาน",
        "lon": 100.5716,
        "lat": 13.7175,
        "beds_total": 120,
        "beds_green_total": 100,
        "beds_green_available": 35,
        "oxygen": True,
    },
]


class RequestLog:
    """WSGI middleware remembering each request's path and query string."""

    def __init__(self, app) -> None:
        self.app = app
        self.seen: list[str] = []

    def __call__(self, environ, start_response):
        query = environ.get("QUERY_STRING", "")
        self.seen.append(environ["PATH_INFO"] + ("?" + query if query else ""))
        return self.app(environ, start_response)


@dataclass
class LiveRegistry:
    app: object
    url: str
    log: RequestLog
    deleted_id: int
    counts: dict[str, int] = field(default_factory=dict)


def load_registry(app) -> int:
    """Migrate, load areas and sites; returns the id of one deactivated site."""
    from registry import migrate
    from registry.areas.service import load_boundaries

    with app.app_context():
        migrate.upgrade(db.engine)
        load_boundaries(db.session, DATA_DIR)
        db.session.commit()
        for file_name, reader in DEMO_FACILITY_FILES:
            upsert_facilities(db.session, reader(DATA_DIR / file_name), LOADER, tolerance_m=5_000)
            db.session.commit()
        made = [create_facility(db.session, dict(site), LOADER).facility for site in EXTRA_SITES]
        gone = create_facility(
            db.session, {**EXTRA_SITES[2], "name_th": "ศูนย์พักคอยที่ปิดแล้ว"}, LOADER
        ).facility
        db.session.commit()
        deactivate_facility(db.session, gone.id, LOADER, reason="closed", expected_version=1)
        db.session.commit()
        assert made
        return gone.id


class LiveServer(BaseLiveServer):
    """The app served with its requests logged (``.log``), to see what a client asked."""

    def __init__(self, app) -> None:
        self.log = RequestLog(app)
        super().__init__(app, self.log)


def live_app(url: str):
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "live", "TESTING": False})
