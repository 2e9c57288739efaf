"""Not a benchmark: the PostGIS method of coverage_bench.py, run in its child process.

``--postgis-sample`` points and the facilities are copied into a scratch database; a LATERAL
KNN query (``ORDER BY geom <-> p.geom LIMIT k``) re-ranked by ``geography`` distance gives
each point's nearest facility, then SQL sums people and takes the population-weighted
quantiles per subdistrict, with the same tie rule as ``coverage_bench.pandas_area_table``.
Its memory is measured on the server backend that ran the query.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

from bench.support.machine import machine_cpu_seconds, process_cpu_seconds, reset_peak, status_mb

POSTGIS_NEAREST = """
CREATE TEMP TABLE nearest AS
SELECT p.id, p.code, p.population, n.distance_m
FROM bench_point p
CROSS JOIN LATERAL (
    SELECT ST_Distance(p.geom::geography, c.geom::geography) AS distance_m
    FROM (SELECT f.geom FROM bench_facility f ORDER BY f.geom <-> p.geom LIMIT {k}) c
    ORDER BY distance_m
    LIMIT 1
) n
"""

POSTGIS_AREAS = """
WITH ranked AS (
    SELECT code, population, distance_m,
           sum(population) OVER (
               PARTITION BY code ORDER BY distance_m ROWS UNBOUNDED PRECEDING
           ) AS running,
           sum(population) OVER (PARTITION BY code) AS total
    FROM nearest
)
SELECT code,
       sum(population)::bigint AS population,
       coalesce(sum(population) FILTER (WHERE distance_m <= %(threshold)s), 0)::bigint
           AS covered,
       min(distance_m) FILTER (WHERE running >= 1 AND 2 * running >= total) AS median_m,
       min(distance_m) FILTER (WHERE running >= 1 AND 10 * running >= 9 * total) AS p90_m
FROM ranked
GROUP BY code
ORDER BY code
"""


def run_postgis(units, flon, flat, threshold: float, args) -> dict:
    import psycopg  # only this method needs a database driver

    database = args.postgis_database or (
        f"registry_bench_coverage_{os.environ.get('REGISTRY_TEST_TAG', 'main')}"
    )
    with psycopg.connect(f"{args.postgis_server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{database}"')
    steps = {}
    try:
        with psycopg.connect(f"{args.postgis_server}/{database}", autocommit=True) as conn:
            clock = time.perf_counter()
            load_postgis(conn, units, flon, flat)
            steps["load + index"] = time.perf_counter() - clock
            backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
            plan = "\n".join(
                row[0]
                for row in conn.execute(
                    "EXPLAIN " + POSTGIS_NEAREST.format(k=args.postgis_k)
                ).fetchall()
            )
            before = reset_peak(backend)
            machine = machine_cpu_seconds()[0]
            server, client = process_cpu_seconds(backend), time.process_time()
            clock = start = time.perf_counter()
            conn.execute(POSTGIS_NEAREST.format(k=args.postgis_k))
            steps["nearest"], clock = time.perf_counter() - clock, time.perf_counter()
            rows = conn.execute(POSTGIS_AREAS, {"threshold": threshold}).fetchall()
            steps["aggregate"] = time.perf_counter() - clock
            wall = time.perf_counter() - start
            # The work is the server backend's (the plan has no parallel workers).
            used = process_cpu_seconds(backend) - server + time.process_time() - client
            machine = machine_cpu_seconds()[0] - machine
            peak = status_mb("VmHWM", backend) - before
            distance = np.array(
                conn.execute("SELECT distance_m FROM nearest ORDER BY id").fetchall(),
                dtype=np.float64,
            ).ravel()
            version = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
    finally:
        with psycopg.connect(f"{args.postgis_server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    table = pd.DataFrame(
        rows, columns=["code", "population", "covered", "median_m", "p90_m"]
    ).astype({"median_m": float, "p90_m": float})
    table["uncovered"] = table["population"] - table["covered"]
    return {
        "table": table,
        "distance": distance,
        "steps": steps,
        "seconds": wall,
        "cpu_seconds": used,
        "others_cores": max(machine - used, 0.0) / wall,
        "peak_mb": peak,
        "plan": plan,
        "version": version,
    }


def load_postgis(conn, units, flon, flat) -> None:
    conn.execute("CREATE EXTENSION postgis")
    conn.execute(
        "CREATE TABLE bench_point (id integer PRIMARY KEY, code text NOT NULL, "
        "population bigint NOT NULL, geom geometry(Point, 4326) NOT NULL)"
    )
    conn.execute(
        "CREATE TABLE bench_facility (id integer PRIMARY KEY, geom geometry(Point, 4326) NOT NULL)"
    )
    codes = units["area_code"].astype(str).tolist()
    people = units["population"].tolist()
    lon, lat = units["lon"].tolist(), units["lat"].tolist()
    flon, flat = np.asarray(flon).tolist(), np.asarray(flat).tolist()
    with conn.cursor() as cursor:
        # repr() of a float is the shortest text that reads back as the same double.
        with cursor.copy("COPY bench_point (id, code, population, geom) FROM STDIN") as copy:
            for i in range(len(lon)):
                copy.write_row(
                    (i, codes[i], int(people[i]), f"SRID=4326;POINT({lon[i]!r} {lat[i]!r})")
                )
        with cursor.copy("COPY bench_facility (id, geom) FROM STDIN") as copy:
            for i in range(len(flon)):
                copy.write_row((i, f"SRID=4326;POINT({flon[i]!r} {flat[i]!r})"))
    conn.execute("CREATE INDEX ON bench_facility USING gist (geom)")
    conn.execute("ANALYZE bench_point")
    conn.execute("ANALYZE bench_facility")
