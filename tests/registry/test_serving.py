"""Serving under gunicorn: graceful restart and stop, metrics over workers, JSON logs.

The documented gunicorn line serves an app with two test-only routes (a slow request to have
one in flight, the worker's pid); `registry serve` is checked for its settings.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import urllib.request

import pytest

from tests.registry.test_operations import samples
from tests.serving import CHECKOUT, VENV_BIN, base_env, gunicorn_serve, registry_serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """An environment with a migrated, empty SpatiaLite database."""
    folder = tmp_path_factory.mktemp("serve")
    env = base_env(
        PYTHONPATH=str(CHECKOUT),
        REGISTRY_DATABASE_URL=f"sqlite:///{folder / 'registry.sqlite'}",
        REGISTRY_INSTANCE_PATH=str(folder / "instance"),
    )
    registry = VENV_BIN / "registry"
    subprocess.run([registry, "init-db"], env=env, cwd=CHECKOUT, check=True, capture_output=True)
    return folder, env


@pytest.fixture(scope="module")
def server(migrated):
    folder, env = migrated
    server = gunicorn_serve(
        "tests.registry.serving_app:create_test_app()",
        env,
        folder / "gunicorn.log",
        cwd=CHECKOUT,
        extra=("--workers", "2", "--threads", "2", "--graceful-timeout", "20"),
    )
    server.wait_ready()
    yield server
    server.stop()


def test_registry_serve_takes_workers_and_threads_from_the_configuration(migrated):
    folder, env = migrated
    env = env | {"REGISTRY_SERVE_WORKERS": "3", "REGISTRY_SERVE_THREADS": "2"}
    server = registry_serve(VENV_BIN / "registry", env, folder / "serve.log", cwd=CHECKOUT)
    try:
        server.wait_ready()
        # Each worker reports its pool once it has served a request; the kernel, not us,
        # picks which worker accepts a connection, so ask until all three have answered.
        deadline = time.monotonic() + 30
        pools, scrape = 0, None
        while pools < 3 * 5 and time.monotonic() < deadline:
            for _ in range(10):
                server.get("/healthz", headers={"Connection": "close"})
            scrape = server.get("/metrics")
            assert scrape.status == 200, (scrape.status, scrape.text()[-2000:], server.log())
            pools = samples(scrape.text()).get(("registry_db_pool_size", ""), 0)
        assert pools == 3 * 5, scrape.text()  # three live workers' pools, no more
        log = server.log()
        assert log.count("Booting worker") == 3
        assert "gthread" in log
    finally:
        assert server.stop() == 0


def _in_background(server, path):
    """Start a request now; the returned thread's .answer holds what came back."""

    def run():
        try:
            thread.answer = server.get(path, timeout=60)
        except Exception as error:  # kept for the assertion message
            thread.answer = error

    thread = threading.Thread(target=run)
    thread.answer = None
    thread.start()
    return thread


def _worker_pids(server, expected: int = 2) -> tuple[set[int], int]:
    """The workers that answered new connections, and how many requests that took: the kernel
    picks the worker that accepts each one, so ask in rounds until ``expected`` have answered."""
    pids, sent = set(), 0
    deadline = time.monotonic() + 30
    while len(pids) < expected and time.monotonic() < deadline:
        for _ in range(20):
            pids.add(int(server.get("/test/pid", headers={"Connection": "close"}).text()))
        sent += 20
    return pids, sent


def test_serves_with_gthread_workers_and_sums_metrics_over_them(server):
    before = samples(server.get("/metrics").text())
    pids, sent = _worker_pids(server)
    assert len(pids) == 2, pids
    assert server.master_pid not in pids
    after = samples(server.get("/metrics").text())
    key = ("registry_http_requests_total", 'method="GET",route="/test/pid",status="200"')
    assert after[key] - before.get(key, 0) == sent  # both workers' counts, added up
    assert after["registry_db_pool_size", ""] == 2 * 5  # one pool per live worker
    assert after["registry_catalog_sites", ""] == 0


def test_hup_restarts_workers_and_finishes_requests_in_flight(server):
    old, _ = _worker_pids(server)
    slow = _in_background(server, "/test/slow?seconds=3")
    time.sleep(0.7)
    server.signal(signal.SIGHUP)
    errors = 0
    for _ in range(20):  # served all along
        errors += server.get("/healthz", timeout=10).status != 200
        time.sleep(0.1)
    slow.join(30)
    assert errors == 0
    assert getattr(slow.answer, "status", slow.answer) == 200
    assert slow.answer.text() == "done"
    time.sleep(1)
    new, _ = _worker_pids(server)
    assert not old & new, "HUP must replace every worker"
    assert server.process.poll() is None


def test_log_lines_are_json_with_the_request_id(server):
    server.get("/healthz", headers={"X-Request-ID": "serve-log-1"})
    time.sleep(0.5)
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("request_id") == "serve-log-1"]
    assert access and access[0]["logger"] == "registry.access"
    assert access[0]["http"]["status"] == 200
    assert any(line["logger"] == "gunicorn.error" for line in lines)


def test_a_killed_worker_is_replaced(server):
    victim = next(iter(_worker_pids(server)[0]))
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        pids, _ = _worker_pids(server)
        if len(pids) == 2 and victim not in pids:
            break
        time.sleep(0.5)
    assert victim not in pids and len(pids) == 2
    assert server.get("/readyz").status == 200


def test_term_finishes_requests_in_flight_then_stops(server):
    slow = _in_background(server, "/test/slow?seconds=3")
    time.sleep(0.7)
    started = time.monotonic()
    server.signal(signal.SIGTERM)
    slow.join(30)
    code = server.process.wait(30)
    assert getattr(slow.answer, "status", slow.answer) == 200
    assert slow.answer.text() == "done"
    assert code == 0
    assert time.monotonic() - started < 20  # no need to wait for the whole grace period
    with pytest.raises(OSError):
        urllib.request.urlopen(server.url + "/healthz", timeout=3)
    metrics_dirs = [line for line in server.log().splitlines() if "registry-metrics-" in line]
    assert not metrics_dirs
