"""Nearest-site search under load: /api/v1/nearest against a trivial endpoint and PostGIS KNN.

    .venv/bin/python bench/nearest_load.py                 # 150,000 facilities, 15 s per endpoint
    .venv/bin/python bench/nearest_load.py --reuse         # keep the loaded database
    .venv/bin/python bench/nearest_load.py --facilities 20000 --duration 5   # a quick look
    .venv/bin/python bench/nearest_load.py --spatialite /tmp/bench.sqlite   # the same on SpatiaLite

Steps, all against 127.0.0.1 only:

1. A fresh PostGIS database (``--database``, default ``registry_bench_nearest``; dropped and
   recreated unless ``--reuse``): migrations, the 8,430 real areas, then ``--facilities``
   synthetic facilities loaded through ``upsert_facilities`` (the importers' path) in chunks.
   They are the real MOPH hospital and clinic points drawn with replacement and moved by up
   to ``--jitter-km``, kept only where they fall inside a Thai subdistrict; types, statuses
   (mostly open) and vaccination / test / bed attributes are drawn at random.
2. The catalog in this process: first load (what the gunicorn master pays once, see
   ``registry/operations/gunicorn_conf.py``) and the catch-ups after a status change made with
   ``update_facility``, a new facility made with ``create_facility`` and a deactivation.
3. gunicorn serving ``bench/nearest_wsgi.py`` with ``registry/operations/gunicorn_conf.py``
   (the master loads the catalog before forking); each worker's first nearest answer; a warm-up;
   then
   ``--rounds`` times ``wrk`` drives, one after another with the same duration,
   connections and threads: ``/bench/trivial``, ``/api/v1/nearest``, ``/bench/kdtree`` (a
   bare cKDTree query: the floor of any in-memory search here), ``/bench/postgis-knn``
   (plain ``<->``) and ``/bench/postgis-knn?oversample=N`` (``<->`` LIMIT N re-ranked by
   geography distance), then ``/api/v1/places`` (place names) and ``/api/v1/map/features``
   (map views). Nearest and KNN rotate through ``--query-points`` random points inside
   Thailand. On SpatiaLite (``--spatialite FILE``) there is no KNN query to compare with.
4. A correctness spot check (PostGIS only): for ``--spot-checks`` random points, the top-1 of
   ``/api/v1/nearest`` (exact geodesic) against both KNN variants.
5. Optionally (``--profile N``) cProfile of N nearest answers in this process.

wrk and the server share the machine's cores; the ratios are the point, not the absolutes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import request  # noqa: E402
from geoalchemy2.shape import to_shape  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.support.databases import (  # noqa: E402
    add_site_arguments,
    area_locator,
    database_summary,
    database_url,
    registry_app,
    reuse_or_load,
)
from bench.support.machine import CpuMeter, print_run_header  # noqa: E402
from bench.support.profiles import profile_in_process  # noqa: E402
from bench.support.questions import (  # noqa: E402
    kdtree_path,
    knn_path,
    map_features_path,
    nearest_path,
    place_paths,
)
from bench.support.server import (  # noqa: E402
    BenchServer,
    add_server_arguments,
    first_answer_per_worker,
    get,
)
from bench.support.sites import land_points  # noqa: E402
from bench.support.timing import StepTimer, median_run  # noqa: E402
from bench.support.wrk import run_wrk, wrk_with_py_spy  # noqa: E402
from geo.nearest import NearestIndex  # noqa: E402
from registry.areas.service import locators  # noqa: E402
from registry.db import db  # noqa: E402
from registry.facilities.freshness import hide_after_hours  # noqa: E402
from registry.facilities.service import (  # noqa: E402
    Actor,
    create_facility,
    deactivate_facility,
    update_facility,
)
from registry.models import Facility, utcnow  # noqa: E402
from registry.nearest import catalog_rows, search  # noqa: E402
from registry.nearest.catalog import (  # noqa: E402
    SiteFilter,
    catalogs,
    committed_version,
    nearest_in,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_site_arguments(parser, database="registry_bench_nearest", spatialite=True)
    add_server_arguments(parser)
    add = parser.add_argument
    add("--duration", type=int, default=15, help="seconds of wrk per endpoint")
    add("--warmup", type=int, default=3, help="seconds of wrk warm-up per endpoint")
    add("--rounds", type=int, default=3, help="runs of every endpoint, one after another")
    add("--connections", type=int, default=16)
    add("--wrk-threads", type=int, default=2)
    add("--k", type=int, default=10, help="k of the nearest and KNN requests under load")
    add("--oversample", type=int, default=50, help="KNN candidates re-ranked by geography")
    add("--query-points", type=int, default=1_000)
    add("--spot-checks", type=int, default=200)
    add(
        "--steps",
        action="store_true",
        help="also load /bench/find and /bench/nearest-view (an answer's cost step by step)",
    )
    add("--profile", type=int, default=0, help="cProfile this many in-process nearest answers")
    add("--py-spy", type=int, default=0, help="py-spy one worker this many seconds under load")
    add(
        "--max-others",
        type=float,
        default=0.3,
        help="before each run, wait until other processes use at most this many cores",
    )
    add("--quiet-timeout", type=float, default=240, help="seconds to wait for that at most")
    add("--keep-server", action="store_true", help="leave gunicorn running (prints its pid)")
    return parser.parse_args(argv)


# -- the catalog in this process ------------------------------------------------------------------


def catalog_costs(url: str, samples: int = 5) -> dict:
    """Cold load of the catalog, then catch-ups after single writes made by the services."""
    actor = Actor("bench", "api")
    out: dict = {}
    with registry_app(url) as app, app.app_context():
        session = db.session
        engine = db.engine
        catalogs.clear()
        start = time.perf_counter()
        cpu = time.process_time()
        snapshot = catalogs.get(engine).snapshot(engine)
        out["cold load"] = time.perf_counter() - start
        out["  of which this process's CPU"] = time.process_time() - cpu
        out["catalog size"] = len(snapshot)
        out["features held"] = snapshot.features.nbytes
        # Where the cold load goes, step by step with the catalog's own (private) pieces.
        start = time.perf_counter()
        with engine.connect() as conn:
            rows = conn.execute(
                catalog_rows.select_rows(Facility.deleted_at.is_(None)).order_by(Facility.id)
            ).all()
        out["  1. its SELECT (Core), rows fetched"] = time.perf_counter() - start
        start = time.perf_counter()
        decoded = catalog_rows.decode_rows(rows)
        out["  2. decode_rows: arrays and GeoJSON of each site"] = time.perf_counter() - start
        start = time.perf_counter()
        NearestIndex(decoded.ids, decoded.arrays["lon"], decoded.arrays["lat"])
        out["  3. NearestIndex (KD-tree)"] = time.perf_counter() - start
        del rows, decoded
        start = time.perf_counter()
        catalogs.get(engine).snapshot(engine)
        out["unchanged: version check (autocommit)"] = time.perf_counter() - start

        facility_id = session.scalar(
            select(Facility.id)
            .where(Facility.status == "open", Facility.deleted_at.is_(None))
            .order_by(Facility.id)
            .limit(1)
        )
        session.commit()
        catch_up = []
        write = []
        for i in range(samples):
            facility = session.get(Facility, facility_id)
            status = "full" if i % 2 == 0 else "open"
            start = time.perf_counter()
            update_facility(
                session, facility_id, {"status": status}, actor, expected_version=facility.version
            )
            session.commit()
            write.append(time.perf_counter() - start)
            start = time.perf_counter()
            catalogs.get(engine).snapshot(engine)
            catch_up.append(time.perf_counter() - start)
        if samples % 2:
            facility = session.get(Facility, facility_id)
            update_facility(
                session, facility_id, {"status": "open"}, actor, expected_version=facility.version
            )
            session.commit()
            catalogs.get(engine).snapshot(engine)
        out["status change: update_facility + commit (median)"] = statistics.median(write)
        out["status change: catch-up (median)"] = statistics.median(catch_up)
        out["status change: catch-up (max)"] = max(catch_up)

        locators.get(session)  # the area locator's first build is not the write's cost
        session.commit()
        start = time.perf_counter()
        result = create_facility(
            session,
            {"type": "vaccination_site", "name_th": "จุดทดสอบ bench", "lon": 100.5, "lat": 13.75},
            actor,
        )
        session.commit()
        out["new facility: create_facility + commit"] = time.perf_counter() - start
        start = time.perf_counter()
        snapshot = catalogs.get(engine).snapshot(engine)
        out["new facility: catch-up"] = time.perf_counter() - start
        out["  sites outside the main index"] = len(snapshot.extra_positions)
        facility = result.facility
        deactivate_facility(
            session, facility.id, actor, reason="bench cleanup", expected_version=facility.version
        )
        session.commit()
        start = time.perf_counter()
        catalogs.get(engine).snapshot(engine)
        out["deactivation: catch-up"] = time.perf_counter() - start
    catalogs.clear()
    return out


# -- query points -------------------------------------------------------------------------------


def thailand_points(url: str, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """n points uniformly spread over Thailand's land (inside a subdistrict)."""
    return land_points(area_locator(url), n, rng)


