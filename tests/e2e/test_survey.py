"""A data volunteer on a phone: sign in, fill the survey form (Thai digits, a mistake the form
explains, the phone's location), see the entry listed; then the survey as demand on the
coverage page, and the bedridden on the outreach list."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from registry.db import db
from registry.models import PopulationUnit, SurveyRecord
from registry.survey import records as survey_records
from registry.survey import service as survey
from registry.survey.layer import SURVEY_LAYER
from registry.survey.rules import bangkok_today
from tests.e2e.accounts import PASSWORD, ensure_user
from tests.e2e.conftest import ARTIFACTS

# Nai Mueang, Mueang Lamphun: a province no other browser test surveys, so the statistics
# and coverage figures checked here move only with these entries.
NAI_MUEANG = "TH510101"
IN_NAI_MUEANG = {"latitude": 18.5729, "longitude": 99.0057}
VILLAGE = "บ้านทดสอบอาสา"


def _no_trouble(page) -> None:
    assert page.errors == [], page.errors
    assert page.dialogs == [], page.dialogs
    assert page.foreign_requests() == [], page.foreign_requests()


def _fits_the_phone(page) -> None:
    width = page.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide on a 360 px screen"


def _sign_in(page, username: str, landing: str) -> None:
    page.goto(f"/login?next={landing}")
    page.page.fill("input[name=username]", username)
    page.page.fill("input[name=password]", PASSWORD)
    page.page.click("#login-form button[type=submit]")
    page.page.wait_for_url(re.compile(landing + "$"))


def _province_figures(page) -> dict[str, int | None]:
    """Survey figures of Lamphun's statistics page (None where suppressed, "<5")."""
    page.goto("/stats/TH51")
    figures = {}
    for name in ("residents", "unvaccinated"):
        shown = page.page.inner_text(f"#survey-summary dd[data-column={name}]").split(" (")[0]
        digits = shown.replace(",", "")
        figures[name] = int(digits) if digits.isdigit() else None
    return figures


