"""Freshness: unconfirmed past the type's time, left out of open-now, hidden after 29 days."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pyproj import Geod

from registry.facilities.form import facility_texts
from registry.facilities.service import update_facility
from registry.models import utcnow
from tests.registry.conftest import sign_in
from tests.registry.helpers import OFFICIAL, make_facility

GEOD = Geod(ellps="WGS84")
ORIGIN = {"lat": 18.7877, "lon": 98.9934}


def _at(km: float) -> dict[str, float]:
    lon, lat, _ = GEOD.fwd(ORIGIN["lon"], ORIGIN["lat"], 0, km * 1000)
    return {"lon": lon, "lat": lat}


def _confirmed(session, facility, hours_ago: float | None):
    """Set when the status was last confirmed, through the audited service."""
    at = None if hours_ago is None else utcnow() - timedelta(hours=hours_ago)
    update_facility(
        session,
        facility.id,
        {"status_confirmed_at": at},
        OFFICIAL,
        expected_version=facility.version,
    )
    return facility


def _nearest(client, **args):
    response = client.get("/api/v1/nearest", query_string={**ORIGIN, **args})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def sites(session):
    """A site 1 km away confirmed 73 h ago (past 72 h), one 2 km away confirmed an hour ago."""
    stale = _confirmed(session, make_facility(session, name_th="เก่า", **_at(1)), 73)
    fresh = _confirmed(session, make_facility(session, name_th="ใหม่", **_at(2)), 1)
    session.commit()
    return stale, fresh


def test_stale_site_drops_out_of_open_now_nearest(client, sites):
    stale, fresh = sites
    body = _nearest(client, k=1)
    assert [f["id"] for f in body["features"]] == [fresh.id]
    assert body["search"]["unconfirmed_included"] is False
    closed_too = _nearest(client, k=2, open_now="false")
    assert [f["id"] for f in closed_too["features"]] == [stale.id, fresh.id]


def test_too_few_fresh_sites_fill_up_with_labelled_unconfirmed_ones(client, sites):
    stale, fresh = sites
    body = _nearest(client, k=2)
    assert [f["id"] for f in body["features"]] == [stale.id, fresh.id]
    assert body["search"]["unconfirmed_included"] is True
    assert [f["properties"]["resident_status"] for f in body["features"]] == ["unconfirmed", "open"]
    strict = _nearest(client, k=2, fallback="false")
    assert [f["id"] for f in strict["features"]] == [fresh.id]


def test_resident_pages_show_unconfirmed(client, sites):
    stale, fresh = sites
    page = client.get(f"/facility/{stale.id}?lang=en").get_data(as_text=True)
    assert 'class="badge status-unconfirmed">Unconfirmed<' in page
    assert 'class="badge status-open">Open<' in client.get(f"/facility/{fresh.id}").get_data(
        as_text=True
    ).replace("เปิด", "Open")
    listing = client.get("/", query_string={**ORIGIN, "lang": "en"}).get_data(as_text=True)
    assert 'id="unconfirmed-notice"' in listing
    assert listing.index("เก่า") < listing.index("ใหม่")  # still by distance


def test_type_time_comes_from_configuration(app, client, session):
    site = _confirmed(session, make_facility(session, **_at(1)), 2)
    session.commit()
    assert _nearest(client, k=1, fallback="false")["features"][0]["id"] == site.id
    app.config["FRESHNESS_TTL_HOURS"] = {**app.config["FRESHNESS_TTL_HOURS"], "hospital": 1}
    assert _nearest(client, k=1, fallback="false")["features"] == []


def test_sites_unconfirmed_for_29_days_are_hidden_from_residents(app, client, session):
    gone = _confirmed(session, make_facility(session, name_th="ลืม", **_at(1)), 30 * 24)
    never = _confirmed(session, make_facility(session, name_th="รายชื่อเก่า", **_at(3)), None)
    session.commit()
    ids = [f["id"] for f in _nearest(client, k=5, open_now="false")["features"]]
    assert gone.id not in ids and never.id in ids
    box = {"bbox": "98.9,18.7,99.1,18.9", "zoom": 15}
    points = client.get("/api/v1/map/features", query_string=box).get_json()["points"]
    assert {p[0] for p in points} == {never.id}
    app.config["FRESHNESS_HIDE_NEVER_CONFIRMED"] = True
    assert _nearest(client, k=5, open_now="false")["features"] == []


def test_stale_list_for_officials_names_stale_fields(client, session, accounts):
    site = make_facility(session, name_th="รพ.เตียง", covid_beds_occupied=3)
    session.commit()
    csrf = sign_in(client, accounts["official"])
    html = client.get("/official/?lang=en").get_data(as_text=True)
    # Never stated by anyone: COVID beds occupied (24 h) is on the list to check.
    assert "COVID beds occupied" in html.split(f'id="site-{site.id}"')[1].split("</li>")[0]
    # Saving the form with a new figure states the field: it leaves the list.
    texts = facility_texts(site)
    form = {f"orig-{k}": v for k, v in texts.items()}
    form.update(texts, csrf_token=csrf, version=site.version, covid_beds_occupied="4")
    assert client.post(f"/official/facility/{site.id}/edit", data=form).status_code == 303
    html = client.get("/official/?lang=en").get_data(as_text=True)
    row = html.split(f'id="site-{site.id}"')[1].split("</li>")[0]
    assert "COVID beds occupied" not in row and "Address" in row