def catalog_point(facility: Facility) -> tuple[float, float]:
    """(lon, lat) of a facility as the catalog holds it."""
    point = to_shape(facility.geom)
    return point.x, point.y


# -- correctness --------------------------------------------------------------------------------


def spot_check(args, port: int, lon: np.ndarray, lat: np.ndarray) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    plain_differs = oversampled_differs = 0
    plain_extra_m: list[float] = []
    oversampled_extra_m: list[float] = []
    try:
        for x, y in zip(lon, lat, strict=True):
            _, _, body = get(port, nearest_path(x, y, 1), conn)
            ours = json.loads(body)["features"][0]
            ours_id, ours_m = ours["id"], ours["properties"]["distance_m"]
            _, _, body = get(port, knn_path(x, y, 1), conn)
            plain = json.loads(body)
            _, _, body = get(port, knn_path(x, y, 1, args.oversample), conn)
            oversampled = json.loads(body)
            if plain["ids"][0] != ours_id:
                plain_differs += 1
                plain_extra_m.append(plain["distance_m"][0] - ours_m)
            if oversampled["ids"][0] != ours_id:
                oversampled_differs += 1
                oversampled_extra_m.append(oversampled["distance_m"][0] - ours_m)
    finally:
        conn.close()
    return {
        "points": len(lon),
        "plain differs": plain_differs,
        "plain extra m": plain_extra_m,
        "oversampled differs": oversampled_differs,
        "oversampled extra m": oversampled_extra_m,
    }


