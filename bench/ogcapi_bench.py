"""OGC API Features and whole-list downloads with 150,000 facilities on PostGIS, side by side.

    .venv/bin/python bench/ogcapi_bench.py            # (re)creates registry_bench_ogcapi
    .venv/bin/python bench/ogcapi_bench.py --reuse    # keeps it when it holds the sites

The facilities are those of nearest_load.py (``bench/support/sites.py``): real MOPH hospital
and clinic locations, jittered, loaded through ``upsert_facilities``. In one run:

1. ``items?bbox=...&limit=10`` under load (threads in two client processes, keep-alive) against
   our OGC API (gunicorn, ``bench.nearest_wsgi:app``) and against stock pygeoapi (gunicorn,
   ``pygeoapi.flask_app:APP``, its PostgreSQL provider on the same ``facility`` table), the same
   worker and thread counts, the same random 0.1-degree boxes around real site locations.
2. All active sites into a GeoPackage with ``ogr2ogr`` (GDAL's OAPIF driver, ``PAGE_SIZE``
   10,000) from each server.
3. Whole-list GeoPackage and CSV downloads: our writer in a fresh process (time, peak RSS),
   the same through HTTP (first request writes the file, the second is served from it), and
   ``ogr2ogr`` straight from PostGIS into the same formats.

Prints absolute numbers and ratios; the machine's other load is not controlled, so compare
ratios within one run.
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.support.databases import (  # noqa: E402
    add_site_arguments,
    database_summary,
    database_url,
    reuse_or_load,
)
from bench.support.machine import print_run_header, status_mb  # noqa: E402
from bench.support.server import BenchServer, Gunicorn, get, keep_asking  # noqa: E402

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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_site_arguments(parser, database="registry_bench_ogcapi")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of load per server")
    parser.add_argument("--clients", type=int, default=8, help="threads per client process")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    return parser.parse_args(argv)


# -- load -----------------------------------------------------------------------------------------


def _client(port: int, paths: list[str], seconds: float, threads: int, out) -> None:
    statuses: list[int] = []

    def random_paths(seed: int):
        return functools.partial(random.Random(seed).choice, paths)

    keep_asking(
        port, threads, seconds, random_paths, lambda _p, status, _s, _b: statuses.append(status)
    )
    done = statuses.count(200)
    out.put((done, len(statuses) - done))


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


class Pygeoapi(Gunicorn):
    """Stock pygeoapi under gunicorn, its PostgreSQL provider on the bench database."""

    def __init__(self, args, work: Path) -> None:
        self.config = work / "pygeoapi.yml"
        self.openapi = work / "pygeoapi-openapi.yml"
        super().__init__(
            "pygeoapi.flask_app:APP",
            work / "pygeoapi.log",
            workers=args.workers,
            threads=args.threads,
            options=["--timeout", "300"],
            env={
                **os.environ,
                "PYGEOAPI_CONFIG": str(self.config),
                "PYGEOAPI_OPENAPI": str(self.openapi),
            },
            ready_path="/collections?f=json",
            ready_within=120,
        )
        self.config.write_text(PYGEOAPI_CONFIG.format(port=self.port, database=args.database))

    def start(self) -> float:
        with self.log_path.open("ab") as log:
            subprocess.run(
                [str(Path(sys.executable).with_name("pygeoapi")), "openapi", "generate",
                 str(self.config), "--output-file", str(self.openapi)],
                check=True, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return super().start()


def measured(command: list[str], env: dict | None = None) -> dict:
    """Wall time and peak resident memory (VmHWM, sampled every 20 ms) of one child process.

    The child may print "inner <seconds>" (the work without interpreter start-up).
    """
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0.0
    while process.poll() is None:
        # The child's own VmHWM: ru_maxrss of a child starts at its parent's.
        peak = max(peak, status_mb("VmHWM", process.pid))
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    out = process.stdout.read().decode(errors="replace")
    error = process.stderr.read().decode(errors="replace")[-2000:]
    if process.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {error}")
    result = {"s": elapsed, "peak MB": peak}
    for line in out.splitlines():
        if line.startswith("inner "):
            result["work s"] = float(line.split()[1])
    return result


EXPORT_SCRIPT = """
import sys
from pathlib import Path
from registry.app import create_app
from registry.models import Facility
from registry.db import db
from registry.facilities.export import export_facilities
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


