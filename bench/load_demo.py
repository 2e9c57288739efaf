"""Time the demo load (migrations, 8,430 areas, 1,909 facilities) on SpatiaLite and PostGIS.

    .venv/bin/python bench/load_demo.py [--postgis-server postgresql+psycopg://postgres@127.0.0.1]

Each run starts from an empty database. Prints seconds per step and the PostGIS/SpatiaLite ratio.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy.orm import Session  # noqa: E402

from bench.support.databases import POSTGIS_SERVER, scratch_url, with_areas  # noqa: E402
from registry.demo import DEMO_FACILITY_FILES  # noqa: E402
from registry.facilities.service import Actor  # noqa: E402
from registry.imports.bulk import upsert_facilities  # noqa: E402
from registry.paths import DATA_DIR  # noqa: E402


def load(url: str) -> dict[str, float]:
    start = time.perf_counter()
    steps: dict = {}
    engine = with_areas(url, steps)
    timings = {"migrate": steps["migrate"], "areas": steps["areas"]}
    with Session(engine) as session:
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
    parser.add_argument("--postgis-server", default=POSTGIS_SERVER)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {
            name: load(scratch_url(backend, args.postgis_server, "registry_bench", Path(tmp)))
            for name, backend in (("SpatiaLite", "spatialite"), ("PostGIS", "postgis"))
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
