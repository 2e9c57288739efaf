"""/api/v1/nearest: exact order, filters, widening, freshness across processes, bad input."""

from __future__ import annotations

import json
import multiprocessing
import time
from datetime import timedelta

import numpy as np
import pytest
from pyproj import Geod
from sqlalchemy.orm import Session

from registry.app import create_app
from registry.config import DATA_VERSION_MAX_LAG_MS
from registry.db import db
from registry.facilities.service import update_facility
from registry.models import utcnow
from registry.serialize import facility_feature
from tests.registry.helpers import OFFICIAL, make_facility

GEOD = Geod(ellps="WGS84")
ORIGIN = {"lat": 18.7877, "lon": 98.9934}


def _north(km: float) -> dict[str, float]:
    lon, lat, _ = GEOD.fwd(ORIGIN["lon"], ORIGIN["lat"], 0, km * 1000)
    return {"lon": lon, "lat": lat}


@pytest.fixture
def sites(session):
    """Hand-placed sites north of Tha Phae Gate, 1 to 6 km away, of different kinds."""

    def at(km, **values):
        lon, lat, _ = GEOD.fwd(ORIGIN["lon"], ORIGIN["lat"], 0, km * 1000)
        return make_facility(session, lon=lon, lat=lat, **values)

    made = {
        "hospital_1km": at(1, name_th="รพ. 1 กม."),
        "vaccine_2km": at(
            2,
            type="vaccination_site",
            name_th="ฉีด 2",
            walk_in=True,
            vaccine_brands=["pfizer"],
            doses=["1", "2"],
            age_groups=["12-18"],
        ),
        "vaccine_3km": at(
            3,
            type="vaccination_site",
            name_th="ฉีด 3",
            walk_in=False,
            vaccine_brands=["sinovac"],
            doses=["booster"],
            age_groups=["adult"],
        ),
        "test_4km": at(4, type="covid_test_point", name_th="ตรวจ 4", test_methods=["atk"]),
        "closed_5km": at(5, name_th="ปิด 5", status="closed"),
        "hospital_6km": at(6, name_th="รพ. 6 กม."),
    }
    session.commit()
    return made


def _ids(response):
    assert response.status_code == 200, response.get_json()
    return [feature["id"] for feature in response.get_json()["features"]]


def test_nearest_first_with_distance_and_bearing(client, sites):
    body = client.get("/api/v1/nearest", query_string={**ORIGIN, "k": 3}).get_json()
    props = [f["properties"] for f in body["features"]]
    assert [p["name_th"] for p in props] == ["รพ. 1 กม.", "ฉีด 2", "ฉีด 3"]
    assert props[0]["distance_m"] == pytest.approx(1000, abs=0.2)
    assert props[0]["bearing_deg"] == pytest.approx(0, abs=0.1)
    assert props[0]["status"] == "open"
    assert props[0]["status_confirmed_at"].endswith("Z")
    assert body["search"]["widened"] is False


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"type": "hospital"}, ["hospital_1km", "hospital_6km"]),
        ({"type": "hospital", "open_now": "false"}, ["hospital_1km", "closed_5km", "hospital_6km"]),
        ({"type": "vaccination_site", "walk_in": "true"}, ["vaccine_2km"]),
        ({"vaccine_brand": "sinovac"}, ["vaccine_3km"]),
        ({"dose": "1"}, ["vaccine_2km"]),
        ({"age_group": "12-18"}, ["vaccine_2km"]),
        ({"test_method": "atk"}, ["test_4km"]),
        ({"type": "covid_test_point,vaccination_site"}, ["vaccine_2km", "vaccine_3km", "test_4km"]),
    ],
)
def test_filters(client, sites, query, expected):
    response = client.get("/api/v1/nearest", query_string={**ORIGIN, "k": 10, **query})
    found = [i for i in _ids(response) if i in {s.id for s in sites.values()}]
    assert found == [sites[name].id for name in expected]


