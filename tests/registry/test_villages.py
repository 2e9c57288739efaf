"""DOPA villages: search, survey records carrying the village code, progress by village.

Expected counts are read from the bundled village list with the csv module, independently of
the registry's loader.
"""

from __future__ import annotations

import csv
import gzip
from collections import Counter

import pytest
from sqlalchemy import insert

from registry.areas.villages import (
    VILLAGE_FILE,
    load_villages,
    read_village_file,
    search_villages,
    typed_number,
    village_index,
)
from registry.models import Village
from registry.paths import DATA_DIR
from registry.stats import service as service_stats
from registry.survey import service as survey
from registry.survey.rules import SurveyValidationError
from registry.survey.service import Surveyor
from tests.registry.conftest import add_user, sign_in

SI_PHUM = "TH500101"
SYSTEM = Surveyor("tests", "cli")


def file_villages() -> list[dict]:
    with gzip.open(DATA_DIR / VILLAGE_FILE, "rt", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["obsolete"] == "0"]


@pytest.fixture
def chiang_mai_villages(session):
    """Chiang Mai's villages only: the whole list is loaded by the demo test."""
    village_index.clear()
    service_stats.survey_parts.clear()
    rows = [
        row
        for row in read_village_file(DATA_DIR / VILLAGE_FILE)
        if row["subdistrict_code"].startswith("TH50")
    ]
    session.execute(insert(Village), rows)
    session.commit()
    yield rows
    village_index.clear()
    service_stats.survey_parts.clear()


def _counts(**values) -> dict:
    return {"survey_date": "2021-11-15", "residents_general": 10, **values}


def test_the_demo_list_is_the_files_current_villages(session):
    village_index.clear()
    assert load_villages(session, DATA_DIR) == ("loaded", 75_207)
    assert load_villages(session, DATA_DIR) == ("unchanged", 75_207)
    assert len(file_villages()) == 75_207


@pytest.mark.parametrize("typed", ["3", "๓", "หมู่ 3", "หมู่ที่ 3", "ม.3", "Mu 3", "moo 03"])
def test_a_number_is_read_however_it_is_written(typed):
    assert typed_number(typed) == 3


def test_search_by_number_and_by_thai_or_english_name(session, chiang_mai_villages):
    listed = [v for v in chiang_mai_villages if v["subdistrict_code"] == "TH500702"]
    assert listed, "the test needs a tambon with villages"
    target = listed[-1]
    by_number = search_villages(session, "TH500702", f"หมู่ {target['number']}")
    assert [v.code for v in by_number] == [target["code"]]
    thai = target["name_th"].removeprefix("บ้าน")
    assert target["code"] in [v.code for v in search_villages(session, "TH500702", thai)]
    english = target["name_en"].upper()
    assert target["code"] in [v.code for v in search_villages(session, "TH500702", english)]
    assert len(search_villages(session, "TH500702", "")) == len(listed)
    assert search_villages(session, "TH500702", "ไม่มีหมู่บ้านชื่อนี้") == []


def test_the_api_lists_a_subdistricts_villages_and_names_its_source(client, chiang_mai_villages):
    body = client.get("/api/v1/villages?subdistrict=500702&q=1").get_json()
    assert body["attribution"] == "กรมการปกครอง (DOPA)" and body["licence"] == "CC BY"
    assert [item["number"] for item in body["items"]] == [1]
    assert body["items"][0]["code"] == "50070201"


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("", "parameter 'subdistrict' is required"),
        ("?subdistrict=TH50", "'TH50' is not an area code like TH500101"),
        ("?subdistrict=TH500101&q=" + "x" * 101, "parameter 'q': 101 characters; at most 100"),
        ("?subdistrict=TH500101&limit=0", "limit"),
        ("?subdistrict=TH500101&where=1", "unknown query parameter 'where'"),
    ],
)
def test_the_api_refuses_bad_input_with_the_reason(client, query, words):
    response = client.get(f"/api/v1/villages{query}")
    assert response.status_code == 400
    assert words in response.get_json()["message"]


