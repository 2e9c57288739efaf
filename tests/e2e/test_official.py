"""Officials in a real browser: sign in, confirm, edit beds, drag the point, history, revert;
a resident's report reaching the right official, and the freshness rule as residents see it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import select

from registry.db import db
from registry.facilities.service import Actor, create_facility, update_facility
from registry.models import Facility, FacilityChange, ResidentReport, utcnow
from tests.e2e.accounts import PASSWORD, ensure_user

# Si Phum, Mueang Chiang Mai: inside the Chiang Mai official's area, away from demo sites.
SITE = {"lon": 98.9850, "lat": 18.7950}


def _no_trouble(page) -> None:
    assert page.errors == [], page.errors
    assert page.dialogs == [], page.dialogs
    assert page.foreign_requests() == [], page.foreign_requests()


def _add_site(app, name: str, hours_ago: float | None, **values) -> int:
    with app.app_context():
        facility = create_facility(
            db.session,
            {"type": "waiting_centre", "name_th": name, **SITE, **values},
            Actor("e2e", "cli"),
        ).facility
        if hours_ago is not None:
            update_facility(
                db.session,
                facility.id,
                {"status_confirmed_at": utcnow() - timedelta(hours=hours_ago)},
                Actor("e2e", "cli"),
                expected_version=facility.version,
            )
        db.session.commit()
        return facility.id


def _facility(app, facility_id: int) -> Facility:
    with app.app_context():
        facility = db.session.get(Facility, facility_id)
        db.session.expunge(facility)
        return facility


def _sign_in(page, username: str) -> None:
    page.goto("/login")
    page.page.fill("input[name=username]", username)
    page.page.fill("input[name=password]", PASSWORD)
    page.page.click("#login-form button[type=submit]")
    page.page.wait_for_url(re.compile(r"/official/"))


@pytest.fixture(scope="module")
def officials(e2e_app):
    ensure_user(e2e_app, "cm-official", "official", "TH50")
    ensure_user(e2e_app, "cm-district", "official", "TH5001")
    ensure_user(e2e_app, "bkk-official", "official", "TH10")


def test_official_confirms_edits_drags_sees_history_and_reverts(
    desktop, e2e_app, officials, backend
):
    site_id = _add_site(e2e_app, "จุดพักคอย e2e", 100, beds_green_total=50, beds_green_available=5)
    _sign_in(desktop, "cm-official")
    desktop.goto("/official/?type=waiting_centre&stale=1")
    row = desktop.page.locator(f"#site-{site_id}")
    assert "stale" in row.get_attribute("class")
    desktop.screenshot(f"official-my-area-{backend}")
    row.locator("button[data-action=open]").click()
    desktop.page.wait_for_load_state("networkidle")
    assert "confirmed now" in desktop.page.inner_text(
        ".flashes"
    ) or "ยืนยัน" in desktop.page.inner_text(".flashes")
    confirmed = _facility(e2e_app, site_id)
    assert confirmed.status_confirmed_by == "cm-official"
    assert (utcnow() - confirmed.status_confirmed_at).total_seconds() < 120

    desktop.goto(f"/official/facility/{site_id}/edit")
    desktop.page.wait_for_function("document.getElementById('edit-map').dataset.ready === '1'")
    desktop.page.fill("#field-beds_green_available", "12")
    marker = desktop.page.locator(".edit-marker")
    desktop.page.locator("#edit-map").scroll_into_view_if_needed()
    box = marker.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    desktop.page.mouse.move(x, y)
    desktop.page.mouse.down()
    desktop.page.mouse.move(x + 40, y + 30, steps=8)
    desktop.page.mouse.move(x + 80, y + 60, steps=8)
    desktop.page.mouse.up()
    lat, lon = float(desktop.page.input_value("#lat")), float(desktop.page.input_value("#lon"))
    assert lat < SITE["lat"] and lon > SITE["lon"]  # dragged down and right
    desktop.screenshot(f"official-edit-{backend}")
    desktop.page.click("#save")
    desktop.page.wait_for_load_state("networkidle")
    edited = _facility(e2e_app, site_id)
    assert edited.beds_green_available == 12
    moved = to_shape(edited.geom)
    assert abs(moved.y - lat) < 1e-6 and abs(moved.x - lon) < 1e-6

    desktop.page.click("#history-link")
    desktop.page.wait_for_load_state("networkidle")
    beds = desktop.page.locator("#history tr[data-field=beds_green_available]").first
    assert (
        beds.locator("td.old").inner_text() == "5" and beds.locator("td.new").inner_text() == "12"
    )
    location = desktop.page.locator("#history tr[data-field=location]").first
    desktop.screenshot(f"official-history-{backend}")
    location.locator("button.revert").click()
    desktop.page.wait_for_load_state("networkidle")
    reverted = to_shape(_facility(e2e_app, site_id).geom)
    assert (round(reverted.x, 6), round(reverted.y, 6)) == (SITE["lon"], SITE["lat"])
    newest = desktop.page.locator("#history tr.change").first
    assert newest.get_attribute("data-field") == "location"
    assert "(ย้อนการแก้ไข" in newest.inner_text()  # the revert, as the Thai page says it
    desktop.screenshot(f"official-reverted-{backend}")
    _no_trouble(desktop)


def test_resident_report_reaches_the_right_official_and_is_accepted(
    phone, desktop, browser, live_server, e2e_app, officials, backend
):
    site_id = _add_site(e2e_app, "จุดพักคอย รายงาน", None)
    phone.goto(f"/facility/{site_id}")
    phone.page.fill("#report input[name=note]", "เตียงเต็มแล้ว")
    phone.page.click("#report button[value=full]")
    phone.page.wait_for_load_state("networkidle")
    assert phone.page.locator(".flashes").count() == 1
    phone.screenshot(f"resident-report-sent-{backend}")
    _no_trouble(phone)

    other = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        from tests.e2e.conftest import RecordedPage

        bangkok = RecordedPage(other.new_page(), live_server.url)
        _sign_in(bangkok, "bkk-official")
        bangkok.goto("/official/reports")
        assert "จุดพักคอย รายงาน" not in bangkok.page.inner_text("#report-queue")
    finally:
        other.close()

    _sign_in(desktop, "cm-district")
    desktop.goto("/official/reports")
    with e2e_app.app_context():
        report_id = db.session.scalar(
            select(ResidentReport.id).where(ResidentReport.facility_id == site_id)
        )
    item = desktop.page.locator(f"#report-{report_id}")
    assert "เตียงเต็มแล้ว" in item.inner_text()
    desktop.screenshot(f"official-report-queue-{backend}")
    item.locator("button.accept").click()
    desktop.page.wait_for_load_state("networkidle")
    assert _facility(e2e_app, site_id).status == "full"
    with e2e_app.app_context():
        change = db.session.scalar(
            select(FacilityChange).where(
                FacilityChange.facility_id == site_id, FacilityChange.field == "status"
            )
        )
        assert change.source_ref == f"report:{report_id}" and change.changed_by == "cm-district"
    _no_trouble(desktop)


def test_freshness_rule_as_residents_see_it(phone, e2e_app, backend):
    # Two vaccination sites in Mae Hong Son town: the nearer one confirmed 73 hours ago.
    near = {"lon": 97.9650, "lat": 19.3000}
    far = {"lon": 97.9750, "lat": 19.3000}
    with e2e_app.app_context():
        actor = Actor("e2e", "cli")
        stale = create_facility(
            db.session, {"type": "vaccination_site", "name_th": "ฉีด เก่า", **near}, actor
        ).facility
        fresh = create_facility(
            db.session, {"type": "vaccination_site", "name_th": "ฉีด ใหม่", **far}, actor
        ).facility
        update_facility(
            db.session,
            stale.id,
            {"status_confirmed_at": utcnow() - timedelta(hours=73)},
            actor,
            expected_version=1,
        )
        db.session.commit()
        stale_id, fresh_id = stale.id, fresh.id
    phone.goto(f"/facility/{stale_id}")
    assert phone.page.inner_text(".meta .badge") == "ยังไม่ยืนยัน"
    phone.screenshot(f"freshness-unconfirmed-{backend}")
    phone.goto(f"/?lat={near['lat']}&lon={near['lon']}&type=vaccination_site&k=1")
    names = phone.page.locator("#results li a.name").all_inner_texts()
    assert names == ["ฉีด ใหม่"]  # the nearer, unconfirmed site dropped out of open now
    phone.screenshot(f"freshness-open-now-{backend}")
    phone.goto(f"/?lat={near['lat']}&lon={near['lon']}&type=vaccination_site&k=1&open_now=false")
    assert phone.page.locator("#results li a.name").all_inner_texts() == ["ฉีด เก่า"]
    assert phone.page.locator("#results li .badge").first.inner_text() == "ยังไม่ยืนยัน"
    del fresh_id
    _no_trouble(phone)
