"""OGC API Features and whole-list downloads with 150,000 facilities on PostGIS, side by side.

    .venv/bin/python bench/ogcapi_bench.py            # (re)creates registry_bench_ogcapi
    .venv/bin/python bench/ogcapi_bench.py --reuse    # keeps it when it holds the sites
    .venv/bin/python bench/ogcapi_bench.py --reuse --parts items   # one step only

The facilities are nearest_load.py's: real MOPH hospital and clinic locations, jittered,
loaded through ``upsert_facilities``. In one run:

0. ``/bench/trivial`` (a constant JSON answer of the same app) under the same load: the most
   this client and server can do on the machine at that moment. The loads of steps 0 and 1
   take turns (``--rounds``), so a change in the machine's other load falls on each alike.
1. ``items?bbox=...&limit=10`` under load (threads in two client processes, keep-alive) against
   our OGC API (gunicorn, ``bench.nearest_wsgi:app``) and against stock pygeoapi (gunicorn,
   ``pygeoapi.flask_app:APP``, its PostgreSQL provider on the same ``facility`` table), the same
   worker and thread counts, the same random 0.1-degree boxes around real site locations.
   Without pygeoapi installed (the ``bench`` extra) its side is left out and said so.
2. All active sites into a GeoPackage with ``ogr2ogr`` (GDAL's OAPIF driver, ``PAGE_SIZE``
   10,000) from each server.
3. Whole-list GeoPackage and CSV downloads: our writer in a fresh process (time, CPU, peak
   RSS, file size),
   the same through HTTP (first request writes the file, the second is served from it), and
   ``ogr2ogr`` straight from PostGIS into the same formats.

Prints absolute numbers and ratios; the machine's other load is not controlled, so compare
ratios within one run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench import nearest_load  # noqa: E402

PYGEOAPI_CONFIG = """
server:
  bind: {{host: 127.0.0.1, port: {port}}}
  url: http://127.0.0.1:{port}
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  language: en-US
  limits: {{default_items: 10, max_items: 10000}}
  map: {{url: 'http://127.0.0.1:9/{{z}}/{{x}}/{{y}}.png', attribution: none}}
