"""Import 150,000 generated CSV rows with full validation, side by side with ogr2ogr.

    .venv/bin/python bench/import_bench.py [--rows 150000] [--skip-spatialite] [--ogr-runs 3]

One run: (1) ogr2ogr loads the CSV raw into PostGIS (no validation, no areas, no audit);
(2) the registry's import (read, validate, derive areas, upsert, change log, duplicate flags)
into a fresh PostGIS database, then the same file again (idempotent: every row unchanged);
(3) both into a fresh SpatiaLite file. Prints seconds, rows per second and the ratio to the
median of ogr2ogr's runs (the goal: at most 3x), with the machine's core count and load.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.support.databases import scratch_url, with_areas  # noqa: E402
from bench.support.machine import load_average  # noqa: E402
from importers.limits import ImportLimits  # noqa: E402
from registry.areas.service import locators  # noqa: E402
from registry.config import CLI_IMPORT_LIMITS  # noqa: E402
from registry.db import recreate_postgis_database  # noqa: E402
from registry.imports.service import commit_import  # noqa: E402
from registry.models import Facility  # noqa: E402
from registry.paths import DATA_DIR  # noqa: E402

TYPES = ["โรงพยาบาล", "จุดฉีดวัคซีน", "จุดตรวจโควิด", "โรงพยาบาลสนาม", "จุดพักคอย"]
STATUSES = ["เปิด", "เต็ม", "ปิดชั่วคราว", "ปิด"]


def generate_csv(path: Path, rows: int, seed: int = 1) -> None:
    """Realistic rows: points inside real subdistricts, Thai headers, phones, dates."""
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    subdistricts = gpd.read_file(DATA_DIR / "th_adm3_subdistricts.geojson")
    picks = rng.integers(0, len(subdistricts), rows)
    points = shapely.get_coordinates(
        shapely.point_on_surface(subdistricts.geometry.iloc[np.unique(picks)].values)
    )
    lookup = dict(zip(np.unique(picks), points, strict=True))
    coordinates = np.array([lookup[p] for p in picks]) + rng.normal(0, 0.002, (rows, 2))
    # Jitter can push a coast point into the sea; keep it on its subdistrict's surface then.
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "ชื่อ", "ประเภท", "ละติจูด", "ลองจิจูด", "สถานะ", "โทรศัพท์", "วันที่"])
        for i in range(rows):
            lon, lat = coordinates[i]
            if rng.random() < 0.02:
                lon, lat = lookup[picks[i]]
            writer.writerow(
                [
                    f"B{i:07d}",
                    f"จุดบริการทดสอบ {i}",
                    TYPES[i % len(TYPES)],
                    f"{lat:.6f}",
                    f"{lon:.6f}",
                    STATUSES[int(rng.integers(0, 4))],
                    f"08{rng.integers(1, 9)}-{rng.integers(100, 999)}-{rng.integers(1000, 9999)}",
                    f"{rng.integers(1, 28)}/06/2564",
                ]
            )


def run_ogr2ogr(csv_path: Path, database: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            "ogr2ogr",
            "-f",
            "PostgreSQL",
            f"PG:dbname={database} host=127.0.0.1 user=postgres",
            str(csv_path),
            "-nln",
            "raw_sites",
            "-overwrite",
            "-oo",
            "X_POSSIBLE_NAMES=ลองจิจูด",
            "-oo",
            "Y_POSSIBLE_NAMES=ละติจูด",
            "-a_srs",
            "EPSG:4326",
            "-lco",
            "GEOMETRY_NAME=geom",
            "--config",
            "PG_USE_COPY",
            "YES",
        ],
        check=True,
    )
    return time.perf_counter() - start


def _import(session: Session, csv_path: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    # An administrator's national list goes through the CLI, whose limits are the ones here
    # (the web's stop at 100,000 rows).
    outcome = commit_import(
        session,
        csv_path.read_bytes(),
        csv_path.name,
        actor_name="bench",
        source="bench",
        limits=ImportLimits.from_config(CLI_IMPORT_LIMITS),
    )
    session.commit()
    elapsed = time.perf_counter() - start
    stored = session.scalar(select(func.count()).select_from(Facility))
    return elapsed, {**outcome.counts, "stored": stored, "problems": len(outcome.problems)}


def run_registry(url: str, csv_path: Path) -> list[tuple[float, dict]]:
    """The import into a fresh database, then the same file again."""
    engine = with_areas(url)
    with Session(engine) as session:
        locators.get(session)  # area index built before the clock starts, as in a server
        runs = [_import(session, csv_path), _import(session, csv_path)]
    engine.dispose()
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=150_000)
    parser.add_argument("--postgis-server", default="postgresql+psycopg://postgres@127.0.0.1")
    parser.add_argument("--skip-spatialite", action="store_true")
    parser.add_argument(
        "--databases",
        default="registry_bench",
        help="prefix of the scratch PostGIS databases (<prefix>_ogr, <prefix>_import), which "
        "are dropped and made again: two runs at once need different ones",
    )
    parser.add_argument("--ogr-runs", type=int, default=3, help="ogr2ogr runs; the median counts")
    args = parser.parse_args()
    if shutil.which("ogr2ogr") is None:
        raise SystemExit("ogr2ogr is missing: apt-get install gdal-bin")
    load = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "sites.csv"
        generate_csv(csv_path, args.rows)
        # ogr2ogr takes a second or two, so one busy moment on the machine skews it: the
        # median of a few runs is the yardstick.
        times = []
        for _ in range(args.ogr_runs):
            recreate_postgis_database(args.postgis_server, f"{args.databases}_ogr")
            times.append(run_ogr2ogr(csv_path, f"{args.databases}_ogr"))
        ogr = statistics.median(times)
        each = ", ".join(f"{t:.2f}" for t in times)
        results = {"ogr2ogr raw into PostGIS": (ogr, {"stored": args.rows, "runs (s)": each})}
        url = scratch_url("postgis", args.postgis_server, f"{args.databases}_import", Path(tmp))
        first, again = run_registry(url, csv_path)
        results["registry import, PostGIS"] = first
        results["  same file again, PostGIS"] = again
        if not args.skip_spatialite:
            url = scratch_url("spatialite", args.postgis_server, "bench", Path(tmp))
            first, again = run_registry(url, csv_path)
            results["registry import, SpatiaLite"] = first
            results["  same file again, SpatiaLite"] = again
    print(f"{args.rows:,} generated CSV rows; {os.cpu_count()} cores; load average {load}")
    print(f"{'run':<32}{'seconds':>9}{'rows/s':>10}{'x ogr2ogr':>11}  outcome")
    for name, (seconds, counts) in results.items():
        rate = args.rows / seconds
        print(f"{name:<32}{seconds:>9.1f}{rate:>10,.0f}{seconds / ogr:>11.2f}  {counts}")


if __name__ == "__main__":
    main()
