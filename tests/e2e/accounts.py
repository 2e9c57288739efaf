"""Accounts in the committed e2e database, added once per run (idempotent by user name)."""

from __future__ import annotations

import re

from registry.accounts.service import create_token, create_user, find_user
from registry.db import db

PASSWORD = "e2e password 1"


def ensure_user(app, username: str, role: str, area_code: str | None):
    with app.app_context():
        user = find_user(db.session, username)
        if user is None:
            user = create_user(
                db.session,
                username=username,
                password=PASSWORD,
                role=role,
                area_code=area_code,
                created_by="e2e",
            )
            db.session.commit()
        return user.id


def api_token(app, username: str) -> str:
    with app.app_context():
        _row, secret = create_token(db.session, find_user(db.session, username), "e2e")
        db.session.commit()
        return secret


def sign_in(page, username: str) -> None:
    """Sign in through the form on a RecordedPage; returns once the landing page is asked for.

    The landing page itself is not awaited: a planner's (coverage) computes for a while.
    """
    page.goto("/login")
    page.page.fill("input[name=username]", username)
    page.page.fill("input[name=password]", PASSWORD)
    page.page.click("#login-form button[type=submit]")
    page.page.wait_for_url(re.compile(r"^(?!.*/login)"), wait_until="commit")
