"""Survey pages: the form in Thai with messages that explain themselves, corrections with their
history, scope on every page, CSRF, and the bedridden outreach list with its CSV."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from registry.models import SurveyChange, SurveyRecord
from registry.survey import service as survey
from registry.survey.rules import bangkok_today, thai_date
from registry.survey.service import Surveyor
from tests.registry.conftest import sign_in

SI_PHUM, CHOENG_DOI = "TH500101", "TH500501"


def form(csrf, **values) -> dict:
    base = {
        "csrf_token": csrf,
        "area_code": SI_PHUM,
        "village_no": "๒",
        "village_name": "บ้านทดลอง",
        "survey_date": thai_date(bangkok_today()),
        "residents_general": "๑๒๐",
        "unvaccinated_general": "15",
        "residents_elderly": "30",
        "unvaccinated_elderly": "6",
        "residents_bedridden": "3",
        "unvaccinated_bedridden": "2",
    }
    base.update(values)
    return base


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(SurveyRecord))


def test_volunteer_enters_a_record_and_sees_it_listed(client, session, accounts):
    csrf = sign_in(client, accounts["volunteer"])
    page = client.get("/survey/new").get_data(as_text=True)
    assert "บันทึกการสำรวจใหม่" in page and "ศรีภูมิ" in page and 'inputmode="numeric"' in page
    assert "ดอยสะเก็ด" not in page  # only the volunteer's district is offered
    response = client.post("/survey/new", data=form(csrf))
    assert response.status_code == 303 and response.headers["Location"].endswith("/survey")
    record = session.scalar(select(SurveyRecord))
    assert (record.village_no, record.residents_general, record.entered_by) == (2, 120, "volunteer")
    listing = client.get("/survey").get_data(as_text=True)
    assert f'id="entry-{record.id}"' in listing and "บ้านทดลอง" in listing
    assert "บันทึกแล้ว" in listing  # the flash message, in Thai


def test_form_errors_in_thai_name_each_field_and_value_and_keep_input(client, session, accounts):
    csrf = sign_in(client, accounts["volunteer"])
    response = client.post(
        "/survey/new",
        data=form(csrf, unvaccinated_elderly="31", residents_total="100", survey_date="1/1/2600"),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="form-problems"' in html
    assert "ผู้สูงอายุ (60 ปีขึ้นไป): ยังไม่ได้รับวัคซีน" in html  # the field, by its label
    assert "“31” มากกว่าจำนวนผู้อยู่จริง 30 คน" in html  # the value and the rule
    assert "“100” ไม่เท่ากับผลรวมของทุกกลุ่ม (153)" in html
    assert "หลังวันนี้" in html  # a date in the future
    assert 'value="บ้านทดลอง"' in html and 'aria-invalid="true"' in html
    assert count(session) == 0


def test_form_errors_in_english(client, accounts):
    csrf = sign_in(client, accounts["volunteer"])
    html = client.post("/survey/new?lang=en", data=form(csrf, unvaccinated_elderly="31")).get_data(
        as_text=True
    )
    assert "“31” is more than the 30 residents counted in the group “Elderly (60+)”" in html


def test_user_text_is_escaped(client, session, accounts):
    csrf = sign_in(client, accounts["volunteer"])
    client.post("/survey/new", data=form(csrf, village_name="<script>alert(1)</script>"))
    listing = client.get("/survey").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in listing and "&lt;script&gt;" in listing


def test_post_without_csrf_is_refused(client, session, accounts):
    sign_in(client, accounts["volunteer"])
    response = client.post("/survey/new", data=form("not-a-token"))
    assert response.status_code == 400
    assert count(session) == 0


@pytest.mark.parametrize("path", ["/survey", "/survey/new", "/survey/outreach", "/survey/upload/"])
def test_pages_need_a_surveyor(client, accounts, path):
    assert client.get(path).status_code == 302  # to sign in
    sign_in(client, accounts["planner"])
    assert client.get(path).status_code == 403


def test_volunteer_cannot_post_outside_their_area(client, session, accounts):
    csrf = sign_in(client, accounts["volunteer"])
    response = client.post("/survey/new", data=form(csrf, area_code=CHOENG_DOI))
    assert response.status_code == 403
    assert "นอกพื้นที่ของคุณ" in response.get_data(as_text=True)  # the page is Thai
    assert count(session) == 0


def _entered(session, who: str, **values) -> SurveyRecord:
    user = {"volunteer": ("volunteer", "TH5001")}.get(who)
    surveyor = Surveyor(who, "web", *(user or ("official", "TH50")))
    record = survey.create_record(
        session,
        {
            "area_code": SI_PHUM,
            "survey_date": "2021-11-15",
            "residents_general": 50,
            "unvaccinated_general": 5,
            "residents_bedridden": 4,
            "unvaccinated_bedridden": 3,
            **values,
        },
        surveyor,
    )
    session.commit()
    return record


def test_correction_through_the_page_is_audited_and_shown(client, session, accounts):
    record = _entered(session, "volunteer")
    csrf = sign_in(client, accounts["volunteer"])
    page = client.get(f"/survey/{record.id}/edit").get_data(as_text=True)
    assert 'name="version" value="1"' in page and 'value="15/11/2564"' in page
    values = form(
        csrf,
        village_no="",
        village_name="",
        survey_date="15/11/2564",
        residents_general="50",
        unvaccinated_general="4",
        residents_elderly="",
        unvaccinated_elderly="",
        residents_bedridden="4",
        unvaccinated_bedridden="3",
    )
    response = client.post(f"/survey/{record.id}/edit", data={**values, "version": "1"})
    assert response.status_code == 303
    history = client.get(f"/survey/{record.id}/edit").get_data(as_text=True)
    assert 'data-field="unvaccinated_general"' in history
    change = session.scalar(
        select(SurveyChange).where(SurveyChange.field == "unvaccinated_general")
    )
    assert (change.old_value, change.new_value, change.changed_by) == (5, 4, "volunteer")
    # The same stale form again is a conflict, not a silent overwrite.
    again = client.post(f"/survey/{record.id}/edit", data={**values, "version": "1"})
    assert again.status_code == 409


def test_volunteer_sees_but_cannot_correct_an_officials_entry(client, session, accounts):
    record = _entered(session, "official")
    csrf = sign_in(client, accounts["volunteer"])
    page = client.get(f"/survey/{record.id}/edit").get_data(as_text=True)
    assert 'id="readonly-note"' in page and 'id="save"' not in page
    response = client.post(
        f"/survey/{record.id}/edit",
        data={**form(csrf, survey_date="15/11/2564"), "version": "1"},
    )
    assert response.status_code == 403
    assert session.scalar(select(func.count()).select_from(SurveyChange)) == 1  # created only


def test_withdraw_from_the_page(client, session, accounts):
    record = _entered(session, "volunteer")
    csrf = sign_in(client, accounts["volunteer"])
    response = client.post(
        f"/survey/{record.id}/withdraw",
        data={"csrf_token": csrf, "version": "1", "reason": "กรอกผิดตำบล"},
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(SurveyRecord, record.id).deleted_at is not None
    assert f'id="entry-{record.id}"' not in client.get("/survey").get_data(as_text=True)


def test_other_areas_records_are_not_shown(client, session, accounts):
    record = _entered(session, "official")
    sign_in(client, accounts["bangkok_official"])
    assert f'id="entry-{record.id}"' not in client.get("/survey").get_data(as_text=True)
    assert client.get(f"/survey/{record.id}/edit").status_code == 403


def test_outreach_lists_unvaccinated_bedridden_with_a_csv(client, session, accounts):
    _entered(session, "official", village_no=1)
    _entered(session, "official", village_no=2, unvaccinated_bedridden=0)
    sign_in(client, accounts["volunteer"])
    html = client.get("/survey/outreach").get_data(as_text=True)
    assert html.count('class="village"') == 1 and "หมู่ 1" in html
    assert 'data-area="TH500101"' in html and "ศรีภูมิ" in html
    response = client.get("/survey/outreach.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1
    assert (rows[0]["area_code"], rows[0]["village_no"], rows[0]["unvaccinated_bedridden"]) == (
        SI_PHUM,
        "1",
        "3",
    )
    assert rows[0]["subdistrict"] == "ศรีภูมิ" and rows[0]["survey_date"] == "2021-11-15"
    sign_in(client, accounts["bangkok_official"])
    assert "ศรีภูมิ" not in client.get("/survey/outreach.csv").get_data(as_text=True)


def test_nav_links_the_survey_for_surveyors_only(client, accounts):
    sign_in(client, accounts["volunteer"])
    assert 'id="nav-survey"' in client.get("/survey").get_data(as_text=True)
    sign_in(client, accounts["planner"])
    assert 'id="nav-survey"' not in client.get("/coverage?lang=en").get_data(as_text=True)


def test_national_accounts_choose_a_province_first(client, accounts):
    sign_in(client, accounts["national_admin"])
    page = client.get("/survey/new").get_data(as_text=True)
    assert 'id="province-form"' in page and "ศรีภูมิ" not in page
    page = client.get("/survey/new?province=TH50").get_data(as_text=True)
    assert "ศรีภูมิ" in page and "พระบรมมหาราชวัง" not in page
    assert client.get("/survey/").status_code == 200


def test_the_form_starts_at_the_last_subdistrict_entered(client, session, accounts):
    _entered(session, "volunteer", village_no=9)
    sign_in(client, accounts["volunteer"])
    page = client.get("/survey/new").get_data(as_text=True)
    assert '<option value="TH500101" selected>' in page
