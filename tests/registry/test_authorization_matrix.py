"""Every role x own area / other area x every write action, in pages and the API.

Own area is a hospital in Si Phum, Mueang Chiang Mai (TH500102, in TH5001 and TH50); other area
is one in Bangkok. Writers get their success status in their area and 403 elsewhere; data
volunteers and planners get 403 everywhere; a national administrator writes everywhere. A
refused write leaves the facility at its version and creates nothing.
"""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from registry.facilities.form import facility_texts
from registry.facilities.reports import submit_report
from registry.facilities.service import update_facility
from registry.models import Facility
from tests.registry.conftest import bearer, sign_in
from tests.registry.helpers import BANGKOK, CHIANG_MAI, OFFICIAL, make_facility

ROLES = (
    "national_admin",
    "provincial_admin",
    "official",
    "district_official",
    "volunteer",
    "planner",
)
WRITERS = {"national_admin", "provincial_admin", "official", "district_official"}
OK = {"page_import": 200, "api_create": 201, "api_patch": 200, "api_status": 200}
AREAS = {"own": CHIANG_MAI, "other": BANGKOK}


def expected_status(role: str, area: str, action: str) -> int:
    allowed = role in WRITERS and (role == "national_admin" or area == "own")
    return OK.get(action, 303) if allowed else 403


def _page_create(ctx):
    point = AREAS[ctx.area]
    return ctx.client.post(
        "/official/facility/new?type=hospital",
        data={
            "csrf_token": ctx.csrf,
            "name_th": "รพ.ใหม่ matrix",
            "status": "open",
            "lat": point["lat"],
            "lon": point["lon"],
        },
    )


def _page_edit(ctx):
    texts = facility_texts(ctx.target)
    form = {f"orig-{k}": v for k, v in texts.items()}
    form.update(texts, beds_total="77", csrf_token=ctx.csrf, version=ctx.target.version)
    return ctx.client.post(f"/official/facility/{ctx.target.id}/edit", data=form)


def _page_status(ctx):
    return ctx.client.post(
        f"/official/facility/{ctx.target.id}/status",
        data={"csrf_token": ctx.csrf, "status": "full", "version": ctx.target.version},
    )


def _page_deactivate(ctx):
    return ctx.client.post(
        f"/official/facility/{ctx.target.id}/deactivate",
        data={"csrf_token": ctx.csrf, "reason": "moved", "version": ctx.target.version},
    )


def _page_revert(ctx):
    change = update_facility(
        ctx.session, ctx.target.id, {"beds_total": 5}, OFFICIAL, expected_version=ctx.target.version
    ).changes[0]
    ctx.session.commit()
    ctx.version_before = ctx.target.version
    return ctx.client.post(f"/official/change/{change.id}/revert", data={"csrf_token": ctx.csrf})


def _page_accept_report(ctx):
    report = submit_report(ctx.session, ctx.target.id, "full", None, client="c", per_hour=9)
    ctx.session.commit()
    return ctx.client.post(
        f"/official/reports/{report.id}/accept",
        data={"csrf_token": ctx.csrf, "version": ctx.target.version},
    )


def _page_import(ctx):
    point = AREAS[ctx.area]
    csv = (
        f"type,name_th,lat,lon\nhospital,รพ.นำเข้า {ctx.area} matrix,{point['lat']},{point['lon']}\n"
    )
    preview = ctx.client.post(
        "/official/import/preview",
        data={
            "csrf_token": ctx.csrf,
            "source": "matrix",
            "file": (io.BytesIO(csv.encode()), "sites.csv"),
        },
        content_type="multipart/form-data",
    )
    if preview.status_code != 200:
        return preview
    token = re.search(r'name="token" value="([^"]+)"', preview.get_data(as_text=True)).group(1)
    return ctx.client.post("/official/import/commit", data={"csrf_token": ctx.csrf, "token": token})


def _api_create(ctx):
    point = AREAS[ctx.area]
    return ctx.client.post(
        "/api/v1/facilities",
        headers=ctx.token,
        json={"type": "hospital", "name_th": "รพ.ใหม่ matrix", **point},
    )


