"""Benchmark geo.nearest.NearestIndex against geopandas sjoin_nearest and brute force.

Facilities are synthetic: real MOPH hospital and clinic locations, drawn with replacement and
jittered by a few kilometres, so the density follows where facilities really are. Query
points are uniform in Thailand's bounding box.

Two cases:

* single: ``--facilities`` items, ``--queries`` single-point k-nearest queries (latency);
* batch: ``--batch-points`` points against ``--batch-facilities`` items, nearest only.

Each case compares our index, ``geopandas.sjoin_nearest`` in UTM 47N (EPSG:32647, planar
distance: fast but not geodesic, and only k=1), and a brute-force pyproj geodesic over every
item for a sample of the queries, which is also the reference for the mismatch counts. The
batch case runs each method in a fresh process so its peak memory is its own.

Run small with, e.g.::

    .venv/bin/python bench/nearest_bench.py --facilities 20000 --queries 1000 \
        --batch-points 100000 --batch-facilities 5000
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.support.locations import (  # noqa: E402
    LOCATION_BOX,
    geodesic_m,
    jittered_copies,
    moph_locations,
)
from bench.support.machine import reset_peak, status_mb  # noqa: E402
from bench.support.timing import timed  # noqa: E402
from geo.nearest import NearestIndex  # noqa: E402

UTM_47N = "EPSG:32647"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/work/shared/data/facilities"))
    parser.add_argument("--facilities", type=int, default=150_000)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument(
        "--brute-queries",
        type=int,
        default=100,
        help="single-case queries checked by brute force over every facility",
    )
    parser.add_argument(
        "--sjoin-single",
        type=int,
        default=200,
        help="single-point sjoin_nearest calls timed for latency",
    )
    parser.add_argument("--batch-points", type=int, default=1_000_000)
    parser.add_argument("--batch-facilities", type=int, default=15_000)
    parser.add_argument(
        "--brute-points",
        type=int,
        default=300,
        help="batch-case points checked by brute force over every facility",
    )
    parser.add_argument("--jitter-deg", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


# -- data -----------------------------------------------------------------------------------------


def synthetic_facilities(base_lon, base_lat, count, jitter_deg, rng):
    lon, lat = jittered_copies(base_lon, base_lat, count, jitter_deg, rng)
    return np.arange(count, dtype=np.int64), lon, lat


def uniform_points(count, rng):
    west, south, east, north = LOCATION_BOX
    return rng.uniform(west, east, count), rng.uniform(south, north, count)


# -- methods ------------------------------------------------------------------------------------


def brute_force_nearest(qlon, qlat, ids, lon, lat, k):
    """Rank every facility by (pyproj geodesic, id) for each query; returns positions."""
    out = np.empty((qlon.size, k), dtype=np.int64)
    for i in range(qlon.size):
        out[i] = np.lexsort((ids, geodesic_m(qlon[i], qlat[i], lon, lat)))[:k]
    return out


def to_utm_points(lon, lat):
    import geopandas as gpd

    frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    return frame.to_crs(UTM_47N)


def sjoin_first_match(points_utm, facilities_utm) -> np.ndarray:
    import geopandas as gpd

    joined = gpd.sjoin_nearest(points_utm, facilities_utm, how="left")
    # Equidistant facilities give one row each; keep the first, as a caller would.
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined["index_right"].to_numpy(dtype=np.int64)


# -- batch case, one method per fresh process ----------------------------------------------------


def _batch_worker(method, args, queue):
    rng = np.random.default_rng(args.seed + 1)
    base_lon, base_lat = moph_locations(args.data_dir)
    ids, lon, lat = synthetic_facilities(
        base_lon, base_lat, args.batch_facilities, args.jitter_deg, rng
    )
    qlon, qlat = uniform_points(args.batch_points, rng)
    rss_before = reset_peak()
    tracemalloc.start()
    if method == "ours":
        index, build = timed(NearestIndex, ids, lon, lat)
        (positions, _), run = timed(index.nearest_distances, qlon, qlat)
    else:
        import geopandas as gpd

        def build_sjoin():
            facilities_utm = gpd.GeoDataFrame(
                {"id": ids}, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326"
            ).to_crs(UTM_47N)
            facilities_utm.sindex  # noqa: B018 -- builds the STRtree now, not inside the query
            return facilities_utm

        facilities_utm, build = timed(build_sjoin)
        positions, run = timed(lambda: sjoin_first_match(to_utm_points(qlon, qlat), facilities_utm))
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = status_mb("VmHWM")
    sample = np.linspace(0, qlon.size - 1, min(args.brute_points, qlon.size)).astype(np.int64)
    queue.put(
        {
            "build_s": build,
            "run_s": run,
            "traced_peak_mb": traced_peak / 2**20,
            "rss_growth_mb": rss_after - rss_before,
            "positions_sample": positions[sample].tolist(),
        }
    )


def run_batch_in_process(method, args):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_batch_worker, args=(method, args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


# -- reporting ----------------------------------------------------------------------------------


def print_table(title, header, rows):
    print(f"\n{title}")
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    line = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    print(line.format(*header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))


def ratio(a, b):
    return f"{a / b:,.1f}x" if b > 0 else "n/a"


# -- cases --------------------------------------------------------------------------------------


def single_case(args, base_lon, base_lat):
    rng = np.random.default_rng(args.seed)
    ids, lon, lat = synthetic_facilities(base_lon, base_lat, args.facilities, args.jitter_deg, rng)
    qlon, qlat = uniform_points(args.queries, rng)

    index, build = timed(NearestIndex, ids, lon, lat)
    index.query(qlon[0], qlat[0], k=args.k)  # first call pays one-off import costs
    latencies = np.empty(args.queries)
    ours = np.empty((args.queries, args.k), dtype=np.int64)
    for i in range(args.queries):
        start = time.perf_counter()
        result = index.query(qlon[i], qlat[i], k=args.k)
        latencies[i] = time.perf_counter() - start
        ours[i] = result.positions

    facilities_utm = None

    def build_sjoin():
        nonlocal facilities_utm
        facilities_utm = to_utm_points(lon, lat)
        facilities_utm.sindex  # noqa: B018 -- builds the STRtree now

    _, sjoin_build = timed(build_sjoin)
    sjoin_nearest_pos, sjoin_run = timed(
        lambda: sjoin_first_match(to_utm_points(qlon, qlat), facilities_utm)
    )
    one_point = min(args.sjoin_single, args.queries)
    sjoin_latencies = np.empty(one_point)
    for i in range(one_point):
        start = time.perf_counter()
        sjoin_first_match(to_utm_points(qlon[i : i + 1], qlat[i : i + 1]), facilities_utm)
        sjoin_latencies[i] = time.perf_counter() - start

    (batch_positions, _), batch_run = timed(index.nearest_distances, qlon, qlat)

    sample = np.linspace(0, args.queries - 1, min(args.brute_queries, args.queries)).astype(int)
    brute, brute_run = timed(brute_force_nearest, qlon[sample], qlat[sample], ids, lon, lat, args.k)
    brute_per_query = brute_run / sample.size

    ours_mismatch = int(np.any(ours[sample] != brute, axis=1).sum())
    sjoin_mismatch = int((sjoin_nearest_pos[sample] != brute[:, 0]).sum())
    sjoin_vs_exact = int((sjoin_nearest_pos != ours[:, 0]).sum())

    us = 1e6
    rows = [
        (
            f"NearestIndex (k={args.k}, exact)",
            f"{build:.3f}",
            f"{latencies.sum():.2f}",
            f"{np.percentile(latencies, 50) * us:,.0f}",
            f"{np.percentile(latencies, 99) * us:,.0f}",
            f"{ours_mismatch}/{sample.size}",
        ),
        (
            "NearestIndex.nearest_distances (k=1), one batch call",
            "",
            f"{batch_run:.2f}",
            f"{batch_run / args.queries * us:,.1f} (mean)",
            "",
            f"{int((batch_positions[sample] != brute[:, 0]).sum())}/{sample.size}",
        ),
        (
            "sjoin_nearest UTM47N (k=1), one batch call",
            f"{sjoin_build:.3f}",
            f"{sjoin_run:.2f}",
            f"{sjoin_run / args.queries * us:,.0f} (mean)",
            "",
            f"{sjoin_mismatch}/{sample.size}",
        ),
        (
            f"sjoin_nearest UTM47N (k=1), {one_point} single-point calls",
            "",
            "",
            f"{np.percentile(sjoin_latencies, 50) * us:,.0f}",
            f"{np.percentile(sjoin_latencies, 99) * us:,.0f}",
            "",
        ),
        (
            f"brute-force pyproj Geod ({sample.size} queries)",
            "0",
            f"{brute_run:.2f}",
            f"{brute_per_query * us:,.0f} (mean)",
            "",
            "reference",
        ),
    ]
    print_table(
        f"Single-point queries: {args.facilities:,} facilities, {args.queries:,} queries",
        ("method", "build s", "query total s", "p50 µs", "p99 µs", "mismatch vs brute"),
        rows,
    )
    print(
        f"  sjoin_nearest nearest facility differs from the exact geodesic one for "
        f"{sjoin_vs_exact} of {args.queries:,} queries (checked against NearestIndex)."
    )
    print(
        f"  ratios: sjoin one-point p50 / ours p50 = "
        f"{ratio(np.percentile(sjoin_latencies, 50), np.percentile(latencies, 50))}; "
        f"brute mean / ours mean = {ratio(brute_per_query, latencies.mean())}; "
        f"sjoin batch / ours batch (k=1) = {ratio(sjoin_run, batch_run)}"
    )


def batch_case(args):
    ours = run_batch_in_process("ours", args)
    sjoin = run_batch_in_process("sjoin", args)

    rng = np.random.default_rng(args.seed + 1)
    base_lon, base_lat = moph_locations(args.data_dir)
    ids, lon, lat = synthetic_facilities(
        base_lon, base_lat, args.batch_facilities, args.jitter_deg, rng
    )
    qlon, qlat = uniform_points(args.batch_points, rng)
    sample = np.linspace(0, qlon.size - 1, min(args.brute_points, qlon.size)).astype(np.int64)
    brute, brute_run = timed(brute_force_nearest, qlon[sample], qlat[sample], ids, lon, lat, 1)
    brute_per_point = brute_run / sample.size

    ours_mismatch = int((np.array(ours["positions_sample"]) != brute[:, 0]).sum())
    sjoin_mismatch = int((np.array(sjoin["positions_sample"]) != brute[:, 0]).sum())
    rows = []
    for name, result, mismatch in (
        ("NearestIndex.nearest_distances (exact)", ours, ours_mismatch),
        ("sjoin_nearest UTM47N", sjoin, sjoin_mismatch),
    ):
        rows.append(
            (
                name,
                f"{result['build_s']:.3f}",
                f"{result['run_s']:.2f}",
                f"{result['run_s'] / args.batch_points * 1e6:.2f}",
                f"{result['traced_peak_mb']:,.0f}",
                f"{result['rss_growth_mb']:,.0f}",
                f"{mismatch}/{sample.size}",
            )
        )
    rows.append(
        (
            f"brute-force pyproj Geod ({sample.size} points)",
            "0",
            f"{brute_run:.2f}",
            f"{brute_per_point * 1e6:,.0f}",
            "",
            "",
            "reference",
        )
    )
    print_table(
        f"Batch nearest: {args.batch_points:,} points, {args.batch_facilities:,} facilities",
        (
            "method",
            "build s",
            "run s",
            "µs/point",
            "traced peak MB",
            "RSS growth MB",
            "mismatch vs brute",
        ),
        rows,
    )
    print(
        f"  brute force for all {args.batch_points:,} points would take about "
        f"{brute_per_point * args.batch_points:,.0f} s single-threaded."
    )
    print(
        f"  ratios: sjoin / ours run time = {ratio(sjoin['run_s'], ours['run_s'])}; "
        f"brute / ours per point = "
        f"{ratio(brute_per_point, ours['run_s'] / args.batch_points)}"
    )
    print(
        "  traced peak = tracemalloc (NumPy buffers, not GEOS or KD-tree internals); "
        "RSS growth = peak RSS during build + run minus RSS before."
    )


def main(argv=None) -> None:
    args = parse_args(argv)
    base_lon, base_lat = moph_locations(args.data_dir)
    print(
        f"{base_lon.size:,} real facility locations from {args.data_dir}, jittered by "
        f"{args.jitter_deg} degrees; {multiprocessing.cpu_count()} CPUs"
    )
    if args.facilities and args.queries:
        single_case(args, base_lon, base_lat)
    if args.batch_points and args.batch_facilities:
        batch_case(args)


if __name__ == "__main__":
    main()