def test_records_carry_the_dopa_code_picked_typed_or_none(session, chiang_mai_villages):
    picked = next(v for v in chiang_mai_villages if v["subdistrict_code"] == "TH500702")
    record = survey.create_record(
        session, {"area_code": "TH500702", "village_code": picked["code"], **_counts()}, SYSTEM
    )
    assert (record.village_code, record.village_no) == (picked["code"], picked["number"])
    assert record.village_name == picked["name_th"]

    # A typed number of a listed village gets its code.
    typed = survey.create_record(
        session, {"area_code": "TH500702", "village_no": "๒", **_counts()}, SYSTEM
    )
    assert typed.village_code == "50070202"
    # A typed name matching no listed village is accepted, without a code (for an official).
    new = survey.create_record(
        session,
        {"area_code": "TH500702", "village_name": "บ้านใหม่พัฒนา 2566", **_counts()},
        SYSTEM,
    )
    assert new.id and new.village_code is None


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"village_code": "99999999"}, "village_code", "is not a village code on DOPA's list"),
        ({"village_code": "50050101"}, "village_code", "is a village of"),
        (
            {"village_code": "50070201", "village_no": "5"},
            "village_no",
            "is not the number of the village chosen from the list (Moo 1)",
        ),
    ],
)
def test_a_wrong_village_code_is_refused_naming_the_rule(
    session, chiang_mai_villages, values, field, words
):
    with pytest.raises(SurveyValidationError) as caught:
        survey.create_record(session, {"area_code": "TH500702", **values, **_counts()}, SYSTEM)
    assert caught.value.problems[0].field == field
    assert words in caught.value.message


def test_survey_progress_by_village_matches_an_independent_count(
    client, session, chiang_mai_villages, accounts
):
    file_rows = [row for row in file_villages() if row["tambon_pcode"].startswith("TH50")]
    per_district = Counter(row["tambon_pcode"][:6] for row in file_rows)
    reported = [row for row in file_rows if row["tambon_pcode"] == "TH500702"][:3]
    reported += [row for row in file_rows if row["tambon_pcode"] == "TH500203"][:1]
    assert len(reported) == 4
    for row in reported:
        survey.create_record(
            session,
            {"area_code": row["tambon_pcode"], "village_code": row["muban_geocode"], **_counts()},
            SYSTEM,
        )
    # A second record of a village already reported does not count it twice.
    survey.create_record(
        session,
        {
            "area_code": "TH500702",
            "village_code": reported[0]["muban_geocode"],
            **_counts(survey_date="2021-11-16"),
        },
        SYSTEM,
    )
    # A withdrawn one counts for nothing; an unlisted name counts apart.
    withdrawn_row = next(row for row in file_rows if row["tambon_pcode"] == "TH500501")
    gone = survey.create_record(
        session,
        {
            "area_code": "TH500501",
            "village_code": withdrawn_row["muban_geocode"],
            **_counts(),
        },
        SYSTEM,
    )
    survey.withdraw_record(session, gone.id, SYSTEM, reason="entered twice", expected_version=1)
    survey.create_record(
        session, {"area_code": "TH500702", "village_name": "บ้านใหม่", **_counts()}, SYSTEM
    )
    session.commit()

    body = client.get("/stats/TH50/village_progress.json").get_json()
    rows = {row["code"]: row for row in body["tables"]["village_progress"]["rows"]}
    for district, listed in per_district.items():
        assert rows[district]["villages"] == listed, district
    expected_reported = Counter(row["tambon_pcode"][:6] for row in reported)
    assert {code: row["villages_reported"] for code, row in rows.items() if code != "TH50"} == {
        code: expected_reported.get(code, 0) for code in per_district
    } | {code: 0 for code in rows if code not in per_district and code != "TH50"}
    assert rows["TH50"]["villages"] == len(file_rows)
    assert rows["TH50"]["villages_reported"] == 4
    assert rows["TH5007"]["unlisted_village_entries"] == 1
    # The lists are for the area's officials, not the public.
    assert client.get("/stats/TH50/villages_not_surveyed.json").status_code == 403
    sign_in(client, accounts["official"])
    listing = client.get("/stats/TH50/villages_not_surveyed.json").get_json()
    missing = {row["village_code"] for row in listing["tables"]["villages_not_surveyed"]["rows"]}
    assert missing == {row["muban_geocode"] for row in file_rows} - {
        row["muban_geocode"] for row in reported
    }
    unlisted = client.get("/stats/TH50/unlisted_villages.json").get_json()
    assert [r["village_name"] for r in unlisted["tables"]["unlisted_villages"]["rows"]] == [
        "บ้านใหม่"
    ]


def test_a_volunteer_of_another_district_does_not_see_the_lists(client, session, accounts):
    volunteer = add_user(session, "vol_elsewhere", "volunteer", "TH5001")
    session.commit()
    sign_in(client, volunteer)
    assert client.get("/stats/TH50/villages_not_surveyed.json").status_code == 403