def test_max_distance_widens_instead_of_answering_nothing(client, sites):
    body = client.get(
        "/api/v1/nearest", query_string={**ORIGIN, "type": "hospital", "k": 2, "max_km": 0.5}
    ).get_json()
    assert body["search"]["widened"] is True
    assert [f["id"] for f in body["features"]] == [
        sites["hospital_1km"].id,
        sites["hospital_6km"].id,
    ]
    assert body["search"]["farthest_m"] == pytest.approx(6000, abs=1)


def test_place_search_becomes_the_point(client, sites):
    body = client.get("/api/v1/nearest", query_string={"place": "เชียงใหม่", "k": 1}).get_json()
    assert body["search"]["place"]["code"] == "TH50"
    assert len(body["features"]) == 1


def test_matches_brute_force_geodesic_ranking(client, session, sites):
    rng = np.random.default_rng(7)
    extra = [
        make_facility(session, lon=float(lon), lat=float(lat), name_th=f"s{i}")
        for i, (lon, lat) in enumerate(
            zip(rng.uniform(98.8, 99.2, 60), rng.uniform(18.6, 19.0, 60), strict=True)
        )
    ]
    session.commit()
    candidates = [s for s in [*sites.values(), *extra] if s.status == "open"]
    from geoalchemy2.shape import to_shape

    points = np.array([(to_shape(s.geom).x, to_shape(s.geom).y) for s in candidates])
    ids = np.array([s.id for s in candidates])
    for lon, lat in zip(rng.uniform(98.85, 99.15, 25), rng.uniform(18.65, 18.95, 25), strict=True):
        _, _, dist = GEOD.inv(np.full(len(points), lon), np.full(len(points), lat), *points.T)
        expected = ids[np.lexsort((ids, dist))][:5].tolist()
        got = _ids(client.get("/api/v1/nearest", query_string={"lon": lon, "lat": lat, "k": 5}))
        assert got == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "give 'lat' and 'lon', or a 'place'"),
        ({"lat": "18.7"}, "'lon' is missing"),
        ({"lat": "north", "lon": "99"}, "parameter 'lat': 'north' is not a number"),
        ({"lat": "95", "lon": "99"}, "'95' is not a latitude between -90 and 90"),
        ({**ORIGIN, "k": "0"}, "parameter 'k': '0' is not a count between 1 and 100"),
        ({**ORIGIN, "type": "clinic"}, "parameter 'type': 'clinic' is not one of"),
        ({**ORIGIN, "vaccine_brand": "sputnik"}, "'sputnik' is not one of"),
        ({**ORIGIN, "walk_in": "maybe"}, "parameter 'walk_in': 'maybe' is not true or false"),
        ({"place": "xyzzyqwv"}, "no province, district, subdistrict or village matches 'xyzzyqwv'"),
        ({**ORIGIN, "radius": "5"}, "unknown query parameter 'radius'"),
    ],
)
def test_bad_input_is_400_naming_it(client, query, message):
    response = client.get("/api/v1/nearest", query_string=query)
    assert response.status_code == 400
    assert message in response.get_json()["message"]


def _worker(url: str, lon: float, lat: float, requests, answers) -> None:
    """Another process with its own app and catalog answering nearest queries."""
    app = create_app({"DATABASE_URL": url})
    client = app.test_client()
    for _ in iter(requests.get, None):
        body = client.get("/api/v1/nearest", query_string={"lon": lon, "lat": lat, "k": 3})
        answers.put([f["id"] for f in body.get_json()["features"]])
    with app.app_context():
        db.engine.dispose()


