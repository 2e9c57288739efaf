"""Sign-in, throttling, sessions, the user CLI and API tokens."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, text

from registry.accounts.service import create_token, create_user
from registry.models import ApiToken, LoginFailure, User
from tests.registry.conftest import PASSWORD, csrf_token, sign_in


def _login(client, username: str, password: str, token: str | None = None):
    token = token or csrf_token(client)
    return client.post(
        "/login", data={"csrf_token": token, "username": username, "password": password}
    )


def test_sign_in_and_out(client, session, accounts):
    response = _login(client, "official", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/official/")
    page = client.get("/official/")
    assert page.status_code == 200
    assert "เชียงใหม่ (TH50)" in page.get_data(as_text=True)  # the area, in Thai
    token = csrf_token(client, "/official/")
    out = client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 302
    assert client.get("/official/").status_code == 302  # to the sign-in page


def test_pages_need_an_account(client):
    response = client.get("/official/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.get("/admin/users").status_code == 302


def test_wrong_password_is_refused_and_recorded(client, session, accounts):
    response = _login(client, "official", "not the password")
    assert response.status_code == 401
    assert 'id="login-error"' in response.get_data(as_text=True)
    assert session.scalar(select(LoginFailure.username)) == "official"


def test_throttling_per_account_holds_even_with_the_right_password(app, client, session, accounts):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    token = csrf_token(client)
    for _ in range(limit):
        assert _login(client, "official", "guess", token).status_code == 401
    assert _login(client, "official", PASSWORD, token).status_code == 429
    # Another account from the same client is still fine (below the per-client limit).
    assert _login(client, "planner", PASSWORD, token).status_code == 302


def test_throttling_per_client_across_accounts(app, client, session, accounts):
    app.config["LOGIN_MAX_FAILURES_PER_CLIENT"] = 3
    token = csrf_token(client)
    for name in ("a-user", "b-user", "c-user"):
        assert _login(client, name, "guess", token).status_code == 401
    assert _login(client, "official", PASSWORD, token).status_code == 429
    # The count lives in the database, so every worker sees it.
    assert session.scalar(text("SELECT count(*) FROM login_failure")) == 3


def test_success_forgives_the_browsers_failures_without_a_write(app, client, session, accounts):
    token = csrf_token(client)
    assert _login(client, "official", PASSWORD, token).status_code == 302  # a trusted browser
    client.post("/logout", data={"csrf_token": csrf_token(client, "/official/")})
    token = csrf_token(client)  # signing out cleared the session, and its CSRF token
    almost = app.config["LOGIN_MAX_FAILURES_PER_DEVICE"] - 1
    for _ in range(almost):
        assert _login(client, "official", "guess", token).status_code == 401
    written = session.scalar(text("SELECT count(*) FROM login_failure"))
    assert _login(client, "official", PASSWORD, token).status_code == 302
    # The success wrote nothing: the device cookie says when this browser signed in.
    assert session.scalar(text("SELECT count(*) FROM login_failure")) == written == almost
    assert session.scalar(text("SELECT count(*) FROM user_session")) == 1  # the sign-out
    client.post("/logout", data={"csrf_token": csrf_token(client, "/official/")})
    token = csrf_token(client)
    for _ in range(almost):
        assert _login(client, "official", "guess", token).status_code == 401
    assert _login(client, "official", PASSWORD, token).status_code == 302


def test_disabled_account_loses_its_session_and_tokens(client, session, accounts):
    user = accounts["official"]
    sign_in(client, user)
    _row, secret = create_token(session, user, "feed")
    user.active = False
    session.commit()
    assert client.get("/official/").status_code == 302
    response = client.post(
        "/api/v1/status",
        headers={"Authorization": f"Bearer {secret}"},
        json=[{"id": 1, "status": "full"}],
    )
    assert response.status_code == 401
    assert _login(client, "official", PASSWORD).status_code == 401


def test_cookie_flags(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    from registry import config

    assert config.SESSION_COOKIE_SECURE is True  # off only under TESTING (plain http)


def test_session_cookie_is_httponly_and_samesite(client, accounts):
    response = _login(client, "official", PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_passwords_are_hashed_with_scrypt(session):
    user = create_user(
        session, username="somchai", password="a long password", role="official", area_code="TH50"
    )
    assert user.password_hash.startswith("scrypt:")
    assert "a long password" not in user.password_hash


@pytest.mark.parametrize(
    ("role", "area", "message"),
    [
        ("official", None, "scoped to a province or a district or a subdistrict"),
        ("volunteer", "TH50", "a data volunteer is scoped to a district or a subdistrict"),
        ("provincial_admin", "TH5001", "scoped to a province"),
        ("mayor", "TH50", "role 'mayor' is not one of"),
        ("official", "TH99", "'TH99' is not a known area"),
    ],
)
def test_roles_and_areas_are_checked(session, role, area, message):
    from registry.errors import ValidationError

    with pytest.raises(ValidationError, match=message):
        create_user(
            session, username="x-user", password="a long password", role=role, area_code=area
        )


def test_user_cli_create_and_disable(app, session):
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=[
            "user",
            "create",
            "nok",
            "--role",
            "official",
            "--area",
            "5001",
            "--password",
            "long enough pw",
        ]
    )
    assert created.exit_code == 0, created.output
    assert "user nok (official, TH5001) created" in created.output
    short = runner.invoke(
        args=[
            "user",
            "create",
            "nid",
            "--role",
            "official",
            "--area",
            "TH50",
            "--password",
            "short",
        ]
    )
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    disabled = runner.invoke(args=["user", "disable", "nok"])
    assert disabled.exit_code == 0, disabled.output
    session.expire_all()
    assert session.scalar(select(User).where(User.username == "nok")).active is False
    listed = runner.invoke(args=["user", "list"])
    assert "nok\tofficial\tTH5001\tdisabled" in listed.output


def test_api_tokens_are_stored_hashed_shown_once_and_revocable(client, session, accounts):
    csrf = sign_in(client, accounts["official"])
    page = client.post("/account/tokens", data={"csrf_token": csrf, "name": "hospital system"})
    html = page.get_data(as_text=True)
    secret = html.split('<code class="secret">')[1].split("</code>")[0]
    assert secret.startswith("rgt_") and len(secret) > 40
    row = session.scalar(select(ApiToken))
    assert row.token_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    # Nowhere in the database in clear.
    for table in ("api_token", "app_user"):
        for values in session.execute(text(f"SELECT * FROM {table}")):
            assert all(secret not in str(value) for value in values)
    assert secret not in client.get("/account/tokens").get_data(as_text=True)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.post("/api/v1/status", headers=headers, json=[]).status_code == 400
    client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf})
    revoked = client.post("/api/v1/status", headers=headers, json=[])
    assert revoked.status_code == 401
    assert "revoked" in revoked.get_json()["message"]


def test_api_writes_need_a_token(client, session, accounts):
    sign_in(client, accounts["official"])  # a session cookie is not enough for the API
    response = client.patch("/api/v1/facilities/1", json={"version": 1, "status": "full"})
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.get_json()["message"]
    wrong = client.patch(
        "/api/v1/facilities/1", json={"version": 1}, headers={"Authorization": "Bearer rgt_nope"}
    )
    assert wrong.status_code == 401
