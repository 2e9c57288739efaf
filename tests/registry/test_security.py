"""CSRF on every form, and hostile text stored as typed and shown as text everywhere."""

from __future__ import annotations

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from registry.facilities.reports import submit_report
from registry.models import Facility, FacilityChange, ResidentReport
from tests.registry.conftest import bearer, sign_in
from tests.registry.helpers import make_facility

SQL = "x'); DROP TABLE facility; --"
HTML = '<script>alert("x")</script><img src=x onerror=alert(1)>'
QUOTE = '" onmouseover="alert(1)'
SHORT = "<b>'--</b>"  # hcode is 10 characters long


def _forms(site, change_id, report_id, token_id):
    """Every form the app accepts, with valid fields except the CSRF token."""
    return {
        "login": ("/login", {"username": "official", "password": "x"}),
        "logout": ("/logout", {}),
        "create token": ("/account/tokens", {"name": "feed"}),
        "revoke token": (f"/account/tokens/{token_id}/revoke", {}),
        "one tap": (f"/official/facility/{site.id}/status", {"status": "full", "version": 1}),
        "edit": (f"/official/facility/{site.id}/edit", {"version": 1, "beds_total": "1"}),
        "new": (
            "/official/facility/new?type=hospital",
            {"name_th": "x", "lat": 18.79, "lon": 98.99},
        ),
        "deactivate": (f"/official/facility/{site.id}/deactivate", {"reason": "x", "version": 1}),
        "revert": (f"/official/change/{change_id}/revert", {}),
        "report": (f"/facility/{site.id}/report", {"kind": "closed"}),
        "accept report": (f"/official/reports/{report_id}/accept", {"version": 1}),
        "dismiss report": (f"/official/reports/{report_id}/dismiss", {}),
        "add account": (
            "/admin/users",
            {
                "username": "abc",
                "password": "long enough pw",
                "role": "official",
                "area_code": "TH50",
            },
        ),
        "disable account": ("/admin/users/1/active", {"active": "0"}),
        "import preview": ("/official/import/preview", {}),
        "import commit": ("/official/import/commit", {"token": "abc"}),
    }


@pytest.mark.parametrize("bad_token", [None, "forged-token"])
def test_every_form_refuses_a_missing_or_forged_csrf_token(client, session, accounts, bad_token):
    site = make_facility(session)
    from registry.accounts.service import create_token
    from registry.facilities.service import facility_history

    change_id = facility_history(session, site.id)[0].id
    report_id = submit_report(session, site.id, "full", None, client="c", per_hour=5).id
    token_id = create_token(session, accounts["national_admin"], "t")[0].id
    session.commit()
    sign_in(client, accounts["national_admin"])
    for name, (path, data) in _forms(site, change_id, report_id, token_id).items():
        if bad_token:
            data = {**data, "csrf_token": bad_token}
        response = client.post(f"{path}{'&' if '?' in path else '?'}lang=en", data=data)
        assert response.status_code == 400, name
        # The site's error page, saying what to do (werkzeug's own page would say "CSRF").
        assert "Reload the page and send it again" in response.get_data(as_text=True), name
    session.expire_all()
    assert session.get(Facility, site.id).version == 1
    assert session.scalar(select(func.count()).select_from(Facility)) == 1
    assert session.get(ResidentReport, report_id).status == "open"


@pytest.mark.parametrize("payload", [SQL, HTML, QUOTE])
def test_hostile_text_in_every_field_is_stored_and_shown_as_text(
    client, session, accounts, payload
):
    csrf = sign_in(client, accounts["official"])
    fields = {
        "name_th": payload,
        "name_en": payload,
        "address": payload,
        "phone": payload,
        "opening_hours": payload,
        "hcode": SHORT,
        "admission_rules": payload,
    }
    created = client.post(
        "/official/facility/new?type=field_hospital",
        data={"csrf_token": csrf, "status": "open", "lat": "18.79", "lon": "98.99", **fields},
    )
    assert created.status_code == 303, created.get_data(as_text=True)[:300]
    site = session.scalar(select(Facility))
    for name, value in fields.items():
        assert getattr(site, name) == value, name
    # The tables are all still there and the change log holds the text as typed.
    assert session.scalar(select(FacilityChange.new_value))["name_th"] == payload
    submit_report(session, site.id, "closed", payload, client="c", per_hour=5)
    session.commit()
    escaped = str(escape(payload))  # what Jinja's autoescape writes
    pages = [
        f"/facility/{site.id}",
        "/official/",
        f"/official/facility/{site.id}/edit",
        f"/official/facility/{site.id}/history",
        "/official/reports",
        "/?lat=18.79&lon=98.99",
    ]
    for path in pages:
        body = client.get(path).get_data(as_text=True)
        assert escaped in body, path
        if payload != SQL:  # raw markup never reaches a page, not even in the map's script
            assert payload not in body, path
            assert "<script>alert" not in body and "<img src=x" not in body, path
    api = client.get(f"/api/v1/facilities/{site.id}").get_json()
    assert api["properties"]["address"] == payload
    headers = bearer(session, accounts["official"])
    patched = client.patch(
        f"/api/v1/facilities/{site.id}",
        headers=headers,
        json={"version": site.version, "phone": payload + "!"},
    )
    assert patched.get_json()["feature"]["properties"]["phone"] == payload + "!"


def test_search_parameters_with_sql_are_plain_values(client, session):
    make_facility(session)
    session.commit()
    response = client.get("/api/v1/nearest", query_string={"place": SQL})
    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(Facility)) == 1
    listing = client.get("/api/v1/facilities", query_string={"province": "TH50' OR '1'='1"})
    assert listing.status_code == 400


@pytest.mark.parametrize("proxies, expected", [(0, "10.0.0.9"), (1, "203.0.113.7")])
def test_client_address_trusts_forwarded_for_only_behind_configured_proxies(
    engine, tmp_path, proxies, expected
):
    from flask import request

    from registry.app import create_app

    app = create_app(
        {
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "TESTING": True,
            "SECRET_KEY": "t",
            "PROXY_COUNT": proxies,
        }
    )
    app.add_url_rule("/_whoami", "whoami", lambda: request.remote_addr)
    answer = app.test_client().get(
        "/_whoami",
        headers={"X-Forwarded-For": "203.0.113.7"},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert answer.get_data(as_text=True) == expected
