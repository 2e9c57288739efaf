"""Created blocks: a bulk write logs its creations a block at a time, and every reader of a
"created" entry (history, undo, origin) finds the same first values a single create logs."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from registry import audit
from registry.audit import CREATED
from registry.facilities.service import (
    Actor,
    create_facility,
    facility_history,
    history_page,
    update_facility,
)
from registry.imports.bulk import upsert_facilities
from registry.imports.service import commit_import, undo_import
from registry.models import CreatedBlock, Facility, FacilityChange, ImportBatch
from tests.importers.corpus import BASE, write_csv

ACTOR = Actor("bulk-test", "import", "test")


def _records() -> list[dict]:
    """Rows with every kind of value a first value can have, each from a numbered row."""
    return [
        {
            "row": 7,
            "type": "vaccination_site",
            "name_th": 'จุดฉีด "ทดสอบ"\tหนึ่ง',
            "lon": 98.9934,
            "lat": 18.7877,
            "source": "moph",
            "source_id": "V1",
            "walk_in": True,
            "daily_capacity": 300,
            "vaccine_brands": ["pfizer", "sinovac"],
            "status_confirmed_at": datetime(2021, 6, 9, 7, 30, tzinfo=ZoneInfo("Asia/Bangkok")),
            "province_code": "TH50",
        },
        {
            "row": 8,
            "type": "hospital",
            "name_th": "โรงพยาบาลทดสอบ",
            "lon": 100.5018,
            "lat": 13.7563,
            "source": "moph",
            "source_id": "H1",
            "phone": "02-123-4567",
            "beds_total": 120,
            "status": "full",
            "status_confirmed_at": datetime(2021, 6, 8, 17, 0, 0, 120000, tzinfo=UTC),
            "address": None,  # present but empty: not a first value
        },
        {
            "row": 12,
            "type": "covid_test_point",
            "name_th": "จุดตรวจ ๑๒",
            "lon": 98.98,
            "lat": 18.8,
            "source": "moph",
            "source_id": "T1",
            "province_code": "TH10",  # stated wrongly: kept, and noted
        },
    ]


def _single_logs(session, records: list[dict]) -> dict[str, dict]:
    """What a single create logs for each record (written, read, then rolled back)."""
    logged = {}
    with session.begin_nested() as nested:
        for record in records:
            values = {k: v for k, v in record.items() if k != "row"}
            (entry,) = create_facility(session, values, ACTOR, confirm_status=False).changes
            assert entry.field == CREATED
            logged[record["source_id"]] = json.loads(json.dumps(entry.new_value))
        nested.rollback()
    return logged


def _bulk(session, records: list[dict]) -> dict[str, int]:
    result = upsert_facilities(session, records, ACTOR, tolerance_m=5_000)
    assert result.counts["created"] == len(records)
    return {r["source_id"]: o.facility_id for r, o in zip(records, result.outcomes, strict=True)}


def test_first_values_and_source_rows_are_what_a_single_create_would_log(session):
    records = _records()
    single = _single_logs(session, records)
    ids = _bulk(session, records)
    assert session.scalar(select(func.count()).select_from(FacilityChange)) == 0
    assert session.scalar(select(func.count()).select_from(CreatedBlock)) == 1
    for record in records:
        facility_id = ids[record["source_id"]]
        assert audit.first_values(session, facility_id) == single[record["source_id"]]
        assert audit.source_row(session, facility_id) == record["row"]
    first = audit.first_values(session, ids["V1"])
    assert first["status_confirmed_at"] == "2021-06-09T07:30:00+07:00"  # as given, as before
    assert first["stated_province_code"] == "TH50"
    assert "address" not in audit.first_values(session, ids["H1"])


def test_a_single_create_keeps_its_change_row(session):
    values = {k: v for k, v in _records()[0].items() if k != "row"}
    facility = create_facility(session, values, ACTOR).facility
    found = audit.origin(session, facility.id)
    assert found.entry.id is not None and found.row is None and found.batch_id is None
    assert found.first_values["name_th"] == values["name_th"]
    assert session.scalar(select(func.count()).select_from(CreatedBlock)) == 0


def test_blocks_hold_consecutive_ids_at_most_block_size(session, monkeypatch):
    monkeypatch.setattr(audit, "BLOCK_SIZE", 2)
    records = [
        {"type": "hospital", "name_th": f"รพ.{i}", "lon": 98.98, "lat": 18.7 + i / 100}
        | {"source": "s", "source_id": f"B{i}", "row": 100 + i}
        for i in range(5)
    ]
    ids = _bulk(session, records)
    blocks = session.scalars(select(CreatedBlock).order_by(CreatedBlock.id)).all()
    assert [(b.last_facility_id - b.first_facility_id + 1) for b in blocks] == [2, 2, 1]
    assert blocks[0].fields[-1] == "location" and "name_th" in blocks[0].fields
    for i in range(5):
        assert audit.first_values(session, ids[f"B{i}"])["name_th"] == f"รพ.{i}"
        assert audit.source_row(session, ids[f"B{i}"]) == 100 + i


def test_ids_that_skip_never_fall_inside_a_block_that_lacks_them():
    now = datetime(2026, 12, 7, tzinfo=UTC)
    values = {"name_th": ["a", "b", "c", "d", "e"], "phone": [None, None, None, "1", None]}
    location = ([98.9] * 5, [18.7] * 5)
    blocks = audit.created_blocks(ACTOR, now, 3, [1, 2, 4, 5, 6], [1, 2, 3, 4, 5], location, values)
    assert [(b["first_facility_id"], b["last_facility_id"]) for b in blocks] == [(1, 2), (4, 6)]
    assert blocks[0]["fields"] == ["name_th", "location"]  # none of the block has a phone
    assert blocks[1]["fields"] == ["name_th", "phone", "location"]


def test_history_shows_the_creation_last_on_every_paging(session):
    ids = _bulk(session, _records())
    facility_id = ids["H1"]
    for beds in (130, 140):
        facility = session.get(Facility, facility_id)
        update_facility(
            session, facility_id, {"beds_total": beds}, ACTOR, expected_version=facility.version
        )
    history = facility_history(session, facility_id)
    assert [c.field for c in history] == ["beds_total", "beds_total", CREATED]
    assert history[-1].new_value == audit.first_values(session, facility_id)
    assert history[-1].new_value["beds_total"] == 120 and history[-1].id is None
    for limit in (1, 2, 3, 4):
        seen, before = [], None
        while True:
            page, older, total = history_page(session, facility_id, limit=limit, before=before)
            assert total == 3 and len(page) <= limit
            seen += [c.field for c in page]
            if older is None:
                break
            before = older
        assert seen == ["beds_total", "beds_total", CREATED], limit


def test_api_and_page_history_show_the_creation(client, session, accounts):
    from tests.registry.conftest import sign_in

    ids = _bulk(session, _records())
    session.commit()
    body = client.get(f"/api/v1/facilities/{ids['V1']}/history").get_json()
    assert body["numberMatched"] == 1
    (created,) = body["changes"]
    assert created["field"] == CREATED and created["id"] is None
    assert created["new_value"] == audit.first_values(session, ids["V1"])
    assert (created["changed_by"], created["source_ref"]) == (ACTOR.name, ACTOR.source_ref)
    resident = client.get(f"/facility/{ids['V1']}").get_data(as_text=True)
    assert 'data-field="created"' in resident
    sign_in(client, accounts["official"])
    page = client.get(f"/official/facility/{ids['V1']}/history").get_data(as_text=True)
    assert 'data-field="created"' in page and "data-change" not in page


def _imported(session, tmp_path):
    path = write_csv(tmp_path / "sites.csv", BASE)
    outcome = commit_import(session, path.read_bytes(), path.name, actor_name="importer")
    created = [r for r in outcome.rows if r["action"] == "created"]
    assert len(created) == 2
    return outcome, created


def test_an_import_records_file_and_row_and_its_undo_deactivates_what_it_created(session, tmp_path):
    outcome, created = _imported(session, tmp_path)
    for row in created:
        found = audit.origin(session, row["facility_id"])
        assert found.row == row["row"] and found.batch_id == outcome.batch_id
        assert found.entry.source_ref == f"batch:{outcome.batch_id}"
        assert found.first_values["name_th"] == session.get(Facility, row["facility_id"]).name_th
    assert audit.created_ids(session, f"batch:{outcome.batch_id}") == sorted(
        (r["facility_id"] for r in created), reverse=True
    )
    counts = undo_import(session, outcome.batch_id, actor_name="admin")
    assert counts == {"deactivated": 2, "reverted": 0}
    for row in created:
        assert session.get(Facility, row["facility_id"]).deleted_at is not None
        fields = [c.field for c in facility_history(session, row["facility_id"])]
        assert fields[-1] == CREATED and "deleted_at" in fields


def test_undo_of_an_import_logged_before_blocks_still_finds_its_creations(session, tmp_path):
    """Imports before created blocks logged one "created" change row per facility."""
    outcome, created = _imported(session, tmp_path)
    session.query(CreatedBlock).delete()
    for row in created:
        first = {"name_th": session.get(Facility, row["facility_id"]).name_th}
        entry = audit.entries(
            Actor("importer", "import", f"batch:{outcome.batch_id}"),
            datetime.now(UTC),
            audit.created(first),
            facility_id=row["facility_id"],
            change_set=1,
            facility_version=1,
        )
        audit.record(session, FacilityChange, entry)
    assert audit.first_values(session, created[0]["facility_id"])["name_th"]
    assert undo_import(session, outcome.batch_id, actor_name="admin")["deactivated"] == 2


def test_cli_prints_a_facilitys_origin(app, session, tmp_path):
    outcome, created = _imported(session, tmp_path)
    session.commit()
    facility_id = created[0]["facility_id"]
    result = app.test_cli_runner().invoke(args=["facility", "origin", str(facility_id)])
    assert result.exit_code == 0, result.output
    batch = session.get(ImportBatch, outcome.batch_id)
    assert f"by importer (import, batch:{batch.id})" in result.output
    assert (
        f"source: sites.csv (sha256 {batch.file_sha256}), row {created[0]['row']}" in result.output
    )
    name = session.get(Facility, facility_id).name_th
    assert re.search(rf'^  name_th: "{re.escape(name)}"$', result.output, re.M)
    assert re.search(r"^  location: \[[0-9.]+, [0-9.]+\]$", result.output, re.M)
    # Times as people here read them: Bangkok's, with the offset.
    assert re.search(r" created \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00 by ", result.output)
    history = app.test_cli_runner().invoke(args=["facility", "history", str(facility_id)])
    assert re.search(r"^#- v1 \S+\+07:00 .* \(import\): created None -> \{", history.output, re.M)
    missing = app.test_cli_runner().invoke(args=["facility", "origin", "999999"])
    assert missing.exit_code != 0


@pytest.mark.parametrize("version", [0, 1])
def test_a_stale_version_0_lists_the_creation_among_the_changes_since(session, version):
    from registry.facilities.service import changes_since

    ids = _bulk(session, _records())
    since = changes_since(session, ids["T1"], version)
    assert [c.field for c in since] == ([CREATED] if version == 0 else [])
