"""`registry serve`: the production server (gunicorn, gthread workers); `registry dev`: Flask's.

    registry serve                          # bind, workers, threads from the configuration
    registry serve --bind 0.0.0.0:8000 --workers 4 --threads 8

The settings come from ``registry.operations.gunicorn_conf``
(the catalog loaded once before the fork,
gthread workers, JSON logs, metrics across workers), then the app's configuration
(``SERVE_*`` and ``LOG_*`` in registry/config.py, instance/config.py or ``REGISTRY_SERVE_*``
variables), then the command's options. HUP to the master restarts the workers gracefully,
TERM stops the server gracefully: requests in flight finish first.
"""

from __future__ import annotations

from typing import Any

import click
from flask.cli import ScriptInfo, pass_script_info, run_command


def gunicorn_settings(config: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """gunicorn settings from the app's configuration; options given (not None) win."""
    from registry.operations.observability import logging_config

    settings = {
        "bind": config["SERVE_BIND"],
        "workers": int(config["SERVE_WORKERS"]),
        "threads": int(config["SERVE_THREADS"]),
        "timeout": int(config["SERVE_TIMEOUT"]),
        "graceful_timeout": int(config["SERVE_GRACEFUL_TIMEOUT"]),
        "logconfig_dict": logging_config(
            config["LOG_FORMAT"], config["LOG_LEVEL"], config["LOG_FILE"]
        ),
        "proc_name": "registry",
    }
    settings |= {name: value for name, value in overrides.items() if value is not None}
    if isinstance(settings["bind"], str):
        settings["bind"] = [part for part in settings["bind"].split(",") if part]
    return settings


def _server_class():
    from gunicorn.app.base import BaseApplication

    class RegistryServer(BaseApplication):
        """gunicorn running the app this command already built (it is the preloaded one)."""

        def __init__(self, app, settings: dict[str, Any]) -> None:
            self.application = app
            self.settings = settings
            super().__init__(usage="registry serve", prog="registry")

        def load_config(self) -> None:
            from registry.operations import gunicorn_conf

            for name in self.cfg.settings:
                if hasattr(gunicorn_conf, name):
                    self.cfg.set(name, getattr(gunicorn_conf, name))
            for name, value in self.settings.items():
                self.cfg.set(name, value)

        def load(self):
            return self.application

    return RegistryServer


@click.command("serve")
@click.option("--bind", "-b", help="host:port or unix:PATH (default SERVE_BIND), comma-separated")
@click.option("--workers", "-w", type=click.IntRange(1), help="Worker processes.")
@click.option("--threads", type=click.IntRange(1), help="Threads per worker.")
@click.option(
    "--timeout",
    type=click.IntRange(1),
    help="Seconds before a stuck worker is replaced.",
)
@click.option("--pid", "pidfile", type=click.Path(dir_okay=False), help="Write the master's pid.")
@pass_script_info
def serve_command(info: ScriptInfo, bind, workers, threads, timeout, pidfile) -> None:
    """Serve the registry in production: gunicorn with gthread workers."""
    # First: the metrics folder must be in the environment before the app is built.
    from registry.operations import gunicorn_conf  # noqa: F401

    app = info.load_app()
    settings = gunicorn_settings(
        app.config, bind=bind, workers=workers, threads=threads, timeout=timeout, pidfile=pidfile
    )
    _server_class()(app, settings).run()


dev_command = click.Command(
    "dev",
    params=run_command.params,
    callback=run_command.callback,
    help="Flask's development server with reloading, for developers only: never in production "
    "(use `registry serve`). Same options as `flask run`.",
)
