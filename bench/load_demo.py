"""Time the demo load (migrations, 8,430 areas, 1,909 facilities) on SpatiaLite and PostGIS.

    .venv/bin/python bench/load_demo.py [--postgis-server postgresql+psycopg://postgres@127.0.0.1]

Each run starts from an empty database. Prints seconds per step and the PostGIS/SpatiaLite ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy.orm import Session

from registry import migrate
from registry.areas.service import load_boundaries, locators
from registry.db import make_engine, recreate_postgis_database
from registry.demo import DEMO_FACILITY_FILES
from registry.facilities.service import Actor
from registry.imports.bulk import upsert_facilities
from registry.paths import DATA_DIR


def load(url: str) -> dict[str, float]:
    locators.clear()
    timings = {}
    start = time.perf_counter()
    engine = make_engine(url)
    migrate.upgrade(engine)
    timings["migrate"] = time.perf_counter() - start
    with Session(engine) as session:
        step = time.perf_counter()
        load_boundaries(session, DATA_DIR)
        session.commit()
        timings["areas"] = time.perf_counter() - step
        step = time.perf_counter()
        facilities = 0
        for file_name, reader in DEMO_FACILITY_FILES:
            result = upsert_facilities(
                session, reader(DATA_DIR / file_name), Actor("bench", "demo"), tolerance_m=5000
            )
            facilities += result.count("created")
        session.commit()
        timings["facilities"] = time.perf_counter() - step
        step = time.perf_counter()
        for file_name, reader in DEMO_FACILITY_FILES:
            upsert_facilities(
                session, reader(DATA_DIR / file_name), Actor("bench", "demo"), tolerance_m=5000
            )
        session.commit()
        timings["second run (no changes)"] = time.perf_counter() - step
    engine.dispose()
    timings["total"] = time.perf_counter() - start
    timings["facilities created"] = facilities
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgis-server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {
            "SpatiaLite": load(f"sqlite:///{Path(tmp) / 'bench.sqlite'}"),
            "PostGIS": load(recreate_postgis_database(args.postgis_server, "registry_bench")),
        }
    steps = list(results["SpatiaLite"])
    print(f"{'step':<26}{'SpatiaLite':>12}{'PostGIS':>12}{'ratio':>8}")
    for step in steps:
        lite, pg = results["SpatiaLite"][step], results["PostGIS"][step]
        if step == "facilities created":
            print(f"{step:<26}{lite:>12.0f}{pg:>12.0f}")
            continue
        print(f"{step:<26}{lite:>11.2f}s{pg:>11.2f}s{pg / lite:>8.2f}")


if __name__ == "__main__":
    main()
