"""How soon a committed change reaches every worker, across processes, on both databases.

Two gunicorn servers (separate processes, as on two hosts) share one database:

- ``quick``: the configured bound, ``DATA_VERSION_MAX_LAG_MS`` = 100;
- ``lazy``: a 60 s bound with a 30 s heartbeat, so that on PostGIS it learns of another's
  write only by notification, or by its writer's cookie or token.

PostGIS: a write through either is in the other's answers within the bound (a request sent
more than the bound after the write's response never misses it), also when the notification
is switched off (the heartbeat alone), also for a write made with plain SQL; the writer's own
next answer on the other server has it at once. SpatiaLite: every answer reads the file's
committed version, so the very next answer of the other process has it.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry import migrate, version_watch
from registry.accounts.service import create_token
from registry.areas.service import load_boundaries
from registry.db import make_engine
from registry.facilities.service import Actor, create_facility
from registry.paths import DATA_DIR
from tests.conftest import BACKENDS, drop_postgis_database, fresh_database_url, scratch_name
from tests.registry.conftest import add_user
from tests.registry.helpers import CHIANG_MAI
from tests.serving import CHECKOUT, base_env, gunicorn_serve

pytestmark = pytest.mark.slow

BOUND_MS = 100
APP = "tests.registry.serving_app:create_test_app()"
NEAREST = f"/api/v1/nearest?lat={CHIANG_MAI['lat']}&lon={CHIANG_MAI['lon']}&k=1&type=hospital"


@dataclass
class Pair:
    backend: str
    engine: object
    quick: object
    lazy: object
    site_id: int
    token: str
    version: int = 1

    def write(self, server, beds: int) -> tuple[dict, float]:
        """PATCH the site's beds through ``server``: (the answer's headers, when it came)."""
        status, headers, body = request(
            server,
            "PATCH",
            f"/api/v1/facilities/{self.site_id}",
            {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            json.dumps({"version": self.version, "beds_total": beds}).encode(),
        )
        done = time.monotonic()
        assert status == 200, body
        self.version = json.loads(body)["feature"]["properties"]["version"]
        return headers, done


def request(server, method: str, path: str, headers: dict | None = None, body=None):
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        headers = {}
        for name, value in response.getheaders():  # every Set-Cookie, one per line
            headers[name] = f"{headers[name]}\n{value}" if name in headers else value
        return response.status, headers, response.read()
    finally:
        connection.close()


def beds_seen(server, headers: dict | None = None) -> int:
    status, _, body = request(server, "GET", NEAREST, headers)
    assert status == 200, body
    return json.loads(body)["features"][0]["properties"]["beds_total"]


@pytest.fixture(scope="module", params=BACKENDS)
def pair(request, tmp_path_factory):
    backend = request.param
    folder: Path = tmp_path_factory.mktemp(f"watch-{backend}")
    name = scratch_name("watch")
    url = fresh_database_url(backend, folder, name)
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        load_boundaries(session, DATA_DIR)
        site = create_facility(
            session,
            {"type": "hospital", "name_th": "โรงพยาบาลทดสอบ", "beds_total": 10, **CHIANG_MAI},
            Actor("test loader", "cli"),
        ).facility
        official = add_user(session, "official", "official", "TH50")
        _, secret = create_token(session, official, "tests")
        session.commit()
        site_id = site.id
    env = base_env(
        PYTHONPATH=str(CHECKOUT),
        REGISTRY_DATABASE_URL=url,
        REGISTRY_INSTANCE_PATH=str(folder / "instance"),
        REGISTRY_DATA_VERSION_MAX_LAG_MS=str(BOUND_MS),
    )
    lazy_env = env | {
        "REGISTRY_DATA_VERSION_MAX_LAG_MS": "60000",
        "REGISTRY_DATA_VERSION_HEARTBEAT_MS": "30000",
    }
    options = ("--workers", "1", "--threads", "2")
    quick = gunicorn_serve(APP, env, folder / "quick.log", cwd=CHECKOUT, extra=options)
    lazy = gunicorn_serve(APP, lazy_env, folder / "lazy.log", cwd=CHECKOUT, extra=options)
    try:
        quick.wait_ready()
        lazy.wait_ready()
        made = Pair(backend, engine, quick, lazy, site_id, secret)
        # Both have answered once: each worker's listener has started.
        assert beds_seen(quick) == beds_seen(lazy) == 10
        time.sleep(0.5)
        yield made
    finally:
        quick.stop()
        lazy.stop()
        engine.dispose()
        if backend == "postgis":
            drop_postgis_database(name)


def answers_after(server, expected: int, since: float, seconds: float) -> list[tuple[float, int]]:
    """(ms after ``since`` that the request was sent, beds seen), for ``seconds``."""
    seen = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sent = time.monotonic()
        seen.append(((sent - since) * 1000, beds_seen(server)))
        if seen[-1][1] == expected and seen[-1][0] > 2 * BOUND_MS:
            break
    return seen


def assert_within_bound(seen: list[tuple[float, int]], expected: int) -> None:
    late = [(ms, beds) for ms, beds in seen if ms > BOUND_MS]
    assert late, f"no request was sent after the bound: {seen}"
    stale = [(round(ms, 1), beds) for ms, beds in late if beds != expected]
    assert not stale, f"answers sent more than {BOUND_MS} ms after the write missed it: {stale}"


def test_a_write_through_one_server_reaches_the_other_within_the_bound(pair):
    if pair.backend == "spatialite":
        # One file: every answer reads its committed version, so the next answer has it.
        pair.write(pair.lazy, 21)
        assert beds_seen(pair.quick) == 21
        pair.write(pair.quick, 22)
        assert beds_seen(pair.lazy) == 22
        return
    _, done = pair.write(pair.lazy, 21)
    seen = answers_after(pair.quick, 21, done, 1.0)
    assert_within_bound(seen, 21)
    first = next(ms for ms, beds in seen if beds == 21)
    print(f"write through lazy, first seen by quick {first:.1f} ms after the write's answer")


def test_the_bound_holds_without_notifications(pair):
    """The heartbeat alone keeps the bound: a lost notification is never taken for quiet."""
    if pair.backend == "spatialite":
        pytest.skip("SpatiaLite has no notifications: every answer reads the version")
    with pair.engine.begin() as connection:
        connection.execute(text("ALTER TABLE registry_state DISABLE TRIGGER registry_state_notify"))
    try:
        _, done = pair.write(pair.lazy, 31)
        seen = answers_after(pair.quick, 31, done, 1.0)
        assert_within_bound(seen, 31)
        # The lazy server trusts its last version for a minute: without the notification it
        # is still stale, which is what makes the next test's "at once" mean something.
        assert beds_seen(pair.lazy) == 31  # its own write, which its catalog now holds
        pair.write(pair.quick, 32)
        assert beds_seen(pair.lazy) == 31
    finally:
        with pair.engine.begin() as connection:
            connection.execute(
                text("ALTER TABLE registry_state ENABLE TRIGGER registry_state_notify")
            )


def test_the_writer_sees_its_write_at_once_on_any_server(pair):
    if pair.backend == "postgis":
        with pair.engine.begin() as connection:
            connection.execute(
                text("ALTER TABLE registry_state DISABLE TRIGGER registry_state_notify")
            )
    try:
        # A browser keeps the cookie its write was answered with...
        headers, _ = pair.write(pair.quick, 41)
        cookies = [line.split(";")[0] for line in headers.get("Set-Cookie", "").splitlines()]
        cookie = next(c for c in cookies if c.startswith("registry_wrote="))
        assert beds_seen(pair.lazy, {"Cookie": cookie}) == 41
        # ...an API client sends its token.
        pair.write(pair.quick, 42)
        assert beds_seen(pair.lazy, {"Authorization": f"Bearer {pair.token}"}) == 42
    finally:
        if pair.backend == "postgis":
            with pair.engine.begin() as connection:
                connection.execute(
                    text("ALTER TABLE registry_state ENABLE TRIGGER registry_state_notify")
                )


def test_a_change_made_with_plain_sql_is_seen_within_the_bound(pair):
    """Anyone's commit counts, not only this code's: the trigger and the version row do.
    The recipe docs/deploy.md gives other programs: take the version first (it locks), then
    stamp the rows with it."""
    with pair.engine.begin() as connection:
        version = connection.scalar(
            text(
                "UPDATE registry_state SET data_version = data_version + 1 WHERE id = 1 "
                "RETURNING data_version"
            )
        )
        connection.execute(
            text("UPDATE facility SET beds_total = 51, data_version = :version WHERE id = :id"),
            {"id": pair.site_id, "version": version},
        )
    done = time.monotonic()
    if pair.backend == "spatialite":
        assert beds_seen(pair.quick) == beds_seen(pair.lazy) == 51
        return
    assert_within_bound(answers_after(pair.quick, 51, done, 1.0), 51)
    # The notification reaches the lazy server too, long before its 30 s heartbeat would.
    deadline = time.monotonic() + 5
    while beds_seen(pair.lazy) != 51:
        assert time.monotonic() < deadline, "the lazy server never heard of the change"
        time.sleep(0.01)


# -- the watch in this process ------------------------------------------------------------------


@pytest.fixture
def deaf_watch(pair):
    """A PostGIS watch of the pair's database whose listener hears nothing (stopped, and not
    restarted): only its lease and this process's own writes can move it."""
    if pair.backend == "spatialite":
        pytest.skip("SpatiaLite reads the version on every answer; there is no listener")
    engine = make_engine(pair.engine.url)
    version_watch.configure(engine, max_lag_ms=BOUND_MS, heartbeat_ms=25)
    watch = version_watch.watch_for(engine)
    before = watch.version()  # starts the listener, confirms the version
    watch.stop()
    watch._thread = threading.current_thread()  # "running": version() starts no other
    yield engine, watch, before
    watch._thread = None
    engine.dispose()


