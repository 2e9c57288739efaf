"""Accounts, sign-in with throttling, and personal API tokens.

Passwords are hashed with werkzeug's scrypt. Failed sign-ins are rows in the database, counted
per account and per client over a window, so throttling holds across workers and restarts.
API tokens are 256-bit random secrets shown once; only their SHA-256 is stored, which is
enough for a secret of that strength (no salt or slow hash needed: nothing to guess).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from importers.messages import Rule, Text
from registry.accounts.access import check_role_area
from registry.errors import (
    AuthenticationError,
    NotFoundError,
    TooManyRequestsError,
    ValidationError,
)
from registry.models import DB_INT_MAX, ApiToken, Area, LoginFailure, User, UserSession, utcnow

USERNAME = re.compile(r"^[A-Za-z0-9._@-]{3,100}$")
MIN_PASSWORD = 10
TOKEN_PREFIX = "rgt_"
# Checked against when the account does not exist, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("not a password", method="scrypt")

SHORT_PASSWORD = Rule("account.short_password", "a password needs at least %(count)s characters")
BAD_USER_NAME = Rule(
    "account.bad_user_name", "user name %(name)s must be 3-100 letters, digits or . _ @ -"
)
UNKNOWN_AREA = Rule("account.unknown_area", "area code %(code)s is not a known area")
NAME_TAKEN = Rule("account.name_taken", "user name %(name)s is taken")
TOO_MANY_SIGN_INS = Rule(
    "account.too_many_sign_ins",
    "too many failed sign-ins for %(held)s; wait %(minutes)s minutes and try again",
)
# Who is held by the sign-in throttle (see ``refusal``).
HELD = {
    "device": Rule("account.held.device", "this browser"),
    "account_from_client": Rule(
        "account.held.account_from_client", "this account from your address"
    ),
    "account": Rule("account.held.account", "this account from new browsers"),
    "client": Rule("account.held.client", "your address"),
}
WRONG_PASSWORD = Rule(
    "account.wrong_password", "wrong user name or password, or the account is disabled"
)
TOKEN_NEEDS_NAME = Rule(
    "account.token_needs_name", "give the token a name, e.g. the system that will use it"
)
TOKEN_UNKNOWN = Rule("account.token_unknown", "this API token is unknown or revoked")
TOKEN_OWNER_DISABLED = Rule(
    "account.token_owner_disabled", "the owner of this API token is disabled"
)
NO_TOKEN = Rule("account.no_token", "you have no token with id %(id)s")


@dataclass(frozen=True)
class Throttle:
    """How many failed sign-ins, within ``window_minutes``, refuse further tries (see
    ``refusal``): per trusted device; per account from one address; per account from
    everywhere (untrusted clients only); per address over all accounts."""

    window_minutes: int = 15
    per_account: int = 5
    per_client: int = 20
    per_device: int = 5
    per_account_everywhere: int = 50


def client_key(address: str | None, secret: str) -> str:
    """A client's address as a keyed hash: enough to count, nothing to identify a resident."""
    return hashlib.sha256(f"{secret}:{address or '-'}".encode()).hexdigest()


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValidationError(SHORT_PASSWORD(count=MIN_PASSWORD), field="password")


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    area_code: str | None,
    display_name: str | None = None,
    created_by: str | None = None,
) -> User:
    """Add an account after checking the name, the password length, the role and its area."""
    username = (username or "").strip()
    if not USERNAME.match(username):
        raise ValidationError(BAD_USER_NAME(name=repr(username)), field="username")
    area_code = (area_code or "").strip().upper() or None
    if area_code and not area_code.startswith("TH"):
        area_code = "TH" + area_code
    if area_code and session.get(Area, area_code) is None:
        raise ValidationError(UNKNOWN_AREA(code=repr(area_code)), field="area_code")
    check_role_area(role, area_code)
    _check_password(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationError(NAME_TAKEN(name=repr(username)), field="username")
    user = User(
        username=username,
        display_name=(display_name or "").strip() or username,
        password_hash=generate_password_hash(password, method="scrypt"),
        role=role,
        area_code=area_code,
        active=True,
        created_at=utcnow(),
        created_by=created_by,
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == (username or "").strip()))


def set_active(session: Session, user: User, active: bool, *, by: str) -> User:
    """Disable (or enable again) an account; a disabled account's sessions and tokens stop."""
    user.active = active
    user.disabled_at = None if active else utcnow()
    user.disabled_by = None if active else by
    if not active:  # for good: enabling the account again does not bring them back
        end_sessions(session, user.id)
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=user.disabled_at)
        )
    session.flush()
    return user


# -- sessions ---------------------------------------------------------------------------------


def _session_key(secret: str) -> str:
    return hashlib.sha256(f"session:{secret}".encode()).hexdigest()


