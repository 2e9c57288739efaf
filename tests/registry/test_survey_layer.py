"""The survey as demand: a measured layer of the unvaccinated, bedridden left out, kept current.

Layout: a vaccination site at Tha Phae Gate; the survey counts a village of Si Phum 1 km
from it (with a village point) and the whole of Choeng Doi, Doi Saket (no point: its people
stand at a point inside it, 24 km from the gate).
"""

from __future__ import annotations

import pytest

from registry.coverage import population, population_store
from registry.coverage import service as coverage_service
from registry.errors import ValidationError
from registry.models import PopulationLayer, PopulationUnit
from registry.survey import layer as survey_layer
from registry.survey import records as survey_records
from registry.survey import service as survey
from registry.survey.layer import LAYER_GROUPS, SURVEY_LAYER
from registry.survey.service import Surveyor
from tests.registry.conftest import bearer, sign_in
from tests.registry.helpers import make_facility

SI_PHUM, CHOENG_DOI = "TH500101", "TH500501"
VILLAGE_POINT = {"lat": "18.795", "lon": "98.985"}
LOADER = Surveyor("loader", "cli")
URL = (
    f"/api/v1/coverage?type=vaccination_site&threshold_km=10&level=subdistrict&province=TH50"
    f"&layer={SURVEY_LAYER}"
)


@pytest.fixture(autouse=True)
def fresh_caches():
    coverage_service.answers.clear()
    population.layer_cache.clear()
    yield
    coverage_service.answers.clear()
    population.layer_cache.clear()


def record(area, **values):
    base = {
        "area_code": area,
        "survey_date": "2021-11-15",
        "residents_general": 300,
        "unvaccinated_general": 30,
        "residents_elderly": 80,
        "unvaccinated_elderly": 12,
        "residents_bedridden": 9,
        "unvaccinated_bedridden": 7,
        "residents_children_5_11": 40,
        "unvaccinated_children_5_11": 25,
    }
    base.update(values)
    return base


@pytest.fixture
def surveyed(session):
    make_facility(session, type="vaccination_site", name_th="จุดฉีดประตูท่าแพ", walk_in=True)
    near = survey.create_record(session, record(SI_PHUM, village_no=1, **VILLAGE_POINT), LOADER)
    far = survey.create_record(
        session, record(CHOENG_DOI, unvaccinated_general=3, unvaccinated_elderly=1), LOADER
    )
    session.commit()
    return near, far


def layer_row(session) -> PopulationLayer:
    session.expire_all()
    return survey_layer.find(session)


def test_layer_totals_equal_the_latest_counts_without_the_bedridden(session, surveyed):
    near, far = surveyed
    layer = layer_row(session)
    assert layer.kind == "measured" and layer.finest_level == 3
    assert layer.group_columns == list(LAYER_GROUPS) and "bedridden" not in layer.group_columns
    expected = sum(getattr(r, f"unvaccinated_{g}") for r in (near, far) for g in LAYER_GROUPS)
    assert expected == (30 + 12 + 25) + (3 + 1 + 25)
    assert layer.total_population == expected and layer.unit_count == 2
    assert layer.as_of == "2021-11-15"
    units = population.layer_units(session, population.find_layer(session, SURVEY_LAYER))
    by_area = units.set_index("area_code")
    assert by_area.loc[SI_PHUM, "elderly"] == 12 and by_area.loc[CHOENG_DOI, "elderly"] == 1
    assert (by_area.loc[SI_PHUM, "lon"], by_area.loc[SI_PHUM, "lat"]) == (98.985, 18.795)
    # No village point: a point inside Choeng Doi stands for its people.
    assert population_store.representative_points(session, [CHOENG_DOI])[
        CHOENG_DOI
    ] == pytest.approx((by_area.loc[CHOENG_DOI, "lon"], by_area.loc[CHOENG_DOI, "lat"]))


def test_the_survey_layer_is_for_accounts_only(client, session, surveyed, accounts):
    refused = client.get(URL)
    assert refused.status_code == 403
    assert "sign in" in refused.get_json()["message"]
    assert client.get(f"/coverage?layer={SURVEY_LAYER}").status_code == 403
    listed = client.get("/api/v1/population/layers").get_json()["layers"]
    assert SURVEY_LAYER not in {layer["name"] for layer in listed}
    assert SURVEY_LAYER not in client.get("/coverage").get_data(as_text=True)
    with_token = client.get(URL, headers=bearer(session, accounts["planner"]))
    assert with_token.status_code == 200
    listed = client.get(
        "/api/v1/population/layers", headers=bearer(session, accounts["volunteer"])
    ).get_json()["layers"]
    assert SURVEY_LAYER in {layer["name"] for layer in listed}


