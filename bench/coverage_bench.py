"""Benchmark geo.coverage.coverage_by_area against geopandas sjoin_nearest, per subdistrict.

The question: for every person, is the nearest facility within ``--threshold-m``; summed per
subdistrict with the population-weighted median and 90th percentile distance.

Inputs (built here, deterministic for a seed):

* population: ``--points`` points made by drawing points of the modelled layer
  (:func:`geo.population.spread_population`, 8 points per subdistrict, DOPA totals) at
  random and jittering each by a normal offset of ``--spread-deg`` degrees; each point keeps
  the subdistrict code of the point it came from (a jittered point may stray over a border;
  that does not matter for timing), and each modelled point's people are split among its
  copies; every modelled point is drawn at least once, so the total stays 66,186,727. The
  points come in random order.
* facilities: ``--facilities`` points drawn from the real MOPH hospital and clinic locations
  (those inside Thailand's bounding box) and jittered by ``--facility-jitter-deg``.

Methods:

* ours: ``coverage_by_area(level=3)``, end to end (input checks, index build, exact WGS 84
  geodesic nearest search, aggregation), on all points, and again on the sjoin sample for a
  same-size comparison;
* sjoin: project to UTM 47N (EPSG:32647), ``geopandas.sjoin_nearest`` with a distance
  column, then the same per-subdistrict sums and weighted quantiles in pandas, on
  ``--sjoin-sample`` points (all points if that is at least ``--points``); its time is
  extrapolated linearly to ``--points`` when it ran on fewer;
* reference: brute force (``Geod.inv`` to every facility) on ``--exact-sample`` points,
  which checks both methods' coverage decisions.

Peak memory is the growth of the process's peak resident set (VmHWM, reset before each
method through /proc/self/clear_refs) over the resident set before it.

Run, e.g.::

    .venv/bin/python bench/coverage_bench.py --points 1000000 --sjoin-sample 200000
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo.coverage import coverage_by_area  # noqa: E402
from geo.nearest import NearestIndex  # noqa: E402
from geo.population import province_totals_from_dopa, spread_population  # noqa: E402

FACILITY_FILES = ("moph_hospitals_geojson_health.geojson", "moph_clinics_geojson_clinic.geojson")
THAILAND_BOX = (97.0, 5.0, 106.0, 21.0)
UTM_47N = "EPSG:32647"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--facilities", type=int, default=15_000)
    parser.add_argument("--threshold-m", type=float, default=5_000.0)
    parser.add_argument(
        "--sjoin-sample", type=int, default=1_000_000, help="points given to sjoin_nearest"
    )
    parser.add_argument(
        "--exact-sample", type=int, default=500, help="points checked by brute force"
    )
    parser.add_argument("--spread-deg", type=float, default=0.01)
    parser.add_argument("--facility-jitter-deg", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shared-data", type=Path, default=ROOT.parent / "shared" / "data")
    return parser.parse_args(argv)


# -- inputs -----------------------------------------------------------------------------------


def modelled_layer(shared: Path) -> gpd.GeoDataFrame:
    population = shared / "population"
    totals = province_totals_from_dopa(
        json.loads((population / "th-census-data.json").read_text(encoding="utf-8")),
        json.loads((population / "th-census-age-group.json").read_text(encoding="utf-8")),
    )
    subdistricts = gpd.read_file(ROOT / "data" / "th_adm3_subdistricts.geojson")
    return spread_population(subdistricts, totals, group_columns=())


def population_points(layer: pd.DataFrame, count: int, spread: float, rng) -> pd.DataFrame:
    # Every modelled point at least once (when there are enough points), so that no one's
    # people are lost, then random draws; in random order.
    always = np.arange(min(count, len(layer)))
    parent = rng.permutation(
        np.concatenate([always, rng.integers(0, len(layer), count - always.size)])
    )
    copies = np.bincount(parent, minlength=len(layer))
    # Split each modelled point's people among its copies: the first (people % copies)
    # copies, in draw order, get one more.
    order = np.argsort(parent, kind="stable")
    first = np.concatenate(([0], np.cumsum(copies)[:-1]))
    rank = np.empty(count, dtype=np.int64)
    rank[order] = np.arange(count) - first[parent[order]]
    people = layer["population"].to_numpy()
    share = people[parent] // copies[parent] + (rank < people[parent] % copies[parent])
    lon = np.clip(layer["lon"].to_numpy()[parent] + rng.normal(0, spread, count), -180, 180)
    lat = np.clip(layer["lat"].to_numpy()[parent] + rng.normal(0, spread, count), -90, 90)
    codes = pd.Categorical(layer["area_code"].to_numpy())
    return pd.DataFrame(
        {
            "lon": lon,
            "lat": lat,
            "population": share.astype(np.int64),
            "area_code": pd.Categorical.from_codes(codes.codes[parent], codes.categories),
        }
    )


def facility_points(shared: Path, count: int, jitter: float, rng) -> tuple[np.ndarray, ...]:
    frames = [gpd.read_file(shared / "facilities" / name) for name in FACILITY_FILES]
    points = pd.concat([frame.geometry for frame in frames], ignore_index=True)
    lon, lat = points.x.to_numpy(), points.y.to_numpy()
    inside = (
        (lon >= THAILAND_BOX[0])
        & (lon <= THAILAND_BOX[2])
        & (lat >= THAILAND_BOX[1])
        & (lat <= THAILAND_BOX[3])
    )
    lon, lat = lon[inside], lat[inside]
    pick = rng.integers(0, lon.size, count)
    return (
        np.clip(lon[pick] + rng.normal(0, jitter, count), THAILAND_BOX[0], THAILAND_BOX[2]),
        np.clip(lat[pick] + rng.normal(0, jitter, count), THAILAND_BOX[1], THAILAND_BOX[3]),
    )


# -- methods ----------------------------------------------------------------------------------


def run_ours(units: pd.DataFrame, flon, flat, threshold: float) -> pd.DataFrame:
    return coverage_by_area(units, flon, flat, threshold_m=threshold, level=3)


def run_sjoin(units: pd.DataFrame, flon, flat, threshold: float):
    """sjoin_nearest in UTM 47N, then per-subdistrict sums.

    Returns the area table, the per-point planar distances and the seconds of each step.
    """
    steps = {}
    clock = time.perf_counter()
    facilities = gpd.GeoDataFrame(geometry=gpd.points_from_xy(flon, flat), crs="EPSG:4326").to_crs(
        UTM_47N
    )
    points = gpd.GeoDataFrame(
        {"population": units["population"].to_numpy(), "code": units["area_code"].to_numpy()},
        geometry=gpd.points_from_xy(units["lon"], units["lat"]),
        crs="EPSG:4326",
    ).to_crs(UTM_47N)
    steps["project"], clock = time.perf_counter() - clock, time.perf_counter()
    joined = gpd.sjoin_nearest(points, facilities, how="left", distance_col="distance_m")
    # Facilities at equal distance give one row each; a caller keeps one.
    joined = joined[~joined.index.duplicated(keep="first")]
    steps["sjoin_nearest"], clock = time.perf_counter() - clock, time.perf_counter()
    distance = joined["distance_m"].to_numpy()
    frame = pd.DataFrame(
        {
            "code": joined["code"].astype(str).to_numpy(),
            "population": joined["population"].to_numpy(),
            "distance_m": distance,
        }
    )
    frame["covered"] = np.where(frame["distance_m"] <= threshold, frame["population"], 0)
    frame = frame.sort_values(["code", "distance_m"], kind="stable")
    grouped = frame.groupby("code", sort=True)
    table = grouped[["population", "covered"]].sum()
    running = grouped["population"].cumsum()
    total = frame["code"].map(table["population"])
    for name, fraction in (("median_m", 0.5), ("p90_m", 0.9)):
        reached = frame[running >= fraction * total]
        table[name] = reached.groupby("code")["distance_m"].first()
    table["uncovered"] = table["population"] - table["covered"]
    steps["aggregate"] = time.perf_counter() - clock
    return table.reset_index(), distance, steps


def brute_force_distance(lon, lat, flon, flat) -> np.ndarray:
    geod = Geod(ellps="WGS84")
    out = np.empty(lon.size)
    for i in range(lon.size):
        out[i] = geod.inv(np.full(flon.size, lon[i]), np.full(flon.size, lat[i]), flon, flat)[
            2
        ].min()
    return out


# -- measuring --------------------------------------------------------------------------------


def reset_peak() -> float:
    """Reset the peak-RSS mark where the kernel allows; the current RSS in MB."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return status_mb("VmRSS")


