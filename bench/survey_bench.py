"""Survey writes with the population layer kept current, against rebuilding it on every write.

    .venv/bin/python bench/survey_bench.py [--villages 20000] [--writes 30]
        [--backends spatialite,postgis]
        [--postgis-server postgresql+psycopg://postgres@127.0.0.1]

On a fresh database with the real boundaries: uploads one sheet of ``--villages`` village rows
spread over every subdistrict of the country (all or nothing, fully audited, the layer brought
up to date once at the end); rebuilds the whole survey layer; then times ``--writes`` single
corrections through the service, each keeping the layer current for its own subdistrict
(what a volunteer's save costs), and the same corrections followed by a full rebuild (what it
would cost to rebuild the layer on every write). Prints one row per backend.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support.databases import scratch_url, with_areas
from bench.support.timing import timed
from registry.models import Area, SurveyRecord
from registry.survey import service as survey
from registry.survey.sheets import commit_survey_upload

HEADER = "รหัสตำบล,หมู่ที่,วันที่สำรวจ," + ",".join(
    f"{kind}_{group}"
    for kind in ("residents", "unvaccinated")
    for group in ("general", "elderly", "bedridden", "children_5_11")
)


def _sheet(codes: list[str], villages: int, rng: random.Random) -> bytes:
    lines = [HEADER]
    for number in range(villages):
        code = codes[number % len(codes)]
        village = number // len(codes) + 1
        residents = [
            rng.randint(50, 900),
            rng.randint(5, 200),
            rng.randint(0, 6),
            rng.randint(5, 90),
        ]
        unvaccinated = [rng.randint(0, r) for r in residents]
        counts = ",".join(map(str, residents + unvaccinated))
        lines.append(f"{code},{village},15/11/2564,{counts}")
    return ("\n".join(lines) + "\n").encode()


def run(url: str, villages: int, writes: int) -> dict[str, float]:
    engine = with_areas(url)
    rng = random.Random(7)
    result: dict[str, float] = {}
    loader = survey.Surveyor("bench", "cli")
    with Session(engine) as session:
        codes = list(session.scalars(select(Area.code).where(Area.level == 3).order_by(Area.code)))
        data = _sheet(codes, villages, rng)
        started = time.perf_counter()
        outcome = commit_survey_upload(session, data, "bench.csv", loader)
        session.commit()
        result["upload_s"] = time.perf_counter() - started
        result["rows"] = outcome.counts["created"]
        result["rebuild_s"] = timed(
            lambda: (survey.rebuild_survey_layer(session, created_by="bench"), session.commit())
        )[1]
        ids = list(session.scalars(select(SurveyRecord.id).order_by(SurveyRecord.id)))
        picks = rng.sample(ids, writes)
        kept, rebuilt = [], []
        for number, record_id in enumerate(picks):
            record = session.get(SurveyRecord, record_id)
            value = max(0, record.unvaccinated_general - 1)

            def correct(record=record, value=value, refresh=True):
                survey.correct_record(
                    session,
                    record.id,
                    {"unvaccinated_general": value},
                    loader,
                    expected_version=record.version,
                    refresh_layer=refresh,
                )

            if number % 2 == 0:
                kept.append(timed(lambda: (correct(), session.commit()))[1])
            else:
                rebuilt.append(
                    timed(
                        lambda: (
                            correct(refresh=False),
                            survey.rebuild_survey_layer(session, created_by="bench"),
                            session.commit(),
                        )
                    )[1]
                )
        result["write_kept_ms"] = statistics.median(kept) * 1000
        result["write_rebuilt_ms"] = statistics.median(rebuilt) * 1000
        layer = survey.survey_layer.find(session)
        result["units"] = layer.unit_count
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--villages", type=int, default=20_000)
    parser.add_argument("--writes", type=int, default=30)
    parser.add_argument("--backends", default="spatialite,postgis")
    parser.add_argument("--postgis-server", default="postgresql+psycopg://postgres@127.0.0.1")
    args = parser.parse_args()
    print(
        f"{'backend':<11} {'rows':>7} {'upload s':>9} {'rows/s':>7} {'rebuild s':>10} "
        f"{'units':>7} {'write, kept ms':>15} {'write+rebuild ms':>17}"
    )
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as folder:
            url = scratch_url(backend, args.postgis_server, "registry_bench_survey", Path(folder))
            r = run(url, args.villages, args.writes)
        print(
            f"{backend:<11} {r['rows']:>7,.0f} {r['upload_s']:>9.1f} "
            f"{r['rows'] / r['upload_s']:>7,.0f} {r['rebuild_s']:>10.2f} {r['units']:>7,.0f} "
            f"{r['write_kept_ms']:>15.1f} {r['write_rebuilt_ms']:>17.1f}"
        )


if __name__ == "__main__":
    main()
