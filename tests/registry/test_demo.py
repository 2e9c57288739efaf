"""The real demo data: loaded by `registry demo`, areas right, nothing doubled on a second run."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from registry.models import Facility, FacilityChange
from registry.paths import DATA_DIR


@pytest.fixture
def demo_loaded(app, session):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result.output


def _source_rows(file_name):
    with (DATA_DIR / file_name).open(encoding="utf-8") as handle:
        return [feature["properties"] for feature in json.load(handle)["features"]]


def test_demo_loads_every_real_site_with_its_codes(demo_loaded, session):
    hospitals = _source_rows("moph_hospitals_geojson_health.geojson")
    real_hospitals = [row for row in hospitals if row["main_code"] != "0"]
    counts = dict(
        session.execute(select(Facility.type, func.count()).group_by(Facility.type)).all()
    )
    checkpoints = len(_source_rows("covid_checkpoints_chkpnt_th.geojson")) + len(
        _source_rows("covid_checkpoints_checkpoint.geojson")
    )
    assert counts["hospital"] + counts["field_hospital"] == len(real_hospitals)
    labs = _source_rows("covid_labs_2020-04-19.geojson")
    assert counts["covid_test_point"] == checkpoints + len(labs) == checkpoints + 130
    stored_labs = session.scalars(
        select(Facility).where(Facility.source == "dmsc_covid_labs_2020-04-19")
    ).all()
    assert sorted(" ".join(lab.name_th.split()) for lab in stored_labs) == sorted(
        " ".join(row["name"].split()) for row in labs
    )
    assert all(lab.type == "covid_test_point" and lab.address for lab in stored_labs)
    vaccination = _source_rows("vaccination_sites_2021-06-20.geojson")
    assert counts["vaccination_site"] == len(vaccination) == 1363
    field = session.scalars(select(Facility.hcode).where(Facility.type == "field_hospital"))
    assert set(field) == {"F1002", "F1004", "F1301"}
    # Leading zeros survive: the MOPH list writes Sap Yai hospital's code as 4007.
    assert session.scalar(select(Facility.name_th).where(Facility.hcode == "04007"))


def test_at_least_99_percent_of_hospitals_land_in_their_stated_province(demo_loaded, session):
    rows = session.execute(
        select(Facility.hcode, Facility.province_code, Facility.stated_province_code).where(
            Facility.source == "moph_hospitals", Facility.stated_province_code.is_not(None)
        )
    ).all()
    agree = [row for row in rows if row.province_code == row.stated_province_code]
    share = len(agree) / len(rows)
    assert len(rows) > 1_370
    assert share >= 0.99, f"only {share:.2%} agree"


def test_a_second_demo_run_changes_nothing(demo_loaded, app, session):
    changes_before = session.scalar(select(func.count()).select_from(FacilityChange))
    facilities_before = session.scalar(select(func.count()).select_from(Facility))
    again = app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated" in again.output
    assert session.scalar(select(func.count()).select_from(FacilityChange)) == changes_before
    assert session.scalar(select(func.count()).select_from(Facility)) == facilities_before


def test_chiang_mai_hospitals_through_the_api(demo_loaded, client, session):
    expected = set(
        session.scalars(
            select(Facility.hcode).where(
                Facility.type == "hospital", Facility.province_code == "TH50"
            )
        )
    )
    body = client.get("/api/v1/facilities?type=hospital&province=TH50&limit=1000").get_json()
    assert {f["properties"]["hcode"] for f in body["features"]} == expected
    assert "10713" in expected  # Nakornping hospital, Chiang Mai
    assert len(expected) > 30
