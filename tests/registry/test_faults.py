"""Faults the service survives, fast cases; bench/faults.py runs the long ones.

- PostGIS stopped and started again (a throwaway cluster, never the shared server): /readyz
  says not ready while it is down and ready again after, by itself; requests fail only while
  it is down.
- An import killed half-way (SIGKILL while it writes): nothing of that batch is written, on
  both databases, and the same file imports cleanly afterwards.
- The SpatiaLite file's disk full, then read-only: a clear 503 naming the problem, reads go
  on, nothing corrupt, and writes work again once space (or write access) is back.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from registry.db import make_engine
from tests.conftest import BACKENDS, fresh_database_url, scratch_name
from tests.faults import ThrowawayPostgres, add_token, counts, hospital_csv
from tests.serving import CHECKOUT, VENV_BIN, base_env, registry_serve

pytestmark = pytest.mark.slow
REGISTRY = VENV_BIN / "registry"


def _registry(env, *args, **kw):
    return subprocess.run(
        [REGISTRY, *args], env=env, cwd=CHECKOUT, capture_output=True, text=True, **kw
    )


def _env(database_url: str, folder: Path, **extra) -> dict[str, str]:
    return base_env(
        PYTHONPATH=str(CHECKOUT),
        REGISTRY_DATABASE_URL=database_url,
        REGISTRY_INSTANCE_PATH=str(folder / "instance"),
        **extra,
    )


@pytest.fixture(scope="module")
def throwaway_pg():
    cluster = ThrowawayPostgres.start()
    yield cluster
    cluster.destroy()


def test_readyz_follows_postgis_down_and_up_again(throwaway_pg, tmp_path):
    from registry.db import recreate_postgis_database

    url = recreate_postgis_database(throwaway_pg.server, "registry")
    env = _env(url, tmp_path)
    assert _registry(env, "init-db").returncode == 0
    server = registry_serve(REGISTRY, env, tmp_path / "serve.log", cwd=CHECKOUT)
    try:
        server.wait_ready()
        timings = {"start": time.monotonic()}
        throwaway_pg.stop()
        timings["stopped"] = time.monotonic()
        down = [server.get("/readyz") for _ in range(4)]  # every worker, whichever answers
        assert {answer.status for answer in down} == {503}
        assert json.loads(down[0].body)["checks"]["database"] == "unreachable"
        assert server.get("/healthz").status == 200  # the process itself is fine
        timings["checked"] = time.monotonic()
        throwaway_pg.resume()
        started = time.monotonic()
        server.wait_ready(timeout=30)
        after = [server.get("/readyz").status for _ in range(10)]
        answers = [server.get("/api/v1/facilities?limit=1").status for _ in range(10)]
        assert after == [200] * 10 and answers == [200] * 10
        assert time.monotonic() - started < 10  # by itself, within seconds
        timings["back"] = time.monotonic()
    finally:
        assert server.stop() == 0
    timings["stopped server"] = time.monotonic()
    print({k: round(v - timings["start"], 2) for k, v in timings.items()})


def _kill_while_writing(env, csv: Path, database_url: str) -> str:
    """Start `registry import` and SIGKILL it while its transaction is open; its output."""
    process = subprocess.Popen(
        [REGISTRY, "import", str(csv), "--by", "fault test"],
        env=env | {"PYTHONUNBUFFERED": "1"},
        cwd=CHECKOUT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    seen = b""
    deadline = time.monotonic() + 120
    while b"matching and writing" not in seen and time.monotonic() < deadline:
        chunk = os.read(process.stdout.fileno(), 4096)
        if not chunk:
            break
        seen += chunk
    assert b"matching and writing" in seen, seen.decode(errors="replace")
    time.sleep(0.3)
    assert process.poll() is None, "the import ended before it could be killed"
    if database_url.startswith("postgresql"):
        assert _open_transactions(database_url) >= 1  # really half-way through a write
    os.kill(process.pid, signal.SIGKILL)
    process.wait(30)
    process.stdout.close()
    return seen.decode(errors="replace")


def _open_transactions(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND xact_start IS NOT NULL AND pid <> pg_backend_pid()"
            ).scalar_one()
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_import_killed_half_way_writes_nothing(backend, tmp_path):
    name = scratch_name("faults_import")
    url = fresh_database_url(backend, tmp_path, name)
    env = _env(url, tmp_path)
    assert _registry(env, "init-db").returncode == 0
    loaded = _registry(env, "load-areas", timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    before = counts(url)
    csv = hospital_csv(tmp_path / "hospitals.csv", 12_000)
    _kill_while_writing(env, csv, url)
    assert counts(url) == before  # nothing of the batch
    if backend == "spatialite":
        engine = make_engine(url)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        engine.dispose()
    # Nothing is left locked or half-done: the next import goes through.
    small = hospital_csv(tmp_path / "few.csv", 50, prefix="after")
    again = _registry(env, "import", str(small), "--by", "fault test", timeout=600)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    after = counts(url)
    assert after["facility"] == before["facility"] + 50
    assert after["import_batch"] == before["import_batch"] + 1
    if backend == "postgis":
        from tests.conftest import drop_postgis_database

        drop_postgis_database(name)


def _mount_tmpfs(folder: Path, megabytes: int) -> None:
    folder.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {result.stderr.strip()}")


def _fill(folder: Path) -> Path:
    """Write a file until the file system is full, to the last block."""
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1):
            block = b"\0" * size
            try:
                while os.write(descriptor, block):
                    pass
            except OSError:
                continue
    finally:
        os.close(descriptor)
    return filler


def _post(server, token: str, path: str, body) -> tuple[int, dict]:
    request = urllib.request.Request(
        server.url + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


SITE = {"type": "hospital", "name_th": "โรงพยาบาลหลังดิสก์เต็ม", "lat": 18.79, "lon": 98.99}


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small file system needs root")
def test_spatialite_disk_full_then_read_only_then_back(tmp_path):
    disk = tmp_path / "disk"
    _mount_tmpfs(disk, 160)
    server = None
    try:
        url = f"sqlite:///{disk / 'registry.sqlite'}"
        env = _env(url, tmp_path)
        assert _registry(env, "init-db").returncode == 0
        assert _registry(env, "load-areas", timeout=300).returncode == 0
        token = add_token(url)
        server = registry_serve(REGISTRY, env, tmp_path / "serve.log", cwd=CHECKOUT)
        server.wait_ready()
        assert _post(server, token, "/api/v1/facilities", SITE)[0] == 201
        engine = make_engine(url)
        with engine.connect() as connection:  # the next write must grow the WAL file
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        before = counts(url)

        filler = _fill(disk)
        status, body = _post(server, token, "/api/v1/facilities", SITE)
        assert status == 503, body
        assert body["error"] == "storage_full"
        assert "disk is full" in body["message"] and "Nothing" in body["message"]
        assert server.get("/api/v1/facilities?limit=5").status == 200  # reads go on
        assert server.get("/readyz").status == 200
        filler.unlink()
        assert counts(url) == before  # nothing half-written
        status, body = _post(server, token, "/api/v1/facilities", SITE)
        assert status == 201, body  # space is back: so is the service, by itself

        # Read-only: a SpatiaLite database in WAL mode cannot even be opened on a read-only
        # file system, so the service (restarted on it, as after a file system error) says
        # so on /readyz, answers without a traceback, and comes back by itself.
        assert server.stop() == 0
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        server = registry_serve(REGISTRY, env, tmp_path / "serve-ro.log", cwd=CHECKOUT)
        server.wait_ready("/healthz")
        ready = server.get("/readyz")
        assert ready.status == 503
        assert json.loads(ready.body)["checks"]["database"] == "unreachable"
        listing = server.get("/api/v1/facilities?limit=5")
        assert listing.status in (500, 503)
        assert re.fullmatch(r"[0-9a-f]{32}", listing.headers["X-Request-ID"])
        for answer in (listing, server.get("/")):
            assert b"Traceback" not in answer.body and b"sqlite" not in answer.body.lower()
        subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
        server.wait_ready(timeout=20)
        status, body = _post(server, token, "/api/v1/facilities", SITE)
        assert status == 201, body

        assert counts(url)["facility"] == before["facility"] + 2
        engine = make_engine(url)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        engine.dispose()
    finally:
        if server is not None:
            server.stop()
        subprocess.run(["umount", "-l", str(disk)], check=False)