def status_mb(field: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured(function, *args):
    """Result, wall seconds, CPU seconds (all threads of this process) and peak MB growth."""
    before = reset_peak()
    start = time.perf_counter()
    cpu = time.process_time()
    result = function(*args)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    return result, seconds, cpu, status_mb("VmHWM") - before


# -- main -------------------------------------------------------------------------------------


def main(argv=None) -> None:
    args = parse_args(argv)
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    layer = modelled_layer(args.shared_data)
    units = population_points(layer, args.points, args.spread_deg, rng)
    flon, flat = facility_points(args.shared_data, args.facilities, args.facility_jitter_deg, rng)
    sample_size = min(args.sjoin_sample, args.points)
    sample = units.iloc[np.sort(rng.choice(args.points, sample_size, replace=False))]
    sample = sample.reset_index(drop=True)
    print(
        f"inputs: {args.points:,} population points (total {int(units['population'].sum()):,} "
        f"people, modelled), {args.facilities:,} facilities, threshold {args.threshold_m:,.0f} m; "
        f"built in {time.perf_counter() - start:.1f} s; {os.cpu_count()} CPUs "
        f"(load average {os.getloadavg()[0]:.1f})"
    )

    # One small call first, so that one-off costs (imports, thread pools) are not timed.
    run_ours(units.iloc[:1_000], flon, flat, args.threshold_m)
    ours, ours_s, ours_cpu, ours_mb = measured(run_ours, units, flon, flat, args.threshold_m)
    ours_sample, ours_sample_s, ours_sample_cpu, ours_sample_mb = measured(
        run_ours, sample, flon, flat, args.threshold_m
    )
    (sjoin_table, sjoin_distance, sjoin_steps), sjoin_s, sjoin_cpu, sjoin_mb = measured(
        run_sjoin, sample, flon, flat, args.threshold_m
    )
    sjoin_full_s = sjoin_s * args.points / sample_size

    # Exactness. Per point on the sjoin sample: our exact distances come from the same
    # NearestIndex call coverage_by_area makes.
    index = NearestIndex(np.arange(flon.size), flon, flat)
    _, exact = index.nearest_distances(sample["lon"].to_numpy(), sample["lat"].to_numpy())
    checked = np.linspace(0, sample_size - 1, min(args.exact_sample, sample_size)).astype(int)
    brute = brute_force_distance(
        sample["lon"].to_numpy()[checked], sample["lat"].to_numpy()[checked], flon, flat
    )
    threshold = args.threshold_m
    ours_vs_brute = int(((exact[checked] <= threshold) != (brute <= threshold)).sum())
    ours_distance_off = int((exact[checked] != brute).sum())
    sjoin_vs_brute = int(((sjoin_distance[checked] <= threshold) != (brute <= threshold)).sum())
    sjoin_vs_exact = int(((sjoin_distance <= threshold) != (exact <= threshold)).sum())
    relative = np.abs(sjoin_distance - exact) / np.maximum(exact, 1.0)
    areas = ours_sample.merge(sjoin_table, on="code", how="outer", suffixes=("", "_sjoin"))
    area_off = areas["covered"] != areas["covered_sjoin"]

    print()
    print(f"{'method':<44}{'points':>12}{'wall s':>9}{'CPU s':>9}{'µs/point':>10}{'peak MB':>9}")
    rows = [
        ("coverage_by_area (exact geodesic)", args.points, ours_s, ours_cpu, ours_mb),
        (
            "coverage_by_area (exact geodesic), sample",
            sample_size,
            ours_sample_s,
            ours_sample_cpu,
            ours_sample_mb,
        ),
        ("sjoin_nearest UTM 47N + pandas, sample", sample_size, sjoin_s, sjoin_cpu, sjoin_mb),
    ]
    for name, count, seconds, cpu, mb in rows:
        print(
            f"{name:<44}{count:>12,}{seconds:>9.2f}{cpu:>9.2f}{seconds / count * 1e6:>10.2f}"
            f"{mb:>9,.0f}"
        )
    if sample_size < args.points:
        print(
            f"{'sjoin_nearest, extrapolated linearly':<44}{args.points:>12,}"
            f"{sjoin_full_s:>9.2f}{sjoin_cpu * args.points / sample_size:>9.2f}"
            f"{sjoin_full_s / args.points * 1e6:>10.2f}"
        )
    print(
        "sjoin steps, s: "
        + ", ".join(f"{step} {seconds:.2f}" for step, seconds in sjoin_steps.items())
    )
    print()
    print(
        f"speed, wall time: sjoin / ours = {sjoin_s / ours_sample_s:.1f}x at {sample_size:,} "
        f"points; {sjoin_full_s / ours_s:.1f}x at {args.points:,} points"
        + (" (sjoin time extrapolated)" if sample_size < args.points else "")
        + f"; CPU time at {sample_size:,} points: {sjoin_cpu / ours_sample_cpu:.1f}x"
    )
    print(
        f"exactness on {checked.size:,} points against brute force over all facilities: ours "
        f"{ours_vs_brute} coverage decisions and {ours_distance_off} distances differ; "
        f"sjoin {sjoin_vs_brute} decisions differ"
    )
    print(
        f"on the whole sample of {sample_size:,} points: sjoin's coverage decision differs from "
        f"the exact one for {sjoin_vs_exact:,} points; its distance is off by up to "
        f"{relative.max():.3%} (median {np.median(relative):.3%}); the covered count differs in "
        f"{int(area_off.sum()):,} of {len(areas):,} subdistricts"
    )
    print(
        f"ours on all points: {len(ours):,} subdistricts, {int(ours['covered'].sum()):,} of "
        f"{int(ours['population'].sum()):,} people (modelled) within "
        f"{args.threshold_m:,.0f} m"
    )
    print(
        "peak MB = growth of the peak resident set during the method over the resident set "
        "before it; CPU s = CPU time of all this process's threads (ours uses 2)"
    )


if __name__ == "__main__":
    main()
