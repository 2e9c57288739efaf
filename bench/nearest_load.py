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
   ``registry/gunicorn_conf.py``) and the catch-ups after a status change made with
   ``update_facility``, a new facility made with ``create_facility`` and a deactivation.
3. gunicorn serving ``bench/nearest_wsgi.py`` with ``registry/gunicorn_conf.py`` (the master
   loads the catalog before forking); each worker's first nearest answer; a warm-up; then
   ``--rounds`` times ``wrk`` drives, one after another with the same duration,
   connections and threads: ``/bench/trivial``, ``/api/v1/nearest``, ``/bench/postgis-knn``
   (plain ``<->``) and ``/bench/postgis-knn?oversample=N`` (``<->`` LIMIT N re-ranked by
   geography distance), then ``/api/v1/places`` (place names) and ``/api/v1/map/features``
   (map views). Nearest and KNN rotate through ``--query-points`` random points inside
   Thailand. On SpatiaLite (``--spatialite FILE``) there is no KNN query to compare with.
4. A correctness spot check: for ``--spot-checks`` random points, the top-1 of
   ``/api/v1/nearest`` (exact geodesic) against both KNN variants.
5. Optionally (``--profile N``) cProfile of N nearest answers in this process.

wrk and the server share the machine's cores; the ratios are the point, not the absolutes.
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import http.client
import io
import json
import os
import pstats
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import request  # noqa: E402
from geoalchemy2.shape import to_shape  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from geo.nearest import NearestIndex  # noqa: E402
from registry import DATA_DIR, create_app, migrate  # noqa: E402
from registry.db import db, make_engine, recreate_postgis_database  # noqa: E402
from registry.models import Facility, utcnow  # noqa: E402
from registry.services import catalog_rows, search  # noqa: E402
from registry.services.areas import load_boundaries, locators  # noqa: E402
from registry.services.bulk import upsert_facilities  # noqa: E402
from registry.services.catalog import (  # noqa: E402
    SiteFilter,
    catalogs,
    committed_version,
    nearest_in,
)
from registry.services.facilities import (  # noqa: E402
    Actor,
    create_facility,
    deactivate_facility,
    update_facility,
)
from registry.services.freshness import hide_after_hours  # noqa: E402
from registry.vocabulary import (  # noqa: E402
    AGE_GROUPS,
    DOSES,
    TEST_METHODS,
    VACCINE_BRANDS,
)

HOSPITALS = DATA_DIR / "moph_hospitals_geojson_health.geojson"
CLINICS = Path("/work/shared/data/facilities/moph_clinics_geojson_clinic.geojson")
THAILAND_BBOX = (97.3, 5.6, 105.7, 20.5)  # west, south, east, north
SOURCE = "bench_nearest"
STATUS_CHOICES = (("open", 0.85), ("full", 0.07), ("temporarily_closed", 0.05), ("closed", 0.03))
# Which types a jittered copy of each kind of real point becomes.
TYPES_BY_KIND = {
    "hospital": (
        ("hospital", 0.35),
        ("vaccination_site", 0.35),
        ("covid_test_point", 0.20),
        ("field_hospital", 0.10),
    ),
    "clinic": (
        ("vaccination_site", 0.40),
        ("covid_test_point", 0.35),
        ("waiting_centre", 0.15),
        ("hospital", 0.10),
    ),
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--postgis-server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    add("--database", default="registry_bench_nearest")
    add("--spatialite", type=Path, help="a SpatiaLite file instead of the PostGIS database")
    add("--reuse", action="store_true", help="keep the database if it already holds the sites")
    add("--facilities", type=int, default=150_000)
    add("--chunk", type=int, default=10_000, help="facilities per upsert_facilities call")
    add(
        "--no-analyze",
        dest="analyze_between_chunks",
        action="store_false",
        help="do not ANALYZE facility after each chunk (shows the stale-statistics trap)",
    )
    add("--clinics", type=Path, default=CLINICS)
    add("--jitter-km", type=float, default=3.0)
    add("--seed", type=int, default=2021)
    add("--port", type=int, default=0, help="gunicorn port on 127.0.0.1 (0: a free one)")
    add("--workers", type=int, default=2)
    add("--worker-threads", type=int, default=4)
    add("--duration", type=int, default=15, help="seconds of wrk per endpoint")
    add("--warmup", type=int, default=3, help="seconds of wrk warm-up per endpoint")
    add("--rounds", type=int, default=3, help="runs of every endpoint, one after another")
    add("--connections", type=int, default=16)
    add("--wrk-threads", type=int, default=2)
    add("--k", type=int, default=10, help="k of the nearest and KNN requests under load")
    add("--oversample", type=int, default=50, help="KNN candidates re-ranked by geography")
    add("--query-points", type=int, default=1_000)
    add("--spot-checks", type=int, default=200)
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


# -- database -----------------------------------------------------------------------------------


def database_url(args) -> str:
    if args.spatialite:
        return f"sqlite:///{args.spatialite.resolve()}"
    return f"{args.postgis_server}/{args.database}"


def existing_count(args) -> int | None:
    """How many bench facilities the database holds, or None when it is not usable."""
    if args.spatialite:
        exists = args.spatialite.exists()
    else:
        admin = create_engine(f"{args.postgis_server}/postgres")
        with admin.connect() as conn:
            exists = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": args.database}
            )
        admin.dispose()
    if not exists:
        return None
    engine = make_engine(database_url(args))
    try:
        with engine.connect() as conn:
            return conn.scalar(
                text("SELECT count(*) FROM facility WHERE source = :source"), {"source": SOURCE}
            )
    except Exception:
        return None
    finally:
        engine.dispose()


