"""A volunteer on a phone picks the village from DOPA's list, by Thai, English or number, and
the record carries its DOPA code; the statistics count the village as surveyed."""

from __future__ import annotations

import re

from sqlalchemy import select

from registry.db import db
from registry.models import SurveyRecord
from tests.e2e.accounts import ensure_user
from tests.e2e.test_survey import _fits_the_phone, _no_trouble, _sign_in

# Ton Thong, Mueang Lampang: a tambon no other browser test surveys; its villages on DOPA's
# list include Mu 2 บ้านบุญเกิด (Ban Bun Koet) and Mu 4 บ้านผาลาด (Ban Pha Lat).
TON_THONG = "TH520105"


def _choices(page) -> list[str]:
    page.wait_for_function("document.querySelectorAll('#village-results li').length > 0")
    return page.locator("#village-results li").all_inner_texts()


def _search(page, text: str, shown: str) -> list[str]:
    """Type ``text`` and wait until every listed village shows ``shown``."""
    page.fill("#village-search", text)
    page.wait_for_function(
        "(text) => { const items = document.querySelectorAll('#village-results li');"
        " return items.length > 0 && [...items].every(li => li.innerText.includes(text)); }",
        arg=shown,
    )
    return page.locator("#village-results li").all_inner_texts()


def test_volunteer_picks_the_village_from_the_dopa_list(phone, e2e_app, backend):
    ensure_user(e2e_app, "e2e-lampang", "volunteer", "TH5201")
    page = phone.page
    _sign_in(phone, "e2e-lampang", "/survey")
    phone.goto("/survey/new")
    page.select_option("#f-area_code", TON_THONG)
    everything = _choices(page)
    assert len(everything) == 8 and everything[0].startswith("หมู่ 1 ")

    assert _search(page, "บุญ", "บุญเกิด") == ["หมู่ 2 บ้านบุญเกิด (Ban Bun Koet)"]
    assert _search(page, "pha lat", "Pha Lat") == ["หมู่ 4 บ้านผาลาด (Ban Pha Lat)"]
    assert _search(page, "๔", "ผาลาด") == ["หมู่ 4 บ้านผาลาด (Ban Pha Lat)"]  # Thai digit
    _fits_the_phone(phone)
    phone.screenshot(f"village-picker-phone-{backend}")
    page.click("#village-results button.village-choice")
    assert page.input_value("#f-village_no") == "4"
    assert page.input_value("#f-village_name") == "บ้านผาลาด"
    assert page.input_value("#f-village_code") == "52010504"
    assert "52010504" in page.inner_text("#village-chosen")

    page.fill("#f-survey_date", "2021-11-20")
    page.fill("#f-residents_general", "40")
    page.fill("#f-unvaccinated_general", "5")
    page.click("#save")
    page.wait_for_url(re.compile("/survey$"))
    with e2e_app.app_context():
        record = db.session.scalar(
            select(SurveyRecord).where(
                SurveyRecord.area_code == TON_THONG, SurveyRecord.entered_by == "e2e-lampang"
            )
        )
        assert (record.village_code, record.village_no) == ("52010504", 4)

    # The district's statistics: one of Ton Thong's villages surveyed.
    phone.goto("/stats/TH5201?lang=th")
    folded = page.locator("details.long-table:has(#table-village_progress) summary")
    if folded.count():  # a district of more than 12 subdistricts: the table is folded
        folded.click()
    row = page.locator(f"#table-village_progress tr[data-code='{TON_THONG}']")
    assert row.locator("td[data-column=villages]").inner_text() == "8"
    assert row.locator("td[data-column=villages_reported]").inner_text() == "1"
    row.scroll_into_view_if_needed()
    phone.screenshot(f"village-progress-phone-{backend}")
    _no_trouble(phone)
