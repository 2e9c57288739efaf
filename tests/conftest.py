"""One test suite on both spatial databases.

Every test that asks for `app`, `session` or `engine` runs once on SpatiaLite and once on
PostGIS. Each database is migrated and loaded with the real boundaries once per run; each test
runs inside a transaction that is rolled back, so tests never see each other's writes.

PostGIS is required: when it cannot be reached the PostGIS tests fail with the reason. Set
REGISTRY_SKIP_POSTGIS=1 to leave them out on a machine without it (never in CI).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from registry import migrate
from registry.app import create_app
from registry.areas.service import load_boundaries
from registry.db import DatabaseState, make_engine, recreate_postgis_database
from registry.db import drop_postgis_database as drop_database
from registry.nearest.catalog import catalogs
from registry.paths import DATA_DIR

SHARED_DATA = Path(
    os.environ.get("REGISTRY_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)
POSTGIS_SERVER = os.environ.get(
    "REGISTRY_TEST_POSTGIS_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432"
)
POSTGIS_DATABASE = os.environ.get("REGISTRY_TEST_POSTGIS_DB", "registry_test")


def postgis_url(database: str = POSTGIS_DATABASE) -> str:
    return f"{POSTGIS_SERVER}/{database}"


def create_postgis_database(database: str) -> str:
    """A fresh, empty PostGIS database; returns its URL."""
    try:
        return recreate_postgis_database(POSTGIS_SERVER, database)
    except Exception as exc:
        pytest.fail(
            f"PostGIS is required for the test suite but {POSTGIS_SERVER} cannot be used: {exc}. "
            "Run .ci/run (it installs and starts PostgreSQL with PostGIS) or set "
            "REGISTRY_SKIP_POSTGIS=1 to leave the PostGIS half out on this machine."
        )


def drop_postgis_database(database: str) -> None:
    drop_database(POSTGIS_SERVER, database)


def scratch_name(kind: str) -> str:
    """A scratch database name per xdist worker; REGISTRY_TEST_TAG keeps parallel runs apart."""
    tag = os.environ.get("REGISTRY_TEST_TAG", "")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"registry_{kind}_{tag + '_' if tag else ''}{worker}"


BACKENDS = ["spatialite", "postgis"]
if os.environ.get("REGISTRY_SKIP_POSTGIS") == "1":
    BACKENDS = ["spatialite"]


def fresh_database_url(backend: str, tmp_dir: Path, name: str) -> str:
    if backend == "spatialite":
        return f"sqlite:///{tmp_dir / (name + '.sqlite')}"
    return create_postgis_database(name)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def engine(backend, tmp_path_factory):
    """A migrated database with the real boundaries, shared by the whole run."""
    name = scratch_name("test")
    url = fresh_database_url(backend, tmp_path_factory.mktemp("db"), name)
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        load_boundaries(session, DATA_DIR)
        session.commit()
    yield engine
    engine.dispose()
    if backend == "postgis":
        drop_postgis_database(name)


@pytest.fixture
def connection(engine):
    """A connection inside a transaction that is rolled back after the test."""
    conn = engine.connect()
    transaction = conn.begin()
    # The catalog caches rows by data version; rolled-back versions are reused by the next test.
    catalogs.clear()
    yield conn
    transaction.rollback()
    conn.close()
    catalogs.clear()


@pytest.fixture
def session_factory(connection):
    # Commits inside the code under test become savepoints of the outer transaction.
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def session(session_factory):
    with session_factory() as session:
        yield session


@pytest.fixture
def app(engine, session_factory, tmp_path):
    app = create_app(
        {"TESTING": True, "DATABASE_URL": str(engine.url), "SERVER_NAME": "registry.test"}
    )
    app.instance_path = str(tmp_path)
    old_engine = app.extensions["registry_db"].engine
    app.extensions["registry_db"] = DatabaseState(engine, session_factory)
    old_engine.dispose()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the shared real data folder {SHARED_DATA} is not here")
    return SHARED_DATA
