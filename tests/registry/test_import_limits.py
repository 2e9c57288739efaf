"""Import limits and previews through the registry.

A preview writes nothing (no facility, no duplicate pair, no data version): it takes no
write lock. Many identical rows are previewed in seconds with their likely-duplicate pairs
capped and the cap said. A refused upload is answered on the page in its language, naming
the limit; the command line has larger limits of its own.
"""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from importers.limits import ImportLimits
from registry.facilities.service import Actor, create_facility
from registry.imports import bulk
from registry.imports import service as imports
from registry.imports.service import commit_import, preview_import
from registry.models import (
    CreatedBlock,
    DuplicateCandidate,
    Facility,
    FacilityChange,
    ImportBatch,
)
from registry.version_watch import current_data_version
from tests import hostile_files as hostile
from tests.registry.conftest import bearer, sign_in

OPTIONS = {"actor_name": "importer@moph", "source": "moph"}
FIVE_ROWS = "type,name_th,lat,lon\n" + "".join(
    f"hospital,รพ.ห้า {i},18.7{i},98.98\n" for i in range(5)
)


def _state(session) -> tuple[int, ...]:
    counts = [
        session.scalar(select(func.count()).select_from(model))
        for model in (Facility, FacilityChange, CreatedBlock, ImportBatch, DuplicateCandidate)
    ]
    return (*counts, current_data_version(session))


def test_a_preview_of_4000_identical_rows_is_quick_writes_nothing_and_caps_the_pairs(session):
    name, data = hostile.identical_rows_csv(4_000)
    before = _state(session)
    measured = hostile.measure(lambda: preview_import(session, data, name, **OPTIONS))
    outcome = measured.result
    assert measured.error is None, measured.error
    assert measured.seconds < 30, measured.seconds
    assert measured.peak_mb < 300, measured.peak_mb
    assert outcome.counts["created"] == 4_000
    assert _state(session) == before  # not a facility, a pair, a batch or a version
    assert len(outcome.duplicates) == 2_000
    # New sites have no id in a preview: the pairs name their rows (the first, row 2).
    assert outcome.duplicates[0]["facility_id"] is None and outcome.duplicates[0]["row"] == 2
    notes = [p["message"] for p in outcome.problems if p["row"] is None]
    assert (
        "file 3,999 likely duplicate pairs were found; only the first 2,000 are flagged, the "
        "limit per import" in notes
    )


def test_a_commit_flags_at_most_the_limit_and_says_so(session):
    name, data = hostile.identical_rows_csv(300)
    outcome = commit_import(session, data, name, limits=ImportLimits(duplicate_pairs=50), **OPTIONS)
    assert outcome.counts["created"] == 300
    assert session.scalar(select(func.count()).select_from(DuplicateCandidate)) == 50
    assert any("299 likely duplicate pairs were found" in p["message"] for p in outcome.problems)


