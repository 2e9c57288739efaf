"""OGC API Features and whole-list downloads with 150,000 facilities on PostGIS, side by side.

    .venv/bin/python bench/ogcapi_bench.py            # (re)creates registry_bench_ogcapi
    .venv/bin/python bench/ogcapi_bench.py --reuse    # keeps it when it holds the sites
    .venv/bin/python bench/ogcapi_bench.py --reuse --parts items   # one step only

The facilities are those of nearest_load.py (``bench/support/sites.py``): real MOPH hospital
and clinic locations, jittered, loaded through ``upsert_facilities``. In one run (``--parts``
chooses among items, layer and downloads):

1. items: ``items?bbox=...&limit=10`` under load (wrk; with ``--client python``, threads in
   two client processes; keep-alive)
   against our OGC API (gunicorn, ``bench.nearest_wsgi:app``) and against stock pygeoapi
   (gunicorn, ``pygeoapi.flask_app:APP``, its PostgreSQL provider on the same ``facility``
   table), the same worker and thread counts, the same random 0.1-degree boxes around real site
   locations. Beside them ``/bench/trivial`` (a constant JSON answer of the same app): the most
   this client and server can do on the machine at that moment. The loads take turns
   (``--rounds``), so a change in the machine's other load falls on each alike. Without
   pygeoapi installed (the ``bench`` extra) its side is left out and said so.
2. layer: all active sites into a GeoPackage with ``ogr2ogr`` (GDAL's OAPIF driver,
   ``PAGE_SIZE`` 10,000) from each server.
3. downloads: whole-list GeoPackage and CSV: our writer in a fresh process, the same through
   HTTP (the first request writes the file into the server's own fresh instance folder, the
   second is served from it), and ``ogr2ogr`` straight from PostGIS into the same formats.
   Each process's wall and CPU seconds, peak memory and file size.

Prints absolute numbers and ratios; the machine's other load is not controlled, so compare
ratios within one run.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import os
import random
import shutil
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
from bench.support.machine import child_run, load_average, print_run_header  # noqa: E402
from bench.support.server import BenchServer, Gunicorn, get, keep_asking  # noqa: E402
from bench.support.wrk import run_wrk  # noqa: E402

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


PARTS = ("items", "layer", "downloads")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_site_arguments(parser, database="registry_bench_ogcapi")
    add = parser.add_argument
    add("--duration", type=float, default=15.0, help="seconds of load per server, all rounds")
    add(
        "--rounds",
        type=int,
        default=3,
        help="the loads take turns this many times, so a change in the machine's other load "
        "falls on each of them alike",
    )
    add("--parts", default=",".join(PARTS), help=f"which steps to run, of {','.join(PARTS)}")
    add("--clients", type=int, default=8, help="threads per client process (wrk: connections / 2)")
    add(
        "--client",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="the load's client: wrk (Debian's wrk) or two Python processes",
    )
    add("--workers", type=int, default=2)
    add("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    args.parts = set(args.parts.split(","))
    if args.parts - set(PARTS) or args.rounds < 1:
        parser.error(f"--parts takes {','.join(PARTS)}; --rounds at least 1")
    return args


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

    @staticmethod
    def installed() -> bool:
        return Path(sys.executable).with_name("pygeoapi").exists()

    def start(self) -> float:
        with self.log_path.open("ab") as log:
            subprocess.run(
                [str(Path(sys.executable).with_name("pygeoapi")), "openapi", "generate",
                 str(self.config), "--output-file", str(self.openapi)],
                check=True, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return super().start()


def measured(command: list[str], env: dict | None = None) -> dict:
    """``child_run``'s wall and CPU seconds and peak memory of one child process, and
    ``work s`` when the child prints "inner <seconds>" (its work without interpreter start-up)."""
    result, printed = child_run(command, env)
    for line in printed.splitlines():
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


def items_under_load(args, servers: list, results: dict, work: Path) -> None:
    """Requests per second of bbox pages, beside a trivial answer of our app (the most this
    client and server can do on the machine at that moment); the loads take turns.

    The client is wrk (C, a few per cent of a core) unless ``--client python``: a Python
    client spends as much CPU per request as the servers do, which caps every load near the
    same rate on two cores and hides the servers' own difference.
    """
    ours = servers[0]
    loads = [("trivial ours", ours[1], ["/bench/trivial"])]
    loads += [(f"bbox limit=10 {name}", port, paths) for name, port, paths, _, _ in servers]
    use_wrk = args.client == "wrk"
    for _, port, paths in loads:  # warm-up
        if use_wrk:
            run_wrk(port, paths[:20], 2, work, threads=2, connections=4, name="warm")
        else:
            load(port, paths[:20], 2.0, 2)
    done = {name: {"ok": 0, "failed": 0, "seconds": 0.0} for name, _, _ in loads}
    seconds = args.duration / args.rounds
    for _ in range(args.rounds):
        for name, port, paths in loads:
            if use_wrk:
                run = run_wrk(
                    port, paths, max(1, round(seconds)), work, threads=2,
                    connections=args.clients * 2, name="load",
                )  # fmt: skip
                run = {
                    "ok": run["requests"] - run["status"],
                    "failed": run["errors"],
                    "seconds": run["duration_us"] / 1e6,
                }
            else:
                run = load(port, paths, seconds, args.clients)
            for key in done[name]:
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
        run["file MB"] = target.stat().st_size / 1e6
        results[f"ogr2ogr OAPIF -> GPKG {name}"] = run
        print(
            f"  ogr2ogr OAPIF -> GPKG, {name}: {run['s']:.1f} s "
            f"(ogr2ogr's own CPU {run['cpu s']:.1f} s), {run['features']:,} features",
            flush=True,
        )


def downloads(args, url: str, our_port: int, work: Path, results: dict) -> None:
    """Our writer in a fresh process, the same through HTTP, and ogr2ogr from PostGIS."""
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
            status, _, body = get(our_port, path)
            results[f"{fmt} HTTP {attempt}"] = {
                "s": time.perf_counter() - start,
                "file MB": len(body) / 1e6,
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
        print(
            f"  {fmt}: ours {ours['s']:.1f} s, ogr2ogr {theirs['s']:.1f} s; "
            f"HTTP first {results[f'{fmt} HTTP first']['s']:.2f} s, "
            f"cached {results[f'{fmt} HTTP cached']['s']:.2f} s",
            flush=True,
        )


COLUMNS = ("req/s", "ok", "failed", "s", "work s", "cpu s", "peak MB", "file MB", "features",
           "status")  # fmt: skip


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def print_table(results: dict) -> None:
    """One line per measurement, a column per figure any of them has."""
    used = [c for c in COLUMNS if any(c in run for run in results.values())]
    width = max(len(name) for name in results)
    print(f"{'':<{width}}" + "".join(f"{c:>9}" for c in used))
    for name, run in results.items():
        print((f"{name:<{width}}" + "".join(f"{_cell(run.get(c)):>9}" for c in used)).rstrip())


def print_ratios(results: dict) -> None:
    if "bbox limit=10 ours" in results:
        ours = results["bbox limit=10 ours"]["req/s"]
        trivial = results["trivial ours"]["req/s"]
        print(
            f"items bbox&limit=10: ours {ours:,.0f} req/s = {ours / trivial:.2f} of a trivial "
            f"answer's rate ({trivial:,.0f} req/s) in the same turns"
        )
        if "bbox limit=10 pygeoapi" in results:
            theirs = results["bbox limit=10 pygeoapi"]["req/s"]
            print(f"items bbox&limit=10: ours/pygeoapi = {ours / max(theirs, 1e-9):.1f}x")
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
            f"{fmt} download: ours {a['work s']:.1f} s writing ({a['s']:.1f} s with start-up, "
            f"{a['cpu s']:.1f} s CPU) / {a['peak MB']:.0f} MB peak / {a['file MB']:.1f} MB file"
            f" vs ogr2ogr {b['s']:.1f} s ({b['cpu s']:.1f} s CPU) / {b['peak MB']:.0f} MB peak"
            f" / {b['file MB']:.1f} MB file"
        )


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
        # Its own instance folder: a download an earlier run wrote at the same data version
        # would otherwise be served as the "first".
        ours = BenchServer(
            url, work, workers=args.workers, threads=args.threads, instance=work / "instance"
        )
        theirs = Pygeoapi(args, work) if Pygeoapi.installed() else None
        if theirs is None:
            print("  pygeoapi is not installed here (the 'bench' extra): its side is left out")
        try:
            ours.start()
            if theirs is not None:
                theirs.start()
            our_paths = bbox_paths(url, "/api/ogc/collections/facilities/items")
            servers = [("ours", ours.port, our_paths,
                        f"OAPIF:http://127.0.0.1:{ours.port}/api/ogc", "facilities")]  # fmt: skip
            if theirs is not None:
                their_paths = [
                    p.replace("/api/ogc/collections/facilities", "/collections/facility")
                    for p in our_paths
                ]
                servers.append(("pygeoapi", theirs.port, their_paths,
                                f"OAPIF:http://127.0.0.1:{theirs.port}", "facility"))  # fmt: skip
            if "items" in args.parts:
                items_under_load(args, servers, results, work)
            if "layer" in args.parts:
                whole_layer(servers, work, results)
            if "downloads" in args.parts:
                downloads(args, url, ours.port, work, results)
        finally:
            ours.stop()
            if theirs is not None:
                theirs.stop()
    print(f"\n== results (load average {load_average()}; the machine is shared, so compare "
          "ratios within one run) ==")  # fmt: skip
    print_table(results)
    print_ratios(results)


if __name__ == "__main__":
    main()