def read_points(path: Path, kind: str) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    with path.open(encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    lon, lat, names = [], [], []
    for feature in features:
        coords = (feature.get("geometry") or {}).get("coordinates")
        name = (feature["properties"].get("name") or "").strip()
        if not coords or not name or str(feature["properties"].get("main_code")) == "0":
            continue
        lon.append(float(coords[0]))
        lat.append(float(coords[1]))
        names.append(name)
    return np.array(lon), np.array(lat), names, [kind] * len(names)


def base_points(args, locator) -> dict:
    parts = [read_points(HOSPITALS, "hospital"), read_points(args.clinics, "clinic")]
    lon = np.concatenate([p[0] for p in parts])
    lat = np.concatenate([p[1] for p in parts])
    names = [n for p in parts for n in p[2]]
    kinds = [k for p in parts for k in p[3]]
    inside = locator.locate(lon, lat).inside
    keep = np.flatnonzero(inside)
    return {
        "lon": lon[keep],
        "lat": lat[keep],
        "names": [names[i] for i in keep],
        "kinds": [kinds[i] for i in keep],
        "read": len(names),
    }


def jittered_sites(args, locator, rng) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """n jittered copies of real points, each inside a Thai subdistrict."""
    bases = base_points(args, locator)
    want = args.facilities
    chosen, lons, lats = [], [], []
    have = 0
    while have < want:
        m = int((want - have) * 1.2) + 100
        pick = rng.integers(0, len(bases["lon"]), m)
        # Uniform in a disc of radius jitter_km around the real point.
        radius = args.jitter_km * 1000 * np.sqrt(rng.random(m))
        angle = rng.random(m) * 2 * np.pi
        lat = bases["lat"][pick] + radius * np.cos(angle) / 110_574.0
        lon = bases["lon"][pick] + radius * np.sin(angle) / (
            111_320.0 * np.cos(np.radians(bases["lat"][pick]))
        )
        lon, lat = np.round(lon, 7), np.round(lat, 7)
        inside = np.flatnonzero(locator.locate(lon, lat).inside)[: want - have]
        chosen.append(pick[inside])
        lons.append(lon[inside])
        lats.append(lat[inside])
        have += inside.size
    return bases, np.concatenate(chosen), np.concatenate(lons), np.concatenate(lats)


def _pick(rng, weighted) -> str:
    values = [v for v, _ in weighted]
    return values[rng.choice(len(values), p=[w for _, w in weighted])]


def _subset(rng, values, p_each: float) -> list[str]:
    chosen = [v for v in values if rng.random() < p_each]
    return chosen or [values[int(rng.integers(len(values)))]]


def site_record(number: int, base_name: str, kind: str, lon: float, lat: float, rng, now) -> dict:
    facility_type = _pick(rng, TYPES_BY_KIND[kind])
    record = {
        "row": number,
        "type": facility_type,
        "name_th": f"{base_name} จุดที่ {number}",
        "lon": float(lon),
        "lat": float(lat),
        "source": SOURCE,
        "source_id": str(number),
        "status": _pick(rng, STATUS_CHOICES),
        # Confirmed within a day, so every open site stays "open now" for the next two days
        # (FRESHNESS_TTL_HOURS is 72 h for every type), as the KNN comparison assumes.
        "status_confirmed_at": now - timedelta(hours=float(rng.random() * 24)),
        "status_confirmed_by": "bench-loader",
    }
    if facility_type == "vaccination_site":
        record.update(
            vaccine_brands=_subset(rng, VACCINE_BRANDS, 0.35),
            doses=_subset(rng, DOSES, 0.6),
            age_groups=_subset(rng, AGE_GROUPS, 0.5),
            walk_in=bool(rng.random() < 0.5),
            appointment=bool(rng.random() < 0.7),
            daily_capacity=int(rng.integers(50, 2_000)),
        )
    elif facility_type == "covid_test_point":
        record.update(
            test_methods=_subset(rng, TEST_METHODS, 0.6),
            walk_in=bool(rng.random() < 0.6),
            appointment=bool(rng.random() < 0.4),
            daily_capacity=int(rng.integers(20, 1_000)),
        )
    elif facility_type == "hospital":
        beds = int(rng.integers(10, 800))
        covid = int(beds * rng.uniform(0.05, 0.3))
        record.update(
            beds_total=beds,
            covid_beds_total=covid,
            covid_beds_occupied=int(covid * rng.random()),
        )
    else:  # field hospital, waiting centre
        green = int(rng.integers(20, 400))
        yellow = int(rng.integers(0, 60))
        record.update(
            beds_total=green + yellow,
            beds_green_total=green,
            beds_green_available=int(green * rng.random()),
            beds_yellow_total=yellow,
            beds_yellow_available=int(yellow * rng.random()),
            oxygen=bool(rng.random() < 0.5),
        )
    return record


def load_database(args) -> dict:
    """Create, migrate, load areas and facilities; returns timings and counts."""
    rng = np.random.default_rng(args.seed)
    timings: dict = {}
    locators.clear()
    catalogs.clear()
    start = time.perf_counter()
    if args.spatialite:
        args.spatialite.unlink(missing_ok=True)
    else:
        recreate_postgis_database(args.postgis_server, args.database)
    engine = make_engine(database_url(args))
    migrate.upgrade(engine)
    timings["create + migrate"] = time.perf_counter() - start
    step = time.perf_counter()
    with Session(engine) as session:
        timings["areas loaded"] = load_boundaries(session, DATA_DIR)
        session.commit()
    timings["areas"] = time.perf_counter() - step
    step = time.perf_counter()
    with Session(engine) as session:
        locator = locators.get(session)
    bases, pick, lon, lat = jittered_sites(args, locator, rng)
    now = datetime.now(UTC)
    records = [
        site_record(i + 1, bases["names"][b], bases["kinds"][b], x, y, rng, now)
        for i, (b, x, y) in enumerate(zip(pick, lon, lat, strict=True))
    ]
    timings["real points read / inside"] = (bases["read"], len(bases["lon"]))
    timings["generate"] = time.perf_counter() - step
    actor = Actor("bench-loader", "import", "bench:nearest_load")
    counts = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    chunk_times = []
    step = time.perf_counter()
    cpu_step = time.process_time()
    for first in range(0, len(records), args.chunk):
        chunk_start = time.perf_counter()
        with Session(engine) as session:
            result = upsert_facilities(
                session, records[first : first + args.chunk], actor, tolerance_m=5_000
            )
            session.commit()
        if args.analyze_between_chunks:
            # Fresh planner statistics, as autovacuum would give a live database between two
            # imports (it is off on this machine's PostgreSQL). Without them the key lookup in
            # upsert_facilities degrades into a filter over every row (see docs/benchmarks.md).
            with engine.begin() as conn:
                conn.execute(text("ANALYZE facility"))
        for name, value in result.counts.items():
            counts[name] += value
        chunk_times.append(time.perf_counter() - chunk_start)
        print(
            f"  upsert chunk {first // args.chunk + 1}: {result.counts['created']} created "
            f"in {chunk_times[-1]:.1f} s",
            flush=True,
        )
    timings["upsert_facilities"] = time.perf_counter() - step
    # Wall time includes waiting for PostgreSQL and for other processes on a shared machine.
    timings["  of which this process's CPU"] = time.process_time() - cpu_step
    timings["chunk seconds (min/median/max)"] = (
        min(chunk_times),
        statistics.median(chunk_times),
        max(chunk_times),
    )
    timings["counts"] = counts
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    timings["total"] = time.perf_counter() - start
    return timings


def database_summary(url: str) -> dict:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    ttl = app.config.get("FRESHNESS_TTL_HOURS") or {}
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT type, status, count(*) FROM facility WHERE deleted_at IS NULL "
                "GROUP BY type, status"
            )
        ).all()
        stale = 0
        for facility_type, hours in ttl.items():
            confirmed = Facility.status_confirmed_at
            stale += conn.scalar(
                select(func.count()).where(
                    Facility.deleted_at.is_(None),
                    Facility.status == "open",
                    Facility.type == facility_type,
                    confirmed.is_(None) | (confirmed < utcnow() - timedelta(hours=hours)),
                )
            )
    engine.dispose()
    app.extensions["registry_db"].engine.dispose()
    by_type: dict[str, int] = {}
    by_status: dict[str, int] = {}
    for facility_type, status, count in rows:
        by_type[facility_type] = by_type.get(facility_type, 0) + count
        by_status[status] = by_status.get(status, 0) + count
    return {
        "active": sum(by_type.values()),
        "by_type": by_type,
        "by_status": by_status,
        "stale open": stale,
    }