# -- one answer, step by step --------------------------------------------------------------------


def answer_breakdown(url: str, points: list[tuple[float, float]], k: int) -> dict:
    """Time of each step of one nearest answer, in this process, one point at a time.

    The steps are those of registry.nearest.api / services.search, called one by one with
    the services' own functions: the data version (version_watch), the
    cached filter mask, the exact search, and the answer's GeoJSON from the stored features.
    """
    os.environ["BENCH_DATABASE_URL"] = url
    from bench.nearest_wsgi import build_app

    app = build_app()
    client = app.test_client()
    timer = StepTimer()
    config = app.config
    freshness = {
        "ttl_hours": config.get("FRESHNESS_TTL_HOURS"),
        "hide_after_hours": hide_after_hours(config),
        "hide_never_confirmed": bool(config.get("FRESHNESS_HIDE_NEVER_CONFIRMED")),
    }
    with app.app_context():
        engine = db.engine
        catalogs.get(engine).snapshot(engine)
        client.get(nearest_path(*points[0], k))
        for lon, lat in points:
            with app.test_request_context(nearest_path(lon, lat, k)):
                with timer("parse_query"):
                    query = search.parse_query(None, request.args)
                with timer("services.search.find (all of the below)"):
                    hits = search.find(engine, query)
            with timer("  data version (watched: PostGIS pushed, SpatiaLite read)"):
                committed_version(engine)
            with timer("  catalog snapshot (the read, then a lookup)"):
                snap = catalogs.get(engine).snapshot(engine)
            now = utcnow()
            with timer("  cached filter mask: open now, freshness rules"):
                snap.eligible(SiteFilter(open_now=True), now=now, **freshness)
            with timer("  nearest_in (exact geodesic)"):
                nearest_in(
                    snap, lon, lat, k=k, site_filter=SiteFilter(open_now=True), now=now, **freshness
                )
            with timer(f"GeoJSON of the {k} answers from stored features"):
                catalog_rows.features_json(
                    [hits.snapshot.features[p] for p in hits.positions],
                    hits.distance_m,
                    hits.bearing_deg,
                    hits.statuses,
                )
        for lon, lat in points:
            with timer("whole /api/v1/nearest (Flask test client)"):
                client.get(nearest_path(lon, lat, k))
            with timer("whole /bench/trivial (Flask test client)"):
                client.get("/bench/trivial")
    app.extensions["registry_db"].engine.dispose()
    catalogs.clear()
    return timer.medians()


