"""Database engine and request-scoped sessions, attached to the app in init_app()."""

from __future__ import annotations

import os
from dataclasses import dataclass

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from .spatial import SpatialDialect, engine_options, spatial_dialect


def resolve_database_url(app: Flask) -> URL:
    """The configured database URL; empty means a SpatiaLite file in the instance folder."""
    configured = app.config.get("DATABASE_URL") or ""
    if not configured:
        os.makedirs(app.instance_path, exist_ok=True)
        configured = "sqlite:///" + os.path.join(app.instance_path, "registry.sqlite")
    url = make_url(configured)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def make_engine(url: URL | str) -> Engine:
    """An engine with the spatial extension ready on every connection."""
    url = make_url(url)
    engine = create_engine(url, **engine_options(url))
    spatial_dialect(engine.dialect.name).configure_engine(engine)
    return engine


@dataclass
class DatabaseState:
    engine: Engine
    session_factory: sessionmaker[Session]

    @property
    def spatial(self) -> SpatialDialect:
        return spatial_dialect(self.engine.dialect.name)


class Database:
    """Flask extension: one engine per app, one session per application context."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(resolve_database_url(app))
        app.extensions["registry_db"] = DatabaseState(
            engine, sessionmaker(bind=engine, expire_on_commit=False)
        )
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def state(app: Flask | None = None) -> DatabaseState:
        return (app or current_app).extensions["registry_db"]

    @property
    def engine(self) -> Engine:
        return self.state().engine

    @property
    def session(self) -> Session:
        """The session of the current application context, created on first use."""
        if "db_session" not in g:
            g.db_session = self.state().session_factory()
        return g.db_session

    @staticmethod
    def _close_session(exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()


db = Database()
