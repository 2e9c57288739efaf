"""Status updates per second through POST /api/v1/status, fully audited, on a fresh database.

    .venv/bin/python bench/status_feed.py [--facilities 3000] [--batches 100,1000]
        [--rounds 3] [--backends postgis,spatialite]
        [--postgis-server postgresql+psycopg://postgres@127.0.0.1]

Builds an empty database (migrations and the 8,430 areas), adds the facilities through the
facility service in Chiang Mai province, makes a provincial administrator with an API token,
then posts batches of status updates (status, COVID beds occupied) to the feed through the
app's WSGI interface, all or nothing, with the full audit (a change-log row per changed field,
confirmation times, scope checks). Prints one row per backend and batch size.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support.databases import scratch_url, with_areas
from registry.accounts.service import create_token, create_user
from registry.app import create_app
from registry.facilities.service import Actor, create_facility
from registry.models import FacilityChange

STATUSES = ("open", "full", "temporarily_closed", "open")
# A box inside Chiang Mai province (TH50), so every site is in the administrator's area.
WEST, SOUTH, EAST, NORTH = 98.90, 18.76, 99.03, 18.95


def _prepare(url: str, facilities: int) -> tuple[list[int], str, float]:
    engine = with_areas(url)
    rng = random.Random(5)
    with Session(engine) as session:
        started = time.perf_counter()
        actor = Actor("bench", "cli")
        ids = []
        for number in range(facilities):
            values = {
                "type": "hospital",
                "name_th": f"รพ.ทดสอบ {number}",
                "beds_total": 100,
                "lon": rng.uniform(WEST, EAST),
                "lat": rng.uniform(SOUTH, NORTH),
            }
            ids.append(create_facility(session, values, actor).facility.id)
        user = create_user(
            session,
            username="feed-admin",
            password="bench password",
            role="provincial_admin",
            area_code="TH50",
        )
        _token, secret = create_token(session, user, "bench")
        session.commit()
        seconds = time.perf_counter() - started
    engine.dispose()
    return ids, secret, seconds


def _changes(app) -> int:
    from registry.db import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(FacilityChange))


def run(url: str, facilities: int, batches: list[int], rounds: int) -> list[dict]:
    ids, secret, setup_s = _prepare(url, facilities)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    rng = random.Random(7)
    rows = []
    for size in batches:
        size = min(size, len(ids))
        timings, audited = [], 0
        for round_number in range(rounds):
            chosen = rng.sample(ids, size)
            status = STATUSES[round_number % len(STATUSES)]
            items = [
                {"id": i, "status": status, "covid_beds_occupied": rng.randint(0, 99)}
                for i in chosen
            ]
            before = _changes(app)
            started = time.perf_counter()
            response = client.post("/api/v1/status", headers=headers, json=items)
            timings.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"feed refused: {response.get_json()['message']}")
            audited += _changes(app) - before
        seconds = sorted(timings)[len(timings) // 2]
        rows.append(
            {
                "batch": size,
                "rounds": rounds,
                "median_s": seconds,
                "updates_per_s": size / seconds,
                "audit_rows": audited // rounds,
                "setup_s": setup_s,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=3000)
    parser.add_argument("--batches", default="100,1000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="postgis")
    parser.add_argument("--postgis-server", default="postgresql+psycopg://postgres@127.0.0.1")
    args = parser.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    print(
        f"{'backend':<11}{'batch':>7}{'median s':>10}{'updates/s':>11}{'audit rows':>12}"
        f"{'setup s':>9}"
    )
    for backend in args.backends.split(","):
        url = scratch_url(
            backend, args.postgis_server, "registry_bench_feed", Path(tempfile.mkdtemp())
        )
        for row in run(url, args.facilities, batches, args.rounds):
            print(
                f"{backend:<11}{row['batch']:>7}{row['median_s']:>10.3f}"
                f"{row['updates_per_s']:>11.0f}{row['audit_rows']:>12}{row['setup_s']:>9.1f}"
            )


if __name__ == "__main__":
    main()
