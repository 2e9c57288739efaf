"""Scratch databases for the benchmarks, and the database of synthetic sites (PostGIS, or a
SpatiaLite file with ``--spatialite`` where a benchmark offers it).

Every database here belongs to a benchmark: a PostGIS database is dropped and created again
by its name, a SpatiaLite one is a new file. Migrations and the 8,430 real areas are loaded
the way the app loads them.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session

from bench.support.sites import CLINICS, SOURCE, jittered_sites, site_record
from registry import migrate
from registry.app import create_app
from registry.areas.service import load_boundaries, locators
from registry.db import db, make_engine, recreate_postgis_database
from registry.facilities.service import Actor
from registry.imports.bulk import upsert_facilities
from registry.models import Facility, utcnow
from registry.nearest.catalog import catalogs
from registry.paths import DATA_DIR

POSTGIS_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def scratch_url(backend: str, server: str, name: str, folder: Path) -> str:
    """An empty database: PostGIS ``name`` on ``server`` made afresh, or a new SpatiaLite
    file ``name``.sqlite in ``folder``."""
    if backend == "postgis":
        return recreate_postgis_database(server, name)
    return f"sqlite:///{folder / name}.sqlite"


def with_areas(url: str, timings: dict | None = None) -> Engine:
    """Migrate the empty database at ``url`` and load the real areas; its engine, for the
    caller to dispose of.

    The area locators cached in this process are dropped first: a database made again under
    the same URL is a new one. ``timings``, when given, receives the seconds of "migrate" and
    of "areas" and the number of "areas loaded".
    """
    locators.clear()
    start = time.perf_counter()
    engine = make_engine(url)
    migrate.upgrade(engine)
    migrated = time.perf_counter()
    with Session(engine) as session:
        loaded = load_boundaries(session, DATA_DIR)
        session.commit()
    if timings is not None:
        timings["migrate"] = migrated - start
        timings["areas loaded"] = loaded
        timings["areas"] = time.perf_counter() - migrated
    return engine


def area_locator(url: str):
    """The area locator of the database at ``url`` (built once per process and database)."""
    engine = make_engine(url)
    with Session(engine) as session:
        locator = locators.get(session)
    engine.dispose()
    return locator


@contextlib.contextmanager
def registry_app(url: str):
    """The registry app on the database at ``url``; its connections closed afterwards."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    try:
        yield app
    finally:
        app.extensions["registry_db"].engine.dispose()


def database_label(app) -> str:
    """The app's database URL without its password, for the first line of a report."""
    with app.app_context():
        return db.engine.url.render_as_string(hide_password=True)


# -- the synthetic sites of nearest_load.py, map_page.py and ogcapi_bench.py ---------------------


def add_site_arguments(
    parser: argparse.ArgumentParser, database: str, spatialite: bool = False
) -> None:
    """The options that say which database holds the sites and how to make it.

    With ``spatialite``, ``--spatialite FILE`` puts the sites in that file instead of the
    PostGIS database; a benchmark offers it only when everything it measures runs there.
    """
    add = parser.add_argument
    add("--postgis-server", default=POSTGIS_SERVER)
    add("--database", default=database)
    if spatialite:
        add("--spatialite", type=Path, help="a SpatiaLite file instead of the PostGIS database")
    else:
        parser.set_defaults(spatialite=None)
    add("--reuse", action="store_true", help="keep the database if it already holds the sites")
    add("--facilities", type=int, default=150_000, help="sites to load when (re)creating")
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


def database_url(args) -> str:
    if args.spatialite:
        return f"sqlite:///{args.spatialite.resolve()}"
    return f"{args.postgis_server}/{args.database}"


def database_exists(args) -> bool:
    if args.spatialite:
        return args.spatialite.exists()
    admin = create_engine(f"{args.postgis_server}/postgres")
    with admin.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": args.database}
        )
    admin.dispose()
    return bool(exists)


def recreate_database(args) -> None:
    """An empty database where the sites go: a PostGIS one dropped and created again, or no
    SpatiaLite file at all (migrations create it)."""
    if args.spatialite:
        args.spatialite.unlink(missing_ok=True)
    else:
        recreate_postgis_database(args.postgis_server, args.database)


def existing_count(args) -> int | None:
    """How many bench facilities the database holds, or None when it is not usable."""
    if not database_exists(args):
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


def reuse_or_load(args) -> dict | None:
    """With ``--reuse``, keep a database that holds the sites already (None); otherwise make
    it afresh: the timings and counts of ``load_database``."""
    if args.reuse:
        count = existing_count(args)
        print(f"--reuse: the database holds {count} bench facilities")
        if count is not None and count >= args.facilities:
            return None
    print(f"loading {args.facilities:,} facilities through upsert_facilities ...", flush=True)
    return load_database(args)


def load_database(args) -> dict:
    """Create, migrate, load areas and facilities; returns timings and counts."""
    rng = np.random.default_rng(args.seed)
    catalogs.clear()
    start = time.perf_counter()
    recreate_database(args)
    created = time.perf_counter() - start
    steps: dict = {}
    engine = with_areas(database_url(args), steps)
    timings: dict = {
        "create + migrate": created + steps["migrate"],
        "areas loaded": steps["areas loaded"],
        "areas": steps["areas"],
    }
    step = time.perf_counter()
    with Session(engine) as session:
        locator = locators.get(session)
    bases, pick, lon, lat = jittered_sites(
        args.clinics, args.facilities, args.jitter_km, locator, rng
    )
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
    """Active sites by type and status, and the open ones past their freshness TTL."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    ttl = app.config.get("FRESHNESS_TTL_HOURS") or {}
    app.extensions["registry_db"].engine.dispose()
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT type, status, count(*) FROM facility WHERE deleted_at IS NULL "
                "GROUP BY type, status"
            )
        ).all()
        stale = 0
        confirmed = Facility.status_confirmed_at
        for facility_type, hours in ttl.items():
            # Expressions, not SQL text: the same count on PostGIS and SpatiaLite.
            stale += conn.scalar(
                select(func.count()).where(
                    Facility.deleted_at.is_(None),
                    Facility.status == "open",
                    Facility.type == facility_type,
                    confirmed.is_(None) | (confirmed < utcnow() - timedelta(hours=hours)),
                )
            )
    engine.dispose()
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
