"""The import preview in Thai: every problem of the importers and the bulk write reads in Thai."""

from __future__ import annotations

import html as markup
import io
import re

import pytest

from importers import ImportFormatError, read_facilities
from registry.models import Facility
from registry.problem_text import THAI, thai_rule
from tests.importers.corpus import BAD_CASES, GOOD_CASES, Case
from tests.registry.conftest import sign_in
from tests.registry.helpers import BANGKOK, make_facility
from tests.registry.test_official_pages import _edit_form

THAI_LETTER = re.compile(r"[\u0e01-\u0e5b]")


def _rules(case: Case, folder) -> list[str]:
    path = case.build(folder)
    try:
        result = read_facilities(path, **case.options)
    except ImportFormatError as error:
        return [error.message]
    return [problem.rule for problem in result.report]


@pytest.mark.parametrize("case", BAD_CASES + GOOD_CASES, ids=[c.id for c in BAD_CASES + GOOD_CASES])
def test_every_problem_of_the_corpus_reads_in_thai(case: Case, tmp_path):
    for rule in _rules(case, tmp_path):
        thai = thai_rule(rule)
        assert thai is not None, f"no Thai for the rule {rule!r}: add its template to THAI"
        assert THAI_LETTER.search(thai), thai


def test_nested_parts_are_translated_and_numbers_kept():
    rule = (
        "is not a latitude between 5.61 and 20.47: the point (latitude 1375.5, longitude 98.99) "
        "lies outside Thailand"
    )
    assert thai_rule(rule) == (
        "ไม่ใช่ละติจูดระหว่าง 5.61 ถึง 20.47: จุด (ละติจูด 1375.5, ลองจิจูด 98.99) อยู่นอกประเทศไทย"
    )
    assert thai_rule("stated district TH5002 differs from TH5001, where the location lies") == (
        "อำเภอที่ระบุ TH5002 ไม่ตรงกับ TH5001 ซึ่งเป็นที่ตั้งตามพิกัด"
    )


def test_rules_it_does_not_know_are_left_alone():
    assert thai_rule("is a rule nobody wrote yet") is None
    # "{n} row" takes numbers only, not any text before " row".
    assert thai_rule("skips the header row") is None
    # A part that must translate (the clause after the colon) makes the template fail if not.
    assert thai_rule("is not a latitude between 5 and 20: something else entirely") is None


def test_every_thai_template_keeps_the_parts_of_its_english():
    for english, thai in THAI.items():
        assert set(re.findall(r"\{(\w+)\}", english)) == set(re.findall(r"\{(\w+)\}", thai)), (
            english
        )


def _preview(client, csrf, text: str, lang: str):
    return client.post(
        f"/official/import/preview?lang={lang}",
        data={"csrf_token": csrf, "source": "sheet", "file": (io.BytesIO(text.encode()), "s.csv")},
        content_type="multipart/form-data",
    )


SHEET = (
    "ประเภท,ชื่อ,ละติจูด,ลองจิจูด,จังหวัด\n"
    "โรงพยาบาล,รพ.สลับพิกัด,98.99,18.79,เชียงใหม่\n"  # swapped
    "โรงพยาบาล,รพ.นอกประเทศ,1880.5,98.95,เชียงใหม่\n"  # not a latitude
    "โรงพยาบาล,รพ.สะกดผิด,18.80,98.98,เชียงใม่\n"  # misspelled province
    "โรงพยาบาล,รพ.กรุงเทพ,13.7563,100.5018,กรุงเทพมหานคร\n"  # outside the official's area
)


def test_thai_preview_shows_every_problem_in_thai(client, session, accounts):
    csrf = sign_in(client, accounts["official"])
    page = _preview(client, csrf, SHEET, "th")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for thai in ("น่าจะสลับกัน", "อยู่นอกประเทศไทย", "ซึ่งสะกดใกล้เคียงที่สุด", "นอกพื้นที่ของคุณ"):
        assert thai in html, thai
    for english in ("look swapped", "lies outside Thailand", "closest spelling", "outside your"):
        assert english not in html, english
    # Counts and actions in Thai, file-level cells never "None".
    assert "ใหม่: <strong>2</strong>" in html and "ปฏิเสธ: <strong>2</strong>" in html
    assert "<td>None</td>" not in html

    english = _preview(client, csrf, SHEET, "en").get_data(as_text=True)
    assert "look swapped" in english and "outside your area" in english


def test_a_file_that_cannot_be_read_stays_on_the_form_with_the_reason(client, session, accounts):
    csrf = sign_in(client, accounts["official"])
    page = _preview(client, csrf, "", "th")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "'s.csv': ไฟล์ว่าง" in markup.unescape(html)
    assert 'id="import-form"' in html  # the official can choose another file at once


def _form_error(html: str) -> str:
    found = re.search(r'<p class="error" role="alert" id="form-error">(.*?)</p>', html, re.S)
    assert found, "no error on the form"
    return markup.unescape(found.group(1))


