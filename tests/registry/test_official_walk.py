"""Officials and administrators as new users found them: the import commit with a
rejected row, the deliberate status confirmation, where each role lands after sign-in, and the
accounts page."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from registry.facilities.service import update_facility
from registry.models import Facility, ImportBatch, User, utcnow
from tests.registry.conftest import PASSWORD, csrf_token, sign_in
from tests.registry.helpers import OFFICIAL, make_facility

BAD_ROW_CSV = "type,name_th,lat,lon\nhospital,รพ.ดี,18.79,98.99\nhospital,รพ.พิกัดเสีย,1375.5,98.98\n"


def _preview(client, csrf, csv: str, name: str = "sheet.csv"):
    return client.post(
        "/official/import/preview",
        data={"csrf_token": csrf, "file": (io.BytesIO(csv.encode()), name)},
        content_type="multipart/form-data",
    )


def test_commit_with_a_rejected_row_answers_the_form_in_thai(client, session, accounts):
    csrf = sign_in(client, accounts["official"])
    html = _preview(client, csrf, BAD_ROW_CSV).get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    refused = client.post("/official/import/commit", data={"csrf_token": csrf, "token": token})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "ยังไม่ได้นำเข้าข้อมูลใดเลย" in page and "(แถว 3)" in page
    assert 'name="valid_rows_only"' in page and 'id="commit-form"' in page
    assert session.scalar(select(func.count()).select_from(Facility)) == 0
    english = client.post(
        "/official/import/commit?lang=en", data={"csrf_token": csrf, "token": token}
    )
    assert "Nothing was imported: 1 errors in 1 rows (rows 3)" in english.get_data(as_text=True)
    done = client.post(
        "/official/import/commit", data={"csrf_token": csrf, "token": token, "valid_rows_only": "1"}
    )
    assert done.status_code == 200
    assert session.scalar(select(func.count()).select_from(Facility)) == 1


def test_the_status_is_not_confirmed_unless_the_official_ticks_it(client, session, accounts):
    site = make_facility(session, beds_total=10)
    long_ago = utcnow() - timedelta(hours=100)
    site.status_confirmed_at = long_ago
    session.commit()
    csrf = sign_in(client, accounts["official"])
    html = client.get(f"/official/facility/{site.id}/edit").get_data(as_text=True)
    box = re.search(r'<input type="checkbox" name="confirm_status"[^>]*>', html).group(0)
    assert "checked" not in box
    # What the browser sends: every field as shown, beds changed, the box left unticked.
    form = dict(re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', html))
    form.pop("confirm_status")
    form.update(csrf_token=csrf, beds_total="12", status="open")
    form.pop("reason", None)
    assert client.post(f"/official/facility/{site.id}/edit", data=form).status_code == 303
    session.expire_all()
    saved = session.get(Facility, site.id)
    assert saved.beds_total == 12
    assert abs((saved.status_confirmed_at - long_ago).total_seconds()) < 1
    form.update(version=str(saved.version), confirm_status="1")
    assert client.post(f"/official/facility/{site.id}/edit", data=form).status_code == 303
    session.expire_all()
    assert (utcnow() - session.get(Facility, site.id).status_confirmed_at).total_seconds() < 60


@pytest.mark.parametrize(
    ("account", "landing"),
    [
        ("planner", "/coverage"),
        ("volunteer", "/survey"),
        ("official", "/official/"),
        ("district_official", "/official/"),
        ("provincial_admin", "/official/"),
        ("national_admin", "/official/"),
    ],
)
def test_each_role_lands_where_its_work_is(client, accounts, account, landing):
    csrf = csrf_token(client)
    response = client.post(
        "/login", data={"csrf_token": csrf, "username": account, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == landing


def test_a_safe_next_wins_over_the_landing_page(client, accounts):
    csrf = csrf_token(client)
    response = client.post(
        "/login",
        data={"csrf_token": csrf, "username": "planner", "password": PASSWORD, "next": "/stats"},
    )
    assert response.headers["Location"] == "/stats"


def test_add_account_form_starts_on_the_least_powerful_role(client, accounts):
    sign_in(client, accounts["national_admin"])
    html = client.get("/admin/users").get_data(as_text=True)
    select_html = re.search(r'<select name="role".*?</select>', html, re.DOTALL).group(0)
    options = re.findall(r'<option value="(\w+)"\s*(selected)?', select_html)
    assert options[0] == ("planner", "selected")
    assert [name for name, chosen in options if chosen] == ["planner"]
    assert [name for name, _chosen in options][-1] == "national_admin"


def test_disabling_an_account_asks_first_and_the_list_shows_it(client, session, accounts):
    csrf = sign_in(client, accounts["provincial_admin"])
    target = accounts["district_official"]
    url = f"/admin/users/{target.id}/active"
    asked = client.post(url, data={"csrf_token": csrf, "active": "0"})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'id="confirm-disable"' in html
    assert "ระงับบัญชี district_official" in html
    session.expire_all()
    assert session.get(User, target.id).active is True  # nothing changed yet
    done = client.post(url, data={"csrf_token": csrf, "active": "0", "confirmed": "1"})
    assert done.status_code == 303
    session.expire_all()
    assert session.get(User, target.id).active is False
    listing = client.get("/admin/users").get_data(as_text=True)
    row = re.search(rf'<tr class="(\S+)" id="user-{target.id}">.*?</tr>', listing, re.DOTALL)
    assert row.group(1) == "account-disabled" and "badge-disabled" in row.group(0)
    assert "ระงับแล้ว" in row.group(0)
    # Enabling again needs no confirmation.
    assert client.post(url, data={"csrf_token": csrf, "active": "1"}).status_code == 303
    session.expire_all()
    assert session.get(User, target.id).active is True


@pytest.mark.parametrize(
    ("account", "reason"),
    [
        # A Bangkok official on a Chiang Mai site: the reason names both areas in Thai.
        ("bangkok_official", "เชียงใหม่"),
        # Roles that cannot save any site.
        ("planner", "บัญชีนักวางแผนแก้ไขสถานบริการไม่ได้"),
    ],
)
def test_edit_form_of_a_site_one_cannot_save_opens_read_only(
    client, session, accounts, account, reason
):
    site = make_facility(session)
    session.commit()
    sign_in(client, accounts[account])
    html = client.get(f"/official/facility/{site.id}/edit").get_data(as_text=True)
    note = re.search(r'<p class="readonly-note"[^>]*id="read-only">(.*?)</p>', html, re.DOTALL)
    assert note, "no read-only note when the form opens"
    assert reason in note.group(1)
    assert "กรุงเทพมหานคร" in note.group(1) or account == "planner"
    assert "outside your area" not in note.group(1) and "Bangkok" not in note.group(1)
    assert '<fieldset class="form-body" disabled>' in html
    assert 'id="save"' not in html and "danger-zone" not in html
    assert 'data-read-only="1"' in html


def test_edit_form_of_ones_own_site_is_editable(client, session, accounts):
    site = make_facility(session)
    session.commit()
    sign_in(client, accounts["official"])
    html = client.get(f"/official/facility/{site.id}/edit").get_data(as_text=True)
    assert 'id="read-only"' not in html and 'id="save"' in html
    assert '<fieldset class="form-body" >' in html


def _new_site_form(csrf, **values):
    form = {"csrf_token": csrf, "status": "open", "lat": "18.7877", "lon": "98.9934"}
    form.update(values)
    return form


@pytest.mark.parametrize(
    ("name", "lat", "lon"),
    [
        ("โรงพยาบาลทดสอบ", "18.7877", "98.9934"),  # same name, same point
        ("โรงพยาบาล ทดสอบ.", "18.7880", "98.9936"),  # similar name, about 40 m away
    ],
)
def test_adding_a_likely_duplicate_warns_with_a_link(client, session, accounts, name, lat, lon):
    existing = make_facility(session)
    session.commit()
    csrf = sign_in(client, accounts["official"])
    url = "/official/facility/new?type=hospital"
    warned = client.post(url, data=_new_site_form(csrf, name_th=name, lat=lat, lon=lon))
    html = warned.get_data(as_text=True)
    assert warned.status_code == 200 and 'id="duplicates"' in html
    assert f'href="/official/facility/{existing.id}/edit"' in html
    assert "ดูเหมือนจะเป็นจุดบริการที่มีอยู่ในทะเบียนแล้ว" in html
    assert session.scalar(select(func.count()).select_from(Facility)) == 1  # nothing added
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    assert form["duplicate_ok"] == "1"
    again = client.post(url, data=_new_site_form(csrf, name_th=name, lat=lat, lon=lon, **form))
    assert again.status_code == 303
    assert session.scalar(select(func.count()).select_from(Facility)) == 2


@pytest.mark.parametrize(
    ("name", "lat", "lon", "facility_type"),
    [
        ("โรงพยาบาลทดสอบ", "18.7877", "98.9934", "vaccination_site"),  # another type
        ("โรงพยาบาลทดสอบ", "18.7900", "98.9934", "hospital"),  # 250 m away
        ("ศูนย์ฉีดวัคซีนกลางเวียง", "18.7877", "98.9934", "hospital"),  # another name
    ],
)
def test_a_different_site_nearby_is_added_without_a_warning(
    client, session, accounts, name, lat, lon, facility_type
):
    make_facility(session)
    session.commit()
    csrf = sign_in(client, accounts["official"])
    response = client.post(
        f"/official/facility/new?type={facility_type}",
        data=_new_site_form(csrf, name_th=name, lat=lat, lon=lon),
    )
    assert response.status_code == 303
    assert session.scalar(select(func.count()).select_from(Facility)) == 2


def test_the_same_hcode_warns_wherever_the_site_is(client, session, accounts):
    existing = make_facility(session, hcode="10697")
    session.commit()
    csrf = sign_in(client, accounts["official"])
    html = client.post(
        "/official/facility/new?type=hospital",
        data=_new_site_form(csrf, name_th="ชื่ออื่น", hcode="10697", lat="19.36", lon="98.95"),
    ).get_data(as_text=True)
    assert f'data-facility="{existing.id}"' in html and "รหัสสถานพยาบาลเดียวกัน" in html


def _commit(client, csrf, csv: str, name: str):
    html = _preview(client, csrf, csv, name).get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    return client.post("/official/import/commit", data={"csrf_token": csrf, "token": token})


def test_undo_an_import_from_the_page_after_commit_and_from_the_list(client, session, accounts):
    csrf = sign_in(client, accounts["official"])
    done = _commit(client, csrf, "type,name_th,lat,lon\nhospital,รพ.นำเข้า,18.79,98.99\n", "a.csv")
    html = done.get_data(as_text=True)
    batch = session.scalar(select(ImportBatch))
    assert f'action="/official/import/batch/{batch.id}/undo"' in html  # after the commit
    listing = client.get("/official/import/").get_data(as_text=True)
    assert f'id="batch-{batch.id}"' in listing and "a.csv" in listing
    undone = client.post(
        f"/official/import/batch/{batch.id}/undo", data={"csrf_token": csrf}, follow_redirects=True
    )
    assert undone.status_code == 200
    assert f"ยกเลิกการนำเข้าชุดที่ {batch.id} แล้ว" in undone.get_data(as_text=True)
    session.expire_all()
    assert session.get(ImportBatch, batch.id).status == "undone"
    assert session.scalar(select(Facility.deleted_at)) is not None


def test_undo_is_refused_in_thai_when_someone_changed_the_fields_since(client, session, accounts):
    csrf = sign_in(client, accounts["official"])
    header = "type,name_th,hcode,phone,lat,lon\n"
    _commit(client, csrf, header + "hospital,รพ.นำเข้า,10697,053-111111,18.79,98.99\n", "a.csv")
    _commit(client, csrf, header + "hospital,รพ.นำเข้า,10697,053-222222,18.79,98.99\n", "b.csv")
    second = session.scalars(select(ImportBatch).order_by(ImportBatch.id)).all()[-1]
    site = session.scalar(select(Facility))
    assert site.phone.endswith("222222")
    changes = {"phone": "053-333333"}
    update_facility(session, site.id, changes, OFFICIAL, expected_version=site.version)
    session.commit()
    refused = client.post(f"/official/import/batch/{second.id}/undo", data={"csrf_token": csrf})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert f"ยกเลิกการนำเข้าชุดที่ {second.id} ไม่ได้" in html and "โทรศัพท์" in html
    assert "cannot be undone" not in html
    session.expire_all()
    assert session.get(ImportBatch, second.id).status == "committed"
    assert session.get(Facility, site.id).phone.endswith("333333")


def test_only_ones_own_batches_can_be_undone(app, client, session, accounts):
    csrf = sign_in(client, accounts["official"])
    _commit(client, csrf, "type,name_th,lat,lon\nhospital,รพ.นำเข้า,18.79,98.99\n", "a.csv")
    batch = session.scalar(select(ImportBatch))
    other = app.test_client()
    other_csrf = sign_in(other, accounts["provincial_admin"])
    assert f'id="batch-{batch.id}"' not in other.get("/official/import/").get_data(as_text=True)
    refused = other.post(f"/official/import/batch/{batch.id}/undo", data={"csrf_token": other_csrf})
    assert refused.status_code == 403
    session.expire_all()
    assert session.get(ImportBatch, batch.id).status == "committed"


def test_the_import_page_lists_ones_batches_once_inside_the_page(client, session, accounts):
    csrf = sign_in(client, accounts["official"])
    _commit(client, csrf, "type,name_th,lat,lon\nhospital,รพ.นำเข้า,18.79,98.99\n", "a.csv")
    html = client.get("/official/import/?lang=en").get_data(as_text=True)
    title = html[html.index("<title>") + len("<title>") : html.index("</title>")]
    assert "<" not in title and "Import a list" in title
    head = html[: html.index("</head>")]
    assert 'id="batches"' not in head
    assert html.count('id="batches"') == 1