# -- report -------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms"


def print_load(timings: dict | None, summary: dict, reused: bool) -> None:
    print("\n== Database ==")
    if reused:
        print("reused (--reuse): not reloaded")
    else:
        for name, value in timings.items():
            if isinstance(value, float):
                print(f"{name:<36}{value:>10.1f} s")
            elif isinstance(value, tuple) and all(isinstance(v, float) for v in value):
                print(f"{name:<36}{' / '.join(f'{v:.1f}' for v in value):>10} s")
            else:
                print(f"{name:<36}{value!s:>10}")
    print(f"{'active facilities':<36}{summary['active']:>10,}")
    print("  by type:   " + ", ".join(f"{k} {v:,}" for k, v in sorted(summary["by_type"].items())))
    print(
        "  by status: " + ", ".join(f"{k} {v:,}" for k, v in sorted(summary["by_status"].items()))
    )
    if summary["stale open"]:
        print(
            f"  WARNING: {summary['stale open']:,} open sites are past FRESHNESS_TTL_HOURS, so "
            "/api/v1/nearest and the KNN routes answer from different sets: run without --reuse"
        )


def print_catalog(costs: dict) -> None:
    print("\n== Catalog (in this process) ==")
    for name, value in costs.items():
        if name == "features held":
            shown = f"{value / 1e6:,.1f} MB"
        else:
            shown = f"{value:,}" if isinstance(value, int) else ms(value)
        print(f"{name:<52}{shown:>14}")


def print_http_starts(boot: float, cold: dict, catch_up: dict) -> None:
    print("\n== Per worker, over HTTP (fresh connection per request) ==")
    print(f"gunicorn start to first answer (the master loads the catalog): {boot:.1f} s")
    for title, data in (
        ("first /api/v1/nearest after start", cold),
        ("first /api/v1/nearest after one status change", catch_up),
    ):
        firsts = ", ".join(f"pid {pid}: {ms(t)}" for pid, t in data["first"].items())
        print(f"{title}: {firsts}; warm median {ms(data['later median'])}")
    stale, answers = catch_up["stale"]
    print(f"answers after the change that still listed the site: {stale} of {answers}")


# Endpoints whose own share of the trivial one is printed beside nearest's.
_STEPS = (
    "/bench/kdtree (bare cKDTree)",
    "/bench/find (parse + exact search)",
    "/bench/nearest-view (no API hooks)",
)


def print_wrk(args, results: dict[str, dict], rounds: list[dict[str, dict]]) -> None:
    print(
        f"\n== Load: wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s, "
        f"gunicorn {args.workers} workers x {args.worker_threads} gthreads, k={args.k}, "
        f"{len(rounds)} round(s); the median round of each endpoint =="
    )
    print(
        f"{'endpoint':<36}{'req/s':>7}{'p50':>9}{'p99':>9}{'errors':>7}{'KB/req':>7}"
        f"{'CPU/req':>9}{'app':>9}{'pg':>8}{'others':>8}"
    )
    for name, r in results.items():
        cpu = r.get("cpu", {})
        per = 1e3 / max(r["requests"], 1)
        print(
            f"{name:<36}{r['rps']:>7,.0f}{r['p50_us'] / 1e3:>7.1f}ms{r['p99_us'] / 1e3:>7.1f}ms"
            f"{r['errors']:>7}{r['bytes'] / max(r['requests'], 1) / 1024:>7.1f}"
            f"{r.get('server_cpu_ms', float('nan')):>7.2f}ms"
            f"{cpu.get('app_s', float('nan')) * per:>7.2f}ms"
            f"{cpu.get('pg_s', float('nan')) * per:>6.2f}ms"
            f"{cpu.get('others_cores', 0):>6.2f} c"
        )
    print(
        "  CPU/req: CPU time per answer of the server side, i.e. gunicorn (app) plus the\n"
        "  PostgreSQL backends of the bench database (pg); others: cores used meanwhile by\n"
        "  processes outside the bench (the machine is shared); wrk itself used about "
        + ", ".join(f"{r['cpu']['wrk_cores']:.2f}" for r in results.values() if "cpu" in r)
        + " cores"
    )
    print()
    print(f"{'nearest vs':<46}{'throughput':>11}{'CPU per answer':>16}")
    for other in [name for name in results if name != "/api/v1/nearest"]:
        # Per round, then the median: each ratio compares runs made minutes apart.
        shares = [r["/api/v1/nearest"]["rps"] / (r[other]["rps"] or float("nan")) for r in rounds]
        cpu_shares = [
            r[other].get("server_cpu_ms", float("nan"))
            / r["/api/v1/nearest"].get("server_cpu_ms", float("nan"))
            for r in rounds
        ]
        share, cpu_share = statistics.median(shares), statistics.median(cpu_shares)
        goal = ""
        if other == "/bench/trivial":
            goal = "  goal >= 75%: " + ("met" if share >= 0.75 else "NOT met")
            for step in _STEPS:
                shares_of_trivial = [
                    r[step]["rps"] / r[other]["rps"]
                    for r in rounds
                    if step in r and r[other].get("rps")
                ]
                if shares_of_trivial:
                    share_of_trivial = 100 * statistics.median(shares_of_trivial)
                    goal += f"\n    {step}: {share_of_trivial:.0f}% of it"
        print(f"  {other:<44}{100 * share:>10.0f}%{100 * cpu_share:>15.0f}%{goal}")
        if len(rounds) > 1:
            each = ", ".join(f"{100 * v:.0f}%" for v in shares)
            print(f"    throughput share in each round: {each}")
    print(
        "  (median over rounds of nearest's req/s / the other's, and of the other's server\n"
        "  CPU per answer / nearest's)"
    )