def test_coverage_api_answers_on_the_survey_layer(client, surveyed, accounts):
    sign_in(client, accounts["planner"])
    body = client.get(URL).get_json()
    assert body["layer"]["name"] == SURVEY_LAYER and body["layer"]["kind"] == "measured"
    items = {item["code"]: item for item in body["items"]}
    assert set(items) == {SI_PHUM, CHOENG_DOI}
    assert (items[SI_PHUM]["population"], items[SI_PHUM]["covered"]) == (67, 67)
    assert (items[CHOENG_DOI]["population"], items[CHOENG_DOI]["uncovered"]) == (29, 29)
    assert items[CHOENG_DOI]["children_5_11_uncovered"] == 25
    assert "bedridden_population" not in items[SI_PHUM]


def test_a_correction_refreshes_coverage_answers(session, client, surveyed, accounts):
    near, _far = surveyed
    sign_in(client, accounts["planner"])
    before = client.get(URL).get_json()
    checksum = layer_row(session).checksum
    survey.correct_record(
        session, near.id, {"unvaccinated_general": 50}, LOADER, expected_version=1
    )
    session.commit()
    assert layer_row(session).checksum != checksum
    after = {i["code"]: i for i in client.get(URL).get_json()["items"]}
    assert {i["code"]: i for i in before["items"]}[SI_PHUM]["population"] == 67
    assert after[SI_PHUM]["population"] == 87


def test_a_change_that_moves_no_demand_keeps_the_layer(session, surveyed):
    near, _far = surveyed
    checksum = layer_row(session).checksum
    survey.correct_record(
        session,
        near.id,
        {"unvaccinated_bedridden": 3, "referred_home_visit": 3},
        LOADER,
        expected_version=1,
    )
    session.commit()
    assert layer_row(session).checksum == checksum  # cached coverage answers stay valid


def test_newer_records_replace_older_ones_and_withdrawals_leave(session, surveyed):
    _near, far = surveyed
    survey.create_record(
        session,
        record(
            SI_PHUM,
            village_no=1,
            survey_date="2021-11-20",
            unvaccinated_general=0,
            unvaccinated_elderly=0,
            unvaccinated_children_5_11=0,
        ),
        LOADER,
    )
    session.commit()
    layer = layer_row(session)
    assert layer.unit_count == 1 and layer.total_population == 29  # nobody left in Si Phum
    assert layer.as_of == "2021-11-20"
    survey.withdraw_record(session, far.id, LOADER, reason="entered twice", expected_version=1)
    session.commit()
    layer = layer_row(session)
    assert layer.unit_count == 0 and layer.total_population == 0


def test_full_rebuild_equals_the_kept_current_layer(session, surveyed):
    near, _far = surveyed
    survey.correct_record(session, near.id, {"unvaccinated_elderly": 2}, LOADER, expected_version=1)
    session.commit()
    kept = layer_row(session)
    kept_total, kept_units = kept.total_population, kept.unit_count
    outcome = survey.rebuild_survey_layer(session, created_by="tests")
    session.commit()
    assert (outcome.layer.total_population, outcome.layer.unit_count) == (kept_total, kept_units)
    assert session.query(PopulationUnit).filter_by(layer_id=outcome.layer.id).count() == 2


def test_no_records_no_layer(session):
    assert survey.rebuild_survey_layer(session, created_by="tests") is None
    assert survey_layer.find(session) is None


def test_planner_page_offers_the_survey_layer(client, surveyed, accounts):
    sign_in(client, accounts["planner"])
    page = client.get(f"/coverage?layer={SURVEY_LAYER}&level=subdistrict&province=TH50&lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:500]
    assert f'value="{SURVEY_LAYER}" selected' in html
    assert "Unvaccinated residents, latest survey" in html


def test_replace_area_units_refuses_units_outside_the_areas(session, surveyed):
    units = survey_layer.units_from_records(session, survey_records.counted_records(session))
    with pytest.raises(ValidationError, match="outside the areas being replaced"):
        population_store.replace_area_units(session, SURVEY_LAYER, units, [SI_PHUM])
