"""Sign-out ends the session on the server; disabling an account ends its
sessions and API tokens for good (enabling it again brings none of them back)."""

from __future__ import annotations

from sqlalchemy import select

from registry.accounts.service import create_token, set_active
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
