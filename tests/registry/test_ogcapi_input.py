"""OGC API Features: hostile or unusual input is a 400 naming the parameter, never a 500,
and the catalog and database paths read it alike."""

from __future__ import annotations

import json

import pytest

from tests.registry.helpers import BANGKOK, make_facility

ITEMS = "/api/ogc/collections/facilities/items"
UTM = "EPSG:32647"


@pytest.fixture
def sites(session):
    made = [
        make_facility(session, name_th="รพ.เชียงใหม่", hcode="10713", source="moph_hospitals"),
        make_facility(session, name_th="รพ.กรุงเทพ", name_en="Queen's Hospital", **BANGKOK),
    ]
    session.commit()
    return made


def _refused(client, named: str, **query) -> str:
    answer = client.get(ITEMS, query_string=query)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    message = answer.get_json()["message"]
    assert named in message
    return message


@pytest.mark.parametrize(
    "query",
    [
        {"bbox": "-2e7,0,2e7,1", "bbox-crs": UTM},  # infinities from pyproj: was a 500
        {"bbox": "1e7,1e7,2e7,2e7", "bbox-crs": UTM},  # the catalog matched every site
        {"bbox": "1e7,1e7,2e7,2e7", "bbox-crs": UTM, "filter": "version >= 0"},
        {"filter-crs": UTM, "filter": "S_INTERSECTS(geometry,BBOX(-2e7,0,2e7,1))"},
        {"filter-crs": UTM, "filter": "S_INTERSECTS(geometry,POINT(5000000 5000000))"},
    ],
)
def test_projected_geometry_outside_the_zone_is_a_400(client, sites, query):
    named = "bbox" if "bbox" in query else "filter"
    message = _refused(client, named, **query)
    assert "area of use of EPSG:32647" in message


def test_projected_bbox_over_the_whole_country_is_read(client, sites):
    """Either Thai zone takes a box reaching past its edge (Thailand spans both)."""
    box = "300000,600000,1300000,2300000"  # 97 to 106 degrees east in zone 47
    for extra in ({}, {"filter": "version >= 0"}):
        answer = client.get(ITEMS, query_string={"bbox": box, "bbox-crs": UTM, **extra})
        assert answer.get_json()["numberMatched"] == 2


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00"])
@pytest.mark.parametrize(
    ("named", "query"),
    [
        ("datetime", lambda t: {"datetime": t}),
        ("datetime", lambda t: {"datetime": f"../{t}"}),
        ("updated_at", lambda t: {"updated_at": t}),
        ("filter", lambda t: {"filter": f"updated_at > TIMESTAMP('{t}')"}),
        (
            "filter",
            lambda t: {
                "filter-lang": "cql2-json",
                "filter": json.dumps(
                    {"op": ">", "args": [{"property": "updated_at"}, {"timestamp": t}]}
                ),
            },
        ),
    ],
)
def test_a_time_past_the_calendar_in_utc_is_a_400(client, sites, stamp, named, query):
    """These were 500s while the statement was bound (pygeofilter itself refuses the
    filters' 9999 times with its own message)."""
    message = _refused(client, named, **query(stamp))
    assert "outside the years 1 to 9999 in UTC" in message or "9999" in message


def _nested(levels: int) -> str:
    text = "type='hospital'"
    for level in range(levels):
        operator = "AND version=1" if level % 2 else "OR version=2"
        text = f"({text} {operator})"
    return text


def _nested_json(levels: int) -> str:
    node = {"op": "=", "args": [{"property": "type"}, "hospital"]}
    for level in range(levels):
        operator = "and" if level % 2 else "or"
        node = {"op": operator, "args": [node, {"op": "=", "args": [{"property": "version"}, 1]}]}
    return json.dumps(node)


@pytest.mark.parametrize(
    "query",
    [
        {"filter": _nested(140)},
        {"filter": _nested_json(140), "filter-lang": "cql2-json"},
    ],
)
def test_a_filter_nested_too_deeply_is_a_400(client, sites, query):
    assert "at most 50 levels" in _refused(client, "filter", **query)


def test_a_recursion_error_while_the_filter_is_compiled_is_a_400(client, sites, monkeypatch):
    monkeypatch.setattr("registry.ogcapi.cql.MAX_FILTER_DEPTH", 10**6)
    _refused(client, "nested too deeply", filter=_nested(400))


