"""The registry app with two test-only routes, for the gunicorn tests (`registry --app`)."""

from __future__ import annotations

import os
import time

from flask import request

from registry.app import create_app


def create_test_app():
    app = create_app()

    @app.get("/test/slow")
    def slow():
        """A request still in flight when the master is told to restart or stop."""
        time.sleep(min(float(request.args.get("seconds", "2")), 10))
        return "done"

    @app.get("/test/pid")
    def pid():
        return str(os.getpid())

    return app
