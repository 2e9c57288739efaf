"""Bring a database to the newest schema with Alembic, then check its spatial indexes."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from registry.errors import ConfigurationError
from registry.spatial import spatial_dialect

MIGRATIONS = Path(__file__).with_name("migrations")
# (table, geometry column) pairs that must carry a spatial index on every database.
SPATIAL_COLUMNS = {
    ("area", "geom"),
    ("facility", "geom"),
    ("population_unit", "geom"),
    ("survey_record", "geom"),
}


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    """Apply every pending migration in one transaction and verify the spatial indexes."""
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    missing = missing_spatial_indexes(engine)
    if missing:
        names = ", ".join(f"{table}.{column}" for table, column in sorted(missing))
        raise ConfigurationError(f"spatial index missing on {names} after migration")


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest migration."""
    with engine.connect() as connection:
        return current_revision(connection) == head_revision()


def missing_spatial_indexes(engine: Engine) -> set[tuple[str, str]]:
    with engine.connect() as connection:
        found = spatial_dialect(engine.dialect.name).spatial_indexes(connection)
    return SPATIAL_COLUMNS - found


@functools.cache
def head_revision() -> str | None:
    """The newest migration this code knows (read once per process)."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The migration the database is at (None before the first), in one quiet query."""
    if not connection.dialect.has_table(connection, "alembic_version"):
        return None
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