def test_a_run_of_one_operator_is_one_level(client, sites):
    run = " OR ".join(f"version={n}" for n in range(2, 400)) + " OR version=1"
    answer = client.get(ITEMS, query_string={"filter": run})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["numberMatched"] == 2
    assert client.get(ITEMS, query_string={"filter": _nested(40)}).status_code == 200
    # Longer runs are too deep for the database (SQLite's limit is 1000): a 400, not a 503.
    run = " OR ".join(f"version={n}" for n in range(2, 1_200))
    assert "at most 50 levels" in _refused(client, "filter", filter=run)


@pytest.mark.parametrize(
    ("pattern", "matched"),
    [
        ("MOPH%", 0),  # CQL2 LIKE matches case; SQLite's LIKE did not
        ("moph%", 1),
        ("moph_hospital_", 1),  # _ is one character
        ("moph\\_hosp%", 1),  # an escaped wildcard is itself
        ("moph\\%", 0),
        ("moph.hospitals", 0),  # a dot is a dot (pygeofilter calls it the wildcard)
        ("*", 0),  # GLOB's own characters are themselves
        ("moph?hospitals", 0),
        ("[m]oph%", 0),
    ],
)
def test_like_is_case_sensitive_and_keeps_its_wildcards(client, sites, pattern, matched):
    quoted = pattern.replace("'", "''")
    for query in (
        {"filter": f"source LIKE '{quoted}'"},
        {
            "filter-lang": "cql2-json",
            "filter": json.dumps({"op": "like", "args": [{"property": "source"}, pattern]}),
        },
    ):
        answer = client.get(ITEMS, query_string=query)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert answer.get_json()["numberMatched"] == matched, query


def test_like_keeps_thai_and_refuses_a_dangling_escape(client, sites):
    answer = client.get(ITEMS, query_string={"filter": "name_th LIKE 'รพ.เชียง%'"})
    assert answer.get_json()["numberMatched"] == 1
    _refused(client, "escape", filter="source LIKE 'moph\\'")


def _today(session) -> str:
    from registry.models import Facility

    stamp = session.query(Facility.updated_at).limit(1).scalar()
    return stamp.date().isoformat()


@pytest.mark.parametrize(
    "interval",
    ["{d}", "{d}/{d}", "../{d}", "{d}/..", "{d}T00:00:00Z/{d}", "{d}/{d}T23:59:59.999999z"],
)
def test_a_date_in_datetime_is_its_whole_day(client, session, sites, interval):
    value = interval.format(d=_today(session))
    answer = client.get(ITEMS, query_string={"datetime": value})
    assert answer.get_json()["numberMatched"] == 2, value


@pytest.mark.parametrize(
    "value", ["20261207", "2021-W31", "2021-08-01 00:00", "2021-02-30", "2021-08-01T00:00:00+0700"]
)
def test_datetime_takes_rfc_3339_only(client, sites, value):
    _refused(client, "RFC 3339", datetime=value)
    _refused(client, "RFC 3339", datetime=f"../{value}")
    _refused(client, "updated_at", updated_at=value)


def test_datetime_on_a_collection_without_time_is_a_400(client):
    answer = client.get("/api/ogc/collections/provinces/items", query_string={"datetime": "1900"})
    assert answer.status_code == 400
    answer = client.get(
        "/api/ogc/collections/provinces/items", query_string={"datetime": "1900-01-01"}
    )
    assert answer.status_code == 400 and "no temporal property" in answer.get_json()["message"]


@pytest.mark.parametrize("code", ["10713", "๑๐๗๑๓", " 10713 ", "10713.0"])
def test_hcode_is_read_as_api_v1_reads_it(client, session, sites, code):
    make_facility(session, hcode="A00012345")
    make_facility(session, hcode="00018")
    session.commit()
    for value, expected in ((code, sites[0].id), ("a00012345", None), ("18", None)):
        for query in ({"hcode": value}, {"filter": f"hcode = '{value}'"}):
            body = client.get(ITEMS, query_string=query).get_json()
            assert body["numberMatched"] == 1, (query, body)
            if expected:
                assert body["features"][0]["id"] == expected
    _refused(client, "MOPH hcode", hcode="junk")
    _refused(client, "MOPH hcode", filter="hcode IN ('10713', 'junk')")


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("name_en = 'Queen''s Hospital'", 1),  # a doubled quote is a quote
        ("name_en LIKE '%''s%' AND name_th <> ''", 1),
        ("NOT(NOT(name_en = 'Queen''s Hospital'))", 1),
        ("NOT (NOT (version = 1 OR version = 2))", 2),
        ("TRUE", 2),
        ("FALSE", 0),
        ("(TRUE) AND NOT FALSE", 2),
        ("EXCLUDE", 0),  # was read as INCLUDE
        ("version = 1 OR FALSE", 2),
    ],
)
def test_valid_cql2_text_is_read(client, sites, text, matched):
    answer = client.get(ITEMS, query_string={"filter": text})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["numberMatched"] == matched


