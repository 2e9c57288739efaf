"""The facility services: validation, areas, optimistic locking, change log, revert."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import ConflictError, OutsideThailandError, ValidationError
from registry.facilities.service import (
    CREATED,
    Actor,
    create_facility,
    deactivate_facility,
    facility_history,
    revert_change,
    update_facility,
)
from registry.models import Facility, FacilityChange
from registry.version_watch import current_data_version
from tests.registry.helpers import BANGKOK, CHIANG_MAI, OFFICIAL, make_facility


def test_create_derives_areas_from_the_point(session):
    facility = make_facility(session)
    assert (facility.province_code, facility.district_code) == ("TH50", "TH5001")
    assert facility.subdistrict_code.startswith("TH5001")
    assert facility.version == 1
    assert facility.status == "open"
    assert facility.status_confirmed_by == OFFICIAL.name


def test_create_logs_one_created_entry_with_initial_values(session):
    facility = make_facility(session, phone="053-123456")
    (change,) = facility_history(session, facility.id)
    assert change.field == CREATED
    assert change.old_value is None
    assert change.new_value["phone"] == "053-123456"
    assert change.new_value["location"] == [CHIANG_MAI["lon"], CHIANG_MAI["lat"]]
    assert (change.changed_by, change.source) == (OFFICIAL.name, "web")


def test_stated_province_is_kept_and_mismatch_reported(session):
    result = create_facility(
        session,
        {"type": "hospital", "name_th": "ก", **CHIANG_MAI, "province_code": "TH10"},
        OFFICIAL,
    )
    assert result.facility.province_code == "TH50"
    assert result.facility.stated_province_code == "TH10"
    assert any("TH10 differs from TH50" in str(w) for w in result.warnings)
    assert "TH10" in result.facility.area_note


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(101.69, 3.14), (96.0, 16.8), (105.0, 12.0)],  # Kuala Lumpur, Yangon, Cambodia
)
def test_points_outside_thailand_are_refused_and_nothing_written(session, lon, lat):
    before = current_data_version(session)
    count = len(session.scalars(select(Facility.id)).all())
    with session.begin_nested() as savepoint:
        values = {"type": "hospital", "name_th": "x", "lon": lon, "lat": lat}
        with pytest.raises(OutsideThailandError, match=rf"lat {lat}, lon {lon}"):
            create_facility(session, values, OFFICIAL)
        savepoint.rollback()
    assert len(session.scalars(select(Facility.id)).all()) == count
    assert current_data_version(session) == before


def test_coastal_point_gets_nearest_area_with_warning(session):
    # Ko Sichang hospital (MOPH 10824) lies 134 m off the simplified coastline.
    values = {"type": "hospital", "name_th": "รพ.เกาะสีชัง", "lon": 100.807326, "lat": 13.16239332}
    result = create_facility(session, values, OFFICIAL)
    assert result.facility.province_code == "TH20"
    assert any("134 m outside every subdistrict" in str(w) for w in result.warnings)


def test_island_beyond_tolerance_needs_the_stated_province(session):
    # Ko Phi Phi hospital (MOPH 77753): the simplified boundaries lack the island (22 km off).
    values = {"type": "hospital", "name_th": "รพ.เกาะพีพี", "lon": 98.767652, "lat": 7.737985}
    with pytest.raises(OutsideThailandError):
        create_facility(session, values, OFFICIAL)
    result = create_facility(session, {**values, "province_code": "TH81"}, OFFICIAL)
    assert result.facility.province_code == "TH81"
    assert any("stated province agrees" in str(w) for w in result.warnings)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"type": "clinic"}, "'clinic' is not one of"),
        ({"lat": "north"}, "field 'lat': 'north' is not a number"),
        ({"lat": 95}, "is not a latitude between -90 and 90"),
        ({"beds_total": -3}, "field 'beds_total': -3 is not a whole number of 0 or more"),
        ({"status": "busy"}, "field 'status': 'busy' is not one of open"),
        ({"vaccine_brands": ["pfizer"]}, "'vaccine_brands' does not belong to a hospital"),
        ({"name_th": "  "}, "needs a Thai name"),
        ({"hcode": "X" * 20}, "field 'hcode': 20 characters is longer than 10"),
        ({"phone": "0" * 101}, "field 'phone': 101 characters is longer than 100"),
    ],
)
def test_bad_values_are_refused_with_field_and_value(session, values, message):
    base = {"type": "hospital", "name_th": "ก", **CHIANG_MAI}
    with pytest.raises(ValidationError, match=message):
        create_facility(session, {**base, **values}, OFFICIAL)


def test_update_logs_each_field_with_old_and_new_value(session):
    facility = make_facility(session, beds_total=30)
    update_facility(
        session, facility.id, {"beds_total": 45, "status": "full"}, OFFICIAL, expected_version=1
    )
    changes = {c.field: c for c in facility_history(session, facility.id)}
    assert (changes["beds_total"].old_value, changes["beds_total"].new_value) == (30, 45)
    assert (changes["status"].old_value, changes["status"].new_value) == ("open", "full")
    assert changes["beds_total"].facility_version == 2
    assert changes["beds_total"].change_set == changes["status"].change_set
    assert facility.version == 2


def test_update_that_changes_nothing_logs_nothing(session):
    facility = make_facility(session, beds_total=30)
    result = update_facility(session, facility.id, {"beds_total": 30}, OFFICIAL, expected_version=1)
    assert result.changes == []
    assert facility.version == 1


def test_moving_a_facility_rederives_its_areas(session):
    facility = make_facility(session)
    update_facility(session, facility.id, BANGKOK, OFFICIAL, expected_version=1)
    assert facility.province_code == "TH10"
    fields = {c.field for c in facility_history(session, facility.id)}
    assert {"location", "province_code", "district_code", "subdistrict_code"} <= fields


def test_stale_version_is_refused_and_names_what_changed(session):
    facility = make_facility(session)
    update_facility(session, facility.id, {"status": "full"}, OFFICIAL, expected_version=1)
    other = Actor("malee@chiangmai", "web")
    with pytest.raises(ConflictError) as raised:
        update_facility(session, facility.id, {"beds_total": 10}, other, expected_version=1)
    error = raised.value
    assert "at version 2, but you edited version 1" in error.message
    assert error.details["current_version"] == 2
    assert "status" in {c["field"] for c in error.details["changed_since"]}
    assert facility.beds_total is None  # the refused write left nothing behind
    assert facility.status == "full"  # and the first writer's change is intact


def test_two_writers_from_separate_connections_one_refused_nothing_lost(engine):
    """Both read version 1 and write; the database refuses the second (StaleDataError path)."""
    with Session(engine, expire_on_commit=False) as setup:
        facility_id = make_facility(setup, beds_total=5).id
        setup.commit()
    try:
        first, second = Session(engine), Session(engine)
        seen_by_second = second.get(Facility, facility_id)
        assert seen_by_second.version == 1
        second.rollback()  # end the read so the first writer is not blocked (SQLite lock)
        update_facility(first, facility_id, {"beds_total": 8}, OFFICIAL, expected_version=1)
        first.commit()
        with pytest.raises(ConflictError):
            update_facility(second, facility_id, {"status": "closed"}, OFFICIAL, expected_version=1)
        second.rollback()
        with Session(engine) as check:
            final = check.get(Facility, facility_id)
            assert (final.beds_total, final.status, final.version) == (8, "open", 2)
    finally:
        first.close()
        second.close()
        with Session(engine) as cleanup:
            cleanup.query(FacilityChange).filter_by(facility_id=facility_id).delete()
            cleanup.query(Facility).filter_by(id=facility_id).delete()
            cleanup.commit()


def test_revert_restores_old_value_as_a_new_logged_change(session):
    facility = make_facility(session, beds_total=30)
    result = update_facility(session, facility.id, {"beds_total": 45}, OFFICIAL, expected_version=1)
    (change,) = result.changes
    reverted = revert_change(session, change.id, Actor("admin@chiangmai", "revert"))
    assert facility.beds_total == 30
    assert facility.version == 3
    (log,) = reverted.changes
    assert (log.old_value, log.new_value, log.reverts_change_id) == (45, 30, change.id)


def test_revert_refused_when_field_changed_again(session):
    facility = make_facility(session, beds_total=30)
    (first,) = update_facility(
        session, facility.id, {"beds_total": 45}, OFFICIAL, expected_version=1
    ).changes
    update_facility(session, facility.id, {"beds_total": 50}, OFFICIAL, expected_version=2)
    with pytest.raises(ConflictError, match="has changed again since change"):
        revert_change(session, first.id, OFFICIAL)
    assert facility.beds_total == 50


def test_revert_of_location_moves_back_and_rederives_areas(session):
    facility = make_facility(session)
    result = update_facility(session, facility.id, BANGKOK, OFFICIAL, expected_version=1)
    location_change = next(c for c in result.changes if c.field == "location")
    revert_change(session, location_change.id, OFFICIAL)
    assert facility.province_code == "TH50"


def test_deactivate_and_revert_the_deactivation(session):
    facility = make_facility(session)
    result = deactivate_facility(
        session, facility.id, OFFICIAL, reason="merged into 10715", expected_version=1
    )
    assert facility.deleted_at is not None
    deleted = next(c for c in result.changes if c.field == "deleted_at")
    revert_change(session, deleted.id, OFFICIAL)
    assert facility.deleted_at is None


def test_every_write_raises_the_data_version(session):
    before = current_data_version(session)
    facility = make_facility(session)
    update_facility(session, facility.id, {"status": "full"}, OFFICIAL, expected_version=1)
    assert current_data_version(session) == before + 2
    assert facility.data_version == before + 2


def test_naive_datetimes_are_refused(session):
    from datetime import datetime

    facility = make_facility(session)
    with pytest.raises(ValidationError, match="time zone"):
        update_facility(
            session,
            facility.id,
            {"status_confirmed_at": datetime(2021, 6, 20, 8, 0)},
            OFFICIAL,
            expected_version=1,
        )
