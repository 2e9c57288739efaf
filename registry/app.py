"""The application factory: settings, the extensions, and the one list of blueprints."""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, Flask

from registry.paths import TEMPLATES_DIR


def blueprints() -> list[Blueprint]:
    """Every blueprint of the service, in the order it is registered: one place to read them."""
    from registry import assets
    from registry.accounts import admin_pages as admin
    from registry.accounts import pages as sign_in
    from registry.api import bp as api
    from registry.coverage import api as coverage_api
    from registry.coverage import pages as planner
    from registry.facilities import official_pages as official
    from registry.facilities import report_pages as reports
    from registry.imports import pages as imports
    from registry.nearest import pages as public
    from registry.ogcapi import views as ogcapi
    from registry.operations import health
    from registry.stats import pages as stats
    from registry.survey import pages as survey

    return [
        health.bp,  # /healthz, /readyz, /metrics
        api,  # /api/v1: facilities, nearest, areas, villages, map, writes, downloads
        assets.bp,  # Leaflet and its plugins, from their wheels
        public.bp,  # the resident's pages: nearest search, a facility, the map
        coverage_api.bp,  # /api/v1/coverage for planners
        planner.bp,  # the planner's page
        sign_in.bp,  # sign in and out, personal tokens
        official.bp,  # the official's pages: my area, edit, history, revert
        reports.bp,  # residents' reports and the officials' queue
        admin.bp,  # administrators' account pages
        imports.bp,  # facility file imports
        stats.bp,  # statistics pages
        survey.bp,  # the volunteer survey
        ogcapi.bp,  # OGC API - Features
    ]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then REGISTRY_* environment variables.

    Tests pass a mapping instead of the instance file and environment.
    """
    app = Flask(
        "registry",
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

    from registry import (
        auth,
        commands,
        errors_http,
        i18n,
        message_text,
        presentation,
        request_guard,
        version_watch,
    )
    from registry.db import db
    from registry.operations import metrics, observability

    request_guard.install_converters(app)
    db.init_app(app)
    version_watch.init_app(app)  # each worker's data version, and read-your-writes
    i18n.init_app(app)
    presentation.init_app(app)  # labels of choices, measures and sources in templates
    message_text.init_app(app)  # coded messages in the page's language, for templates
    commands.init_app(app)  # registry init-db, demo, import, coverage, survey, user ...
    errors_http.init_app(app)
    observability.init_app(app)  # request ids, access logs, the 500 answer
    metrics.watch_pool(db.state(app).engine)
    request_guard.init_app(app)
    auth.init_app(app)  # sign-in sessions, CSRF, API tokens
    for blueprint in blueprints():
        app.register_blueprint(blueprint)
    from registry.api import bp as api

    auth.csrf.exempt(api)  # the API authenticates by token, never by cookie
    return app
