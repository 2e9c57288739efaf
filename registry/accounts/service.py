"""Accounts, sign-in with throttling, and personal API tokens.

Passwords are hashed with werkzeug's scrypt. Failed sign-ins are rows in the database, counted
per account and per client over a window, so throttling holds across workers and restarts
(a count kept by each worker would give a guesser one allowance per worker, and a new one at
every restart). Only a failure writes: a right password writes nothing, and neither does the
session it opens, so signing in never waits for another writer.
API tokens are 256-bit random secrets shown once; only their SHA-256 is stored, which is
enough for a secret of that strength (no salt or slow hash needed: nothing to guess).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from importers.messages import Rule, Text
from registry.accounts.access import check_role_area
from registry.errors import (
    AuthenticationError,
    DatabaseBusyError,
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
        end_sessions(user)
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=user.disabled_at)
        )
    session.flush()
    return user


# -- sessions ---------------------------------------------------------------------------------
# An open session lives only in its signed cookie: a random id, when it was issued and the
# account's session epoch then. Every request checks it against the account row and the
# ended sessions, both reads, so signing in writes nothing and never waits for another
# writer (on SpatiaLite an import's final write holds the database's only write lock).
# Signing out records the ended session; disabling the account moves its epoch on.


@dataclass(frozen=True)
class SessionClaim:
    """What a session cookie says of its session (signed, so the browser cannot change it)."""

    id: str
    issued: float  # Unix time of the sign-in
    epoch: int  # the account's session epoch at sign-in

    def as_cookie(self) -> dict[str, Any]:
        return {"id": self.id, "issued": self.issued, "epoch": self.epoch}

    @classmethod
    def from_cookie(cls, value: Any) -> SessionClaim | None:
        """The claim of a cookie value, or None for anything else (an old or absent one)."""
        if not isinstance(value, dict):
            return None
        sid, issued, epoch = value.get("id"), value.get("issued"), value.get("epoch")
        if not isinstance(sid, str) or not 16 <= len(sid) <= 64:
            return None
        if not isinstance(issued, int | float) or isinstance(issued, bool):
            return None
        if not isinstance(epoch, int) or isinstance(epoch, bool):
            return None
        return cls(sid, float(issued), epoch)

    @property
    def issued_at(self) -> datetime:
        return datetime.fromtimestamp(self.issued, UTC)


def start_session(user: User) -> SessionClaim:
    """A new session for ``user``: what its cookie carries. Nothing is written."""
    return SessionClaim(secrets.token_urlsafe(32), utcnow().timestamp(), user.session_epoch)


def _session_key(session_id: str) -> str:
    return hashlib.sha256(f"session:{session_id}".encode()).hexdigest()


def session_user(
    session: Session, user_id: str, claim: SessionClaim | None, lifetime_s: float
) -> User | None:
    """The active account of a live session, or None (ended, expired, unknown, disabled)."""
    if claim is None or not user_id.isdecimal() or int(user_id) > DB_INT_MAX:
        return None
    if claim.issued_at < utcnow() - timedelta(seconds=lifetime_s):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or user.session_epoch != claim.epoch:
        return None
    if session.get(UserSession, _session_key(claim.id)) is not None:
        return None  # signed out
    return user


def end_session(session: Session, user: User, claim: SessionClaim, lifetime_s: float) -> None:
    """Record this session as ended, so a copy of its cookie opens nothing any more."""
    now = utcnow()
    try:
        with session.begin_nested():
            session.add(
                UserSession(
                    id=_session_key(claim.id),
                    user_id=user.id,
                    created_at=claim.issued_at,
                    ended_at=now,
                )
            )
    except IntegrityError:
        pass  # the same cookie signed out twice at once: ended either way
    # Ended sessions past their lifetime would be refused anyway: forget them.
    expired = now - timedelta(seconds=lifetime_s)
    session.execute(delete(UserSession).where(UserSession.created_at < expired))


def end_sessions(user: User) -> None:
    """End every session of an account (disabled): its cookies carry the old epoch."""
    user.session_epoch = User.session_epoch + 1  # in SQL: two at once both count


# -- throttling -------------------------------------------------------------------------------


def device_key(device_id: str, secret: str) -> str:
    """A device cookie's id as stored with failures: a keyed hash, like the client address."""
    return hashlib.sha256(f"{secret}:device:{device_id}".encode()).hexdigest()


@dataclass(frozen=True)
class TrustedDevice:
    """A browser that signed in to the account before: its hashed device id, and when it last
    signed in to that account (its failures before then are forgiven)."""

    key: str
    signed_in_at: datetime | None = None