def test_a_closed_site_leaves_the_answers_of_another_process_within_the_bound(engine):
    """Another process learns of the commit by notification (PostGIS) or reads the file's
    version (SpatiaLite); every answer that begins DATA_VERSION_MAX_LAG_MS after it is new."""
    with Session(engine, expire_on_commit=False) as session:
        site = make_facility(session, lon=100.0, lat=15.0, name_th="ปิดวันนี้")
        session.commit()
    context = multiprocessing.get_context("spawn")
    requests, answers = context.Queue(), context.Queue()
    worker = context.Process(target=_worker, args=(str(engine.url), 100.0, 15.0, requests, answers))
    worker.start()
    try:
        requests.put("go")
        assert answers.get(timeout=60)[0] == site.id
        with Session(engine) as session:
            update_facility(session, site.id, {"status": "closed"}, OFFICIAL, expected_version=1)
            session.commit()
        time.sleep(DATA_VERSION_MAX_LAG_MS / 1000)
        requests.put("go")
        assert site.id not in answers.get(timeout=60)
    finally:
        requests.put(None)
        worker.join(timeout=60)
        with Session(engine) as cleanup:
            from registry.models import Facility, FacilityChange

            cleanup.query(FacilityChange).filter_by(facility_id=site.id).delete()
            cleanup.query(Facility).filter_by(id=site.id).delete()
            cleanup.commit()


def test_features_are_the_facilities_as_the_registry_serialises_them(client, session, sites):
    body = client.get("/api/v1/nearest", query_string={**ORIGIN, "k": 6, "open_now": "false"})
    assert body.mimetype == "application/geo+json"
    features = body.get_json()["features"]
    by_id = {s.id: s for s in sites.values()}
    for feature in features:
        expected = json.loads(json.dumps(facility_feature(by_id[feature["id"]])))
        extra = {
            name: feature["properties"].pop(name)
            for name in ("distance_m", "bearing_deg", "resident_status")
        }
        assert feature == expected
        assert extra["resident_status"] == by_id[feature["id"]].status


def test_a_change_is_in_the_very_next_answer(client, session, sites):
    first = _ids(client.get("/api/v1/nearest", query_string={**ORIGIN, "k": 2}))
    assert first == [sites["hospital_1km"].id, sites["vaccine_2km"].id]
    # A new site, a moved one and a renamed one, each committed before the next request.
    new = make_facility(session, name_th="ใหม่ 0.5 กม.", **_north(0.5))
    session.commit()
    assert _ids(client.get("/api/v1/nearest", query_string={**ORIGIN, "k": 1})) == [new.id]
    far = sites["hospital_6km"]
    update_facility(session, far.id, _north(0.2), OFFICIAL, expected_version=far.version)
    session.commit()
    got = _ids(client.get("/api/v1/nearest", query_string={**ORIGIN, "k": 2}))
    assert got == [far.id, new.id]
    update_facility(session, new.id, {"name_en": "Renamed"}, OFFICIAL, expected_version=1)
    session.commit()
    body = client.get("/api/v1/nearest", query_string={**ORIGIN, "k": 2}).get_json()
    assert body["features"][1]["properties"]["name_en"] == "Renamed"
    assert body["features"][1]["properties"]["version"] == 2


def test_a_confirmation_running_out_between_two_requests_counts_at_once(client, session, app):
    site = make_facility(session, name_th="กำลังหมดเวลา", **_north(1))
    hours = app.config["FRESHNESS_TTL_HOURS"]["hospital"]
    confirmed = utcnow() - timedelta(hours=hours) + timedelta(seconds=2)
    update_facility(
        session, site.id, {"status_confirmed_at": confirmed}, OFFICIAL, expected_version=1
    )
    session.commit()
    query = {**ORIGIN, "k": 1, "fallback": "false"}
    assert _ids(client.get("/api/v1/nearest", query_string=query)) == [site.id]
    time.sleep(max(0.0, (confirmed + timedelta(hours=hours) - utcnow()).total_seconds()) + 0.2)
    assert _ids(client.get("/api/v1/nearest", query_string=query)) == []
    body = client.get("/api/v1/nearest", query_string={**query, "fallback": "true"}).get_json()
    assert body["features"][0]["properties"]["resident_status"] == "unconfirmed"
