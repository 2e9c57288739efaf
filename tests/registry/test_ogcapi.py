"""OGC API Features through the test client: documents, paging, CRS, CQL2 and its 400s."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event
from werkzeug.datastructures import MultiDict

from registry.db import db
from registry.facilities.service import deactivate_facility, update_facility
from registry.nearest.catalog import catalogs
from registry.ogcapi import catalog_items, items, request_args
from registry.ogcapi.collections import COLLECTIONS
from registry.ogcapi.openapi import ITEM_PARAMETERS
from registry.ogcapi.request_args import ITEMS
from tests.registry.helpers import BANGKOK, OFFICIAL, make_facility

BASE = "/api/ogc"


@pytest.fixture
def sites(session):
    made = [
        make_facility(session, name_th="รพ.เชียงใหม่ 1", beds_total=120, hcode="10713"),
        make_facility(session, name_th="รพ.เชียงใหม่ 2", beds_total=30),
        make_facility(
            session,
            type="vaccination_site",
            name_th="จุดฉีด เชียงใหม่",
            vaccine_brands=["pfizer"],
            walk_in=True,
        ),
        make_facility(session, name_th="รพ.กรุงเทพ", beds_total=900, **BANGKOK),
        make_facility(session, type="covid_test_point", name_th="จุดตรวจ", **BANGKOK),
    ]
    deactivate_facility(session, made[1].id, OFFICIAL, reason="duplicate", expected_version=1)
    session.commit()
    return made


def _items(client, collection: str, **query) -> dict:
    answer = client.get(f"{BASE}/collections/{collection}/items", query_string=query)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def test_landing_conformance_and_collections(client):
    landing = client.get(f"{BASE}/").get_json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"service-desc", "conformance", "data", "self"} <= rels
    bare = client.get(BASE)  # as GDAL and QGIS are given it: no redirect to follow
    assert bare.status_code == 200 and bare.get_json() == landing
    conformance = client.get(f"{BASE}/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conformance
    collections = client.get(f"{BASE}/collections").get_json()["collections"]
    assert [c["id"] for c in collections] == list(COLLECTIONS)
    hospital = client.get(f"{BASE}/collections/hospital").get_json()
    assert "http://www.opengis.net/def/crs/EPSG/0/32647" in hospital["crs"]
    assert client.get(f"{BASE}/collections/nope").status_code == 404


def test_public_rules_leave_out_deactivated_sites(client, sites):
    body = _items(client, "hospital")
    assert {f["id"] for f in body["features"]} == {sites[0].id, sites[3].id}
    assert body["numberMatched"] == body["numberReturned"] == 2
    synced = _items(client, "hospital", include_deleted="true")
    assert synced["numberMatched"] == 3
    # One feature stays reachable by its link, marked as deactivated.
    one = client.get(f"{BASE}/collections/hospital/items/{sites[1].id}").get_json()
    assert one["properties"]["deleted_at"]


def test_each_type_collection_has_only_its_type_and_fields(client, sites):
    body = _items(client, "vaccination_site")
    assert [f["properties"]["vaccine_brands"] for f in body["features"]] == [["pfizer"]]
    assert "beds_total" not in body["features"][0]["properties"]
    everything = _items(client, "facilities")
    assert everything["numberMatched"] == 4
    assert all("beds_total" in f["properties"] for f in everything["features"])


def test_paging_with_next_links_reaches_every_feature_once(client, sites):
    seen, url = [], f"{BASE}/collections/facilities/items?limit=1"
    while url:
        body = client.get(url).get_json()
        assert body["numberReturned"] <= 1
        seen += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    assert sorted(seen) == sorted({s.id for s in sites} - {sites[1].id})


def test_bbox_and_property_filters(client, sites):
    chiang_mai = _items(client, "facilities", bbox="98.9,18.7,99.1,18.9")
    assert {f["id"] for f in chiang_mai["features"]} == {sites[0].id, sites[2].id}
    assert _items(client, "facilities", type="hospital", province_code="TH10")["numberMatched"] == 1


def test_crs_of_the_answer_and_of_the_bbox(client, sites):
    utm = "http://www.opengis.net/def/crs/EPSG/0/32647"
    answer = client.get(f"{BASE}/collections/hospital/items", query_string={"crs": utm})
    assert answer.headers["Content-Crs"] == f"<{utm}>"
    x, y = next(
        f["geometry"]["coordinates"]
        for f in answer.get_json()["features"]
        if f["id"] == sites[0].id
    )
    assert x == pytest.approx(499_300, abs=1_000) and y == pytest.approx(2_077_700, abs=1_000)
    lat_first = _items(
        client, "hospital", crs="http://www.opengis.net/def/crs/EPSG/0/4326", limit=10
    )
    lat, lon = next(f for f in lat_first["features"] if f["id"] == sites[0].id)["geometry"][
        "coordinates"
    ]
    assert (lat, lon) == pytest.approx((18.7877, 98.9934))
    in_utm = _items(client, "facilities", bbox="495000,2070000,505000,2085000", **{"bbox-crs": utm})
    assert {f["id"] for f in in_utm["features"]} == {sites[0].id, sites[2].id}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("beds_total > 100", {0, 3}),
        ("beds_total BETWEEN 100 AND 500", {0}),
        ("name_th LIKE 'รพ.%' AND NOT province_code = 'TH10'", {0}),
        ("type IN ('covid_test_point', 'vaccination_site')", {2, 4}),
        ("hcode IS NULL AND type = 'hospital'", {3}),
        (
            "S_INTERSECTS(geometry, "
            "POLYGON((98.9 18.7, 99.1 18.7, 99.1 18.9, 98.9 18.9, 98.9 18.7)))",
            {0, 2},
        ),
        ("S_INTERSECTS(geometry, BBOX(100, 13, 101, 14)) OR beds_total = 120", {0, 3, 4}),
        ("updated_at > TIMESTAMP('2000-01-01T00:00:00Z')", {0, 2, 3, 4}),
    ],
)
def test_cql2_text_is_evaluated_in_the_database(client, sites, text, expected):
    body = _items(client, "facilities", filter=text)
    assert {f["id"] for f in body["features"]} == {sites[i].id for i in expected}
    assert body["numberMatched"] == len(expected)


def test_cql2_json(client, sites):
    expression = {
        "op": "and",
        "args": [
            {"op": ">=", "args": [{"property": "beds_total"}, 100]},
            {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [98, 18, 100, 20]}]},
        ],
    }
    body = _items(client, "hospital", filter=json.dumps(expression), **{"filter-lang": "cql2-json"})
    assert [f["id"] for f in body["features"]] == [sites[0].id]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"filter": "beds_total > 'many'"}, "beds_total"),
        ({"filter": "nosuchfield = 1"}, "nosuchfield"),
        ({"filter": "status = "}, "column"),
        ({"filter": "{", "filter-lang": "cql2-json"}, "cql2-json"),
        ({"filter": "beds_total + 1 > 2"}, "filter"),
        ({"filter": "x", "filter-lang": "sql"}, "filter-lang"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "99,19,98,18"}, "bbox"),
        ({"crs": "EPSG:3857"}, "crs"),
        ({"limit": "0"}, "limit"),
        ({"limit": "10001"}, "limit"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"beds_total": "lots"}, "beds_total"),
        ({"status": "sleeping"}, "status"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_requests_are_400s_that_name_the_part(client, sites, query, named):
    answer = client.get(f"{BASE}/collections/hospital/items", query_string=query)
    assert answer.status_code == 400
    assert named in answer.get_json()["message"]


def test_openapi_parameters_are_the_ones_the_endpoint_accepts():
    assert set(ITEM_PARAMETERS) == set(ITEMS)


def test_openapi_document_validates(client):
    from openapi_spec_validator import validate

    answer = client.get(f"{BASE}/api")
    assert answer.headers["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    document = answer.get_json()
    validate(document)
    items = document["paths"]["/collections/hospital/items"]["get"]["parameters"]
    names = {p["name"] for p in items}
    assert {"beds_total", "status", "bbox", "filter", "crs"} <= names


def test_html_pages_in_both_languages(client, sites):
    for path in ("/", "/collections", "/collections/hospital", "/collections/hospital/items"):
        thai = client.get(f"{BASE}{path}?f=html&lang=th")
        assert thai.status_code == 200 and "text/html" in thai.content_type
        assert "ชั้นข้อมูล" in thai.get_data(as_text=True)
    page = client.get(f"{BASE}/collections/hospital/items", headers={"Accept": "text/html"})
    assert "รพ.เชียงใหม่ 1" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        {"bbox": "-432430010817.0,-1.0,0.0,0.0", "bbox-crs": "EPSG:32647"},
        {"name_th": "a\x00b"},
        {"filter": "name_th = 'a\x00'"},
    ],
)
def test_what_the_fuzzer_found_is_a_400(client, query):
    answer = client.get(f"{BASE}/collections/facilities/items", query_string=query)
    assert answer.status_code == 400, answer.get_data(as_text=True)


UTM = "http://www.opengis.net/def/crs/EPSG/0/32647"


@pytest.mark.parametrize(
    ("collection_id", "args"),
    [
        ("facilities", {}),
        ("facilities", {"bbox": "98.9,18.7,99.1,18.9", "limit": "1"}),
        ("facilities", {"limit": "2", "after": "0", "offset": "1"}),
        ("hospital", {"bbox": "97,5,106,21"}),
        ("vaccination_site", {"crs": "EPSG:4326"}),
        ("facilities", {"bbox": "495000,2070000,505000,2085000", "bbox-crs": UTM, "crs": UTM}),
        ("covid_test_point", {"bbox": "0,0,1,1"}),
    ],
)
def test_the_catalog_answers_as_the_database_does(app, sites, collection_id, args):
    """Pages asked by bbox, paging and crs alone come from the catalog: same features,
    numberMatched and next key as the database gives."""
    with app.test_request_context():
        query = request_args.items_query(COLLECTIONS[collection_id], MultiDict(args))
        assert catalog_items.answerable(query)
        fast = catalog_items.page(catalogs.get(db.bind).snapshot(db.bind), query)
        rows, matched = items.page_and_count(db.session, query, db.state().spatial)
        texts = items.feature_texts(query.collection, rows, query.crs)
    assert fast.matched == matched
    assert [json.loads(f) for f in fast.features] == [json.loads(t) for t in texts]
    assert fast.last_key == (rows[-1]._key if rows else None)


def test_a_bbox_page_reads_no_facility_row_and_sees_every_write(client, connection, session, sites):
    _items(client, "facilities")  # the catalog is loaded once per process
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", seen)
    try:
        body = _items(client, "facilities", bbox="98.9,18.7,99.1,18.9", limit=1)
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    assert body["numberMatched"] == 2 and body["numberReturned"] == 1
    assert not [s for s in statements if "FROM facility" in s], statements
    update_facility(session, sites[0].id, {"beds_total": 121}, OFFICIAL, expected_version=1)
    session.commit()
    again = _items(client, "hospital", bbox="98.9,18.7,99.1,18.9")
    assert [f["properties"]["beds_total"] for f in again["features"]] == [121]
    assert _items(client, "facilities", filter="beds_total = 121")["numberMatched"] == 1