def test_facility_form_errors_read_in_thai_with_the_fields_label(client, session, accounts):
    site = make_facility(session)
    session.commit()
    csrf = sign_in(client, accounts["official"])
    url = f"/official/facility/{site.id}/edit"

    negative = client.post(f"{url}?lang=th", data=_edit_form(site, csrf, beds_total="-3"))
    error = _form_error(negative.get_data(as_text=True))
    assert negative.status_code == 400
    assert "ไม่ใช่จำนวนเต็มตั้งแต่ 0 ขึ้นไป" in error and "'-3'" in error
    assert "beds_total" not in error and "is not" not in error  # the label, in Thai

    english = client.post(f"{url}?lang=en", data=_edit_form(site, csrf, beds_total="-3"))
    assert "is not a whole number of 0 or more" in _form_error(english.get_data(as_text=True))


def test_a_move_out_of_the_area_keeps_the_form_and_says_why_in_thai(client, session, accounts):
    site = make_facility(session)
    session.commit()
    csrf = sign_in(client, accounts["official"])
    moved = client.post(
        f"/official/facility/{site.id}/edit?lang=th",
        data=_edit_form(site, csrf, lat=str(BANGKOK["lat"]), lon=str(BANGKOK["lon"])),
    )
    html = moved.get_data(as_text=True)
    assert moved.status_code == 403
    assert "นอกพื้นที่ของคุณ" in _form_error(html)
    assert 'id="edit-form"' in html  # the official can put the pin back at once
    version = site.version
    session.expire_all()
    saved = session.get(Facility, site.id)
    assert (saved.version, saved.province_code) == (version, "TH50")  # nothing was written


def _back_link(html: str) -> str:
    return markup.unescape(re.search(r'<a href="([^"]*)" id="error-back">', html).group(1))


def test_an_error_on_a_page_keeps_the_layout_and_the_language(client, session):
    page = client.get("/facility/999999?lang=th", headers={"Referer": "https://elsewhere.example/"})
    html = page.get_data(as_text=True)
    assert page.status_code == 404
    assert 'class="top"' in html and "<h1>ไม่พบ</h1>" in html  # the site's header, in Thai
    assert "ไม่มีสถานบริการรหัส 999999" in html
    assert _back_link(html) == "/"  # never back to another site

    ours = "http://registry.test/map"  # the test app's SERVER_NAME
    english = client.get("/facility/999999?lang=en", headers={"Referer": ours})
    html = english.get_data(as_text=True)
    assert "<h1>Not found</h1>" in html and "there is no facility with id 999999" in html
    assert _back_link(html) == ours
    # The API keeps answering JSON.
    assert client.get("/api/v1/facilities/999999").get_json()["error"] == "not_found"


def test_unknown_addresses_and_expired_forms_answer_in_thai(client, session, accounts):
    missing = client.get("/no/such/page?lang=th")
    assert missing.status_code == 404 and "ไม่มีหน้านี้ในระบบ" in missing.get_data(as_text=True)
    sign_in(client, accounts["official"])
    expired = client.post("/official/import/preview?lang=th", data={"csrf_token": "old"})
    html = expired.get_data(as_text=True)
    assert expired.status_code == 400
    assert "ส่งแบบฟอร์มไม่ได้" in html and "โหลดหน้าใหม่แล้วส่งอีกครั้ง" in html
    # The API's own answers stay JSON.
    assert client.get("/api/v1/no-such-thing").get_json()["error"] == "not_found"


def test_roles_areas_and_their_combinations_read_in_thai():
    assert thai_rule(
        "a data volunteer account cannot change facilities; ask an official of the area"
    )
    assert thai_rule("an official account cannot manage accounts") == ("บัญชีเจ้าหน้าที่จัดการบัญชีผู้ใช้ไม่ได้")
    scoped = (
        "an official is scoped to a province or a district or a subdistrict; None is the whole "
        "country"
    )
    assert thai_rule(scoped) == ("เจ้าหน้าที่ต้องมีพื้นที่เป็นจังหวัดหรืออำเภอหรือตำบล; None เป็นทั้งประเทศ")


def test_pages_name_areas_choices_fields_and_sources_in_thai(client, session, accounts):
    site = make_facility(session, type="vaccination_site", doses=["booster"], walk_in=True)
    session.commit()
    sign_in(client, accounts["official"])
    area = client.get("/official/?lang=th").get_data(as_text=True)
    assert "เชียงใหม่ (TH50)" in area and "Chiang Mai" not in area
    edit = client.get(f"/official/facility/{site.id}/edit?lang=th").get_data(as_text=True)
    assert "> เข็มกระตุ้น</label>" in edit and "> booster</label>" not in edit
    public = client.get(f"/facility/{site.id}?lang=th").get_data(as_text=True)
    assert "เข็มกระตุ้น" in public and "<td>ใช่</td>" in public  # a list and a yes/no field
    assert "(สร้างใหม่)" in public and "(หน้าเว็บ)" in public  # history: field and source
    english = client.get(f"/facility/{site.id}?lang=en").get_data(as_text=True)
    assert "Booster" in english and "(web)" in english


def test_a_refusal_reads_in_thai(client, session, accounts):
    sign_in(client, accounts["volunteer"])
    refused = client.get("/official/import/?lang=th")
    assert refused.status_code == 403
    assert "บัญชีอาสาสมัครเก็บข้อมูลแก้ไขสถานบริการไม่ได้" in refused.get_data(as_text=True)
