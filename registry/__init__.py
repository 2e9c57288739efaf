"""Thai COVID-19 facility registry: the Flask application."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then REGISTRY_* environment variables.

    Tests pass a mapping instead of the instance file and environment.
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
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

    from . import cli, errors_http, i18n, input_guard
    from .api import bp as api_bp
    from .db import db
    from .views import assets, public

    db.init_app(app)
    i18n.init_app(app)
    cli.init_app(app)
    errors_http.init_app(app)
    input_guard.init_app(app)
    app.register_blueprint(api_bp)
    app.register_blueprint(assets.bp)
    app.register_blueprint(public.bp)
    from .api import coverage as coverage_api  # issue 6: coverage for planners
    from .views import planner

    app.register_blueprint(coverage_api.bp)
    app.register_blueprint(planner.bp)
    _init_accounts(app)
    from .views import stats, survey  # issue 7: statistics and the volunteer survey

    app.register_blueprint(stats.bp)
    app.register_blueprint(survey.bp)
    return app


def _init_accounts(app: Flask) -> None:
    """Sign-in, CSRF, official and administrator pages, API writes (issue 5)."""
    from . import auth
    from .views import admin, imports, official, reports
    from .views import auth as auth_views

    auth.init_app(app)
    for blueprint in (auth_views.bp, official.bp, reports.bp, admin.bp, imports.bp):
        app.register_blueprint(blueprint)