# -- the catalog in this process ------------------------------------------------------------------


def catalog_costs(url: str, samples: int = 5) -> dict:
    """Cold load of the catalog, then catch-ups after single writes made by the services."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    actor = Actor("bench", "api")
    out: dict = {}
    with app.app_context():
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
    db_state = app.extensions["registry_db"]
    db_state.engine.dispose()
    return out


# -- query points -------------------------------------------------------------------------------


def thailand_points(url: str, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """n points uniformly spread over Thailand's land (inside a subdistrict)."""
    engine = make_engine(url)
    with Session(engine) as session:
        locator = locators.get(session)
    engine.dispose()
    west, south, east, north = THAILAND_BBOX
    lons, lats, have = [], [], 0
    while have < n:
        lon = np.round(rng.uniform(west, east, 4 * n), 6)
        lat = np.round(rng.uniform(south, north, 4 * n), 6)
        inside = np.flatnonzero(locator.locate(lon, lat).inside)[: n - have]
        lons.append(lon[inside])
        lats.append(lat[inside])
        have += inside.size
    return np.concatenate(lons), np.concatenate(lats)


def place_paths(url: str) -> list[str]:
    """/api/v1/places for the Thai names of the provinces and districts, typed by residents."""
    engine = make_engine(url)
    with engine.connect() as conn:
        names = conn.scalars(text("SELECT name_th FROM area WHERE level <= 2 ORDER BY code")).all()
    engine.dispose()
    return ["/api/v1/places?" + urlencode({"q": name}) for name in names]


