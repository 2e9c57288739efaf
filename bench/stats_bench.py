"""How long the statistics pages take with a country's worth of survey records.

Runs against a database that `registry demo` has filled. Adds ``--records`` synthetic survey
records (seeded, spread over every subdistrict and ``--weeks`` weeks; a fifth of the villages
surveyed twice), then asks, through Flask's test client, for /stats, /stats/TH50 and
/stats/TH5001 and the country's all-tables XLSX: the first request of the process ("cold":
it also computes the country's coverage) and the median of the next ``--repeat``. The
records are removed at the end (``--keep`` leaves them).

Run, e.g.::

    .venv/bin/python bench/stats_bench.py --database-url sqlite:////tmp/demo.sqlite
    .venv/bin/python bench/stats_bench.py --database-url postgresql://user@host/db
"""

from __future__ import annotations

import argparse
import statistics
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, insert, select  # noqa: E402
from tqdm import tqdm  # noqa: E402

from bench.support.databases import database_label  # noqa: E402
from bench.support.timing import timed_get  # noqa: E402
from importers.vocabulary import SURVEY_GROUPS  # noqa: E402
from registry.app import create_app  # noqa: E402
from registry.db import db  # noqa: E402
from registry.models import Area, SurveyRecord, utcnow  # noqa: E402

MARK = "bench:stats"
PATHS = ("/stats", "/stats/TH50", "/stats/TH5001", "/stats/TH/all.xlsx")


def add_records(count: int, weeks: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    codes = db.session.scalars(select(Area.code).where(Area.level == 3)).all()
    start = date(2021, 11, 1)
    now = utcnow()
    rows = []
    for number in range(count):
        villages = max(1, count // (len(codes) * 2))
        values = {
            "area_code": codes[number % len(codes)],
            "village_no": int(number // len(codes) % villages) + 1,
            "survey_date": start + timedelta(days=int(rng.integers(0, weeks * 7))),
            "entered_by": "bench",
            "entered_at": now,
            "source": "cli",
            "source_ref": MARK,
            "version": 1,
        }
        for group in SURVEY_GROUPS:
            residents = int(rng.integers(0, 80))
            values[f"residents_{group}"] = residents
            values[f"unvaccinated_{group}"] = int(rng.integers(0, residents + 1))
        rows.append(values)
    for begin in tqdm(range(0, len(rows), 5_000), desc="survey records", unit="batch"):
        db.session.execute(insert(SurveyRecord), rows[begin : begin + 5_000])
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    app = create_app({"DATABASE_URL": options.database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.session.execute(delete(SurveyRecord).where(SurveyRecord.source_ref == MARK))
        db.session.commit()
        add_records(options.records, options.weeks)
    client = app.test_client()
    print(f"{options.records:,} survey records over {options.weeks} weeks; {database_label(app)}")
    print(f"{'page':<24}{'cold s':>10}{'warm median s':>16}{'bytes':>10}")
    try:
        for path in PATHS:
            cold, body = timed_get(client, path)
            warm = statistics.median(timed_get(client, path)[0] for _ in range(options.repeat))
            print(f"{path:<24}{cold:>10.2f}{warm:>16.2f}{len(body):>10,}")
    finally:
        if not options.keep:
            with app.app_context():
                db.session.execute(delete(SurveyRecord).where(SurveyRecord.source_ref == MARK))
                db.session.commit()


if __name__ == "__main__":
    main()
