"""Coverage through the API on a hand-checked layout: numbers, formats, the live rule, errors.

The layout is in coverage_layout.py: 100 people 2.2 km from the only site, 200 people 33 km
from it (both in Chiang Mai), 50 in Bangkok; at 10 km, 250 people are left out.
"""

from __future__ import annotations

import csv
import io
import math

import pytest
from openpyxl import load_workbook

from registry.coverage import query as coverage_query
from registry.coverage import service
from registry.facilities.service import update_facility
from tests.registry.coverage_layout import (
    CITY,
    FAR,
    LAYER,
    NEAR,
    build_layout,
    fresh_caches,  # noqa: F401  (fixture)
    geodesic,
)
from tests.registry.helpers import CHIANG_MAI, OFFICIAL, make_facility

pytestmark = pytest.mark.usefixtures("fresh_caches")
GATE = (CHIANG_MAI["lon"], CHIANG_MAI["lat"])
BASE = f"/api/v1/coverage?type=vaccination_site&threshold_km=10&layer={LAYER}"


@pytest.fixture
def layout(session):
    return build_layout(session)


def _items(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.get_json()
    return {item["code"]: item for item in response.get_json()["items"]}


def test_hand_checked_layout_by_province(client, layout):
    response = client.get(BASE + "&level=province")
    body = response.get_json()

    assert body["totals"]["population"] == 350
    assert body["totals"]["covered"] == 100
    assert body["totals"]["uncovered"] == 250
    assert body["totals"]["facilities"] == 1
    assert body["layer"]["kind"] == "measured" and body["layer"]["name"] == LAYER
    items = {item["code"]: item for item in body["items"]}
    assert list(items) == ["TH10", "TH50"]
    chiang_mai = items["TH50"]
    assert chiang_mai["name_en"] == "Chiang Mai" and chiang_mai["name_th"] == "เชียงใหม่"
    assert (chiang_mai["population"], chiang_mai["covered"], chiang_mai["uncovered"]) == (
        300,
        100,
        200,
    )
    assert chiang_mai["share_covered"] == round(100 / 300, 6)
    # Half of the 300 people (150) are reached only at the far group: the median is its
    # distance, as is the 90th percentile.
    assert chiang_mai["median_m"] == round(geodesic(FAR, GATE), 1)
    assert chiang_mai["p90_m"] == round(geodesic(FAR, GATE), 1)
    assert items["TH10"]["median_m"] == round(geodesic(CITY, GATE), 1)
    # Groups of the layer come per area.
    assert chiang_mai["elderly_population"] == 50
    assert chiang_mai["elderly_covered"] == 10
    assert chiang_mai["elderly_uncovered"] == 40


def test_province_district_and_subdistrict_agree(client, layout):
    for level in ("district", "subdistrict"):
        items = _items(client, BASE + f"&level={level}&province=TH50")
        assert all(code.startswith("TH50") for code in items)
        assert sum(i["population"] for i in items.values()) == 300
        assert sum(i["uncovered"] for i in items.values()) == 200
    near_code = next(c for c, i in items.items() if i["covered"] == 100)
    assert near_code.startswith("TH5001")


def test_a_millimetre_decides_whether_the_far_group_is_covered(client, layout):
    far_km = geodesic(FAR, GATE) / 1000
    url = BASE + "&level=province"
    beyond = _items(client, url.replace("threshold_km=10", f"threshold_km={far_km + 1e-6!r}"))
    short = _items(client, url.replace("threshold_km=10", f"threshold_km={far_km - 1e-6!r}"))
    assert beyond["TH50"]["covered"] == 300
    assert short["TH50"]["covered"] == 100


def test_closing_the_site_changes_the_very_next_answer(client, session, layout):
    url = BASE + "&level=province&province=TH50"
    before = client.get(url).get_json()
    assert before["totals"]["covered"] == 100
    again = client.get(url).get_json()
    assert again == before
    assert service.answers.hits >= 1  # the second answer came from the cache

    update_facility(
        session,
        layout.site.id,
        {"status": "closed"},
        OFFICIAL,
        expected_version=layout.site.version,
    )
    session.commit()

    after = client.get(url).get_json()
    assert after["data_version"] > before["data_version"]
    assert after["totals"]["covered"] == 0
    assert after["totals"]["facilities"] == 0
    assert after["items"][0]["median_m"] is None  # no site anywhere: infinitely far

    # Counting every status again brings the closed site back.
    any_status = client.get(url + "&open_now=false").get_json()
    assert any_status["totals"]["covered"] == 100

    make_facility(session, type="vaccination_site", name_th="จุดฉีดใหม่", lon=FAR[0], lat=FAR[1])
    session.commit()
    reopened = client.get(url).get_json()
    assert reopened["totals"]["covered"] == 200


def test_filters_pick_the_sites(client, session, layout):
    # The gate site takes walk-ins; an appointment-only site stands next to the far group.
    make_facility(
        session,
        type="vaccination_site",
        name_th="นัดหมายเท่านั้น",
        lon=FAR[0],
        lat=FAR[1],
        walk_in=False,
        age_groups=["elderly"],
    )
    session.commit()
    url = BASE + "&level=province&province=TH50"
    assert _items(client, url)["TH50"]["covered"] == 300
    assert _items(client, url + "&walk_in=true")["TH50"]["covered"] == 100
    assert _items(client, url + "&age_group=elderly")["TH50"]["covered"] == 200
    # Hospitals are another type: none in the layout.
    assert _items(client, url.replace("vaccination_site", "hospital"))["TH50"]["covered"] == 0


def test_geojson_csv_and_xlsx_carry_the_same_numbers(client, layout):
    url = BASE + "&level=province"
    geojson = client.get(url + "&format=geojson")
    assert geojson.mimetype == "application/geo+json"
    features = {f["id"]: f for f in geojson.get_json()["features"]}
    assert features["TH50"]["geometry"]["type"] == "MultiPolygon"
    assert features["TH50"]["properties"]["uncovered"] == 200
    assert features["TH50"]["properties"]["population_kind"] == "measured"

    response = client.get(url + "&format=csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [(r["code"], r["uncovered"], r["population_kind"]) for r in rows] == [
        ("TH10", "50", "measured"),
        ("TH50", "200", "measured"),
    ]
    assert rows[1]["name_th"] == "เชียงใหม่"

    book = load_workbook(io.BytesIO(client.get(url + "&format=xlsx").get_data()))
    sheet = book["coverage"]
    header = [cell.value for cell in sheet[1]]
    values = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    assert [(v["code"], v["uncovered"]) for v in values] == [("TH10", 50), ("TH50", 200)]
    about = {row[0].value: row[1].value for row in book["about"].iter_rows()}
    assert about["layer kind"] == "measured"


def test_suggestions_hand_checked(client, session, layout):
    # A hospital beside the far group could start vaccinating: it would cover 200 people.
    hospital = make_facility(session, type="hospital", name_th="โรงพยาบาลทดสอบ", lon=FAR[0],
                             lat=FAR[1] + 0.01, beds_total=30)  # fmt: skip
    session.commit()
    url = (
        f"/api/v1/coverage/suggestions?type=vaccination_site&threshold_km=10&layer={LAYER}"
        "&province=TH50&candidates=facilities:hospital&k=3"
    )
    body = client.get(url).get_json()
    assert body["covered_before"] == 100 and body["total_population"] == 300
    assert [(p["candidate_id"], p["gain"], p["covered"]) for p in body["picks"]] == [
        (f"facility:{hospital.id}", 200, 300)
    ]
    assert body["covered_after"] == 300 and body["share_after"] == 1.0

    centres = client.get(url.replace("facilities:hospital", "subdistrict_centres")).get_json()
    assert centres["picks"] and centres["picks"][0]["gain"] == 200
    assert centres["candidate_count"] > 200  # Chiang Mai's subdistricts
    grid = client.get(url.replace("facilities:hospital", "grid") + "&format=geojson").get_json()
    assert grid["features"][0]["properties"]["gain"] == 200
    assert grid["features"][0]["geometry"]["type"] == "Point"


def test_capacity_for_hospitals_hand_checked(client, session, layout):
    make_facility(session, type="hospital", name_th="โรงพยาบาลเดียว", beds_total=35, **{
        "lon": GATE[0], "lat": GATE[1]})  # fmt: skip
    session.commit()
    body = client.get(
        f"/api/v1/coverage?type=hospital&threshold_km=10&layer={LAYER}&level=province"
    ).get_json()
    items = {item["code"]: item for item in body["items"]}
    # The only hospital serves all 350 people; its 35 beds are shared 300:50 between the
    # provinces: 30 beds for Chiang Mai (1,000 per 10,000) and 5 for Bangkok.
    assert items["TH50"]["beds_allocated"] == 30.0
    assert items["TH50"]["beds_per_10k"] == 1000.0
    assert items["TH10"]["beds_allocated"] == 5.0
    assert body["capacity"]["facilities"][0]["served_population"] == 350
    assert body["capacity"]["facilities"][0]["beds_per_10k_served"] == 1000.0
    assert "beds_per_10k" not in _items(client, BASE + "&level=province")["TH50"]


def test_level_finer_than_the_layer_is_refused(client, session, layout):
    from registry.coverage import population_store, population_units
    from registry.coverage.population_files import read_area_counts

    counts = read_area_counts(b"code,population\n50,1000\n", "p.csv")
    units, level, _ = population_units.units_from_area_counts(session, counts)
    population_store.store_layer(session, units, name="provinces", title="p", source="t",
                           kind="measured", finest_level=level, created_by="t")  # fmt: skip
    session.commit()
    response = client.get(BASE.replace(LAYER, "provinces") + "&level=district")
    assert response.status_code == 400
    assert response.get_json()["field"] == "level"
    assert "counts per province" in response.get_json()["message"]
    ok = client.get(BASE.replace(LAYER, "provinces") + "&level=province")
    assert ok.get_json()["items"][0]["population"] == 1000


@pytest.mark.parametrize(
    ("query", "field", "quoted"),
    [
        ("type=clinic", "type", "'clinic'"),
        ("type=", "type", ""),
        ("type=vaccination_site&threshold_km=abc", "threshold_km", "'abc'"),
        ("type=vaccination_site&threshold_km=-1", "threshold_km", "'-1'"),
        ("type=vaccination_site&threshold_km=500", "threshold_km", "'500'"),
        ("type=vaccination_site&level=village", "level", "'village'"),
        ("type=vaccination_site&province=THXX", "province", "'THXX'"),
        ("type=vaccination_site&province=TH99", "province", "'TH99'"),
        ("type=vaccination_site&open_now=maybe", "open_now", "'maybe'"),
        ("type=vaccination_site&walk_in=perhaps", "walk_in", "'perhaps'"),
        ("type=vaccination_site&vaccine_brand=sputnik", "vaccine_brand", "'sputnik'"),
        ("type=vaccination_site&age_group=teen", "age_group", "'teen'"),
        ("type=vaccination_site&format=pdf", "format", "'pdf'"),
        ("type=vaccination_site&colour=red", "colour", "'colour'"),
    ],
)
def test_bad_parameters_are_400_naming_them(client, layout, query, field, quoted):
    response = client.get(f"/api/v1/coverage?{query}&layer={LAYER}")
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["field"] == field
    assert quoted in body["message"]


@pytest.mark.parametrize(
    ("query", "field", "quoted"),
    [
        ("k=0", "k", "'0'"),
        ("k=many", "k", "'many'"),
        ("candidates=airports", "candidates", "'airports'"),
        ("candidates=facilities:clinic", "candidates", "'facilities:clinic'"),
        ("format=xlsx", "format", "'xlsx'"),
    ],
)
def test_bad_suggestion_parameters_are_400_naming_them(client, layout, query, field, quoted):
    response = client.get(
        f"/api/v1/coverage/suggestions?type=vaccination_site&layer={LAYER}&{query}"
    )
    assert response.status_code == 400
    assert response.get_json()["field"] == field
    assert quoted in response.get_json()["message"]


def test_unknown_layer_is_404_naming_it(client, layout):
    response = client.get("/api/v1/coverage?type=vaccination_site&layer=worldpop")
    assert response.status_code == 404
    assert response.get_json()["field"] == "layer"
    assert "'worldpop'" in response.get_json()["message"]


def test_curve_rises_with_the_threshold(client, layout):
    body = client.get(
        f"/api/v1/coverage/curve?type=vaccination_site&layer={LAYER}&province=TH50"
    ).get_json()
    covered = [item["covered"] for item in body["items"]]
    assert [item["threshold_km"] for item in body["items"]] == list(range(1, 31))
    assert covered == sorted(covered)
    assert covered[0] == 0 and covered[2] == 100 and covered[-1] == 100
    layers = client.get("/api/v1/population/layers").get_json()["layers"]
    assert [layer["name"] for layer in layers] == [LAYER]


def test_more_sites_never_cover_fewer_people(client, session, layout):
    """Through the service: adding a site anywhere never lowers any area's covered count."""
    from flask import current_app

    query = coverage_query.parse_coverage_query(
        {"type": "vaccination_site", "threshold_km": "40", "level": "district", "layer": LAYER}
    )
    with client.application.app_context():
        config = current_app.config
    before = service.coverage(session, query, config).areas.set_index("code")
    for lon, lat in (NEAR, (100.0, 15.0), CITY):
        make_facility(session, type="vaccination_site", name_th="เพิ่ม", lon=lon, lat=lat)
        session.commit()
        after = service.coverage(session, query, config).areas.set_index("code")
        assert (after["covered"] >= before["covered"]).all()
        before = after
    assert math.isclose(before["share_covered"].min(), 1.0)