def _fill(page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.page.fill(f"#f-{name}", value)


def test_volunteer_enters_a_survey_on_a_phone(phone, e2e_app, backend):
    ensure_user(e2e_app, "e2e-volunteer", "volunteer", "TH5101")
    phone.page.context.set_geolocation(IN_NAI_MUEANG)
    page = phone.page
    _sign_in(phone, "e2e-volunteer", "/survey")
    before = _province_figures(phone)
    phone.goto("/survey")
    assert page.locator("#nav-survey").count() == 1
    page.click("#new-entry")
    page.wait_for_url(re.compile("/survey/new$"))
    assert "บันทึกการสำรวจใหม่" in page.inner_text("h1")
    page.select_option("#f-area_code", NAI_MUEANG)
    _fill(phone, {"village_no": "๑๗", "village_name": VILLAGE})
    _fill(
        phone,
        {
            "residents_general": "๑๒๐",
            "unvaccinated_general": "17",
            "residents_elderly": "30",
            "unvaccinated_elderly": "31",  # a slip: more than live there
            "residents_bedridden": "5",
            "unvaccinated_bedridden": "2",
            "residents_children_5_11": "25",
            "unvaccinated_children_5_11": "20",
        },
    )
    assert "180" in page.inner_text("#sums")  # 120 + 30 + 5 + 25, Thai digits read
    page.click("details:has(#use-location) summary")
    page.click("#use-location")
    page.wait_for_function("document.querySelector('#f-lat').value !== ''")
    phone.screenshot(f"survey-form-phone-{backend}")
    _fits_the_phone(phone)

    page.click("#save")
    page.wait_for_load_state("networkidle")
    problems = page.inner_text("#form-problems")
    assert "ผู้สูงอายุ (60 ปีขึ้นไป): ยังไม่ได้รับวัคซีน" in problems
    assert "“31” มากกว่าจำนวนผู้อยู่จริง 30 คน" in problems
    assert page.input_value("#f-village_name") == VILLAGE  # nothing typed is lost
    phone.screenshot(f"survey-form-problems-phone-{backend}")
    _fits_the_phone(phone)

    page.fill("#f-unvaccinated_elderly", "6")
    page.click("#save")
    page.wait_for_url(re.compile("/survey$"))
    assert "บันทึกแล้ว" in page.inner_text(".flashes")
    with e2e_app.app_context():
        record = db.session.scalar(select(SurveyRecord).where(SurveyRecord.village_name == VILLAGE))
        assert (record.area_code, record.village_no, record.unvaccinated_elderly) == (
            NAI_MUEANG,
            17,
            6,
        )
        assert record.geom is not None and record.entered_by == "e2e-volunteer"
    entry = page.locator(f"#entry-{record.id}")
    assert VILLAGE in entry.inner_text() and "ในเมือง" in entry.inner_text()
    phone.screenshot(f"survey-list-phone-{backend}")
    _fits_the_phone(phone)

    # The bedridden go on the home-visit list, not into the demand layer.
    page.click("#outreach-link")
    row = page.locator(f"#outreach tr.village[data-area='{NAI_MUEANG}']", has_text=VILLAGE)
    assert row.locator("td.num").all_inner_texts() == ["5", "2", "0"]
    phone.screenshot(f"survey-outreach-phone-{backend}")

    # The province's statistics page counts the new entry: 180 living there, 45 unvaccinated.
    # Its public view rounds counts to fives; these are fives, so the rise is exact.
    after = _province_figures(phone)
    assert after["residents"] == (before["residents"] or 0) + 180
    assert after["unvaccinated"] == (before["unvaccinated"] or 0) + 45
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#survey-summary").screenshot(path=ARTIFACTS / f"survey-stats-phone-{backend}.png")
    _no_trouble(phone)


def _ensure_a_survey(app) -> None:
    """The coverage test also runs alone: then it enters a record itself."""
    with app.app_context():
        found = db.session.scalar(
            select(SurveyRecord.id).where(SurveyRecord.area_code == NAI_MUEANG).limit(1)
        )
        if found is None:
            survey.create_record(
                db.session,
                {
                    "area_code": NAI_MUEANG,
                    "village_no": 18,
                    "survey_date": bangkok_today(),
                    "residents_general": 50,
                    "unvaccinated_general": 9,
                },
                survey.Surveyor("e2e", "cli"),
            )
            db.session.commit()


def test_coverage_page_uses_the_survey_as_demand(desktop, e2e_app, backend):
    _ensure_a_survey(e2e_app)
    page = desktop.page
    # Survey counts are for accounts: the public page does not offer the layer.
    desktop.goto("/coverage")
    assert page.locator(f"#layer option[value='{SURVEY_LAYER}']").count() == 0
    ensure_user(e2e_app, "e2e-planner", "planner", None)
    _sign_in(desktop, "e2e-planner", "/coverage")
    desktop.goto("/coverage?type=vaccination_site&threshold_km=10&level=subdistrict&province=TH51")
    assert page.locator(f"#layer option[value='{SURVEY_LAYER}']").count() == 1
    page.select_option("#layer", SURVEY_LAYER)
    page.click("#coverage-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert f"layer={SURVEY_LAYER}" in page.url
    assert "ผู้ยังไม่ได้รับวัคซีนจากการสำรวจล่าสุด" in page.inner_text("#population-notice")
    row = page.locator("#coverage-table tr", has=page.locator(f"td.code:text-is('{NAI_MUEANG}')"))
    with e2e_app.app_context():
        expected = sum(
            r.unvaccinated_general
            + r.unvaccinated_elderly
            + r.unvaccinated_migrant
            + r.unvaccinated_children_5_11
            + r.unvaccinated_students_12_18
            for r in survey_records.counted_records(db.session, NAI_MUEANG)
        )
    assert row.locator("td.num").first.inner_text().replace(",", "") == str(expected)
    desktop.screenshot(f"survey-coverage-layer-{backend}")
    _no_trouble(desktop)


def test_parallel_volunteers_keep_the_layer_whole(e2e_app, backend):
    """Twelve saves at once in one subdistrict: each queues on the write lock, none is lost,
    and the layer's units there are exactly the counted records."""
    nan = "TH550101"  # Nai Wiang, Mueang Nan: no other test surveys it
    writers = 12
    barrier = threading.Barrier(writers)

    def save(number: int) -> int:
        with e2e_app.app_context():
            barrier.wait()
            record = survey.create_record(
                db.session,
                {
                    "area_code": nan,
                    "village_no": number + 1,
                    "survey_date": bangkok_today(),
                    "residents_general": 100,
                    "unvaccinated_general": number + 1,
                },
                survey.Surveyor(f"nan-volunteer-{number}", "web", "volunteer", "TH5501"),
            )
            db.session.commit()
            return record.id

    with ThreadPoolExecutor(max_workers=writers) as pool:
        ids = list(pool.map(save, range(writers)))
    assert len(set(ids)) == writers
    with e2e_app.app_context():
        layer = survey.survey_layer.find(db.session)
        units = (
            db.session.execute(
                select(PopulationUnit.population).where(
                    PopulationUnit.layer_id == layer.id, PopulationUnit.area_code == nan
                )
            )
            .scalars()
            .all()
        )
    assert sorted(units) == list(range(1, writers + 1))
