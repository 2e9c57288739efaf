"""The read API: filters, paging, single items, history, areas and 400s that explain."""

from __future__ import annotations

import pytest

from registry.facilities.service import update_facility
from tests.registry.helpers import BANGKOK, OFFICIAL, make_facility


@pytest.fixture
def sites(session):
    """Five facilities: three in Chiang Mai, two in Bangkok, one of them closed."""
    made = [
        make_facility(session, name_th="รพ.เชียงใหม่ 1", hcode="10713"),
        make_facility(session, name_th="รพ.เชียงใหม่ 2"),
        make_facility(session, type="vaccination_site", name_th="จุดฉีด เชียงใหม่"),
        make_facility(session, name_th="รพ.กรุงเทพ", **BANGKOK),
        make_facility(session, type="covid_test_point", name_th="จุดตรวจ", **BANGKOK),
    ]
    update_facility(session, made[4].id, {"status": "closed"}, OFFICIAL, expected_version=1)
    session.commit()
    return made


def test_filter_by_type_and_province(client, sites):
    body = client.get("/api/v1/facilities?type=hospital&province=TH50").get_json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == 2
    names = [f["properties"]["name_th"] for f in body["features"]]
    assert names == ["รพ.เชียงใหม่ 1", "รพ.เชียงใหม่ 2"]
    first = body["features"][0]
    assert first["geometry"]["type"] == "Point"
    assert first["properties"]["hcode"] == "10713"
    assert first["properties"]["province_code"] == "TH50"


def test_dopa_code_works_like_the_pcode(client, sites):
    with_th = client.get("/api/v1/facilities?province=TH10").get_json()
    bare = client.get("/api/v1/facilities?province=10").get_json()
    assert with_th["numberMatched"] == bare["numberMatched"] == 2


def test_filter_by_status_and_several_types(client, sites):
    body = client.get("/api/v1/facilities?status=closed&type=covid_test_point,hospital")
    assert [f["id"] for f in body.get_json()["features"]] == [sites[4].id]


def test_bbox_filter_uses_the_spatial_index(client, sites):
    body = client.get("/api/v1/facilities?bbox=98.9,18.7,99.1,18.9").get_json()
    assert {f["id"] for f in body["features"]} == {s.id for s in sites[:3]}


def test_updated_since(client, sites):
    since = sites[4].updated_at.isoformat()
    body = client.get("/api/v1/facilities", query_string={"updated_since": since}).get_json()
    assert [f["id"] for f in body["features"]] == [sites[4].id]


def test_paging_follows_next_links_in_stable_order(client, sites):
    seen, url = [], "/api/v1/facilities?limit=2"
    while url:
        body = client.get(url).get_json()
        assert body["numberMatched"] == 5
        seen += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    assert seen == sorted(s.id for s in sites)


def test_deactivated_facilities_are_left_out_unless_asked(client, session, sites):
    from registry.facilities.service import deactivate_facility

    deactivate_facility(session, sites[0].id, OFFICIAL, reason="duplicate", expected_version=1)
    session.commit()
    default = client.get("/api/v1/facilities").get_json()
    everything = client.get("/api/v1/facilities?include_deleted=true").get_json()
    assert (default["numberMatched"], everything["numberMatched"]) == (4, 5)


def test_single_facility_and_its_history(client, sites):
    facility = sites[4]
    feature = client.get(f"/api/v1/facilities/{facility.id}").get_json()
    assert feature["properties"]["status"] == "closed"
    assert feature["properties"]["version"] == 2
    assert "test_methods" in feature["properties"]
    assert "beds_total" not in feature["properties"]
    history = client.get(f"/api/v1/facilities/{facility.id}/history").get_json()
    fields = [change["field"] for change in history["changes"]]
    assert fields[-1] == "created"
    assert "status" in fields
    assert history["changes"][0]["changed_at"].endswith("Z")


def test_unknown_facility_is_404_json(client):
    response = client.get("/api/v1/facilities/999999")
    assert response.status_code == 404
    assert response.get_json()["message"] == "there is no facility with id 999999"


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("type=clinic", ["type", "'clinic'"]),
        ("status=busy", ["status", "'busy'"]),
        ("province=Chiang Mai", ["province", "'Chiang Mai'"]),
        ("province=TH5001", ["province", "'TH5001'"]),
        ("bbox=1,2,3", ["bbox", "'1,2,3'"]),
        ("bbox=100,20,99,21", ["bbox", "west < east"]),
        ("limit=0", ["limit", "between 1 and 1000"]),
        ("limit=ten", ["limit", "'ten'"]),
        ("updated_since=yesterday", ["updated_since", "'yesterday'"]),
        ("provnce=TH50", ["provnce", "unknown query parameter"]),
    ],
)
def test_bad_parameters_are_400_with_a_message_naming_them(client, query, names):
    response = client.get(f"/api/v1/facilities?{query}")
    assert response.status_code == 400
    body = response.get_json()
    for name in names:
        assert name in body["message"]


def test_areas_by_level_and_parent(client):
    provinces = client.get("/api/v1/areas?level=province").get_json()
    assert provinces["numberMatched"] == 77
    assert provinces["features"][0]["geometry"] is None
    districts = client.get("/api/v1/areas?parent=TH50").get_json()
    assert districts["numberMatched"] == 25  # Chiang Mai's amphoe
    assert all(f["properties"]["parent_code"] == "TH50" for f in districts["features"])
    every_level = client.get("/api/v1/areas?level=subdistrict").get_json()
    assert every_level["numberMatched"] == 7425


def test_one_area_with_its_boundary(client):
    body = client.get("/api/v1/areas/50").get_json()
    assert body["properties"]["name_en"] == "Chiang Mai"
    assert body["properties"]["dopa_code"] == "50"
    assert body["geometry"]["type"] == "MultiPolygon"
    assert client.get("/api/v1/areas/TH99").status_code == 404
    assert client.get("/api/v1/areas?level=region").status_code == 400
