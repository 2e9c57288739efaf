"""While the database cannot be reached the service answers 503 with
Retry-After (JSON under /api, the site's page for people), logs one line per request and one
warning per outage, and keeps answering nearest-site searches from its in-memory catalog,
saying the data may be some minutes old.

The outage is real: the app reaches PostGIS through a small TCP relay started here, and the
test cuts the relay (open connections dropped, new ones refused), then restores it. No part
of the database is mocked.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.app import create_app
from registry.nearest.catalog import catalogs
from tests.registry.helpers import CHIANG_MAI, make_facility

NEAR = f"lat={CHIANG_MAI['lat'] + 0.01}&lon={CHIANG_MAI['lon']}"


class Relay:
    """127.0.0.1:<port> relayed to PostgreSQL; ``cut`` makes the database unreachable."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.links: list[socket.socket] = []
        self.lock = threading.Lock()
        self._listen()

    def _listen(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            server = socket.create_connection(self.target)
            with self.lock:
                self.links += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        # shutdown() first: a listening socket closed while a thread waits in accept() would
        # keep listening on Linux.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            links, self.links = self.links, []
        for link in links:
            with contextlib.suppress(OSError):
                link.shutdown(socket.SHUT_RDWR)
            link.close()

    def restore(self) -> None:
        self._listen()


@pytest.fixture
def relayed_app(backend, engine, tmp_path):
    if backend != "postgis":
        pytest.skip("a SpatiaLite file has no server to lose; the outage is PostGIS's")
    url = engine.url
    relay = Relay((url.host or "127.0.0.1", url.port or 5432))
    app = create_app(
        {
            "TESTING": True,
            "SERVER_NAME": "registry.test",
            "DATABASE_URL": url.set(port=relay.port).render_as_string(hide_password=False),
        }
    )
    app.instance_path = str(tmp_path)
    app_engine = app.extensions["registry_db"].engine
    with Session(app_engine) as session:
        ids = [make_facility(session, name_th=f"จุดฉีดวัคซีน {i}", type="vaccination_site",
                             lat=CHIANG_MAI["lat"] + i * 0.01, lon=CHIANG_MAI["lon"]).id
               for i in range(3)]  # fmt: skip
        session.commit()
    catalogs.clear()
    yield app, relay
    relay.cut()
    relay.restore()
    app_engine.dispose()
    catalogs.clear()
    with engine.begin() as connection:  # the committed sites go again
        for table in ("field_confirmation", "facility_change"):
            connection.execute(
                text(f"DELETE FROM {table} WHERE facility_id = ANY(:ids)"), {"ids": ids}
            )
        connection.execute(text("DELETE FROM facility WHERE id = ANY(:ids)"), {"ids": ids})


def test_an_outage_is_503_with_one_warning_and_nearest_keeps_answering(relayed_app, caplog):
    app, relay = relayed_app
    client = app.test_client()
    before = client.get(f"/api/v1/nearest?{NEAR}&k=3")
    assert before.status_code == 200
    names = [f["properties"]["name_th"] for f in before.get_json()["features"]]
    assert len(names) == 3 and "stale" not in before.get_json()["search"]

    caplog.set_level(logging.INFO, logger="registry.operations.outage")
    relay.cut()

    refused = [client.get("/api/v1/facilities") for _ in range(5)]
    for response in refused:
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        assert response.get_json()["error"] == "unavailable"
    page = client.get("/stats/TH50")
    assert page.status_code == 503 and "Retry-After" in page.headers
    html = page.get_data(as_text=True)
    assert "<html" in html.lower() and "ใช้งานไม่ได้ชั่วคราว" in html  # the site's page, Thai

    during = client.get(f"/api/v1/nearest?{NEAR}&k=3")
    assert during.status_code == 200
    body = during.get_json()
    assert [f["properties"]["name_th"] for f in body["features"]] == names
    assert body["search"]["stale"] is True and body["search"]["data_as_of"]
    resident = client.get(f"/?{NEAR}&type=vaccination_site")
    assert resident.status_code == 200
    html = resident.get_data(as_text=True)
    assert 'id="stale-notice"' in html and names[0] in html

    outage = [r for r in caplog.records if r.name == "registry.operations.outage"]
    warnings = [r for r in outage if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()
    lines = [r for r in outage if r.levelno == logging.INFO]
    assert len(lines) == 6  # one per refused request
    traced = [(r.name, r.getMessage()) for r in caplog.records if r.exc_info]
    assert traced == []  # no traceback storm

    relay.restore()
    after = client.get("/api/v1/facilities")
    assert after.status_code == 200
    back = [r for r in caplog.records if "reachable again" in r.getMessage()]
    assert len(back) == 1
    again = client.get(f"/api/v1/nearest?{NEAR}&k=3").get_json()
    assert "stale" not in again["search"]