def _bump(engine) -> int:
    with engine.begin() as connection:
        return connection.scalar(
            text(
                "UPDATE registry_state SET data_version = data_version + 1 WHERE id = 1 "
                "RETURNING data_version"
            )
        )


def test_a_silent_listener_is_trusted_only_within_the_bound(pair, deaf_watch):
    _, watch, before = deaf_watch
    committed = _bump(pair.engine)
    assert watch.version() == before  # still within the lease: no query
    time.sleep(BOUND_MS / 1000 + 0.01)
    assert watch.version() == committed  # the lease ran out: read, not assumed quiet


def test_this_process_sees_its_own_commit_at_once_and_never_a_rolled_back_one(pair, deaf_watch):
    engine, watch, before = deaf_watch
    for keep in (False, True):
        with Session(engine) as session:
            create_facility(
                session,
                {"type": "hospital", "name_th": "โรงพยาบาลสอง", **CHIANG_MAI},
                Actor("test", "cli"),
            )
            session.commit() if keep else session.rollback()
        if not keep:
            assert watch.version() == before
    committed = version_watch.autocommit_int(engine, version_watch.VERSION_SQL)
    assert committed > before
    assert watch.version() == committed  # within the lease, yet current
    # A request whose writer wrote more than the watch knows reads it (read-your-writes).
    later = _bump(pair.engine)
    assert watch.version(later) == later
