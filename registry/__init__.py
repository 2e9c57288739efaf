"""Thai COVID-19 facility registry: the Flask application.

The factory is :func:`registry.app.create_app`; ``registry.app:create_app()`` (the form gunicorn and
``flask --app`` take) still finds it, loaded only when asked for, so that importing a module of
the package never loads the whole application.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from registry.app import create_app

        return create_app
    raise AttributeError(f"module 'registry' has no attribute {name!r}")
