"""PATCH /api/v1/facilities/<id> and the bulk status feed POST /api/v1/status."""

from __future__ import annotations

from sqlalchemy import func, select

from registry.facilities.service import revert_change
from registry.models import Facility, FacilityChange, FieldConfirmation
from tests.registry.conftest import bearer
from tests.registry.helpers import BANGKOK, OFFICIAL, make_facility


def _changes(session, facility_id: int, field: str) -> list[FacilityChange]:
    return list(
        session.scalars(
            select(FacilityChange)
            .where(FacilityChange.facility_id == facility_id, FacilityChange.field == field)
            .order_by(FacilityChange.id)
        )
    )


def test_patch_changes_fields_and_logs_them_as_api(client, session, accounts):
    site = make_facility(session, beds_total=10)
    session.commit()
    headers = bearer(session, accounts["official"])
    response = client.patch(
        f"/api/v1/facilities/{site.id}",
        headers=headers,
        json={"version": 1, "beds_total": 12, "covid_beds_occupied": 3},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["feature"]["properties"]["version"] == 2
    assert sorted(body["changed"]) == ["beds_total", "covid_beds_occupied"]
    change = _changes(session, site.id, "beds_total")[-1]
    assert (change.old_value, change.new_value) == (10, 12)
    assert (change.changed_by, change.source) == ("official", "api")
    confirmed = {c.field for c in session.scalars(select(FieldConfirmation))}
    assert {"beds_total", "covid_beds_occupied"} <= confirmed


def test_stale_version_gets_409_with_what_changed_since(client, session, accounts):
    site = make_facility(session, beds_total=10)
    session.commit()
    headers = bearer(session, accounts["official"])
    first = client.patch(
        f"/api/v1/facilities/{site.id}", headers=headers, json={"version": 1, "beds_total": 11}
    )
    assert first.status_code == 200
    second = client.patch(
        f"/api/v1/facilities/{site.id}", headers=headers, json={"version": 1, "beds_total": 99}
    )
    assert second.status_code == 409
    body = second.get_json()
    assert body["current_version"] == 2
    assert body["changed_since"][0]["field"] == "beds_total"
    assert body["changed_since"][0]["new_value"] == 11
    assert body["changed_since"][0]["changed_by"] == "official"
    session.expire_all()
    assert session.get(Facility, site.id).beds_total == 11


def test_patch_needs_the_version_and_valid_values(client, session, accounts):
    site = make_facility(session)
    session.commit()
    headers = bearer(session, accounts["official"])
    missing = client.patch(f"/api/v1/facilities/{site.id}", headers=headers, json={"status": "x"})
    assert missing.status_code == 400 and missing.get_json()["field"] == "version"
    bad = client.patch(
        f"/api/v1/facilities/{site.id}", headers=headers, json={"version": 1, "beds_total": -3}
    )
    assert bad.status_code == 400
    assert "'beds_total': -3 is not a whole number of 0 or more" in bad.get_json()["message"]


def test_status_feed_json_updates_many_with_audit(client, session, accounts):
    sites = [make_facility(session, name_th=f"รพ.{i}", hcode=f"9900{i}") for i in range(5)]
    session.commit()
    headers = bearer(session, accounts["official"])
    items = [
        {"id": s.id, "status": "full", "covid_beds_occupied": 20 + i}
        for i, s in enumerate(sites[:4])
    ]
    items.append({"hcode": "99004", "status": "temporarily_closed"})
    response = client.post("/api/v1/status", headers=headers, json=items)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["counts"] == {"updated": 5, "unchanged": 0, "rejected": 0}
    session.expire_all()
    assert [session.get(Facility, s.id).status for s in sites] == ["full"] * 4 + [
        "temporarily_closed"
    ]
    logged = _changes(session, sites[0].id, "status")[-1]
    assert (logged.source, logged.source_ref, logged.changed_by) == (
        "api",
        "status-feed",
        "official",
    )
    first = session.get(Facility, sites[0].id)
    assert first.status_confirmed_by == "official" and first.version == 2
    # The same rows the facility service logs: one per changed field, one change set.
    rows = session.scalars(
        select(FacilityChange).where(
            FacilityChange.facility_id == first.id, FacilityChange.field != "created"
        )
    ).all()
    assert {r.field for r in rows} == {
        "status", "status_confirmed_at", "status_confirmed_by", "covid_beds_occupied"
    }  # fmt: skip
    assert {(r.facility_version, r.change_set) for r in rows} == {(2, first.data_version)}
    beds = next(r for r in rows if r.field == "covid_beds_occupied")
    assert (beds.old_value, beds.new_value) == (None, 20)
    # ... so a feed's change can be reverted like any other.
    revert_change(session, beds.id, OFFICIAL)
    assert session.get(Facility, first.id).covid_beds_occupied is None
    # The open-now search sees the feed at once (the catalog follows the data version).
    nearest = client.get("/api/v1/nearest?lat=18.7877&lon=98.9934&k=5&fallback=false")
    assert nearest.get_json()["features"] == []


def test_status_feed_csv(client, session, accounts):
    a, b = make_facility(session), make_facility(session, type="vaccination_site")
    session.commit()
    headers = {**bearer(session, accounts["official"]), "Content-Type": "text/csv"}
    csv = (
        f"id,version,status,covid_beds_occupied,vaccine_brands\n"
        f"{a.id},1,full,7,\n{b.id},,open,,pfizer;sinovac\n"
    )
    response = client.post("/api/v1/status", headers=headers, data=csv.encode())
    assert response.status_code == 200, response.get_json()
    session.expire_all()
    assert session.get(Facility, a.id).covid_beds_occupied == 7
    assert session.get(Facility, b.id).vaccine_brands == ["sinovac", "pfizer"]


def test_status_feed_is_all_or_nothing_by_default(client, session, accounts):
    mine, elsewhere = make_facility(session), make_facility(session, **BANGKOK)
    stale, spare = make_facility(session), make_facility(session)
    session.commit()
    headers = bearer(session, accounts["official"])
    items = [
        {"id": mine.id, "status": "full"},
        {"id": elsewhere.id, "status": "full"},
        {"id": stale.id, "status": "full", "version": 7},
        {"id": spare.id, "name_th": "renamed"},
        {"id": 10**9, "status": "full"},
        {"id": mine.id, "status": "closed"},
    ]
    response = client.post("/api/v1/status", headers=headers, json=items)
    assert response.status_code == 400
    body = response.get_json()
    assert body["applied"] is False
    results = body["items"]
    assert results[0]["result"] == "updated"
    assert [r["status"] for r in results[1:]] == [403, 409, 400, 404, 400]
    assert "name_th" in results[3]["message"]
    assert "already in this feed" in results[5]["message"]
    assert results[2]["changed_since"] == [] and results[2]["current_version"] == 1
    session.expire_all()
    assert session.get(Facility, mine.id).status == "open"  # nothing was written
    assert session.get(Facility, mine.id).version == 1

    partial = client.post("/api/v1/status?partial=1", headers=headers, json=items)
    assert partial.status_code == 200
    assert partial.get_json()["counts"] == {"updated": 1, "unchanged": 0, "rejected": 5}
    session.expire_all()
    assert session.get(Facility, mine.id).status == "full"
    assert session.get(Facility, elsewhere.id).status == "open"


def test_status_feed_all_forbidden_is_403(client, session, accounts):
    elsewhere = make_facility(session, **BANGKOK)
    session.commit()
    headers = bearer(session, accounts["official"])
    response = client.post(
        "/api/v1/status", headers=headers, json=[{"id": elsewhere.id, "status": "closed"}]
    )
    assert response.status_code == 403


def test_api_create_in_area(client, session, accounts):
    headers = bearer(session, accounts["district_official"])
    response = client.post(
        "/api/v1/facilities",
        headers=headers,
        json={
            "type": "waiting_centre",
            "name_th": "จุดพักคอย",
            "lat": 18.7877,
            "lon": 98.9934,
            "beds_green_total": 40,
        },
    )
    assert response.status_code == 201, response.get_json()
    props = response.get_json()["feature"]["properties"]
    assert props["district_code"] == "TH5001"
    count = session.scalar(select(func.count()).select_from(Facility))
    assert count == 1