def print_breakdown(steps: dict) -> None:
    print("\n== One nearest answer, step by step (in process, sequential calls) ==")
    print(f"{'':<58}{'wall (median)':>14}{'CPU (mean)':>12}")
    for name, (wall, cpu) in steps.items():
        print(f"{name:<58}{wall * 1e3:>11.3f} ms{cpu * 1e3:>9.3f} ms")


def print_spot(args, spot: dict) -> None:
    n = spot["points"]
    print(f"\n== Correctness: top-1 of {n} random points, against /api/v1/nearest (exact) ==")
    for label, key in (
        ("plain <-> on geometry(4326)", "plain"),
        (f"<-> LIMIT {args.oversample}, re-ranked by geography", "oversampled"),
    ):
        differs = spot[f"{key} differs"]
        extra = spot[f"{key} extra m"]
        detail = ""
        if extra:
            detail = (
                f"; their pick is farther by median {statistics.median(extra):,.0f} m, "
                f"max {max(extra):,.0f} m"
            )
        print(f"{label:<48}differs {differs:>4} / {n} ({100 * differs / n:.1f}%){detail}")


def catch_up_over_http(url: str, port: int, workers: int) -> dict:
    """One status change, made by the services in this process, then each worker's first
    answer pays its catch-up, and no answer may still list the site: it is asked for at the
    site's own location, where it was the nearest. The site is opened again afterwards."""
    actor = Actor("bench", "api")
    with registry_app(url) as app:
        with app.app_context():
            facility = db.session.scalar(
                select(Facility).where(Facility.status == "open").order_by(Facility.id).limit(1)
            )
            at_site = [nearest_path(*catalog_point(facility), 3)]
            _, _, body = get(port, at_site[0])
            if facility.id not in [f["id"] for f in json.loads(body)["features"]]:
                raise RuntimeError(f"facility {facility.id} is not in its own answer")
            update_facility(
                db.session, facility.id, {"status": "full"}, actor,
                expected_version=facility.version,
            )  # fmt: skip
            db.session.commit()
        catch_up = first_answer_per_worker(port, at_site, workers, absent=facility.id)
        with app.app_context():
            facility = db.session.get(Facility, facility.id)
            update_facility(
                db.session, facility.id, {"status": "open"}, actor,
                expected_version=facility.version,
            )  # fmt: skip
            db.session.commit()
    return catch_up