def _api_patch(ctx):
    return ctx.client.patch(
        f"/api/v1/facilities/{ctx.target.id}",
        headers=ctx.token,
        json={"version": ctx.target.version, "beds_total": 77},
    )


def _api_status(ctx):
    return ctx.client.post(
        "/api/v1/status", headers=ctx.token, json=[{"id": ctx.target.id, "status": "full"}]
    )


ACTIONS = {
    "page_create": _page_create,
    "page_edit": _page_edit,
    "page_status": _page_status,
    "page_deactivate": _page_deactivate,
    "page_revert": _page_revert,
    "page_accept_report": _page_accept_report,
    "page_import": _page_import,
    "api_create": _api_create,
    "api_patch": _api_patch,
    "api_status": _api_status,
}
CREATES = {"page_create", "page_import", "api_create"}


class Context:
    def __init__(self, **values) -> None:
        self.__dict__.update(values)


def _created(session) -> int:
    return session.scalar(
        select(func.count()).select_from(Facility).where(Facility.name_th.like("%matrix"))
    )


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_write_matrix(app, client, session, accounts, role, action):
    user = accounts[role]
    csrf = sign_in(client, user)
    token = bearer(session, user)
    targets = {
        "own": make_facility(session, beds_total=10),
        "other": make_facility(session, beds_total=10, **BANGKOK),
    }
    session.commit()
    for area in ("own", "other"):
        target = targets[area]
        ctx = Context(
            client=client,
            session=session,
            csrf=csrf,
            token=token,
            target=target,
            area=area,
            version_before=target.version,
        )
        created_before = _created(session)
        response = ACTIONS[action](ctx)
        want = expected_status(role, area, action)
        body = response.get_data(as_text=True)
        assert response.status_code == want, (role, area, action, body[:600])
        session.expire_all()
        if want == 403:
            assert session.get(Facility, target.id).version == ctx.version_before
            assert _created(session) == created_before
            if role in WRITERS:  # the message names the areas involved (Thai on Thai pages)
                assert "outside your area" in body or "นอกพื้นที่ของคุณ" in body, body[:600]
        elif action in CREATES:
            assert _created(session) == created_before + 1
        else:
            assert session.get(Facility, target.id).version > ctx.version_before


def test_district_official_cannot_write_in_another_district_of_the_province(
    client, session, accounts
):
    chiang_dao = make_facility(session, lon=98.9530, lat=19.3640)  # district Chiang Dao
    session.commit()
    assert chiang_dao.district_code != "TH5001"
    csrf = sign_in(client, accounts["district_official"])
    refused = client.post(
        f"/official/facility/{chiang_dao.id}/status",
        data={"csrf_token": csrf, "status": "full", "version": 1},
    )
    assert refused.status_code == 403
    csrf = sign_in(client, accounts["provincial_admin"])
    allowed = client.post(
        f"/official/facility/{chiang_dao.id}/status",
        data={"csrf_token": csrf, "status": "full", "version": 1},
    )
    assert allowed.status_code == 303


def test_moving_a_facility_out_of_ones_area_is_refused(client, session, accounts):
    site = make_facility(session)
    session.commit()
    headers = bearer(session, accounts["official"])
    moved = client.patch(
        f"/api/v1/facilities/{site.id}", headers=headers, json={"version": 1, **BANGKOK}
    )
    assert moved.status_code == 403
    assert "outside your area" in moved.get_json()["message"]
    assert "Bangkok" in moved.get_json()["message"]
    session.expire_all()
    assert session.get(Facility, site.id).province_code == "TH50"
    assert session.get(Facility, site.id).version == 1


def test_forbidden_message_names_both_areas(client, session, accounts):
    site = make_facility(session, **BANGKOK)
    session.commit()
    headers = bearer(session, accounts["official"])
    refused = client.patch(
        f"/api/v1/facilities/{site.id}", headers=headers, json={"version": 1, "status": "full"}
    )
    body = refused.get_json()
    assert refused.status_code == 403
    assert body["error"] == "forbidden"
    assert "Bangkok" in body["message"] and "Chiang Mai (TH50)" in body["message"]
