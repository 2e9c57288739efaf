"""Importing into the registry: real lists, the bad-file corpus, atomicity, undo, scope."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyproj import Geod
from sqlalchemy import func, select

from importers import ImportFormatError, read_facilities
from registry.errors import ConflictError, ValidationError
from registry.imports import bulk
from registry.imports import service as imports
from registry.imports.service import ImportRejectedError, commit_import, preview_import, undo_import
from registry.models import (
    CreatedBlock,
    DuplicateCandidate,
    Facility,
    FacilityChange,
    ImportBatch,
)
from tests.importers.corpus import BAD_CASES, BASE, Case, write_csv

GEOD = Geod(ellps="WGS84")
WEEK_1 = "vaccination_sites_2021-06-13.geojson"
WEEK_2 = "vaccination_sites_2021-06-20.geojson"
OPTIONS = {"actor_name": "importer@moph", "facility_type": "vaccination_site", "source": "moph"}


def _read(shared_data: Path, name: str) -> bytes:
    return (shared_data / "facilities" / name).read_bytes()


def _features(shared_data: Path, name: str) -> dict[str, dict]:
    features = json.loads(_read(shared_data, name))["features"]
    return {f["properties"]["h_code"]: f for f in features}


def _state(session) -> tuple[int, ...]:
    count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return (
        count(Facility),
        count(FacilityChange),
        count(CreatedBlock),
        count(ImportBatch),
        count(DuplicateCandidate),
    )


def test_two_weeks_of_real_vaccination_sites(session, shared_data):
    first = commit_import(session, _read(shared_data, WEEK_1), WEEK_1, **OPTIONS)
    assert first.counts["created"] == 1353
    assert first.counts["rejected"] == 0

    second = commit_import(session, _read(shared_data, WEEK_2), WEEK_2, **OPTIONS)
    old, new = _features(shared_data, WEEK_1), _features(shared_data, WEEK_2)
    added = set(new) - set(old)
    moved = {
        code: GEOD.inv(
            *old[code]["geometry"]["coordinates"], *new[code]["geometry"]["coordinates"]
        )[2]
        for code in set(old) & set(new)
        if old[code]["geometry"]["coordinates"] != new[code]["geometry"]["coordinates"]
    }
    readdressed = {
        code
        for code in set(old) & set(new)
        if old[code]["properties"]["address_th"] != new[code]["properties"]["address_th"]
    }
    assert len(added) == 10
    assert sum(1 for metres in moved.values() if metres > 100) == 5  # SOURCES.md's "5 moved"
    created = {
        session.get(Facility, r["facility_id"]).hcode
        for r in second.rows
        if r["action"] == "created"
    }
    assert created == added
    relocated = {
        session.get(Facility, c.facility_id).hcode
        for c in session.scalars(
            select(FacilityChange).where(
                FacilityChange.source_ref == f"batch:{second.batch_id}",
                FacilityChange.field == "location",
            )
        )
    }
    # Every coordinate change is audited, including the five refinements under 100 m.
    assert relocated == set(moved)
    assert second.counts["updated"] == len(set(moved) | readdressed)

    again = commit_import(session, _read(shared_data, WEEK_2), WEEK_2, **OPTIONS)
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 1363, "rejected": 0}
    assert not session.scalars(
        select(FacilityChange).where(FacilityChange.source_ref == f"batch:{again.batch_id}")
    ).all()


def test_messy_clinic_list_report_catches_repeats_and_points_abroad(session, shared_data):
    data = _read(shared_data, "moph_clinics_geojson_clinic.geojson")
    features = json.loads(data)["features"]
    codes = [str(f["properties"]["main_code"] or "").strip() for f in features]
    seen, repeats = set(), 0
    for code in codes:
        repeats += bool(code) and code in seen
        seen.add(code)
    abroad = [
        number
        for number, f in enumerate(features, start=1)
        if not (
            5.61 <= f["properties"]["lat"] <= 20.47 and 97.34 <= f["properties"]["lon"] <= 105.64
        )
    ]
    before = _state(session)
    outcome = preview_import(
        session, data, "clinics.geojson", **{**OPTIONS, "facility_type": "hospital"}
    )
    assert _state(session) == before  # a preview writes nothing
    errors = outcome.errors
    assert sum("repeats the hcode" in p["message"] for p in errors) == repeats
    outside_rows = {p["row"] for p in errors if "Thailand" in p["message"]}
    assert len(abroad) == 17
    assert set(abroad) <= outside_rows
    assert outcome.counts["rejected"] == len({p["row"] for p in errors})
    assert outcome.duplicates  # clinics sharing a building are flagged for a person


@pytest.mark.parametrize("case", BAD_CASES, ids=[c.id for c in BAD_CASES])
def test_every_bad_file_leaves_the_database_unchanged(session, tmp_path, case: Case):
    path = case.build(tmp_path)
    before = _state(session)
    options = {"actor_name": "officer", **case.options}
    if case.kind == "format_error":
        with pytest.raises(ImportFormatError):
            commit_import(session, path.read_bytes(), path.name, **options)
        assert _state(session) == before
        return
    has_errors = read_facilities(path, **case.options).report.has_errors
    if case.kind == "error" or has_errors:
        with pytest.raises(ImportRejectedError) as raised:
            commit_import(session, path.read_bytes(), path.name, **options)
        assert "nothing was imported" in raised.value.message
        if case.kind == "error":
            assert any(p["row"] == case.row for p in raised.value.outcome.errors)
        assert _state(session) == before
    else:  # warnings only: the file imports, and the warning is in the batch report
        outcome = commit_import(session, path.read_bytes(), path.name, **options)
        batch = session.get(ImportBatch, outcome.batch_id)
        assert any(case.says in p["message"] for p in batch.report)


def _forty_points(tmp_path) -> Path:
    rows = [BASE[0]] + [
        [f"จุดตรวจ {i}", "จุดตรวจโควิด", f"{18.70 + i / 1000:.4f}", "98.98", "เปิด", "", "", ""]
        for i in range(40)
    ]
    return write_csv(tmp_path / "points.csv", rows)


def test_a_failure_half_way_leaves_the_database_as_it_was(session, monkeypatch, tmp_path):
    path = _forty_points(tmp_path)
    before = _state(session)
    written = []

    def failing(*args, **kwargs):
        # Every facility and its creation log (one created block) are in the database by now.
        written.append(_state(session))
        raise RuntimeError("disk full (injected)")

    monkeypatch.setattr(imports, "flag_duplicates", failing)
    with pytest.raises(RuntimeError, match="injected"):
        commit_import(session, path.read_bytes(), path.name, actor_name="x")
    facilities, changes, blocks, batches, pairs = before
    assert written == [(facilities + 40, changes, blocks + 1, batches + 1, pairs)]
    assert _state(session) == before


def test_a_failure_while_the_database_writes_leaves_it_as_it_was(session, monkeypatch, tmp_path):
    path = _forty_points(tmp_path)
    before = _state(session)

    def failing(*args, **kwargs):
        raise RuntimeError("out of memory (injected)")

    # Built while the new facilities stream into the database (COPY from a thread on PostGIS).
    monkeypatch.setattr(bulk, "_outcomes", failing)
    with pytest.raises(RuntimeError, match="injected"):
        commit_import(session, path.read_bytes(), path.name, actor_name="x")
    assert _state(session) == before
    monkeypatch.undo()
    again = commit_import(session, path.read_bytes(), path.name, actor_name="x")
    assert again.counts["created"] == 40  # the session is usable afterwards


def test_valid_rows_only_commits_the_rest_and_keeps_the_report(session, tmp_path):
    rows = [*BASE, ["ไม่มีพิกัด", "โรงพยาบาล", "", "", "เปิด", "", "", ""]]
    path = write_csv(tmp_path / "some-bad.csv", rows)
    with pytest.raises(ImportRejectedError):
        commit_import(session, path.read_bytes(), path.name, actor_name="x")
    outcome = commit_import(
        session, path.read_bytes(), path.name, actor_name="x", valid_rows_only=True
    )
    assert outcome.counts["created"] == 2 and outcome.counts["rejected"] == 1
    batch = session.get(ImportBatch, outcome.batch_id)
    assert batch.counts == outcome.counts
    assert any(p["row"] == 4 for p in batch.report)
    assert batch.file_sha256 == outcome.file_sha256


def test_undo_a_batch(session, shared_data):
    commit_import(session, _read(shared_data, WEEK_1), WEEK_1, **OPTIONS)
    second = commit_import(session, _read(shared_data, WEEK_2), WEEK_2, **OPTIONS)
    moved_id = next(
        r["facility_id"] for r in second.rows if "location" in r.get("changed_fields", [])
    )
    week_1_point = session.execute(
        select(func.ST_X(Facility.geom), func.ST_Y(Facility.geom)).where(Facility.id == moved_id)
    ).one()
    counts = undo_import(session, second.batch_id, actor_name="admin")
    assert counts["deactivated"] == 10
    new_ids = [r["facility_id"] for r in second.rows if r["action"] == "created"]
    assert all(session.get(Facility, i).deleted_at is not None for i in new_ids)
    restored = session.execute(
        select(func.ST_X(Facility.geom), func.ST_Y(Facility.geom)).where(Facility.id == moved_id)
    ).one()
    assert restored != week_1_point  # week 1's point is back, not week 2's
    assert session.get(ImportBatch, second.batch_id).status == "undone"
    with pytest.raises(ValidationError, match="already undone"):
        undo_import(session, second.batch_id, actor_name="admin")


def test_undo_refused_when_a_person_changed_the_site_since(session, tmp_path):
    from registry.facilities.service import Actor, update_facility

    path = write_csv(tmp_path / "one.csv", BASE)
    first = commit_import(session, path.read_bytes(), path.name, actor_name="x")
    changed = write_csv(
        tmp_path / "one.csv", [BASE[0], [*BASE[1][:5], "053-111111", *BASE[1][6:]], BASE[2]]
    )
    second = commit_import(session, changed.read_bytes(), changed.name, actor_name="x")
    facility_id = next(r["facility_id"] for r in second.rows if r["action"] == "updated")
    facility = session.get(Facility, facility_id)
    update_facility(
        session,
        facility_id,
        {"phone": "053-222222"},
        Actor("o", "web"),
        expected_version=facility.version,
    )
    before = _state(session)
    with pytest.raises(ConflictError, match="cannot be undone"):
        undo_import(session, second.batch_id, actor_name="admin")
    assert _state(session) == before
    assert first.batch_id != second.batch_id


def test_rows_outside_the_officials_area_are_refused(session, tmp_path):
    rows = [*BASE, ["รพ.กรุงเทพ", "โรงพยาบาล", "13.7563", "100.5018", "เปิด", "", "", ""]]
    path = write_csv(tmp_path / "mixed.csv", rows)
    outcome = preview_import(
        session, path.read_bytes(), path.name, actor_name="cm", allowed_area_prefixes=("TH50",)
    )
    rejected = [r for r in outcome.rows if r["action"] == "rejected"]
    assert [r["row"] for r in rejected] == [4]
    assert "outside your area (TH50)" in rejected[0]["message"]


def test_cli_import_dry_run_and_commit(app, session, tmp_path):
    path = write_csv(tmp_path / "sites.csv", BASE)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import", str(path), "--dry-run", "--by", "cli-test"])
    assert dry.exit_code == 0, dry.output
    assert "2 created" in dry.output and "dry run: nothing was written" in dry.output
    assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0
    done = runner.invoke(args=["import", str(path), "--by", "cli-test"])
    assert "committed as import batch" in done.output
    again = runner.invoke(args=["import", str(path), "--by", "cli-test"])
    assert "0 created, 0 updated, 2 unchanged" in again.output