def main(argv=None) -> None:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    url = database_url(args)
    print_run_header("nearest_load", f"database {url}")
    timings = reuse_or_load(args)
    summary = database_summary(url)
    print_load(timings, summary, timings is None)

    costs = catalog_costs(url)
    print_catalog(costs)

    rng = np.random.default_rng(args.seed + 1)
    q_lon, q_lat = thailand_points(url, args.query_points + args.spot_checks, rng)
    load_lon, load_lat = q_lon[: args.query_points], q_lat[: args.query_points]
    spot_lon, spot_lat = q_lon[args.query_points :], q_lat[args.query_points :]
    nearest_paths = [nearest_path(x, y, args.k) for x, y in zip(load_lon, load_lat, strict=True)]
    endpoints = {
        "/bench/trivial": ["/bench/trivial"],
        "/api/v1/nearest": nearest_paths,
        _STEPS[0]: [kdtree_path(x, y, args.k) for x, y in zip(load_lon, load_lat, strict=True)],
        "/bench/postgis-knn (plain <->)": [
            knn_path(x, y, args.k) for x, y in zip(load_lon, load_lat, strict=True)
        ],
        f"/bench/postgis-knn (oversample {args.oversample})": [
            knn_path(x, y, args.k, args.oversample) for x, y in zip(load_lon, load_lat, strict=True)
        ],
        "/api/v1/places": place_paths(url),
        "/api/v1/map/features": [
            map_features_path(x, y) for x, y in zip(load_lon, load_lat, strict=True)
        ],
    }
    if args.steps:
        endpoints[_STEPS[1]] = [
            path.replace("/api/v1/nearest?", "/bench/find?") for path in nearest_paths
        ]
        endpoints[_STEPS[2]] = [
            path.replace("/api/v1/nearest?", "/bench/nearest-view?") for path in nearest_paths
        ]
    if args.spatialite:  # no KNN query to compare with
        endpoints = {name: paths for name, paths in endpoints.items() if "knn" not in name}
    wrk = {"threads": args.wrk_threads, "connections": args.connections}

    with tempfile.TemporaryDirectory(prefix="nearest_load_") as tmp:
        work_dir = Path(tmp)
        server = BenchServer(
            url, work_dir, workers=args.workers, threads=args.worker_threads, port=args.port
        )
        try:
            boot = server.start()
            print(f"\ngunicorn up in {boot:.1f} s on 127.0.0.1:{server.port}", flush=True)
            meter = CpuMeter(server, None if args.spatialite else args.database)
            cold = first_answer_per_worker(server.port, nearest_paths, args.workers)
            for paths in endpoints.values():
                run_wrk(server.port, paths, args.warmup, work_dir, name="warmup", **wrk)
            rounds: list[dict[str, dict]] = []
            spy = None
            for number in range(1, args.rounds + 1):
                # The endpoints one after another, round after round: what else runs on a
                # shared machine changes by the minute, and a round's runs are close in time.
                rounds.append({})
                for name, paths in endpoints.items():
                    others = meter.wait_quiet(args.max_others, args.quiet_timeout)
                    run = run_wrk(server.port, paths, args.duration, work_dir, meter=meter, **wrk)
                    rounds[-1][name] = run
                    print(
                        f"  round {number}, {name}: {run['rps']:,.0f} req/s (others before: "
                        f"{others:.2f} cores, during: {run['cpu']['others_cores']:.2f})",
                        flush=True,
                    )
            # Per endpoint, the run of median throughput across the rounds.
            results = {name: median_run([r[name] for r in rounds], "rps") for name in rounds[0]}
            if args.py_spy:
                # A separate run: the sampler's own CPU stays out of the measured ones.
                _, spy = wrk_with_py_spy(
                    server, nearest_paths, args.duration, args.py_spy, work_dir, meter=meter, **wrk
                )
            spot = None if args.spatialite else spot_check(args, server.port, spot_lon, spot_lat)
            catch_up = catch_up_over_http(url, server.port, args.workers)
            if args.keep_server:
                port = server.port
                print(f"gunicorn left running: pid {server.leave_running()}, port {port}")
        finally:
            server.stop()

    print_http_starts(boot, cold, catch_up)
    print_wrk(args, results, rounds)
    if spot:
        print_spot(args, spot)
    print_breakdown(answer_breakdown(url, list(zip(load_lon, load_lat, strict=True))[:200], args.k))
    if spy:
        print(f"\n== py-spy of one worker during the nearest run ==\n{spy}")
    if args.profile:
        print("\n== cProfile, in process (Flask test client, no HTTP server) ==")
        print(profile_in_process(url, nearest_paths, args.profile))


if __name__ == "__main__":
    main()
