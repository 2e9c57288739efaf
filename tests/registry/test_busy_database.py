"""A write that would wait past the lock timeout is answered 503 with Retry-After, never 500.

Another connection holds the lock a failed sign-in's write needs (SpatiaLite: the database's
write lock; PostGIS: the failures table), as a long import's final write would; the app has
its own engine with a short lock timeout on the same test database. The refusal says, in the
page's language, that nothing was written and to send the request again. A sign-in that
writes nothing (no earlier failures) goes through meanwhile.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from registry.app import create_app
from registry.db import BUSY, SECONDS, db
from registry.errors import DatabaseBusyError

LOCK_TIMEOUT_S = 0.5


@pytest.fixture
def busy_app(engine, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": str(engine.url),
            "DATABASE_LOCK_TIMEOUT_S": LOCK_TIMEOUT_S,
            "SECRET_KEY": "busy",
            "WTF_CSRF_ENABLED": False,
        }
    )
    app.instance_path = str(tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def held_lock(engine, backend):
    """Another connection holding the lock a sign-in failure's insert needs, until the end."""
    connection = engine.raw_connection()
    cursor = connection.cursor()
    if backend == "spatialite":
        cursor.execute("BEGIN IMMEDIATE")
    else:
        cursor.execute("LOCK TABLE login_failure IN EXCLUSIVE MODE")
    yield
    connection.rollback()
    connection.close()


def test_a_write_that_cannot_get_the_lock_is_refused_with_retry_after(busy_app, held_lock):
    client = busy_app.test_client()
    started = time.perf_counter()
    page = client.post("/login", data={"username": "nobody", "password": "wrong password"})
    elapsed = time.perf_counter() - started
    assert page.status_code == 503
    assert page.headers["Retry-After"] == str(DatabaseBusyError.retry_after)
    html = page.get_data(as_text=True)
    assert "ยังไม่ได้บันทึกสิ่งใด: ส่งอีกครั้งในอีกไม่กี่วินาที" in html  # Thai, the default
    assert elapsed < LOCK_TIMEOUT_S + 10


def test_the_refusal_reads_in_english_too(busy_app, held_lock):
    client = busy_app.test_client()
    page = client.post("/login?lang=en", data={"username": "nobody", "password": "wrong"})
    assert page.status_code == 503
    said = BUSY(seconds=SECONDS(count=f"{LOCK_TIMEOUT_S:g}")).english
    assert said in page.get_data(as_text=True)


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
