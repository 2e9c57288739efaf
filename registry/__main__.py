"""The `registry` command (``python -m registry`` too): Flask's CLI and the service's commands.

`registry serve` is the production server (gunicorn); `registry dev` is Flask's development
server. The other commands come from the app (:mod:`registry.commands`).
"""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from registry import __version__
from registry.app import create_app
from registry.operations.serve import dev_command, serve_command


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
@click.version_option(__version__, prog_name="registry", message="%(prog)s %(version)s")
def main() -> None:
    """Thai facility registry: serve it, load data, change facilities.

    `registry serve` is the production server (gunicorn); `registry dev` is Flask's
    development server, for developers only.
    """


# The servers are on the group itself, so that `registry serve` builds the app after setting
# up what must come first (see registry.operations.serve).
main.add_command(serve_command)
main.add_command(dev_command)


if __name__ == "__main__":
    main()