def main(argv=None) -> None:
    args = parse_args(argv)
    url = database_url(args)
    print_run_header("ogcapi_bench", url)
    timings = reuse_or_load(args)
    if timings is not None:
        print(f"loaded in {timings['total']:.0f} s")
    active = database_summary(url)["active"]
    print(f"active facilities: {active:,}")
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="ogcapi_bench_") as tmp:
        work = Path(tmp)
        ours = BenchServer(url, work, workers=args.workers, threads=args.threads)
        theirs = Pygeoapi(args, work)
        try:
            ours.start()
            theirs.start()
            our_paths = bbox_paths(url, "/api/ogc/collections/facilities/items")
            their_paths = [
                p.replace("/api/ogc/collections/facilities", "/collections/facility")
                for p in our_paths
            ]
            for name, port, paths in (
                ("ours", ours.port, our_paths),
                ("pygeoapi", theirs.port, their_paths),
            ):
                load(port, paths[:20], 2.0, 2)  # warm-up
                results[f"bbox limit=10 {name}"] = load(port, paths, args.duration, args.clients)
                print(
                    f"  items bbox&limit=10, {name}: "
                    f"{results[f'bbox limit=10 {name}']['req/s']:,.0f} req/s",
                    flush=True,
                )
            for name, source, layer in (
                ("ours", f"OAPIF:http://127.0.0.1:{ours.port}/api/ogc", "facilities"),
                ("pygeoapi", f"OAPIF:http://127.0.0.1:{theirs.port}", "facility"),
            ):
                target = work / f"oapif-{name}.gpkg"
                run = measured(
                    ["ogr2ogr", "-f", "GPKG", str(target), source, layer, "-oo", "PAGE_SIZE=10000"]
                )
                run["features"] = int(
                    subprocess.run(
                        ["ogrinfo", "-so", "-ro", str(target), layer],
                        capture_output=True,
                        text=True,
                    )
                    .stdout.split("Feature Count: ")[1]
                    .split()[0]
                )
                results[f"ogr2ogr OAPIF -> GPKG {name}"] = run
                print(
                    f"  ogr2ogr OAPIF -> GPKG, {name}: {run['s']:.1f} s, "
                    f"{run['features']:,} features",
                    flush=True,
                )
            for fmt in ("gpkg", "csv"):
                target = work / f"export.{fmt}"
                results[f"{fmt} our writer"] = measured(
                    [sys.executable, "-c", EXPORT_SCRIPT, url, fmt, str(target)],
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                )
                path = f"/api/v1/facilities/download?format={fmt}"
                for attempt in ("first", "cached"):
                    start = time.perf_counter()
                    status, _, body = get(ours.port, path)
                    results[f"{fmt} HTTP {attempt}"] = {
                        "s": time.perf_counter() - start,
                        "MB": len(body) / 1e6,
                        "status": status,
                    }
                sql = "SELECT * FROM facility WHERE deleted_at IS NULL"
                options = ["-lco", "GEOMETRY=AS_XY"] if fmt == "csv" else []
                results[f"{fmt} ogr2ogr from PostGIS"] = measured(
                    ["ogr2ogr", "-f", "GPKG" if fmt == "gpkg" else "CSV", str(work / f"pg.{fmt}"),
                     pg_dsn(args.database), "-sql", sql, *options]
                )  # fmt: skip
                print(
                    f"  {fmt}: ours {results[f'{fmt} our writer']}, "
                    f"ogr2ogr {results[f'{fmt} ogr2ogr from PostGIS']}",
                    flush=True,
                )
        finally:
            ours.stop()
            theirs.stop()
    ratio = results["bbox limit=10 ours"]["req/s"] / max(
        results["bbox limit=10 pygeoapi"]["req/s"], 1e-9
    )
    print("\n== results (one run; the machine is shared, so compare ratios) ==")
    print(json.dumps(results, indent=1, default=lambda v: round(v, 3)))
    print(f"items bbox&limit=10: ours/pygeoapi = {ratio:.1f}x")
    gdal = (
        results["ogr2ogr OAPIF -> GPKG pygeoapi"]["s"] / results["ogr2ogr OAPIF -> GPKG ours"]["s"]
    )
    print(f"ogr2ogr whole layer: pygeoapi/ours time = {gdal:.1f}x")
    for fmt in ("gpkg", "csv"):
        a, b = results[f"{fmt} our writer"], results[f"{fmt} ogr2ogr from PostGIS"]
        print(
            f"{fmt} download: ours {a['work s']:.1f} s writing ({a['s']:.1f} s with start-up) / "
            f"{a['peak MB']:.0f} MB peak vs ogr2ogr {b['s']:.1f} s / {b['peak MB']:.0f} MB peak"
        )


if __name__ == "__main__":
    main()