def test_a_refused_upload_names_the_limit_on_the_page_in_thai(app, client, session, accounts):
    app.config["IMPORT_LIMITS"] = {**app.config["IMPORT_LIMITS"], "rows": 3}
    csrf = sign_in(client, accounts["official"])
    page = client.post(
        "/official/import/preview",
        data={"csrf_token": csrf, "file": (io.BytesIO(FIVE_ROWS.encode()), "five.csv")},
        content_type="multipart/form-data",
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 413
    assert "มีเกิน 3 แถว ซึ่งเป็นขีดจำกัดต่อการนำเข้าหนึ่งครั้ง" in html
    assert "registry import" in html
    assert session.scalar(select(func.count()).select_from(Facility)) == 0


def test_a_hostile_zip_is_refused_on_the_page_in_seconds(app, client, accounts):
    csrf = sign_in(client, accounts["official"])
    name, data = hostile.blank_lines_zip()
    measured = hostile.measure(
        lambda: client.post(
            "/official/import/preview",
            data={"csrf_token": csrf, "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
    )
    page = measured.result
    assert page.status_code == 413
    assert re.search(r"256 MB.*64 MB", page.get_data(as_text=True))
    assert measured.seconds < 10 and measured.peak_mb < 100, (measured.seconds, measured.peak_mb)


def test_the_command_line_has_its_own_larger_limits(app, session, tmp_path):
    path = tmp_path / "five.csv"
    path.write_text(FIVE_ROWS)
    app.config["IMPORT_LIMITS"] = {**app.config["IMPORT_LIMITS"], "rows": 3}
    runner = app.test_cli_runner()
    done = runner.invoke(args=["import", str(path), "--dry-run", "--by", "cli-test"])
    assert done.exit_code == 0, done.output
    assert "5 created" in done.output
    app.config["CLI_IMPORT_LIMITS"] = {**app.config["CLI_IMPORT_LIMITS"], "rows": 4}
    refused = runner.invoke(args=["import", str(path), "--dry-run", "--by", "cli-test"])
    assert refused.exit_code != 0
    assert "has more than 4 rows, the limit per import" in refused.output


SITE = {"type": "hospital", "lon": 98.9853, "lat": 18.7883}
LIST = "id,type,name_th,lat,lon\nK1,hospital,รพ.สต.รายการ,18.7883,98.9853\n"


def _count_replans(monkeypatch) -> list[int]:
    """Plans made again under the lock (the first is made by the import itself)."""
    plans = []
    original = bulk.plan_upsert

    def counted(*args, **kwargs):
        plans.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(bulk, "plan_upsert", counted)
    return plans


def _meanwhile(monkeypatch, values: dict) -> None:
    """Another writer's facility, written after the import planned and before it writes."""
    original = imports.preview_upsert

    def then_someone_writes(session, plan):
        create_facility(session, values, Actor("someone", "web"))
        return original(session, plan)

    monkeypatch.setattr(imports, "preview_upsert", then_someone_writes)


def test_a_commit_keeps_its_plan_when_others_wrote_other_sites(session, monkeypatch):
    _meanwhile(monkeypatch, {**SITE, "name_th": "รพ.อื่น", "lon": 99.0, "lat": 18.8})
    replans = _count_replans(monkeypatch)
    outcome = commit_import(session, LIST.encode(), "list.csv", **OPTIONS)
    assert outcome.counts["created"] == 1
    assert replans == []  # planned once, before the lock


def test_a_commit_plans_again_under_the_lock_when_its_site_was_written_meanwhile(
    session, monkeypatch
):
    _meanwhile(
        monkeypatch, {**SITE, "name_th": "รพ.สต.รายการ", "source": "moph", "source_id": "K1"}
    )
    replans = _count_replans(monkeypatch)
    outcome = commit_import(session, LIST.encode(), "list.csv", **OPTIONS)
    assert len(replans) == 1
    assert outcome.counts["created"] == 0  # matched to the site written meanwhile
    sites = session.scalars(select(Facility).where(Facility.source_id == "K1")).all()
    assert len(sites) == 1


def test_the_status_feed_drops_blank_rows_and_refuses_past_its_limit_in_json(
    client, session, accounts
):
    headers = bearer(session, accounts["official"])
    blank = b"id,status\n" + b",\n" * 4_000_000  # 8 MB of blank rows
    measured = hostile.measure(
        lambda: client.post(
            "/api/v1/status", data=blank, headers={**headers, "Content-Type": "text/csv"}
        )
    )
    assert measured.result.status_code == 400
    assert measured.result.get_json()["message"] == (
        "the feed has more than 20000 lines (blank ones included), the limit; split it"
    )
    assert measured.seconds < 5 and measured.peak_mb < 150, (measured.seconds, measured.peak_mb)

    gaps = b"id,status\n" + b",\n" * 100 + b"1,open\n"
    answer = client.post(
        "/api/v1/status", data=gaps, headers={**headers, "Content-Type": "text/csv"}
    )
    assert answer.get_json()["counts"]["rejected"] == 1  # one item (not a 101-row feed)
    many = b"[" + b",".join([b'{"id": 1, "status": "open"}'] * 5_001) + b"]"
    refused = client.post(
        "/api/v1/status", data=many, headers={**headers, "Content-Type": "application/json"}
    )
    assert refused.status_code == 400
    assert refused.get_json()["message"] == (
        "the feed has more than 5000 items, the limit; split it"
    )
    objects = b"[" + b",".join([b"{}"] * 2_000_000) + b"]"  # 6 MB, two million objects
    measured = hostile.measure(
        lambda: client.post(
            "/api/v1/status", data=objects, headers={**headers, "Content-Type": "application/json"}
        )
    )
    assert measured.result.status_code == 400
    assert "more than 100,000 objects and lists" in measured.result.get_json()["message"]
    assert measured.seconds < 5 and measured.peak_mb < 100, (measured.seconds, measured.peak_mb)
