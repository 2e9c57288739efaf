"""Bring a database to the newest schema with Alembic, then check its spatial indexes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from .errors import ConfigurationError
from .spatial import spatial_dialect

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
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head


def missing_spatial_indexes(engine: Engine) -> set[tuple[str, str]]:
    with engine.connect() as connection:
        found = spatial_dialect(engine.dialect.name).spatial_indexes(connection)
    return SPATIAL_COLUMNS - found
