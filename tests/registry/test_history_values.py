"""Histories and facility pages show values as people read them.

Not None, ISO UTC timestamps, [lon, lat] arrays, area codes or source keys: names, Bangkok
times (Buddhist era on Thai pages), "latitude, longitude"; officials keep the codes.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from registry.facilities.service import update_facility
from tests.registry.conftest import sign_in
from tests.registry.helpers import BANGKOK, OFFICIAL, make_facility

ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
LON_LAT_ARRAY = re.compile(r"\[\s*\d+\.\d+,\s*\d+\.\d+\s*\]")
RAW_CODE = re.compile(r"\bTH\d{2,6}\b")


def _cells(response, table_id: str = "history") -> str:
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", table)).split())


@pytest.fixture
def moved_site(session):
    """A Chiang Mai site confirmed, then moved to Bangkok and its phone removed."""
    site = make_facility(session, name_th="รพ.ย้าย", phone="053-111111", source="moph_hospitals")
    session.commit()
    update_facility(session, site.id, {"status": "open"}, OFFICIAL, expected_version=1)
    update_facility(
        session, site.id, {**BANGKOK, "phone": None, "status": "full"}, OFFICIAL, expected_version=2
    )
    session.commit()
    return site


@pytest.mark.parametrize("lang", ["th", "en"])
def test_facility_page_history_reads_as_people_read(client, moved_site, lang):
    response = client.get(f"/facility/{moved_site.id}", query_string={"lang": lang})
    history = _cells(response)
    assert "None" not in history
    assert not ISO_TIME.search(history), history
    assert not LON_LAT_ARRAY.search(history), history
    assert not RAW_CODE.search(history), history
    # The move reads as "latitude, longitude", latitude first as the form asks it.
    assert "13.75630, 100.50180" in history
    if lang == "th":
        assert "จังหวัดเชียงใหม่" in history and "กรุงเทพมหานคร" in history
        assert "เต็ม" in history  # the status in words
        assert re.search(r"25[6-9]\d", history)  # a Buddhist-era year, from the confirmation
    else:
        assert "Chiang Mai province" in history and "Bangkok" in history
        assert re.search(r"20[2-9]\d", history)
    fields = _cells(response, "facility-fields")
    assert "moph_hospitals" not in fields
    assert not RAW_CODE.search(fields), fields


def test_facility_fields_name_the_area_and_source(client, moved_site):
    response = client.get(f"/facility/{moved_site.id}", query_string={"lang": "th"})
    fields = _cells(response, "facility-fields")
    assert "กรุงเทพมหานคร" in fields
    assert "รายชื่อโรงพยาบาล กระทรวงสาธารณสุข" in fields


def test_officials_see_names_and_the_codes_they_need(client, accounts, moved_site):
    sign_in(client, accounts["national_admin"])
    history = _cells(
        client.get(f"/official/facility/{moved_site.id}/history", query_string={"lang": "en"})
    )
    assert "Chiang Mai province (TH50)" in history
    assert "Bangkok (TH10)" in history
    assert "None" not in history
    assert not ISO_TIME.search(history), history
    assert not LON_LAT_ARRAY.search(history), history
    fields = _cells(client.get(f"/facility/{moved_site.id}?lang=en"), "facility-fields")
    assert "TH10" in fields  # officials keep the codes on the facility page too


def test_every_demo_source_has_a_name():
    from registry.demo import DEMO_FACILITY_FILES, DEMO_IMPORTS
    from registry.facilities.change_values import DATASET_LABELS

    # The sources the demo's readers give (demo.py) and its importer runs.
    demo_sources = {"moph_hospitals", "covid_checkpoints_th", "covid_checkpoints_phitsanulok"}
    demo_sources |= {source for _file, _type, source, _mapping in DEMO_IMPORTS}
    assert len(DEMO_FACILITY_FILES) == 3  # one source each, listed above
    assert demo_sources <= set(DATASET_LABELS)
