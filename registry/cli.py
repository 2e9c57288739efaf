"""What every command of `registry` shares: a refused command ends with the service's message.

The commands themselves live with their features (``registry/<feature>/cli.py``); the one list
of them is :mod:`registry.commands`, and the entry point is :mod:`registry.__main__`.
"""

from __future__ import annotations

import click

from registry.db import db
from registry.errors import RegistryError

MAX_LISTED = 20  # rows listed on the terminal; the rest are counted


def fail(error: RegistryError) -> None:
    """Undo the command's unfinished writes and end it with the error's message."""
    db.session.rollback()
    raise click.ClickException(error.message)
