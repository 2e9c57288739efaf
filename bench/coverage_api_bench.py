"""How long GET /api/v1/coverage takes for the whole country, cold and cached.

Runs against a database that `registry demo` has filled (the demo facilities and the modelled
population layer, 59,400 units), through Flask's test client, so the numbers are the app's
own work (no network, no WSGI server). "Cold" is the first request of a fresh app in a fresh
process: it reads the layer's units, the area table and the facility catalog from the
database. "Warm, new question" asks something not yet asked (another threshold) once those
are in memory. "Cached" repeats a question: the answer comes from the LRU, and the time is
mostly turning 7,425 areas into JSON.

Run, e.g.::

    .venv/bin/python bench/coverage_api_bench.py                       # instance SpatiaLite
    .venv/bin/python bench/coverage_api_bench.py --database-url postgresql://user@host/db
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.support.databases import database_label  # noqa: E402
from bench.support.timing import timed_get  # noqa: E402
from registry.app import create_app  # noqa: E402

URL = "/api/v1/coverage?type=vaccination_site&threshold_km={km}&level=subdistrict{extra}"


def timed(client, url: str) -> tuple[float, int]:
    seconds, body = timed_get(client, url)
    return seconds, len(body)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="default: the instance SpatiaLite")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    config = {"SECRET_KEY": "bench", "TESTING": True}
    if args.database_url:
        config["DATABASE_URL"] = args.database_url
    app = create_app(config)
    client = app.test_client()
    print(f"database: {database_label(app)}")

    rows = []
    for fmt, extra in (("json", ""), ("csv", "&format=csv"), ("geojson", "&format=geojson")):
        first = timed(client, URL.format(km=10, extra=extra))
        rows.append((f"{fmt}: first request (cold)" if fmt == "json" else f"{fmt}: first", *first))
        cached = [timed(client, URL.format(km=10, extra=extra)) for _ in range(args.repeat)]
        rows.append(
            (
                f"{fmt}: cached, median of {args.repeat}",
                statistics.median(c[0] for c in cached),
                cached[0][1],
            )
        )
    new = [timed(client, URL.format(km=km, extra="")) for km in (5, 7.5, 12.5, 15, 20)]
    rows.append(
        (
            "json: warm, new threshold, median of 5",
            statistics.median(n[0] for n in new),
            new[0][1],
        )
    )
    province = timed(client, URL.format(km=10, extra="&province=TH50"))
    rows.append(("json: Chiang Mai subdistricts (cold question)", *province))
    print(f"{'request':<48}{'ms':>10}{'bytes':>12}")
    for name, seconds, size in rows:
        print(f"{name:<48}{seconds * 1000:>10.1f}{size:>12,}")


if __name__ == "__main__":
    main()