def start_session(session: Session, user: User) -> str:
    """A new server-side session for ``user``; returns the secret the cookie carries."""
    secret = secrets.token_urlsafe(32)
    session.add(UserSession(id=_session_key(secret), user_id=user.id, created_at=utcnow()))
    session.flush()
    return secret


def session_user(session: Session, user_id: str, secret: Any, lifetime_s: float) -> User | None:
    """The active account of a live session, or None (ended, expired, unknown, disabled)."""
    if not isinstance(secret, str) or not user_id.isdigit() or int(user_id) > DB_INT_MAX:
        return None
    row = session.get(UserSession, _session_key(secret))
    if row is None or row.ended_at is not None or row.user_id != int(user_id):
        return None
    if row.created_at < utcnow() - timedelta(seconds=lifetime_s):
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def end_session(session: Session, secret: Any) -> None:
    if isinstance(secret, str):
        session.execute(
            update(UserSession)
            .where(UserSession.id == _session_key(secret), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )


def end_sessions(session: Session, user_id: int) -> None:
    """End every open session of an account (disabled, or its password changed)."""
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def device_key(device_id: str, secret: str) -> str:
    """A device cookie's id as stored with failures: a keyed hash, like the client address."""
    return hashlib.sha256(f"{secret}:device:{device_id}".encode()).hexdigest()


def refusal(
    session: Session, username: str, client: str, device: str | None, throttle: Throttle
) -> Text | None:
    """Why this sign-in attempt is refused before its password is even checked, or None.

    A browser that signed in to this account before (``device``: its device cookie) is held
    only by its own failures, so nobody else's guessing locks the owner out of a browser they
    use. Any other client is held per account from its address (guessing one account), per
    account from everywhere (guessing from many addresses), and per address over all accounts
    (spraying many accounts) — each counted over the window, so it ends by itself.
    """
    since = utcnow() - timedelta(minutes=throttle.window_minutes)
    recent = select(func.count()).select_from(LoginFailure).where(LoginFailure.failed_at >= since)
    if device is not None:
        if session.scalar(recent.where(LoginFailure.device == device)) >= throttle.per_device:
            return HELD["device"]()
        return None
    untrusted = recent.where(LoginFailure.device.is_(None))
    mine = untrusted.where(LoginFailure.username == username)
    if session.scalar(mine.where(LoginFailure.client == client)) >= throttle.per_account:
        return HELD["account_from_client"]()
    if session.scalar(mine) >= throttle.per_account_everywhere:
        return HELD["account"]()
    if session.scalar(untrusted.where(LoginFailure.client == client)) >= throttle.per_client:
        return HELD["client"]()
    return None


def authenticate(
    session: Session,
    username: str,
    password: str,
    client: str,
    throttle: Throttle,
    device: str | None = None,
) -> User:
    """The account for these credentials; 429 after too many failures, 401 on a wrong one.

    ``device`` is the hashed device cookie when the browser has signed in to this account
    before (see ``refusal``).
    """
    username = (username or "").strip()[:100]
    held = refusal(session, username, client, device, throttle)
    if held is not None:
        raise TooManyRequestsError(
            TOO_MANY_SIGN_INS(held=held, minutes=throttle.window_minutes),
            retry_after=throttle.window_minutes * 60,
        )
    user = find_user(session, username)
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if not valid or user is None or not user.active:
        session.add(
            LoginFailure(username=username, client=client, device=device, failed_at=utcnow())
        )
        session.flush()
        raise AuthenticationError(WRONG_PASSWORD())
    mine = LoginFailure.username == username
    if session.scalar(select(LoginFailure.id).where(mine).limit(1)) is not None:
        # Only when there is something to forget: a sign-in that writes nothing never waits
        # for another's write lock (an import's, on SpatiaLite).
        session.execute(delete(LoginFailure).where(mine))
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the secret, which is not kept anywhere."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(TOKEN_NEEDS_NAME(), field="name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name[:200],
        token_sha256=_token_hash(secret),
        prefix=secret[:10],
        created_at=utcnow(),
    )
    session.add(token)
    session.flush()
    return token, secret


def token_for(session: Session, secret: str) -> ApiToken:
    """The unrevoked token of an active owner, or 401."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _token_hash(secret)))
    if token is None or token.revoked_at is not None:
        raise AuthenticationError(TOKEN_UNKNOWN())
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        raise AuthenticationError(TOKEN_OWNER_DISABLED())
    return token


def user_for_token(session: Session, secret: str) -> User:
    """The active owner of an unrevoked token, or 401."""
    return session.get(User, token_for(session, secret).user_id)


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFoundError(NO_TOKEN(id=token_id), field="id")
    token.revoked_at = token.revoked_at or utcnow()
    session.flush()
    return token


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    )