class UnwrittenFailures:
    """Failed sign-ins this worker could not write because another writer held the database.

    Counted here, in this worker only, until a later failure writes them; without this, a
    guesser would learn wrong passwords uncounted for as long as an import writes. Kept for
    the throttling window at most.
    """

    MAX = 10_000  # guessing costs a password hash each; this only bounds the memory

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: list[dict[str, Any]] = []

    def take(self) -> list[dict[str, Any]]:
        with self._lock:
            taken, self._failures = self._failures, []
        return taken

    def keep(self, failures: list[dict[str, Any]], window_minutes: int) -> None:
        since = utcnow() - timedelta(minutes=window_minutes)
        with self._lock:
            kept = [f for f in [*self._failures, *failures] if f["failed_at"] >= since]
            self._failures = kept[-self.MAX :]

    def count(self, since: datetime, match: dict[str, Any]) -> int:
        with self._lock:
            failures = list(self._failures)
        return sum(
            1
            for f in failures
            if f["failed_at"] >= since and all(f[k] == v for k, v in match.items())
        )


def _failures(session: Session, unwritten: UnwrittenFailures, since: datetime, **match: Any) -> int:
    """Failures since ``since`` whose columns equal ``match`` (None: empty), written or not."""
    query = select(func.count()).select_from(LoginFailure).where(LoginFailure.failed_at >= since)
    for name, value in match.items():
        column = getattr(LoginFailure, name)
        query = query.where(column.is_(None) if value is None else column == value)
    return session.scalar(query) + unwritten.count(since, match)


def refusal(
    session: Session,
    username: str,
    client: str,
    device: TrustedDevice | None,
    throttle: Throttle,
    unwritten: UnwrittenFailures,
) -> Text | None:
    """Why this sign-in attempt is refused before its password is even checked, or None.

    A browser that signed in to this account before (``device``: its device cookie) is held
    only by its own failures since it last signed in to it, so nobody else's guessing locks
    the owner out of a browser they use. Any other client is held per account from its
    address (guessing one account), per account from everywhere (guessing from many
    addresses), and per address over all accounts (spraying many accounts) — each counted
    over the window, so it ends by itself.
    """
    since = utcnow() - timedelta(minutes=throttle.window_minutes)
    if device is not None:
        if device.signed_in_at is not None:
            since = max(since, device.signed_in_at)
        if _failures(session, unwritten, since, device=device.key) >= throttle.per_device:
            return HELD["device"]()
        return None
    untrusted = {"device": None, "username": username}
    if _failures(session, unwritten, since, **untrusted, client=client) >= throttle.per_account:
        return HELD["account_from_client"]()
    if _failures(session, unwritten, since, **untrusted) >= throttle.per_account_everywhere:
        return HELD["account"]()
    if _failures(session, unwritten, since, device=None, client=client) >= throttle.per_client:
        return HELD["client"]()
    return None


def _record_failures(
    session: Session,
    failures: list[dict[str, Any]],
    throttle: Throttle,
    unwritten: UnwrittenFailures,
) -> None:
    """Write these failures, with any this worker kept; keep them all when the database is
    busy (another writer held it past the lock timeout)."""
    failures = [*unwritten.take(), *failures]
    if not failures:
        return
    # End the reading transaction first: on SpatiaLite the write then waits its turn for the
    # write lock, instead of failing at once when another writer committed since this
    # request's first read (a stale snapshot).
    session.commit()
    try:
        with session.begin_nested():
            session.add_all(LoginFailure(**f) for f in failures)
    except DatabaseBusyError:
        unwritten.keep(failures, throttle.window_minutes)


def authenticate(
    session: Session,
    username: str,
    password: str,
    client: str,
    throttle: Throttle,
    device: TrustedDevice | None = None,
    unwritten: UnwrittenFailures | None = None,
) -> User:
    """The account for these credentials; 429 after too many failures, 401 on a wrong one.

    ``device`` is set when the browser has signed in to this account before (see
    ``refusal``). A right password writes nothing (earlier failures end with the window, or
    for a trusted browser at this sign-in), so signing in never waits for another writer; a
    wrong one is written, or kept in ``unwritten`` while another writer holds the database.
    """
    unwritten = unwritten if unwritten is not None else UnwrittenFailures()
    username = (username or "").strip()[:100]
    held = refusal(session, username, client, device, throttle, unwritten)
    if held is not None:
        _record_failures(session, [], throttle, unwritten)  # what this worker could not write
        raise TooManyRequestsError(
            TOO_MANY_SIGN_INS(held=held, minutes=throttle.window_minutes),
            retry_after=throttle.window_minutes * 60,
        )
    user = find_user(session, username)
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if not valid or user is None or not user.active:
        failure = {
            "username": username,
            "client": client,
            "device": device.key if device else None,
            "failed_at": utcnow(),
        }
        _record_failures(session, [failure], throttle, unwritten)
        raise AuthenticationError(WRONG_PASSWORD())
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
