"""Statistics pages in a real browser: the country and Chiang Mai, Thai on a 360 px
phone and English on a desktop; charts, tables, the DDC report and a CSV download that opens,
with small counts hidden from the public and shown to the province's administrator.

Survey records are written straight to the committed e2e database (another test enters them
through the survey form); every expected number is read back from the database, so records
other tests add do not matter.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from importers.vocabulary import SURVEY_GROUPS
from registry.db import db
from registry.models import Facility, ReferenceVaccination, SurveyRecord, utcnow
from registry.stats.tables import Suppression
from tests.e2e.accounts import PASSWORD, ensure_user

MARK = "e2e-stats"
# Two villages of Si Phum (TH500101), Mueang Chiang Mai: few bedridden people, to be hidden.
RECORDS = (
    {"village_no": 91, "residents_elderly": 40, "unvaccinated_elderly": 12,
     "residents_bedridden": 3, "unvaccinated_bedridden": 2},
    {"village_no": 92, "residents_general": 120, "unvaccinated_general": 31,
     "residents_children_5_11": 18, "unvaccinated_children_5_11": 9},
)  # fmt: skip


def _no_trouble(page) -> None:
    assert page.errors == [], page.errors
    assert page.dialogs == [], page.dialogs
    assert page.foreign_requests() == [], page.foreign_requests()


@pytest.fixture(scope="module")
def survey(e2e_app):
    with e2e_app.app_context():
        done = db.session.scalar(
            select(func.count()).select_from(SurveyRecord).where(SurveyRecord.source_ref == MARK)
        )
        if not done:
            for values in RECORDS:
                db.session.add(
                    SurveyRecord(
                        area_code="TH500101",
                        survey_date=date(2021, 11, 15),
                        entered_by="e2e",
                        entered_at=utcnow(),
                        source="cli",
                        source_ref=MARK,
                        **values,
                    )
                )
            db.session.commit()


def _latest_group_totals(app, prefix: str) -> dict[str, int]:
    """Exact unvaccinated per group of the latest record per village, from the database."""
    with app.app_context():
        records = db.session.scalars(
            select(SurveyRecord).where(
                SurveyRecord.deleted_at.is_(None), SurveyRecord.area_code.startswith(prefix)
            )
        ).all()
    best = {}
    for r in records:
        key = (r.area_code, r.village_no, r.village_name)
        if key not in best or (r.survey_date, r.id) > (best[key].survey_date, best[key].id):
            best[key] = r
    return {
        group: sum(getattr(r, f"unvaccinated_{group}") for r in best.values())
        for group in SURVEY_GROUPS
    }


def _active_sites(app, province: str | None = None) -> int:
    with app.app_context():
        statement = select(func.count()).select_from(Facility).where(Facility.deleted_at.is_(None))
        if province:
            statement = statement.where(Facility.province_code == province)
        return db.session.scalar(statement)


def _fits(page, width: int) -> None:
    scroll = page.page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page is {scroll} px wide on a {width} px screen"


def _number(text: str) -> int:
    return int(text.strip().replace(",", ""))


def test_country_page_in_thai_on_a_phone(phone, e2e_app, backend):
    phone.goto("/stats")
    page = phone.page
    assert page.inner_text("h1").startswith("สถิติ: ประเทศไทย")
    assert page.locator("html").get_attribute("lang") == "th"
    total = page.locator("#table-facilities tr.total td[data-column=total]").inner_text()
    assert _number(total) == _active_sites(e2e_app)
    # Charts: stacked bars per type, freshness, and one bar per province in the ranking.
    assert page.locator("#chart-facilities svg").count() == 5
    assert page.locator("#chart-ranking .bar-row").count() == 77
    assert page.locator("#table-ranking tbody tr").count() == 77
    # The DDC report: one row per province, with Thai names.
    with e2e_app.app_context():
        provinces = db.session.scalar(
            select(func.count(func.distinct(ReferenceVaccination.area_code)))
        )
    assert provinces == 77
    assert page.locator("#table-reference tbody tr").count() == 77 + 1  # and the sum
    # Long tables are folded on the page; a tap opens them.
    assert not page.locator("#table-reference").is_visible()
    page.click("#reference details.long-table summary")
    assert "กรุงเทพมหานคร" in page.inner_text("#table-reference")
    assert "กรมควบคุมโรค" in page.inner_text("#reference")
    _fits(phone, 360)
    phone.screenshot(f"stats-country-phone-th-{backend}")
    _no_trouble(phone)


def test_chiang_mai_on_a_phone_hides_small_counts(phone, e2e_app, survey, backend):
    phone.goto("/stats/TH50")
    page = phone.page
    assert "เชียงใหม่" in page.inner_text("h1")
    exact = _latest_group_totals(e2e_app, "TH50")
    rule = Suppression()
    for group, value in exact.items():
        row = page.locator(f"#table-survey_groups tr[data-code={group}]")
        shown = row.locator("td[data-column=unvaccinated]").inner_text()
        expected = rule.people(value)
        assert shown == (expected if isinstance(expected, str) else f"{expected:,}"), group
    assert 0 < exact["bedridden"] < 5  # our two bedridden people, and nobody else's
    bedridden = page.locator("#table-survey_groups tr[data-code=bedridden]")
    assert bedridden.locator("td[data-column=unvaccinated]").inner_text() == "<5"
    assert page.locator("#chart-groups .bar-row").count() == len(SURVEY_GROUPS)
    assert page.locator("#chart-trend rect").count() >= 1
    assert _number(page.inner_text("#figure-sites")) == _active_sites(e2e_app, "TH50")
    _fits(phone, 360)
    phone.screenshot(f"stats-chiang-mai-phone-th-{backend}")
    _no_trouble(phone)


def test_chiang_mai_in_english_on_a_desktop_with_a_csv_download(desktop, e2e_app, survey, backend):
    desktop.goto("/stats/TH50?lang=en")
    page = desktop.page
    assert page.inner_text("h1").startswith("Statistics: Chiang Mai")
    assert "Public view" in page.inner_text("#view-note")
    assert page.locator("#table-coverage tbody tr").count() == 25 + 1  # districts and total
    assert "measured by subdistrict, placed within it" in page.inner_text("#coverage")
    assert "2021" in page.inner_text("#coverage") and "DOPA" in page.inner_text("#coverage")
    desktop.screenshot(f"stats-chiang-mai-desktop-en-{backend}")

    with page.expect_download() as info:
        page.click("#download-survey_groups-csv")
    download = info.value
    assert download.suggested_filename == "stats-TH50-survey_groups-public.csv"
    with open(download.path(), "rb") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read().decode("utf-8-sig"))))
    exact = _latest_group_totals(e2e_app, "TH50")
    by_group = {row["group"]: row for row in rows}
    assert set(by_group) == {*SURVEY_GROUPS, "total"}
    for group, value in exact.items():
        assert by_group[group]["unvaccinated"] == str(Suppression().people(value))
    assert by_group["bedridden"]["unvaccinated"] == "<5"
    assert by_group["elderly"]["group_th"] == "ผู้สูงอายุ (60 ปีขึ้นไป)"
    _no_trouble(desktop)


def test_the_provinces_administrator_sees_exact_counts(desktop, e2e_app, survey, backend):
    ensure_user(e2e_app, "cm-stats-admin", "provincial_admin", "TH50")
    desktop.goto("/login")
    desktop.page.fill("input[name=username]", "cm-stats-admin")
    desktop.page.fill("input[name=password]", PASSWORD)
    desktop.page.click("#login-form button[type=submit]")
    desktop.page.wait_for_load_state("networkidle")
    desktop.goto("/stats/TH5001?lang=en")
    page = desktop.page
    assert "Administrator view" in page.inner_text("#view-note")
    exact = _latest_group_totals(e2e_app, "TH5001")
    bedridden = page.locator("#table-survey_groups tr[data-code=bedridden]")
    assert (
        _number(bedridden.locator("td[data-column=unvaccinated]").inner_text())
        == (exact["bedridden"])
    )
    si_phum = page.locator("#table-survey_subdistricts tr[data-code=TH500101]")
    assert si_phum.count() == 1
    # The oldest unconfirmed sites link to their edit page.
    link = page.locator("#table-stale_facilities td[data-column=url] a").first
    assert re.search(r"/official/facility/\d+/edit$", link.get_attribute("href"))
    desktop.screenshot(f"stats-mueang-admin-desktop-en-{backend}")
    _no_trouble(desktop)
