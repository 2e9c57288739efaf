"""Load and fault harness: what the served registry does when things break.

    .venv/bin/python bench/faults.py                    # outage + killed feed (about 2 min)
    .venv/bin/python bench/faults.py --soak 600         # and a 10-minute mixed soak
    .venv/bin/python bench/faults.py --checkout /other  # the same against another checkout

Everything runs on a throwaway PostgreSQL cluster (scripts/pg-throwaway, a random port) with
the boundaries and the real MOPH hospital list, served by gunicorn with the project's
configuration (2 workers x 4 threads); the shared server on 5432 is never touched. Needs root
(the cluster runs as the postgres user). Printed figures:

- outage: mixed load (nearest, lists, map, creates through the API) while PostgreSQL is
  restarted once and then stopped for --down seconds: requests served, errors while down and
  after, seconds until every worker answers again, acknowledged creates missing afterwards
  (data lost);
- killed feed: a worker SIGKILLed while it writes a bulk status feed of every hospital:
  changes written by that feed (must be 0), and the next feed succeeds;
- soak: per minute, requests, errors, p50/p99 latency and the resident memory of each worker.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.faults import ThrowawayPostgres, add_token  # noqa: E402
from tests.serving import base_env, gunicorn_serve  # noqa: E402

PLACES = ["เชียงใหม่", "ลำพูน", "Chiang Rai", "ขอนแก่น", "Bangkok", "ภูเก็ต"]


def call(url: str, *, data=None, token=None, method=None, timeout=30) -> tuple[int, float, bytes]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            return response.status, time.perf_counter() - started, body
    except urllib.error.HTTPError as error:
        return error.code, time.perf_counter() - started, error.read()
    except OSError:
        return 0, time.perf_counter() - started, b""  # refused, reset, timed out


class Load:
    """Client threads sending a mix of reads and writes until stopped; every answer recorded."""

    def __init__(self, base: str, token: str, threads: int = 6, write_share: float = 0.1):
        self.base, self.token = base, token
        self.threads, self.write_share = threads, write_share
        self.records: list[tuple[float, str, int, float]] = []  # (t, kind, status, seconds)
        self.created: list[int] = []  # ids the API acknowledged
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []
        self.started = 0.0

    def _one(self, number: int, n: int) -> None:
        if (n * 7919 + number) % 100 < self.write_share * 100:
            body = {
                "type": "hospital",
                "name_th": f"โรงพยาบาลทดสอบภาระ {number}-{n}",
                "lat": 18.7 + (n % 50) / 500,
                "lon": 98.9 + (number % 10) / 100,
            }
            status, seconds, answer = call(
                self.base + "/api/v1/facilities",
                data=json.dumps(body).encode(),
                token=self.token,
                method="POST",
            )
            kind = "write"
            if status == 201:
                with self._lock:
                    self.created.append(json.loads(answer)["feature"]["id"])
        else:
            choice = n % 3
            if choice == 0:
                place = urllib.parse.quote(PLACES[n % len(PLACES)])
                path = f"/api/v1/nearest?place={place}&type=hospital&k=5"
            elif choice == 1:
                path = "/api/v1/facilities?type=hospital&province=TH50&limit=50"
            else:
                path = "/api/v1/map/features?bbox=98,18,100,20&zoom=9"
            status, seconds, _ = call(self.base + path)
            kind = "read"
        with self._lock:
            self.records.append((time.monotonic() - self.started, kind, status, seconds))

    def _run(self, number: int) -> None:
        n = 0
        while not self._stop.is_set():
            self._one(number, n)
            n += 1

    def start(self) -> None:
        self.started = time.monotonic()
        for number in range(self.threads):
            thread = threading.Thread(target=self._run, args=(number,), daemon=True)
            thread.start()
            self._workers.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._workers:
            thread.join(60)

    def now(self) -> float:
        return time.monotonic() - self.started


def prepare(checkout: Path, cluster: ThrowawayPostgres, folder: Path) -> tuple[str, dict]:
    from registry.db import recreate_postgis_database

    url = recreate_postgis_database(cluster.server, "registry")
    env = base_env(PYTHONPATH=str(checkout), REGISTRY_DATABASE_URL=url)
    env["REGISTRY_INSTANCE_PATH"] = str(folder / "instance")
    registry = Path(sys.executable).parent / "registry"
    hospitals = checkout / "data" / "moph_hospitals_geojson_health.geojson"
    for args in (
        ["init-db"],
        ["load-areas"],
        ["import", str(hospitals), "--type", "hospital", "--by", "faults"],
    ):
        subprocess.run([registry, *args], env=env, cwd=checkout, check=True, capture_output=True)
    return url, env


def serve(checkout: Path, env: dict, folder: Path):
    server = gunicorn_serve(
        "registry.app:create_app()",
        env,
        folder / "gunicorn.log",
        cwd=checkout,
        extra=("--workers", "2", "--threads", "4"),
    )
    server.wait_ready("/api/v1/areas?level=province")
    return server


def outage(args, cluster, url, env, folder) -> dict:
    server = serve(args.checkout, env, folder)
    token = add_token(url, "outage")
    load = Load(server.url, token)
    load.start()
    time.sleep(10)
    restart_at = load.now()
    cluster.restart()
    restarted = load.now()
    time.sleep(10)
    down_at = load.now()
    cluster.stop()
    time.sleep(args.down)
    cluster.resume()
    up_at = load.now()
    time.sleep(20)
    load.stop()
    server.stop()

    def errors(rows):
        return sum(1 for row in rows if row[2] == 0 or row[2] >= 500)

    records = load.records
    during_restart = [r for r in records if restart_at <= r[0] < restarted + 1]
    while_down = [r for r in records if down_at <= r[0] < up_at]
    after = [r for r in records if r[0] >= up_at]
    failed_after = [r for r in after if r[2] == 0 or r[2] >= 500]
    last_error_after = max((r[0] for r in failed_after), default=up_at) - up_at
    recovered_in = last_error_after if failed_after else 0.0
    before = [r for r in records if r[0] < restart_at]
    late = [r for r in after if r[0] >= up_at + 5]
    statuses_down = Counter(r[2] for r in while_down)
    # Data lost: creates the API acknowledged that are not in the database now.
    from registry.db import make_engine

    engine = make_engine(url)
    with engine.connect() as connection:
        stored = {
            row[0]
            for row in connection.exec_driver_sql("SELECT id FROM facility WHERE source = 'api'")
        }
    engine.dispose()
    lost = [i for i in load.created if i not in stored]
    return {
        "requests": len(records),
        "writes acknowledged": len(load.created),
        "faults": f"1 restart at {restart_at:.0f} s, stopped {args.down} s from {down_at:.0f} s",
        "errors before any fault": errors(before),
        "errors around the restart": f"{errors(during_restart)} of {len(during_restart)}",
        "errors while stopped": f"{errors(while_down)} of {len(while_down)}",
        "answers while stopped": dict(statuses_down),
        "errors after it was back": f"{len(failed_after)} of {len(after)}",
        "last error after start (s)": round(recovered_in, 2),
        "errors from 5 s after start": errors(late),
        "data lost (acknowledged creates missing)": len(lost),
    }


def killed_feed(args, cluster, url, env, folder) -> dict:
    import psutil

    from registry.db import make_engine

    server = serve(args.checkout, env, folder)
    token = add_token(url, "feeder")
    engine = make_engine(url)
    with engine.connect() as connection:
        ids = [r[0] for r in connection.exec_driver_sql("SELECT id FROM facility ORDER BY id")]
        changes_before = connection.exec_driver_sql("SELECT count(*) FROM facility_change").scalar()
    feed = json.dumps([{"id": i, "status": "full"} for i in ids[:5000]]).encode()
    result: dict = {}

    def send():
        result["answer"] = call(
            server.url + "/api/v1/status", data=feed, token=token, method="POST", timeout=120
        )[0]

    sender = threading.Thread(target=send)
    sender.start()
    victim, deadline = None, time.monotonic() + 60
    while victim is None and time.monotonic() < deadline:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT client_port FROM pg_stat_activity WHERE datname = current_database() "
                "AND xact_start IS NOT NULL AND pid <> pg_backend_pid() "
                "AND query ILIKE '%%facility%%' AND query NOT ILIKE '%%pg_stat_activity%%'"
            ).all()
        ports = {row[0] for row in rows}
        for child in psutil.Process(server.master_pid).children():
            if any(c.laddr and c.laddr.port in ports for c in child.net_connections("tcp")):
                victim = child.pid
        time.sleep(0.05)
    if victim is None:
        raise SystemExit("the feed finished before a worker could be killed: use more items")
    os.kill(victim, signal.SIGKILL)
    sender.join(120)
    time.sleep(2)
    with engine.connect() as connection:
        changes_after = connection.exec_driver_sql("SELECT count(*) FROM facility_change").scalar()
        full = connection.exec_driver_sql(
            "SELECT count(*) FROM facility WHERE status = 'full'"
        ).scalar()
    again = call(server.url + "/api/v1/status", data=feed, token=token, method="POST")[0]
    with engine.connect() as connection:
        full_after = connection.exec_driver_sql(
            "SELECT count(*) FROM facility WHERE status = 'full'"
        ).scalar()
    engine.dispose()
    server.stop()
    return {
        "feed items": min(len(ids), 5000),
        "killed worker": victim,
        "client saw": result.get("answer"),
        "changes written by the killed feed": changes_after - changes_before,
        "facilities left 'full' by it": full,
        "next feed": again,
        "facilities 'full' after the next feed": full_after,
    }


def soak(args, cluster, url, env, folder) -> dict:
    import psutil

    server = serve(args.checkout, env, folder)
    token = add_token(url, "soak")
    load = Load(server.url, token, threads=4, write_share=0.05)
    load.start()
    memory: list[list[float]] = []
    minutes = max(1, round(args.soak / 60))
    for _ in range(minutes):
        time.sleep(args.soak / minutes)
        workers = psutil.Process(server.master_pid).children()
        memory.append([round(w.memory_info().rss / 2**20, 1) for w in workers])
    load.stop()
    server.stop()
    rows = []
    for minute in range(minutes):
        span = [
            r
            for r in load.records
            if minute * args.soak / minutes <= r[0] < (minute + 1) * args.soak / minutes
        ]
        seconds = sorted(r[3] for r in span)
        rows.append(
            {
                "minute": minute + 1,
                "requests": len(span),
                "errors": sum(1 for r in span if r[2] == 0 or r[2] >= 500),
                "p50 ms": round(1000 * statistics.median(seconds), 1) if seconds else None,
                "p99 ms": round(1000 * seconds[int(0.99 * (len(seconds) - 1))], 1)
                if seconds
                else None,
                "worker RSS MiB": memory[minute],
            }
        )
    return {"minutes": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", type=Path, default=HERE.parent, help="code to serve")
    parser.add_argument("--down", type=float, default=20, help="seconds PostgreSQL stays down")
    parser.add_argument("--soak", type=float, default=0, help="seconds of soak (0: none)")
    parser.add_argument("--skip", nargs="*", default=[], choices=["outage", "feed"])
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("needs root: the throwaway cluster runs as the postgres user")
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="registry-faults-"))
    cluster = ThrowawayPostgres.start()
    try:
        started = time.monotonic()
        url, env = prepare(args.checkout, cluster, folder)
        print(
            f"checkout {args.checkout}; cluster on port {cluster.port}; "
            f"prepared in {time.monotonic() - started:.0f} s",
            flush=True,
        )
        runs = [("outage", outage), ("killed feed", killed_feed)]
        runs = [(name, run) for name, run in runs if name.split()[-1] not in args.skip]
        if args.soak:
            runs.append(("soak", soak))
        for name, run in runs:
            figures = run(args, cluster, url, env, folder)
            print(f"== {name}", flush=True)
            print(json.dumps(figures, ensure_ascii=False, indent=1), flush=True)
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
