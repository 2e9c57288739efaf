"""Accounts for the tests of: one per role, signed in without the slow password hash."""

from __future__ import annotations

import functools
import re

import pytest
from werkzeug.security import generate_password_hash

from registry.accounts.service import create_token, start_session
from registry.auth import SESSION_CLAIM
from registry.models import User, utcnow

PASSWORD = "correct horse battery"
# name -> (role, area): Chiang Mai province TH50, its Mueang district TH5001.
ACCOUNTS = {
    "national_admin": ("national_admin", None),
    "provincial_admin": ("provincial_admin", "TH50"),
    "official": ("official", "TH50"),
    "district_official": ("official", "TH5001"),
    "volunteer": ("volunteer", "TH5001"),
    "planner": ("planner", None),
    "bangkok_official": ("official", "TH10"),
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@functools.cache
def password_hash() -> str:
    """Hashed once per run: scrypt is slow on purpose."""
    return generate_password_hash(PASSWORD, method="scrypt")


def add_user(session, username: str, role: str, area_code: str | None) -> User:
    user = User(
        username=username,
        display_name=username,
        password_hash=password_hash(),
        role=role,
        area_code=area_code,
        active=True,
        created_at=utcnow(),
        created_by="test",
    )
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def accounts(session) -> dict[str, User]:
    made = {name: add_user(session, name, role, area) for name, (role, area) in ACCOUNTS.items()}
    session.commit()
    return made


def session_for(client, user: User) -> None:
    """Put a new session of ``user`` in the test client's cookie (no password)."""
    claim = start_session(user)
    with client.session_transaction() as flask_session:
        flask_session.clear()
        flask_session["_user_id"] = str(user.id)
        flask_session["_fresh"] = True
        flask_session[SESSION_CLAIM] = claim.as_cookie()


def sign_in(client, user: User) -> str:
    """Sign ``user`` in on the test client; returns a CSRF token for its forms."""
    session_for(client, user)
    return csrf_token(client)


def csrf_token(client, path: str = "/login") -> str:
    page = client.get(path)
    match = CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def bearer(session, user: User) -> dict[str, str]:
    _token, secret = create_token(session, user, "tests")
    session.commit()
    return {"Authorization": f"Bearer {secret}"}
