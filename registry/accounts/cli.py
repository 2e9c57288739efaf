"""`registry user ...`: create, disable, enable and list accounts from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from registry.accounts.access import ROLES
from registry.accounts.service import create_user, find_user, set_active
from registry.cli import fail
from registry.db import db
from registry.errors import RegistryError
from registry.models import User


@click.group("user", cls=AppGroup)
def user_group() -> None:
    """Accounts of officials, administrators, volunteers and planners."""


@user_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--area", "area_code", default=None, help="Area code, e.g. TH50 or TH5001.")
@click.option("--name", "display_name", default=None, help="The name shown in the change log.")
@click.password_option(help="At least 10 characters (asked for when not given).")
@click.option("--by", "created_by", default="cli", help="Who creates the account.")
def user_create(username, role, area_code, display_name, password, created_by) -> None:
    """Create an account: registry user create somchai --role official --area TH50"""
    try:
        user = create_user(
            db.session,
            username=username,
            password=password,
            role=role,
            area_code=area_code,
            display_name=display_name,
            created_by=created_by,
        )
        db.session.commit()
    except RegistryError as error:
        fail(error)
    click.echo(f"user {user.username} ({user.role}, {user.area_code or 'national'}) created")


def _set_active(username: str, active: bool, by: str) -> None:
    user = find_user(db.session, username)
    if user is None:
        raise click.ClickException(f"there is no user {username!r}")
    set_active(db.session, user, active, by=by)
    db.session.commit()
    click.echo(f"user {user.username} {'enabled' if active else 'disabled'}")


@user_group.command("disable")
@click.argument("username")
@click.option("--by", default="cli")
def user_disable(username: str, by: str) -> None:
    """Disable an account: its sessions and API tokens stop working at once."""
    _set_active(username, False, by)


@user_group.command("enable")
@click.argument("username")
@click.option("--by", default="cli")
def user_enable(username: str, by: str) -> None:
    """Enable a disabled account again."""
    _set_active(username, True, by)


@user_group.command("list")
def user_list() -> None:
    """Every account with its role, area and state."""
    for user in db.session.scalars(select(User).order_by(User.username)):
        state = "active" if user.active else "disabled"
        click.echo(f"{user.username}\t{user.role}\t{user.area_code or 'national'}\t{state}")
