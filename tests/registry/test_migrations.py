"""Schema: migrations run on both databases and every geometry column has a spatial index."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from registry import migrate
from registry.db import make_engine
from registry.models import Base
from tests.conftest import create_postgis_database, drop_postgis_database, scratch_name


def test_migrated_database_has_spatial_indexes(engine):
    assert migrate.missing_spatial_indexes(engine) == set()
    assert migrate.is_current(engine)


def test_migrated_tables_match_the_models(engine):
    tables = set(inspect(engine).get_table_names())
    assert {table.name for table in Base.metadata.sorted_tables} <= tables
    for table in Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspect(engine).get_columns(table.name)}
        assert {c.name for c in table.columns} <= columns, table.name


def test_upgrade_twice_is_harmless(engine):
    migrate.upgrade(engine)
    assert migrate.is_current(engine)


def test_create_all_on_spatialite_then_postgis_loses_the_gist_index(tmp_path: Path):
    """The trap the migrations avoid: shared metadata used on SpatiaLite first, then PostGIS.

    GeoAlchemy2 moves the spatial index out of the Table while creating it on SQLite, so the
    PostGIS table is made without its GiST index and without an error. The check in
    migrate.missing_spatial_indexes() is what catches it.
    """
    spatialite = make_engine(f"sqlite:///{tmp_path / 'trap.sqlite'}")
    postgis = make_engine(create_postgis_database(scratch_name("trap")))
    try:
        Base.metadata.create_all(spatialite)
        Base.metadata.create_all(postgis)
        assert migrate.missing_spatial_indexes(spatialite) == set()
        assert migrate.missing_spatial_indexes(postgis) == migrate.SPATIAL_COLUMNS
    finally:
        spatialite.dispose()
        postgis.dispose()
        drop_postgis_database(scratch_name("trap"))
