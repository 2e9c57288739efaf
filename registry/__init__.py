"""Thai COVID-19 facility registry: the Flask application."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

__version__ = "0.1.0"

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent


def _bundled(name: str) -> Path:
    """A folder kept at the top of the repository, which the wheel carries inside the package.

    An installed wheel has ``registry/<name>``; a checkout (and an editable install) has it
    beside the package, as the project is laid out.
    """
    packaged = PACKAGE_DIR / name
    return packaged if packaged.is_dir() else PROJECT_ROOT / name


DATA_DIR = _bundled("data")
TEMPLATES_DIR = _bundled("templates")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then REGISTRY_* environment variables.

    Tests pass a mapping instead of the instance file and environment.
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        # REGISTRY_INSTANCE_PATH: where the SpatiaLite file, the secret key, instance/config.py
        # and the compiled translations live (default: ./instance in a checkout, or
        # <venv>/var/registry-instance for an installed wheel).
        instance_path=os.environ.get("REGISTRY_INSTANCE_PATH") or None,
        template_folder=str(TEMPLATES_DIR),
        static_folder="static",
    )
    app.config.from_object("registry.config")
    # GeoJSON reads best in the order we build it (type, id, geometry, properties); Flask 3
    # ignores the old JSON_SORT_KEYS setting, the provider's attribute is what counts.
    app.json.sort_keys = False
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("REGISTRY")
    else:
        app.config.update(test_config)

    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    from . import cli, errors_http, i18n, request_guard

    request_guard.install_converters(app)
    from .api import bp as api_bp
    from .db import db
    from .views import assets, public

    db.init_app(app)
    from . import version_watch

    version_watch.init_app(app)  # each worker's data version, and read-your-writes
    i18n.init_app(app)
    cli.init_app(app)
    errors_http.init_app(app)
    _init_operations(app)
    request_guard.init_app(app)
    app.register_blueprint(api_bp)
    app.register_blueprint(assets.bp)
    app.register_blueprint(public.bp)
    from .api import coverage as coverage_api  # coverage for planners
    from .views import planner

    app.register_blueprint(coverage_api.bp)
    app.register_blueprint(planner.bp)
    _init_accounts(app)
    from .views import stats, survey  # statistics and the volunteer survey

    app.register_blueprint(stats.bp)
    app.register_blueprint(survey.bp)
    _init_open_data(app)
    return app


def _init_operations(app: Flask) -> None:
    """Request ids, access logs, the 500 answer, health, readiness and metrics."""
    from . import metrics, observability
    from .db import db
    from .views import health

    observability.init_app(app)
    metrics.watch_pool(db.state(app).engine)
    app.register_blueprint(health.bp)


def _init_open_data(app: Flask) -> None:
    """OGC API Features, downloads and HTTP caching for GIS tools."""
    from .ogcapi import views as ogcapi

    app.register_blueprint(ogcapi.bp)


def _init_accounts(app: Flask) -> None:
    """Sign-in, CSRF, official and administrator pages, API writes."""
    from . import auth
    from .views import admin, imports, official, reports
    from .views import auth as auth_views

    auth.init_app(app)
    for blueprint in (auth_views.bp, official.bp, reports.bp, admin.bp, imports.bp):
        app.register_blueprint(blueprint)