def catalog_point(facility: Facility) -> tuple[float, float]:
    """(lon, lat) of a facility as the catalog holds it."""
    point = to_shape(facility.geom)
    return point.x, point.y


def nearest_path(lon: float, lat: float, k: int) -> str:
    return "/api/v1/nearest?" + urlencode({"lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "k": k})


def knn_path(lon: float, lat: float, k: int, oversample: int = 0) -> str:
    params = {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "k": k}
    if oversample:
        params["oversample"] = oversample
    return "/bench/postgis-knn?" + urlencode(params)


# -- the server ---------------------------------------------------------------------------------


class Server:
    """gunicorn in its own process group, always stopped by its own pid."""

    def __init__(self, args, url: str, log_dir: Path) -> None:
        self.args = args
        self.url = url
        self.port = args.port or free_port()
        self.log = (log_dir / "gunicorn.log").open("w")
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn),
            "--chdir", str(ROOT),
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.args.workers),
            # preload_app: the master loads the catalog once, the workers inherit it.
            "--config", "python:registry.gunicorn_conf",
            "--worker-class", "gthread",
            "--threads", str(self.args.worker_threads),
            "--timeout", "120",
            "bench.nearest_wsgi:app",
        ]  # fmt: skip
        env = {**os.environ, "BENCH_DATABASE_URL": self.url}
        start = time.perf_counter()
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        atexit.register(self.stop)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see its log")
            try:
                status, _, _ = get(self.port, "/bench/trivial")
                if status == 200:
                    return time.perf_counter() - start
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within 300 s")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.log.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, conn: http.client.HTTPConnection | None = None):
    """(status, headers, body) of one GET; a fresh connection unless one is given."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), body
    finally:
        if own:
            conn.close()


def first_answer_per_worker(
    port: int, paths: list[str], workers: int, tries: int = 60, absent: int | None = None
) -> dict:
    """Latency of each worker's first answer, using a fresh connection per request.

    With ``absent``, also count the answers that still list that facility id ("stale").
    """
    seen: dict[str, float] = {}
    later: list[float] = []
    stale = answers = 0
    for i in range(tries):
        start = time.perf_counter()
        status, headers, body = get(port, paths[i % len(paths)])
        elapsed = time.perf_counter() - start
        if status != 200:
            raise RuntimeError(f"{paths[i % len(paths)]} answered {status}")
        if absent is not None:
            answers += 1
            stale += absent in [f["id"] for f in json.loads(body)["features"]]
        pid = headers.get("X-Bench-Worker", "?")
        if pid not in seen:
            seen[pid] = elapsed
        else:
            later.append(elapsed)
        if len(seen) >= workers and len(later) >= 5:
            break
    return {
        "first": seen,
        "later median": statistics.median(later) if later else float("nan"),
        "stale": (stale, answers),
    }


# -- wrk ----------------------------------------------------------------------------------------

WRK_SCRIPT = """
local paths = %s
local counter = 0
local started = 0