logging: {{level: ERROR}}
metadata:
  identification:
    title: bench
    description: bench
    keywords: [bench]
    keywords_type: theme
    terms_of_service: none
    url: http://127.0.0.1
  license: {{name: CC-BY 4.0, url: 'https://creativecommons.org/licenses/by/4.0/'}}
  provider: {{name: bench, url: http://127.0.0.1}}
  contact: {{name: bench, email: bench@example.org}}
resources:
  facility:
    type: collection
    title: facility
    description: facility
    keywords: [facility]
    extents:
      spatial: {{bbox: [97, 5, 106, 21], crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'}}
    providers:
      - type: feature
        name: PostgreSQL
        data:
          {{host: 127.0.0.1, port: 5432, dbname: {database}, user: postgres,
            search_path: [public]}}
        id_field: id
        table: facility
        geom_field: geom
"""


def parse_args(argv=None) -> argparse.Namespace:
    args = nearest_load.parse_args([])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--database", default="registry_bench_ogcapi")
    parser.add_argument("--facilities", type=int, default=150_000)
    parser.add_argument(
        "--duration", type=float, default=15.0, help="seconds of load per server, in all rounds"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="the loads take turns this many times, so a change in the machine's other load "
        "falls on each of them alike",
    )
    parser.add_argument(
        "--parts",
        default="items,layer,downloads",
        help="which steps to run: items (bbox pages under load), layer (ogr2ogr of the whole "
        "layer), downloads",
    )
    parser.add_argument("--clients", type=int, default=8, help="threads per client process")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    own = parser.parse_args(argv)
    args.reuse, args.database, args.facilities = own.reuse, own.database, own.facilities
    args.workers, args.worker_threads, args.port = own.workers, own.threads, 0
    args.duration, args.clients = own.duration, own.clients
    args.rounds, args.parts = own.rounds, set(own.parts.split(","))
    return args


# -- load -----------------------------------------------------------------------------------------


def _client(port: int, paths: list[str], seconds: float, threads: int, out) -> None:
    import threading

    counts = []

    def run(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        done = failed = 0
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            try:
                conn.request("GET", rng.choice(paths))
                answer = conn.getresponse()
                answer.read()
                if answer.status == 200:
                    done += 1
                else:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        counts.append((done, failed))

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put((sum(c[0] for c in counts), sum(c[1] for c in counts)))


def load(port: int, paths: list[str], seconds: float, threads: int) -> dict:
    """Requests per second from two client processes of ``threads`` keep-alive connections."""
    queue = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=_client, args=(port, paths, seconds, threads, queue))
        for _ in range(2)
    ]
    start = time.perf_counter()
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - start
    done, failed = sum(r[0] for r in results), sum(r[1] for r in results)
    return {"req/s": done / elapsed, "ok": done, "failed": failed, "seconds": elapsed}


def bbox_paths(url: str, prefix: str, n: int = 500) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        points = conn.execute(
            text("SELECT ST_X(geom), ST_Y(geom) FROM facility ORDER BY random() LIMIT :n"),
            {"n": n},
        ).all()
    engine.dispose()
    return [
        f"{prefix}?bbox={x - 0.05:.4f},{y - 0.05:.4f},{x + 0.05:.4f},{y + 0.05:.4f}&limit=10&f=json"
        for x, y in points
    ]


# -- processes ------------------------------------------------------------------------------------


class Pygeoapi:
    def __init__(self, args, work: Path) -> None:
        self.args = args
        self.port = nearest_load.free_port()
        self.config = work / "pygeoapi.yml"
        self.openapi = work / "pygeoapi-openapi.yml"
        self.config.write_text(PYGEOAPI_CONFIG.format(port=self.port, database=args.database))
        self.log = (work / "pygeoapi.log").open("w")
        self.process = None

    @staticmethod
    def installed() -> bool:
        return (Path(sys.executable).parent / "pygeoapi").exists()

    def start(self) -> None:
        bin_dir = Path(sys.executable).parent
        env = {
            **os.environ,
            "PYGEOAPI_CONFIG": str(self.config),
            "PYGEOAPI_OPENAPI": str(self.openapi),
        }
        subprocess.run(
            [str(bin_dir / "pygeoapi"), "openapi", "generate", str(self.config), "--output-file",
             str(self.openapi)],
            check=True, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        command = [
            str(bin_dir / "gunicorn"), "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.args.workers), "--worker-class", "gthread",
            "--threads", str(self.args.worker_threads), "--timeout", "300",
            "pygeoapi.flask_app:APP",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                status, _, _ = nearest_load.get(self.port, "/collections?f=json")
                if status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("pygeoapi did not answer within 120 s; see pygeoapi.log")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.log.close()


def _high_water_kb(pid: int) -> int:
    """VmHWM of a process: its own peak RSS (ru_maxrss of a child starts at its parent's)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measured(command: list[str], env: dict | None = None) -> dict:
    """Wall time, CPU time and peak resident memory (VmHWM, sampled every 20 ms) of one child
    process. On a shared machine its CPU seconds say more than its wall time.

    The child may print "inner <seconds>" (the work without interpreter start-up).
    """
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _high_water_kb(process.pid))
        time.sleep(0.02)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    out = process.stdout.read().decode(errors="replace")
    error = process.stderr.read().decode(errors="replace")[-2000:]
    if process.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {error}")
    # Not ru_maxrss: a child's starts at the size of this process, which forked it.
    cpu = usage.ru_utime + usage.ru_stime
    result = {"s": elapsed, "cpu s": cpu, "peak MB": peak / 1024}
    for line in out.splitlines():
        if line.startswith("inner "):
            result["work s"] = float(line.split()[1])
    return result


EXPORT_SCRIPT = """
import sys
from pathlib import Path
from registry import create_app
from registry.api.facilities import Facility
from registry.db import db
from registry.services.facility_export import export_facilities
app = create_app({"DATABASE_URL": sys.argv[1], "SECRET_KEY": "bench"})
with app.app_context():
    import time
    start = time.perf_counter()
    active = [Facility.deleted_at.is_(None)]
    export_facilities(db.session, active, sys.argv[2], "en", Path(sys.argv[3]))
    print("inner", time.perf_counter() - start)
"""


def pg_dsn(database: str) -> str:
    return f"PG:host=127.0.0.1 port=5432 user=postgres dbname={database}"


def items_under_load(args, our_port: int, servers: list, results: dict) -> None:
    """Requests per second of bbox pages, beside a trivial answer of our app (the most this
    client and server can do on the machine at that moment); the loads take turns."""
    loads = [("trivial ours", our_port, ["/bench/trivial"])]
    loads += [(f"bbox limit=10 {name}", port, paths) for name, port, paths, _, _ in servers]
    for _, port, paths in loads:
        load(port, paths[:20], 2.0, 2)  # warm-up
    done = {name: {"ok": 0, "failed": 0, "seconds": 0.0} for name, _, _ in loads}
    for _ in range(args.rounds):
        for name, port, paths in loads:
            run = load(port, paths, args.duration / args.rounds, args.clients)
            for key in ("ok", "failed", "seconds"):
                done[name][key] += run[key]
    for name, counts in done.items():
        results[name] = {"req/s": counts["ok"] / counts["seconds"], **counts}
        print(f"  {name}: {results[name]['req/s']:,.0f} req/s", flush=True)


def whole_layer(servers: list, work: Path, results: dict) -> None:
    """ogr2ogr of every active site through GDAL's OAPIF driver, from each server."""
    for name, _, _, source, layer in servers:
        target = work / f"oapif-{name}.gpkg"
        run = measured(
            ["ogr2ogr", "-f", "GPKG", str(target), source, layer, "-oo", "PAGE_SIZE=10000"]
        )
        summary = subprocess.run(
            ["ogrinfo", "-so", "-ro", str(target), layer], capture_output=True, text=True
        ).stdout
        run["features"] = int(summary.split("Feature Count: ")[1].split()[0])
        results[f"ogr2ogr OAPIF -> GPKG {name}"] = run
        print(
            f"  ogr2ogr OAPIF -> GPKG, {name}: {run['s']:.1f} s "
            f"(ogr2ogr's own CPU {run['cpu s']:.1f} s), {run['features']:,} features",
            flush=True,
        )


def downloads(args, url: str, our_port: int, work: Path, results: dict) -> None:
    """Our writer in a fresh process, the same through HTTP, and ogr2ogr from PostGIS."""
    # A file an earlier run wrote at the same data version would be served as the "first".
    for old in (ROOT / "instance" / "downloads").glob("facilities-*"):
        old.unlink()
    for fmt in ("gpkg", "csv"):
        target = work / f"export.{fmt}"
        ours = results[f"{fmt} our writer"] = measured(
            [sys.executable, "-c", EXPORT_SCRIPT, url, fmt, str(target)],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        ours["file MB"] = target.stat().st_size / 1e6
        path = f"/api/v1/facilities/download?format={fmt}"
        for attempt in ("first", "cached"):
            start = time.perf_counter()
            status, _, body = nearest_load.get(our_port, path)
            results[f"{fmt} HTTP {attempt}"] = {
                "s": time.perf_counter() - start,
                "MB": len(body) / 1e6,
                "status": status,
            }
        sql = "SELECT * FROM facility WHERE deleted_at IS NULL"
        options = ["-lco", "GEOMETRY=AS_XY"] if fmt == "csv" else []
        pg_file = work / f"pg.{fmt}"
        theirs = results[f"{fmt} ogr2ogr from PostGIS"] = measured(
            ["ogr2ogr", "-f", "GPKG" if fmt == "gpkg" else "CSV", str(pg_file),
             pg_dsn(args.database), "-sql", sql, *options]
        )  # fmt: skip
        theirs["file MB"] = pg_file.stat().st_size / 1e6
        print(f"  {fmt}: ours {ours}, ogr2ogr {theirs}", flush=True)


def main(argv=None) -> None:
    args = parse_args(argv)
    url = nearest_load.database_url(args)
    print(f"ogcapi_bench: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, {url}")
    print(nearest_load.code_state())
    count = nearest_load.existing_count(args) if args.reuse else None
    if count is None or count < args.facilities:
        print(f"loading {args.facilities:,} facilities through upsert_facilities ...", flush=True)
        timings = nearest_load.load_database(args)
        print(f"loaded in {timings['total']:.0f} s")
    active = nearest_load.database_summary(url)["active"]
    print(f"active facilities: {active:,}")
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="ogcapi_bench_") as tmp:
        work = Path(tmp)
        ours = nearest_load.Server(args, url, work)
        theirs = Pygeoapi(args, work) if Pygeoapi.installed() else None
        if theirs is None:
            print("  pygeoapi is not installed here (the 'bench' extra): its side is left out")
        try:
            ours.start()
            if theirs is not None:
                theirs.start()
            our_paths = bbox_paths(url, "/api/ogc/collections/facilities/items")
            their_paths = [
                p.replace("/api/ogc/collections/facilities", "/collections/facility")
                for p in our_paths
            ]
            servers = [("ours", ours.port, our_paths, f"OAPIF:http://127.0.0.1:{ours.port}/api/ogc",
                        "facilities")]  # fmt: skip
            if theirs is not None:
                servers.append(("pygeoapi", theirs.port, their_paths,
                                f"OAPIF:http://127.0.0.1:{theirs.port}", "facility"))  # fmt: skip
            if "items" in args.parts:
                items_under_load(args, ours.port, servers, results)
            if "layer" in args.parts:
                whole_layer(servers, work, results)
            if "downloads" in args.parts:
                downloads(args, url, ours.port, work, results)
        finally:
            ours.stop()
            if theirs is not None:
                theirs.stop()
    print("\n== results (one run; the machine is shared, so compare ratios) ==")
    print(json.dumps(results, indent=1, default=lambda v: round(v, 3)))
    if "bbox limit=10 ours" in results:
        ours_rate = results["bbox limit=10 ours"]["req/s"]
        print(
            f"items bbox&limit=10: ours {ours_rate:,.0f} req/s = "
            f"{ours_rate / results['trivial ours']['req/s']:.2f} of a trivial answer's rate"
        )
    if "bbox limit=10 pygeoapi" in results:
        ratio = ours_rate / max(results["bbox limit=10 pygeoapi"]["req/s"], 1e-9)
        print(f"items bbox&limit=10: ours/pygeoapi = {ratio:.1f}x")
    if "ogr2ogr OAPIF -> GPKG pygeoapi" in results:
        gdal = (
            results["ogr2ogr OAPIF -> GPKG pygeoapi"]["s"]
            / results["ogr2ogr OAPIF -> GPKG ours"]["s"]
        )
        print(f"ogr2ogr whole layer: pygeoapi/ours time = {gdal:.1f}x")
    for fmt in ("gpkg", "csv"):
        if f"{fmt} our writer" not in results:
            continue
        a, b = results[f"{fmt} our writer"], results[f"{fmt} ogr2ogr from PostGIS"]
        print(
            f"{fmt} download: ours {a['work s']:.1f} s writing ({a['s']:.1f} s with start-up) / "
            f"{a['peak MB']:.0f} MB peak / {a['file MB']:.0f} MB file vs ogr2ogr {b['s']:.1f} s / "
            f"{b['peak MB']:.0f} MB peak / {b['file MB']:.0f} MB file"
        )


if __name__ == "__main__":
    main()
