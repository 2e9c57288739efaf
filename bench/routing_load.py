"""Nearest by travel time under HTTP load, against the straight-line endpoint.

    PYTHONPATH=. .venv/bin/python bench/routing_load.py [--seconds 20] [--clients 8]
        [--workers 2] [--worker-threads 4] [--database PATH]

A SpatiaLite database with `registry demo` (1,900+ sites, Chiang Mai's roads: 34,032 nodes)
is served by gunicorn (``bench.nearest_wsgi:app``, ``registry/operations/gunicorn_conf.py``)
on a free port of 127.0.0.1. Keep-alive clients ask ``/api/v1/nearest?lat=&lon=&k=5&open_now=false``
at random points in Chiang Mai, by straight line and with ``by=travel_time&profile=
motorcycle``, in alternating rounds of the same length; every answer must be 200 and, by
travel time, ranked by road. Prints requests/s and latency percentiles per kind and their
ratio. The machine is shared and busy: read the ratio of one run, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from pathlib import Path

import numpy as np

from bench.support.server import BenchServer, add_server_arguments, get, keep_asking

CHIANG_MAI = (98.95, 18.75, 99.03, 18.83)


def demo_database(path: Path) -> str:
    url = f"sqlite:///{path}"
    if not path.exists():
        from registry.app import create_app

        app = create_app({"DATABASE_URL": url})
        result = app.test_cli_runner().invoke(args=["demo"])
        if result.exit_code != 0:
            raise SystemExit(result.output)
    return url


def paths(kind: str, count: int, rng) -> list[str]:
    west, south, east, north = CHIANG_MAI
    lon = rng.uniform(west, east, count)
    lat = rng.uniform(south, north, count)
    extra = "&by=travel_time&profile=motorcycle" if kind == "travel_time" else ""
    return [
        f"/api/v1/nearest?lat={y:.5f}&lon={x:.5f}&k=5&open_now=false{extra}"
        for x, y in zip(lon, lat, strict=True)
    ]


def load(port: int, kind: str, seconds: float, clients: int, rng) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    by_road: list[str] = []
    queries = paths(kind, 20_000, rng)

    def rotation(offset: int):
        # Client n asks for queries n, n + clients, n + 2 * clients, ...
        steps = itertools.count(offset, clients)
        return lambda: queries[next(steps) % len(queries)]

    def answered(path: str, status: int, seconds: float, body: bytes) -> None:
        latencies.append(seconds)
        if status != 200:
            errors.append(f"{status} {path}")
        elif kind == "travel_time" and json.loads(body)["search"]["by"] == "travel_time":
            by_road.append(path)

    elapsed = keep_asking(port, clients, seconds, rotation, answered)
    values = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "per_s": len(latencies) / elapsed,
        "p50_ms": float(np.percentile(values, 50)) if values.size else float("nan"),
        "p95_ms": float(np.percentile(values, 95)) if values.size else float("nan"),
        "errors": errors[:5],
        "ranked_by_road": len(by_road),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per kind, in two rounds")
    parser.add_argument("--clients", type=int, default=8)
    add_server_arguments(parser)
    parser.add_argument("--database", type=Path, default=None)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="routing-load-"))
    url = demo_database(args.database or folder / "registry.sqlite")
    server = BenchServer(
        url, folder, workers=args.workers, threads=args.worker_threads, port=args.port
    )
    print(f"gunicorn up in {server.start():.1f} s on port {server.port}")
    rng = np.random.default_rng(17)
    try:
        # Every worker builds its travel graph on its first travel-time question.
        for path in paths("travel_time", 4 * args.workers, rng) + paths("distance", 8, rng):
            get(server.port, path)
        results: dict[str, list[dict]] = {"distance": [], "travel_time": []}
        for _ in range(2):
            for kind in results:
                results[kind].append(load(server.port, kind, args.seconds / 2, args.clients, rng))
    finally:
        server.stop()
    summary = {}
    for kind, rounds in results.items():
        requests = sum(r["requests"] for r in rounds)
        per_s = sum(r["per_s"] for r in rounds) / len(rounds)
        p50 = float(np.mean([r["p50_ms"] for r in rounds]))
        p95 = float(np.mean([r["p95_ms"] for r in rounds]))
        errors = [e for r in rounds for e in r["errors"]]
        summary[kind] = per_s
        by_road = sum(r["ranked_by_road"] for r in rounds)
        extra = f", {by_road:,} ranked by road" if kind == "travel_time" else ""
        print(
            f"{kind:>12}: {requests:,} requests, {per_s:.0f}/s, p50 {p50:.1f} ms, "
            f"p95 {p95:.1f} ms, errors {errors or 0}{extra}"
        )
    ratio = summary["travel_time"] / summary["distance"]
    print(
        f"travel time / straight line throughput: {ratio:.2f} (same run, {args.clients} "
        f"clients, {args.workers} workers x {args.worker_threads} threads)"
    )


if __name__ == "__main__":
    main()
