"""Official pages: my area, one tap, edit with conflicts, history and revert, reports, import,
account administration."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import func, select

from registry.facilities.form import facility_texts
from registry.facilities.service import update_facility
from registry.models import Facility, FacilityChange, ImportBatch, ResidentReport, User, utcnow
from tests.registry.conftest import csrf_token, sign_in
from tests.registry.helpers import BANGKOK, OFFICIAL, make_facility


def _edit_form(facility, csrf, **edits):
    texts = facility_texts(facility)
    form = {f"orig-{k}": v for k, v in texts.items()}
    form.update(texts, csrf_token=csrf, version=facility.version)
    form.update(edits)
    return form


def test_my_area_lists_own_sites_least_recently_confirmed_first(client, session, accounts):
    fresh = make_facility(session, name_th="ยืนยันแล้ว")
    old = make_facility(session, name_th="เก่า")
    never = make_facility(session, name_th="ไม่เคยยืนยัน")
    make_facility(session, name_th="กรุงเทพ", **BANGKOK)
    old.status_confirmed_at = utcnow() - timedelta(hours=100)
    never.status_confirmed_at = None
    session.commit()
    sign_in(client, accounts["official"])
    html = client.get("/official/").get_data(as_text=True)
    order = [html.index(name) for name in ("ไม่เคยยืนยัน", "เก่า", "ยืนยันแล้ว")]
    assert order == sorted(order)
    assert "กรุงเทพ" not in html
    stale = client.get("/official/?stale=1").get_data(as_text=True)
    assert "เก่า" in stale and "ไม่เคยยืนยัน" in stale and "ยืนยันแล้ว" not in stale
    assert f'id="site-{fresh.id}"' not in client.get("/official/?type=vaccination_site").get_data(
        as_text=True
    )


def test_one_tap_still_open_confirms_now(client, session, accounts):
    site = make_facility(session)
    site.status_confirmed_at = utcnow() - timedelta(hours=100)
    session.commit()
    csrf = sign_in(client, accounts["official"])
    response = client.post(
        f"/official/facility/{site.id}/status",
        data={"csrf_token": csrf, "status": "open", "version": site.version},
    )
    assert response.status_code == 303
    session.expire_all()
    facility = session.get(Facility, site.id)
    assert (utcnow() - facility.status_confirmed_at).total_seconds() < 60
    assert facility.status_confirmed_by == "official"


def test_two_officials_on_one_site_nobody_loses_work(app, session, accounts):
    site = make_facility(session, beds_total=10, phone="053-111111")
    session.commit()
    first, second = app.test_client(), app.test_client()
    csrf_1 = sign_in(first, accounts["official"])
    csrf_2 = sign_in(second, accounts["provincial_admin"])
    form_1 = _edit_form(site, csrf_1, beds_total="12")  # both opened version 1
    form_2 = _edit_form(site, csrf_2, phone="053-222222")
    assert first.post(f"/official/facility/{site.id}/edit", data=form_1).status_code == 303
    conflict = second.post(f"/official/facility/{site.id}/edit", data=form_2)
    assert conflict.status_code == 409
    html = conflict.get_data(as_text=True)
    assert 'id="conflict"' in html and "official" in html  # who changed what
    assert re.search(r"<td>[^<]*</td><td>12</td><td>official</td>", html)
    # The form shows the current version with the second official's edit on top: re-apply.
    assert 'name="version" value="2"' in html
    assert (
        'value="053-222222"' in html
        and 'name="beds_total" id="field-beds_total" value="12"' in html
    )
    reapply = {k: v for k, v in re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', html)}
    reapply["status"] = "open"
    reapply.pop("confirm_status", None)
    assert second.post(f"/official/facility/{site.id}/edit", data=reapply).status_code == 303
    session.expire_all()
    facility = session.get(Facility, site.id)
    assert (facility.beds_total, facility.phone, facility.version) == (12, "053-222222", 3)


def test_edit_moves_the_point_and_rederives_areas(client, session, accounts):
    site = make_facility(session)
    session.commit()
    csrf = sign_in(client, accounts["official"])
    form = _edit_form(site, csrf, lat="19.3640", lon="98.9530")  # Chiang Dao, same province
    assert client.post(f"/official/facility/{site.id}/edit", data=form).status_code == 303
    session.expire_all()
    assert session.get(Facility, site.id).district_code != "TH5001"
    location = session.scalar(select(FacilityChange).where(FacilityChange.field == "location"))
    assert location.new_value == [98.953, 19.364]


def test_history_page_and_revert(client, session, accounts):
    site = make_facility(session, beds_total=10)
    update_facility(session, site.id, {"beds_total": 30}, OFFICIAL, expected_version=1)
    session.commit()
    csrf = sign_in(client, accounts["official"])
    html = client.get(f"/official/facility/{site.id}/history").get_data(as_text=True)
    change_id = re.search(r'data-field="beds_total" data-change="(\d+)"', html).group(1)
    response = client.post(f"/official/change/{change_id}/revert", data={"csrf_token": csrf})
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Facility, site.id).beds_total == 10
    again = client.post(
        f"/official/change/{change_id}/revert", data={"csrf_token": csrf}, follow_redirects=True
    )
    # Refused, in the page's language (Thai by default), the field named by its label.
    said = again.get_data(as_text=True)
    assert "ถูกแก้ไขอีกครั้งหลังการแก้ไขครั้งที่" in said and "has changed again" not in said


def test_add_and_deactivate_a_facility(client, session, accounts):
    csrf = sign_in(client, accounts["official"])
    assert "covid_test_point" in client.get("/official/facility/new").get_data(as_text=True)
    response = client.post(
        "/official/facility/new?type=covid_test_point",
        data={
            "csrf_token": csrf,
            "name_th": "จุดตรวจใหม่",
            "status": "open",
            "lat": "18.79",
            "lon": "98.99",
            "test_methods": ["atk", "rt_pcr"],
            "walk_in": "true",
        },
    )
    assert response.status_code == 303
    site = session.scalar(select(Facility).where(Facility.name_th == "จุดตรวจใหม่"))
    assert site.test_methods == ["rt_pcr", "atk"] and site.walk_in is True
    gone = client.post(
        f"/official/facility/{site.id}/deactivate",
        data={"csrf_token": csrf, "reason": "ปิดถาวร", "version": site.version},
    )
    assert gone.status_code == 303
    session.expire_all()
    assert session.get(Facility, site.id).deleted_reason == "ปิดถาวร"
    missing_reason = client.post(
        "/official/facility/new?type=hospital",
        data={"csrf_token": csrf, "name_th": "", "status": "open", "lat": "18.79", "lon": "98.99"},
    )
    assert missing_reason.status_code == 400
    assert "ต้องมีชื่อภาษาไทย" in missing_reason.get_data(as_text=True)  # in the page's Thai


def test_resident_report_reaches_the_right_queue_and_is_applied(app, client, session, accounts):
    site = make_facility(session, name_th="รพ.เชียงใหม่")
    session.commit()
    csrf = csrf_token(client, f"/facility/{site.id}")
    sent = client.post(
        f"/facility/{site.id}/report",
        data={"csrf_token": csrf, "kind": "full", "note": "<b>ไม่มีเตียง</b>"},
    )
    assert sent.status_code == 303
    report = session.scalar(select(ResidentReport))
    assert report.area_code.startswith("TH5001")

    bangkok = app.test_client()
    sign_in(bangkok, accounts["bangkok_official"])
    assert "รพ.เชียงใหม่" not in bangkok.get("/official/reports").get_data(as_text=True)
    officer = sign_in(client, accounts["district_official"])
    queue = client.get("/official/reports").get_data(as_text=True)
    assert "รพ.เชียงใหม่" in queue and "&lt;b&gt;ไม่มีเตียง&lt;/b&gt;" in queue
    accepted = client.post(
        f"/official/reports/{report.id}/accept",
        data={"csrf_token": officer, "version": site.version},
    )
    assert accepted.status_code == 303
    session.expire_all()
    assert session.get(Facility, site.id).status == "full"
    change = session.scalar(select(FacilityChange).where(FacilityChange.field == "status"))
    assert change.source_ref == f"report:{report.id}"
    assert session.get(ResidentReport, report.id).status == "accepted"


def test_reports_are_throttled_per_client(app, client, session):
    site = make_facility(session)
    session.commit()
    csrf = csrf_token(client, f"/facility/{site.id}")
    limit = app.config["REPORTS_PER_CLIENT_PER_HOUR"]
    for _ in range(limit):
        ok = client.post(f"/facility/{site.id}/report", data={"csrf_token": csrf, "kind": "closed"})
        assert ok.status_code == 303
    refused = client.post(f"/facility/{site.id}/report", data={"csrf_token": csrf, "kind": "full"})
    assert refused.status_code == 429
    assert session.scalar(select(func.count()).select_from(ResidentReport)) == limit


def test_wrong_location_report_is_accepted_by_saving_the_point(client, session, accounts):
    site = make_facility(session)
    session.commit()
    csrf = csrf_token(client, f"/facility/{site.id}")
    client.post(f"/facility/{site.id}/report", data={"csrf_token": csrf, "kind": "wrong_location"})
    report = session.scalar(select(ResidentReport))
    csrf = sign_in(client, accounts["official"])
    form = _edit_form(site, csrf, lat="18.7900", lon="98.9900", report=str(report.id))
    assert client.post(f"/official/facility/{site.id}/edit", data=form).status_code == 303
    session.expire_all()
    assert session.get(ResidentReport, report.id).status == "accepted"


def test_import_page_previews_then_commits(client, session, accounts):
    csrf = sign_in(client, accounts["official"])
    csv = (
        "type,name_th,lat,lon\nhospital,รพ.นำเข้า 1,18.79,98.99\n"
        "hospital,รพ.นำเข้า 2,18.80,98.98\nhospital,รพ.กรุงเทพ,13.7563,100.5018\n"
    )
    preview = client.post(
        "/official/import/preview",
        data={
            "csrf_token": csrf,
            "source": "sheet",
            "file": (io.BytesIO(csv.encode()), "sheet.csv"),
        },
        content_type="multipart/form-data",
    )
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "นอกพื้นที่ของคุณ" in html  # the page is in Thai, the problem too
    assert session.scalar(select(func.count()).select_from(Facility)) == 0  # a dry run
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    refused = client.post("/official/import/commit", data={"csrf_token": csrf, "token": token})
    assert refused.status_code == 403
    assert session.scalar(select(func.count()).select_from(Facility)) == 0
    done = client.post(
        "/official/import/commit", data={"csrf_token": csrf, "token": token, "valid_rows_only": "1"}
    )
    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    assert session.scalar(select(func.count()).select_from(Facility)) == 2
    assert session.scalar(select(ImportBatch.created_by)) == "official"


def test_provincial_admin_manages_accounts_of_the_province_only(client, session, accounts):
    csrf = sign_in(client, accounts["provincial_admin"])
    page = client.get("/admin/users").get_data(as_text=True)
    assert "district_official" in page and "bangkok_official" not in page
    form = {
        "csrf_token": csrf,
        "username": "new-official",
        "password": "long enough pw",
        "role": "official",
        "area_code": "TH5001",
    }
    assert client.post("/admin/users", data=form).status_code == 303
    assert session.scalar(select(User).where(User.username == "new-official")).area_code == "TH5001"
    elsewhere = client.post("/admin/users", data={**form, "username": "x-1", "area_code": "TH10"})
    assert elsewhere.status_code == 403
    higher = client.post(
        "/admin/users", data={**form, "username": "x-2", "role": "national_admin", "area_code": ""}
    )
    assert higher.status_code == 403
    other = accounts["bangkok_official"]
    disable = client.post(
        f"/admin/users/{other.id}/active", data={"csrf_token": csrf, "active": "0"}
    )
    assert disable.status_code == 403
    mine = accounts["district_official"]
    client.post(
        f"/admin/users/{mine.id}/active",
        data={"csrf_token": csrf, "active": "0", "confirmed": "1"},
    )
    session.expire_all()
    assert session.get(User, mine.id).active is False


def test_officials_cannot_manage_accounts(client, accounts):
    sign_in(client, accounts["official"])
    assert client.get("/admin/users").status_code == 403