def _json_bbox(bbox: list) -> dict[str, str]:
    expression = {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": bbox}]}
    return {"filter-lang": "cql2-json", "filter": json.dumps(expression)}


T_AFTER_JSON = {"op": "t_after", "args": [{"property": "updated_at"}, {"timestamp": "2021"}]}


@pytest.mark.parametrize(
    ("query", "named", "says"),
    [
        (
            {"filter": "T_AFTER(updated_at, TIMESTAMP('2021-01-01T00:00:00Z'))"},
            "filter",
            "T_AFTER is not supported",
        ),
        (
            {"filter-lang": "cql2-json", "filter": json.dumps(T_AFTER_JSON)},
            "filter",
            "is not supported",
        ),
        ({"filter-lang": "bogus"}, "filter-lang", "bogus"),  # checked without a filter too
        ({"filter-crs": "foo"}, "filter-crs", "foo"),
        ({"filter": "S_INTERSECTS(geometry,BBOX(102,13,98,14))"}, "filter", "antimeridian"),
        (_json_bbox([102, 13, 98, 14]), "filter", "antimeridian"),
        (_json_bbox([98, 13, True, 14]), "filter", "4 or 6 numbers"),
        (_json_bbox([98, 13, 102]), "filter", "4 or 6 numbers"),
    ],
)
def test_cql2_that_cannot_be_run_says_why(client, sites, query, named, says):
    assert says in _refused(client, named, **query)


def test_a_feature_has_one_id(client, sites):
    """Leading zeros, other scripts' digits and another case name no feature: 404."""
    key = sites[0].id
    one = f"/api/ogc/collections/facilities/items/{key}"
    assert client.get(one).status_code == 200
    fullwidth = "".join(chr(ord(d) - ord("0") + ord("０")) for d in str(key))
    thai = "".join(chr(ord(d) - ord("0") + ord("๐")) for d in str(key))
    for spelling in (f"0{key}", fullwidth, thai, f"+{key}", f" {key}"):
        answer = client.get(f"/api/ogc/collections/facilities/items/{spelling}")
        assert answer.status_code == 404, spelling
    provinces = "/api/ogc/collections/provinces/items"
    assert client.get(f"{provinces}/TH50").status_code == 200
    assert client.get(f"{provinces}/th50").status_code == 404


def test_the_openapi_document_declares_the_statuses_the_server_answers(client, sites):
    """OGC API Features /req/oas30/completeness: each operation lists every status it uses."""
    paths = client.get("/api/ogc/api").get_json()["paths"]
    items = "/collections/facilities/items"
    one = f"{items}/{sites[0].id}"
    etag = client.get(f"/api/ogc{items}").headers["ETag"]
    asked = [
        (items, items, {}),
        (items, items, {"If-None-Match": etag}),
        (items, items, {"If-Match": '"nope"'}),
        (items, items, {"Range": "bytes=0-9"}),
        (items, items, {"Range": "bytes=99999999-"}),
        (f"{items}?limit=0", items, {}),
        (one, items + "/{featureId}", {"Range": "bytes=0-9"}),
        (f"{items}/999999", items + "/{featureId}", {}),
        ("/conformance", "/conformance", {"If-None-Match": "*"}),
        ("/collections/nope", "/collections/{collectionId}", {}),
    ]
    seen = set()
    for url, path, headers in asked:
        status = client.get(f"/api/ogc{url}", headers=headers).status_code
        assert str(status) in paths[path]["get"]["responses"], (url, headers, status)
        seen.add(status)
    assert seen == {200, 206, 304, 400, 404, 412, 416}