function setup(thread)
  thread:set("offset", started * 7919)
  started = started + 1
end

function init(args)
  counter = offset or 0
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%%d,"duration_us":%%d,"bytes":%%d,"connect":%%d,"read":%%d,' ..
    '"write":%%d,"status":%%d,"timeout":%%d,"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,' ..
    '"mean_us":%%.1f,"max_us":%%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
"""


def lua_table(paths: list[str]) -> str:
    return "{\n" + ",\n".join(json.dumps(p) for p in paths) + "\n}"


def run_wrk(
    args, port: int, paths: list[str], seconds: int, work_dir: Path, name: str, meter=None
) -> dict:
    script = work_dir / f"{name}.lua"
    script.write_text(WRK_SCRIPT % lua_table(paths))
    command = [
        "wrk",
        f"-t{args.wrk_threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout", "10s",
        "-s", str(script),
        f"http://127.0.0.1:{port}",
    ]  # fmt: skip
    before = meter.sample() if meter else None
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    after = meter.sample() if meter else None
    for line in done.stdout.splitlines():
        if line.startswith("WRKJSON "):
            result = json.loads(line[len("WRKJSON ") :])
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            result["errors"] = sum(
                result[k] for k in ("connect", "read", "write", "status", "timeout")
            )
            if meter:
                wrk_cpu = (children_after.ru_utime + children_after.ru_stime) - (
                    children.ru_utime + children.ru_stime
                )
                result["cpu"] = meter.shares(before, after, wrk_cpu)
                result["server_cpu_ms"] = (
                    1e3 * result["cpu"]["server_s"] / max(result["requests"], 1)
                )
            return result
    raise RuntimeError(f"wrk gave no result: {done.stdout}\n{done.stderr}")


class CpuMeter:
    """CPU time of the machine, of the server under test (gunicorn and the PostgreSQL
    backends serving the bench database) and of everything else, from /proc."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, server: Server, database: str) -> None:
        self.server = server
        self.database = database

    @staticmethod
    def _machine() -> tuple[float, float]:
        with open("/proc/stat") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields[:8]) / CpuMeter.TICK, idle / CpuMeter.TICK

    @staticmethod
    def _process(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rpartition(")")[2].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / CpuMeter.TICK

    def _server_pids(self) -> tuple[list[int], list[int]]:
        """(gunicorn pids, pids of the PostgreSQL backends of the bench database)."""
        app = []
        if self.server.process is not None:
            app = [self.server.process.pid, *self.server.worker_pids()]
        pids = []
        marker = f" {self.database} ".encode()
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                    cmdline = handle.read().replace(b"\0", b" ")
            except OSError:
                continue
            if cmdline.startswith(b"postgres:") and marker in cmdline:
                pids.append(int(entry.name))
        return app, pids

    def sample(self) -> dict:
        total, idle = self._machine()
        app, database = self._server_pids()
        return {
            "wall": time.perf_counter(),
            "total": total,
            "idle": idle,
            "app": {pid: self._process(pid) for pid in app},
            "pg": {pid: self._process(pid) for pid in database},
        }

    def shares(self, before: dict, after: dict, wrk_s: float) -> dict:
        wall = after["wall"] - before["wall"]
        busy = (after["total"] - after["idle"]) - (before["total"] - before["idle"])
        used = {
            part: sum(t - before[part].get(pid, 0.0) for pid, t in after[part].items())
            for part in ("app", "pg")
        }
        server = used["app"] + used["pg"]
        others = max(busy - server - wrk_s, 0.0)
        return {
            "wall": wall,
            "busy_cores": busy / wall,
            "server_cores": server / wall,
            "wrk_cores": wrk_s / wall,
            "others_cores": others / wall,
            "server_s": server,
            "app_s": used["app"],
            "pg_s": used["pg"],
        }

    def others_now(self, seconds: float = 2.0) -> float:
        """Cores used by processes other than the (idle) server over a short interval."""
        before = self.sample()
        time.sleep(seconds)
        after = self.sample()
        return self.shares(before, after, 0.0)["others_cores"]

    def wait_quiet(self, limit_cores: float, timeout_s: float) -> float:
        deadline = time.monotonic() + timeout_s
        others = self.others_now()
        while others > limit_cores and time.monotonic() < deadline:
            print(f"  waiting: other processes use {others:.2f} cores", flush=True)
            time.sleep(5)
            others = self.others_now()
        return others


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


# -- profiles -----------------------------------------------------------------------------------


def profile_in_process(url: str, paths: list[str], n: int) -> str:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    client = app.test_client()
    for path in paths[:20]:  # load the catalog first
        client.get(path)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for i in range(n):
        client.get(paths[i % len(paths)])
    profiler.disable()
    elapsed = time.perf_counter() - start
    out = io.StringIO()
    out.write(f"{n} answers in {elapsed:.2f} s under cProfile ({elapsed / n * 1e3:.2f} ms each)\n")
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(22)
    stats.sort_stats("cumulative").print_stats(35)
    app.extensions["registry_db"].engine.dispose()
    catalogs.clear()
    return out.getvalue()


class StepTimer:
    """Collects wall and CPU durations per step name: ``with timer("step"): ...``."""

    def __init__(self) -> None:
        self.steps: dict[str, list[tuple[float, float]]] = {}
        self._name = ""
        self._start = (0.0, 0.0)

    def __call__(self, name: str) -> StepTimer:
        self._name = name
        return self

    def __enter__(self) -> None:
        self._start = (time.perf_counter(), time.process_time())

    def __exit__(self, *exc) -> None:
        wall, cpu = time.perf_counter() - self._start[0], time.process_time() - self._start[1]
        self.steps.setdefault(self._name, []).append((wall, cpu))

    def medians(self) -> dict[str, tuple[float, float]]:
        return {
            name: (statistics.median(w for w, _ in values), statistics.mean(c for _, c in values))
            for name, values in self.steps.items()
        }


def answer_breakdown(url: str, points: list[tuple[float, float]], k: int) -> dict:
    """Time of each step of one nearest answer, in this process, one point at a time.

    The steps are those of registry.api.nearest / services.search, called one by one with
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


def py_spy_worker(pid: int, seconds: int, work_dir: Path) -> str:
    """Self and total time per function of one worker under load, from py-spy's samples."""
    raw = work_dir / "py-spy.txt"
    py_spy = Path(sys.executable).with_name("py-spy")
    subprocess.run(
        [str(py_spy), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200",
         "--format", "raw", "--output", str(raw), "--nonblocking"],
        capture_output=True, timeout=seconds + 60, check=False,
    )  # fmt: skip
    if not raw.exists():
        return "py-spy produced no samples (ptrace not permitted?)"
    self_time: dict[str, int] = {}
    total_time: dict[str, int] = {}
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        count = int(count)
        frames = stack.split(";")
        # Idle gthread workers wait in select/queue; count only samples doing request work.
        if not any("full_dispatch_request" in frame for frame in frames):
            continue
        samples += count
        self_time[frames[-1]] = self_time.get(frames[-1], 0) + count
        for frame in set(frames):
            total_time[frame] = total_time.get(frame, 0) + count
    if not samples:
        return "py-spy saw no request work"
    lines = [f"{samples} samples inside request handling; inclusive share of the top frames:"]
    for frame, count in sorted(total_time.items(), key=lambda kv: -kv[1])[:40]:
        lines.append(f"  {100 * count / samples:5.1f}%  {frame}")
    lines.append("self time (leaf frames):")
    for frame, count in sorted(self_time.items(), key=lambda kv: -kv[1])[:20]:
        lines.append(f"  {100 * count / samples:5.1f}%  {frame}")
    return "\n".join(lines)


def wrk_with_py_spy(
    args, server: Server, paths: list[str], work_dir: Path, meter: CpuMeter
) -> tuple[dict, str]:
    """One wrk run while py-spy samples the first worker."""
    pid = server.worker_pids()[0]
    holder: dict[str, str] = {}

    def sample() -> None:
        holder["text"] = py_spy_worker(pid, min(args.py_spy, args.duration), work_dir)

    thread = threading.Thread(target=sample)
    thread.start()
    result = run_wrk(args, server.port, paths, args.duration, work_dir, "run", meter)
    thread.join()
    return result, holder.get("text", "py-spy gave nothing")


def code_state() -> str:
    """The commit measured and whether the working tree differs from it (read-only git)."""
    git = ["git", "--no-optional-locks", "-C", str(ROOT)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "code: not a git checkout"
    return f"code: {head}" + (f" + uncommitted changes in {len(changed)} files" if changed else "")


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


def median_runs(rounds: list[dict[str, dict]]) -> dict[str, dict]:
    """Per endpoint, the run of median throughput across the rounds."""
    chosen = {}
    for name in rounds[0]:
        runs = sorted((r[name] for r in rounds), key=lambda run: run["rps"])
        chosen[name] = runs[(len(runs) - 1) // 2]
    return chosen


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
        shares = [r["/api/v1/nearest"]["rps"] / r[other]["rps"] for r in rounds]
        cpu_shares = [
            r[other].get("server_cpu_ms", float("nan"))
            / r["/api/v1/nearest"].get("server_cpu_ms", float("nan"))
            for r in rounds
        ]
        share, cpu_share = statistics.median(shares), statistics.median(cpu_shares)
        goal = ""
        if other == "/bench/trivial":
            goal = "  goal >= 75%: " + ("met" if share >= 0.75 else "NOT met")
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
    print(f"{'':<52}{'wall (median)':>14}{'CPU (mean)':>12}")
    for name, (wall, cpu) in steps.items():
        print(f"{name:<52}{wall * 1e3:>11.3f} ms{cpu * 1e3:>9.3f} ms")


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


def main(argv=None) -> None:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    url = database_url(args)
    started = datetime.now(UTC)
    print(f"nearest_load: {started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, database {url}")
    print(code_state())

    reused = False
    timings = None
    if args.reuse:
        count = existing_count(args)
        reused = count is not None and count >= args.facilities
        print(f"--reuse: the database holds {count} bench facilities")
    if not reused:
        print(f"loading {args.facilities:,} facilities through upsert_facilities ...", flush=True)
        timings = load_database(args)
    summary = database_summary(url)
    print_load(timings, summary, reused)

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
        "/bench/postgis-knn (plain <->)": [
            knn_path(x, y, args.k) for x, y in zip(load_lon, load_lat, strict=True)
        ],
        f"/bench/postgis-knn (oversample {args.oversample})": [
            knn_path(x, y, args.k, args.oversample) for x, y in zip(load_lon, load_lat, strict=True)
        ],
        "/api/v1/places": place_paths(url),
        "/api/v1/map/features": [
            "/api/v1/map/features?"
            + urlencode({"bbox": f"{x - 0.1:.4f},{y - 0.08:.4f},{x + 0.1:.4f},{y + 0.08:.4f}"})
            + "&zoom=12"
            for x, y in zip(load_lon, load_lat, strict=True)
        ],
    }
    if args.spatialite:  # no KNN query to compare with
        endpoints = {name: paths for name, paths in endpoints.items() if "knn" not in name}

    with tempfile.TemporaryDirectory(prefix="nearest_load_") as tmp:
        work_dir = Path(tmp)
        server = Server(args, url, work_dir)
        try:
            boot = server.start()
            print(f"\ngunicorn up in {boot:.1f} s on 127.0.0.1:{server.port}", flush=True)
            meter = CpuMeter(server, args.database)
            cold = first_answer_per_worker(server.port, nearest_paths, args.workers)
            for paths in endpoints.values():
                run_wrk(args, server.port, paths, args.warmup, work_dir, "warmup")
            rounds: list[dict[str, dict]] = []
            spy = None
            for number in range(1, args.rounds + 1):
                # The endpoints one after another, round after round: what else runs on a
                # shared machine changes by the minute, and a round's runs are close in time.
                rounds.append({})
                for name, paths in endpoints.items():
                    others = meter.wait_quiet(args.max_others, args.quiet_timeout)
                    run = run_wrk(args, server.port, paths, args.duration, work_dir, "run", meter)
                    rounds[-1][name] = run
                    print(
                        f"  round {number}, {name}: {run['rps']:,.0f} req/s (others before: "
                        f"{others:.2f} cores, during: {run['cpu']['others_cores']:.2f})",
                        flush=True,
                    )
            results = median_runs(rounds)
            if args.py_spy:
                # A separate run: the sampler's own CPU stays out of the measured ones.
                _, spy = wrk_with_py_spy(args, server, nearest_paths, work_dir, meter)
            spot = None if args.spatialite else spot_check(args, server.port, spot_lon, spot_lat)

            # One status change, made by the services in this process, then each worker's
            # first answer pays its catch-up, and no answer may still list the site: it is
            # asked for at the site's own location, where it was the nearest.
            app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
            with app.app_context():
                facility = db.session.scalar(
                    select(Facility).where(Facility.status == "open").order_by(Facility.id).limit(1)
                )
                at_site = [nearest_path(*catalog_point(facility), 3)]
                _, _, body = get(server.port, at_site[0])
                if facility.id not in [f["id"] for f in json.loads(body)["features"]]:
                    raise RuntimeError(f"facility {facility.id} is not in its own answer")
                update_facility(
                    db.session, facility.id, {"status": "full"}, Actor("bench", "api"),
                    expected_version=facility.version,
                )  # fmt: skip
                db.session.commit()
            catch_up = first_answer_per_worker(
                server.port, at_site, args.workers, absent=facility.id
            )
            with app.app_context():
                facility = db.session.get(Facility, facility.id)
                update_facility(
                    db.session, facility.id, {"status": "open"}, Actor("bench", "api"),
                    expected_version=facility.version,
                )  # fmt: skip
                db.session.commit()
            app.extensions["registry_db"].engine.dispose()
            if args.keep_server:
                print(f"gunicorn left running: pid {server.process.pid}, port {server.port}")
                atexit.unregister(server.stop)
                server.process = None
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
