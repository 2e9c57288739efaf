"""Sign-in sessions (Flask-Login), CSRF protection (Flask-WTF) and API token authentication.

Pages use cookie sessions with CSRF tokens on every form. The JSON API is exempt from CSRF
because it never accepts a session cookie for writes: it takes only ``Authorization: Bearer``
tokens, which a browser does not send on its own.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, Response, current_app, g, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect
from itsdangerous import BadSignature, URLSafeSerializer

from registry.accounts.service import (
    SessionClaim,
    Throttle,
    TrustedDevice,
    UnwrittenFailures,
    client_key,
    device_key,
    end_session,
    session_user,
    start_session,
    token_for,
)
from registry.db import db
from registry.errors import AuthenticationError
from registry.models import User, utcnow

login_manager = LoginManager()
csrf = CSRFProtect()


SESSION_CLAIM = "signin"  # the key of the session's claim (id, issue time, epoch) in the cookie
DEVICE_COOKIE = "registry_device"
DEVICE_COOKIE_DAYS = 365
MAX_DEVICE_ACCOUNTS = 10


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The account of a live session: signed out, disabled or expired is none (reads only)."""
    claim = SessionClaim.from_cookie(session.get(SESSION_CLAIM))
    return session_user(db.session, user_id, claim, _lifetime_s())


def _lifetime_s() -> float:
    return current_app.permanent_session_lifetime.total_seconds()


def sign_in_session(user: User) -> None:
    """Start a session for ``user`` in a fresh cookie (no fixation); nothing is written."""
    claim = start_session(user)
    session.clear()
    session.permanent = True
    session[SESSION_CLAIM] = claim.as_cookie()
    login_user(user)


def sign_out_session() -> None:
    """End this browser's session on the server, so a copied cookie is worth nothing."""
    claim = SessionClaim.from_cookie(session.get(SESSION_CLAIM))
    if current_user.is_authenticated and claim is not None:
        user = current_user._get_current_object()
        # End the reading transaction first: on SpatiaLite the write then waits its turn for
        # the write lock, instead of failing at once when another writer committed since
        # this request's first read (a stale snapshot).
        db.session.commit()
        end_session(db.session, user, claim, _lifetime_s())
    logout_user()
    session.clear()


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="registry-device")


def _device_cookie() -> dict | None:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        value = _device_serializer().loads(raw)
    except BadSignature:
        return None
    ok = isinstance(value, dict) and isinstance(value.get("id"), str)
    return value if ok and isinstance(value.get("users"), list) else None


def trusted_device(username: str) -> TrustedDevice | None:
    """This browser, when it has signed in to ``username`` before: its hashed id, and when it
    last signed in to that account."""
    cookie = _device_cookie()
    username = username.strip()
    if cookie is None or username not in cookie["users"]:
        return None
    signed_in = cookie.get("signed_in")
    at = signed_in.get(username) if isinstance(signed_in, dict) else None
    valid = isinstance(at, int | float) and not isinstance(at, bool)
    return TrustedDevice(
        device_key(cookie["id"], current_app.secret_key),
        datetime.fromtimestamp(at, UTC) if valid else None,
    )


def remember_device(response: Response, username: str) -> Response:
    """Mark this browser as one that signed in to ``username`` just now (a signed, long-lived
    cookie): its failures on that account before now are forgiven, without a write."""
    cookie = _device_cookie() or {"id": secrets.token_urlsafe(16), "users": []}
    users = [name for name in cookie["users"] if name != username][-(MAX_DEVICE_ACCOUNTS - 1) :]
    users.append(username)
    before = cookie.get("signed_in") if isinstance(cookie.get("signed_in"), dict) else {}
    signed_in = {name: before[name] for name in users if name in before}
    signed_in[username] = utcnow().timestamp()
    value = _device_serializer().dumps({"id": cookie["id"], "users": users, "signed_in": signed_in})
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_COOKIE_DAYS * 86400,
        path=url_for("auth.login"),
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


def _secret_key(app: Flask) -> str:
    """The configured key, else one generated once and kept in the instance folder.

    Workers and test processes start side by side, so several may find no key at once. Each
    writes a whole key to a private file and links it into place: the link either makes the
    key or fails because another process made it first, so every process reads the same
    complete key and none ever sees a half-written file."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, draft = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
            with contextlib.suppress(FileExistsError):  # if another made it first, use theirs
                os.link(draft, path)
        finally:
            os.unlink(draft)
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"{path} is empty: delete it to make a key, or set REGISTRY_SECRET_KEY")
    return key


def client() -> str:
    """The calling client as a keyed hash of its address (PROXY_COUNT behind a proxy)."""
    return client_key(request.remote_addr, current_app.secret_key)


def unwritten_failures() -> UnwrittenFailures:
    """This worker's failed sign-ins that could not be written yet (see UnwrittenFailures)."""
    return current_app.extensions["registry_unwritten_failures"]


def throttle() -> Throttle:
    config = current_app.config
    return Throttle(
        config["LOGIN_FAILURE_WINDOW_MINUTES"],
        config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
        config["LOGIN_MAX_FAILURES_PER_CLIENT"],
        config["LOGIN_MAX_FAILURES_PER_DEVICE"],
        config["LOGIN_MAX_FAILURES_PER_ACCOUNT_EVERYWHERE"],
    )


def api_account() -> User:
    """The owner of the request's bearer token; 401 without a valid one."""
    if "api_user" in g:
        return g.api_user
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise AuthenticationError(
            "writes need a personal API token: send 'Authorization: Bearer <token>' "
            "(create one on the API tokens page)"
        )
    g.api_token = token_for(db.session, secret.strip())
    g.api_user = db.session.get(User, g.api_token.user_id)
    return g.api_user


def signed_in() -> bool:
    """Whether a person with an account is asking: a session cookie or a valid API token."""
    if current_user.is_authenticated:
        return True
    return bool(request.headers.get("Authorization")) and api_account() is not None


def begin_write() -> None:
    """End the read transaction of authentication so the write starts with the write lock.

    SpatiaLite refuses to turn a read transaction into a write when another writer committed
    in between (WAL snapshot); PostGIS does not mind. The token's use is stamped here, inside
    the write that follows.
    """
    db.session.commit()
    token = g.get("api_token")
    if token is not None:
        g.pending_token_stamp = token


def stamp_token() -> None:
    token = g.pop("pending_token_stamp", None)
    if token is not None:
        token.last_used_at = utcnow()


def page_account() -> User:
    """The signed-in account of a page request (views are wrapped in login_required)."""
    return current_user._get_current_object()


def _account_context() -> dict:
    from registry.accounts.access import ROLES

    spec = ROLES.get(current_user.role) if current_user.is_authenticated else None
    return {"account_role": spec}


def init_app(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)
    if app.testing:
        # The test client and the browser tests talk plain http.
        app.config["SESSION_COOKIE_SECURE"] = False
        app.config["REMEMBER_COOKIE_SECURE"] = False
    app.extensions["registry_unwritten_failures"] = UnwrittenFailures()
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.init_app(app)
    csrf.init_app(app)
    app.context_processor(_account_context)
