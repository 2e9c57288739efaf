"""Sign-out ends the session on the server; disabling an account ends its
sessions and API tokens for good (enabling it again brings none of them back).

An open session lives in its signed cookie only (signing in writes nothing); the server keeps
the sessions ended by signing out, and each account's session epoch, moved on when disabled.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from registry.accounts.service import SessionClaim, create_token, set_active, start_session
from registry.auth import SESSION_CLAIM
from registry.models import ApiToken, UserSession
from tests.registry.conftest import PASSWORD, csrf_token


def _sign_in(client, username: str = "official"):
    response = client.post(
        "/login",
        data={"csrf_token": csrf_token(client), "username": username, "password": PASSWORD},
    )
    assert response.status_code == 302
    return response


def _session_cookie(client) -> str:
    return client.get_cookie("session", domain="registry.test").value


def _with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie("session", value, domain="registry.test")
    return other


def test_a_cookie_copied_before_sign_out_opens_nothing_after(app, client, session, accounts):
    _sign_in(client)
    copied = _session_cookie(client)
    assert _with_cookie(app, copied).get("/official/").status_code == 200
    token = csrf_token(client, "/official/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/official/").status_code == 302
    thief = _with_cookie(app, copied)
    assert thief.get("/official/").status_code == 302  # to the sign-in page
    assert thief.get("/survey").status_code == 302
    ended = session.scalar(
        select(UserSession).where(UserSession.user_id == accounts["official"].id)
    )
    assert ended.ended_at is not None


def test_signing_out_ends_only_that_session(app, session, accounts):
    phone, desk = app.test_client(), app.test_client()
    _sign_in(phone)
    _sign_in(desk)
    phone.post("/logout", data={"csrf_token": csrf_token(phone, "/official/")})
    assert phone.get("/official/").status_code == 302
    assert desk.get("/official/").status_code == 200


def test_disabling_ends_sessions_and_tokens_for_good(app, client, session, accounts):
    user = accounts["official"]
    _sign_in(client)
    copied = _session_cookie(client)
    _row, secret = create_token(session, user, "feed")
    session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.post("/api/v1/status", headers=headers, json=[]).status_code == 400  # empty

    set_active(session, user, False, by="admin")
    session.commit()
    set_active(session, user, True, by="admin")  # enabled again the same minute
    session.commit()

    assert _with_cookie(app, copied).get("/official/").status_code == 302
    refused = client.post("/api/v1/status", headers=headers, json=[])
    assert refused.status_code == 401
    assert session.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == user.id))
    # A fresh sign-in with the password works again once the account is enabled.
    fresh = app.test_client()
    _sign_in(fresh)
    assert fresh.get("/official/").status_code == 200


def test_disabling_through_the_admin_page_ends_sessions(app, client, session, accounts):
    victim = app.test_client()
    _sign_in(victim)
    _sign_in(client, "national_admin")
    token = csrf_token(client, "/admin/users")
    user_id = accounts["official"].id
    response = client.post(
        f"/admin/users/{user_id}/active",
        data={"csrf_token": token, "active": "0", "confirmed": "1"},
    )
    assert response.status_code == 303
    client.post(f"/admin/users/{user_id}/active", data={"csrf_token": token, "active": "1"})
    assert victim.get("/official/").status_code == 302


def test_signing_in_writes_nothing_and_the_cookie_carries_the_session(
    app, client, session, accounts
):
    tables = ("user_session", "login_failure", "app_user")
    before = {t: session.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}
    _sign_in(client)
    assert {t: session.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables} == before
    with client.session_transaction() as cookie:
        claim = SessionClaim.from_cookie(cookie[SESSION_CLAIM])
    assert claim is not None and claim.epoch == accounts["official"].session_epoch
    assert client.get("/official/").status_code == 200


@pytest.mark.parametrize(
    "stale",
    [
        pytest.param({"issued_hours_ago": 13}, id="issued-past-the-lifetime"),
        pytest.param({"epoch": 1}, id="another-epoch"),
        pytest.param({"old_kind": True}, id="a-server-side-session-of-before"),
    ],
)
def test_a_cookie_past_its_lifetime_or_of_another_epoch_opens_nothing(
    app, client, session, accounts, stale
):
    """Absolute expiry: the cookie is signed again on every request (idle expiry), so the
    issue time inside it is what ends a session used all day long."""
    user = accounts["official"]
    claim = start_session(user)
    issued = claim.issued - stale.get("issued_hours_ago", 0) * 3600
    value = {"id": claim.id, "issued": issued, "epoch": stale.get("epoch", claim.epoch)}
    with client.session_transaction() as cookie:
        cookie["_user_id"] = str(user.id)
        cookie[SESSION_CLAIM] = "an old secret" if stale.get("old_kind") else value
    assert client.get("/official/").status_code == 302
    with client.session_transaction() as cookie:
        cookie["_user_id"] = str(user.id)
        cookie[SESSION_CLAIM] = claim.as_cookie()  # the same browser, a live session
    assert client.get("/official/").status_code == 200
