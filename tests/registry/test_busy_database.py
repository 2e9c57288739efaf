"""Signing in never waits for another writer; a write that would wait past the lock timeout
is answered 503 with Retry-After, never 500.

Another connection holds the locks the accounts' writes need (SpatiaLite: the database's one
write lock; PostGIS: the accounts, failures and ended-sessions tables), as a long import's
final write would; the app has its own engine on the same test database, so it sees only
committed rows (the account is committed, and removed after the test). Signing in writes
nothing, so it goes through at once and the session opens pages; signing out writes, so it
waits and is refused with a message, in the page's language, that nothing was written and to
send the request again. A wrong password is counted by the worker while it cannot be written.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from registry.app import create_app
from registry.db import BUSY, SECONDS, db
from registry.errors import DatabaseBusyError
from registry.models import LoginFailure, User, UserSession
from tests.registry.conftest import PASSWORD, add_user

LOCK_TIMEOUT_S = 0.5
USERNAME = "busy-official"
# What an import's final write holds: the whole database on SpatiaLite; on PostGIS the tables
# a sign-in reads and a sign-out or a failed sign-in writes (reads still pass this lock mode).
LOCKS = {
    "spatialite": "BEGIN IMMEDIATE",
    "postgis": "LOCK TABLE app_user, login_failure, user_session IN EXCLUSIVE MODE",
}


def _app(engine, tmp_path, **config):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": str(engine.url),
            "SECRET_KEY": "busy",
            "WTF_CSRF_ENABLED": False,
            **config,
        }
    )
    app.instance_path = str(tmp_path)
    return app


@pytest.fixture
def busy_app(engine, tmp_path):
    app = _app(engine, tmp_path, DATABASE_LOCK_TIMEOUT_S=LOCK_TIMEOUT_S)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def served_app(engine, tmp_path):
    """The app as served: a write would wait up to the lock timeout (5 s), past the hold."""
    app = _app(engine, tmp_path)
    assert app.config["DATABASE_LOCK_TIMEOUT_S"] > 3
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def account(engine):
    """An official of Chiang Mai, committed (the app's own engine must see it), then removed."""
    with Session(engine) as session:
        add_user(session, USERNAME, "official", "TH50")
        session.commit()
    yield USERNAME
    with Session(engine) as session:
        user_id = session.scalar(select(User.id).where(User.username == USERNAME))
        session.execute(delete(UserSession).where(UserSession.user_id == user_id))
        session.execute(delete(LoginFailure).where(LoginFailure.username == USERNAME))
        session.execute(delete(User).where(User.id == user_id))
        session.commit()


@contextmanager
def lock_held(engine, backend, seconds: float = 30):
    """Another connection holds the write locks for ``seconds`` (or until the block ends);
    yields an event set once it has let go."""
    taken, done, released = threading.Event(), threading.Event(), threading.Event()

    def hold() -> None:
        connection = engine.raw_connection()
        try:
            connection.cursor().execute(LOCKS[backend])
            taken.set()
            done.wait(seconds)
        finally:
            connection.rollback()
            connection.close()
            released.set()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(30), "the other connection could not take the lock"
        yield released
    finally:
        done.set()
        holder.join()


def _sign_in(client, password: str = PASSWORD, lang: str = "th"):
    return client.post(f"/login?lang={lang}", data={"username": USERNAME, "password": password})


def test_signing_in_does_not_wait_for_a_held_write_lock(served_app, account, engine, backend):
    client = served_app.test_client()
    assert _sign_in(client).status_code == 302  # warm: the first request loads the app's caches
    client.post("/logout")
    with lock_held(engine, backend, seconds=3) as released:
        started = time.perf_counter()
        signed_in = _sign_in(client)
        elapsed = time.perf_counter() - started
        page = client.get("/official/")
        assert not released.is_set(), "the sign-in waited until the lock was let go"
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/official/")
    assert page.status_code == 200 and USERNAME in page.get_data(as_text=True)
    # The password hash (scrypt, slow on purpose) is most of it; a write would wait 3 s.
    assert elapsed < 1.5, f"sign-in took {elapsed:.2f} s while another writer held the lock"


def test_signing_out_waits_its_turn_and_is_refused_with_retry_after(
    busy_app, account, engine, backend
):
    client = busy_app.test_client()
    with lock_held(engine, backend):
        assert _sign_in(client).status_code == 302
        copied = client.get_cookie("session").value
        started = time.perf_counter()
        page = client.post("/logout?lang=th")
        elapsed = time.perf_counter() - started
        assert page.status_code == 503
        assert page.headers["Retry-After"] == str(DatabaseBusyError.retry_after)
        html = page.get_data(as_text=True)
        assert "ยังไม่ได้บันทึกสิ่งใด: ส่งอีกครั้งในอีกไม่กี่วินาที" in html  # Thai, the default
        assert elapsed < LOCK_TIMEOUT_S + 10
        english = client.post("/logout?lang=en")
        assert english.status_code == 503
        message = BUSY(seconds=SECONDS(count=f"{LOCK_TIMEOUT_S:g}")).english
        assert message in english.get_data(as_text=True)
        assert client.get("/official/").status_code == 200  # still signed in: nothing written
    assert client.post("/logout").status_code == 302  # sent again once the lock is free
    thief = busy_app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/official/").status_code == 302  # to the sign-in page


def test_wrong_passwords_are_counted_while_they_cannot_be_written(
    busy_app, account, engine, backend
):
    limit = busy_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    guesser = busy_app.test_client()
    written = select(LoginFailure.id).where(LoginFailure.username == USERNAME)
    with lock_held(engine, backend):
        for _ in range(limit):
            assert _sign_in(guesser, "a guess").status_code == 401
        # Held by this worker although none is written: the right password is refused too.
        assert _sign_in(guesser).status_code == 429
    with Session(engine) as session:
        assert session.scalars(written).all() == []
    # The next attempt writes them, so every worker (another app here) holds the guesser.
    assert _sign_in(guesser).status_code == 429
    with Session(engine) as session:
        assert len(session.scalars(written).all()) == limit
    other_worker = _app(engine, busy_app.instance_path, DATABASE_LOCK_TIMEOUT_S=LOCK_TIMEOUT_S)
    assert _sign_in(other_worker.test_client()).status_code == 429
    with other_worker.app_context():
        db.engine.dispose()


def test_busy_errors_are_told_apart_from_other_database_errors(busy_app, backend):
    from registry.spatial import spatial_dialect

    dialect = spatial_dialect("sqlite" if backend == "spatialite" else "postgresql")
    if backend == "spatialite":
        assert dialect.busy(Exception("database is locked"))
        assert not dialect.busy(Exception("no such table: facility"))
    else:

        class Locked(Exception):
            sqlstate = "55P03"

        class Missing(Exception):
            sqlstate = "42P01"

        assert dialect.busy(Locked()) and not dialect.busy(Missing())
    with busy_app.app_context(), pytest.raises(Exception) as raised:
        db.session.execute(text("SELECT * FROM no_such_table"))
    assert not isinstance(raised.value, DatabaseBusyError)
