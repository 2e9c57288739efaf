"""`registry facility ...`: change facilities through the same services as the web."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from registry.cli import fail
from registry.db import db
from registry.errors import RegistryError
from registry.facilities import service


@click.group("facility", cls=AppGroup)
def facility_group() -> None:
    """Change facilities through the same services as the web (every change is logged)."""


def _echo_result(result: service.WriteResult) -> None:
    for warning in result.warnings:
        click.echo(f"warning: {warning}")
    fields = ", ".join(change.field for change in result.changes) or "nothing changed"
    click.echo(f"facility {result.facility.id} at version {result.facility.version}: {fields}")


def _parse_assignments(assignments: tuple[str, ...]) -> dict:
    values = {}
    for item in assignments:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not FIELD=VALUE", param_hint="FIELD=VALUE")
        try:
            values[name] = json.loads(raw)
        except json.JSONDecodeError:
            values[name] = raw  # plain text needs no JSON quotes
    return values


@facility_group.command("create")
@click.argument("assignments", nargs=-1, required=True)
@click.option("--by", "actor", required=True, help="Who makes the change.")
def facility_create(assignments: tuple[str, ...], actor: str) -> None:
    """Create a facility: registry facility create type=hospital name_th=... lat=.. lon=.."""
    try:
        result = service.create_facility(
            db.session, _parse_assignments(assignments), service.Actor(actor, "cli")
        )
        db.session.commit()
    except RegistryError as error:
        fail(error)
    _echo_result(result)


@facility_group.command("set")
@click.argument("facility_id", type=int)
@click.argument("assignments", nargs=-1, required=True)
@click.option("--version", "version", type=int, required=True, help="The version you read.")
@click.option("--by", "actor", required=True, help="Who makes the change.")
def facility_set(facility_id: int, assignments: tuple[str, ...], version: int, actor: str) -> None:
    """Change fields: registry facility set 12 status=full beds_total=40 --version 3 --by name"""
    try:
        result = service.update_facility(
            db.session,
            facility_id,
            _parse_assignments(assignments),
            service.Actor(actor, "cli"),
            expected_version=version,
        )
        db.session.commit()
    except RegistryError as error:
        fail(error)
    _echo_result(result)


@facility_group.command("deactivate")
@click.argument("facility_id", type=int)
@click.option("--reason", required=True)
@click.option("--version", "version", type=int, required=True, help="The version you read.")
@click.option("--by", "actor", required=True)
def facility_deactivate(facility_id: int, reason: str, version: int, actor: str) -> None:
    """Deactivate a facility (soft delete), with a reason."""
    try:
        result = service.deactivate_facility(
            db.session,
            facility_id,
            service.Actor(actor, "cli"),
            reason=reason,
            expected_version=version,
        )
        db.session.commit()
    except RegistryError as error:
        fail(error)
    _echo_result(result)


@facility_group.command("revert")
@click.argument("change_id", type=int)
@click.option("--by", "actor", required=True)
def facility_revert(change_id: int, actor: str) -> None:
    """Put the field of one logged change back to its old value."""
    try:
        result = service.revert_change(db.session, change_id, service.Actor(actor, "revert"))
        db.session.commit()
    except RegistryError as error:
        fail(error)
    _echo_result(result)


def _bangkok(when) -> str:
    """A stored (UTC) time as people here read it: Asia/Bangkok, with its offset."""
    from registry.i18n import BANGKOK

    return when.astimezone(BANGKOK).isoformat(timespec="seconds")


@facility_group.command("history")
@click.argument("facility_id", type=int)
def facility_history(facility_id: int) -> None:
    """Print the change log of one facility, newest first."""
    from registry.serialize import change_dict

    try:
        changes = service.facility_history(db.session, facility_id)
    except RegistryError as error:
        fail(error)
    for change in changes:
        row = change_dict(change)
        number = "-" if row["id"] is None else row["id"]  # a creation in a created block
        when = _bangkok(change.changed_at)
        click.echo(
            f"#{number} v{row['facility_version']} {when} {row['changed_by']} "
            f"({row['source']}): {row['field']} {row['old_value']!r} -> {row['new_value']!r}"
        )


@facility_group.command("origin")
@click.argument("facility_id", type=int)
def facility_origin(facility_id: int) -> None:
    """Print where a facility came from: who created it, when, from which file and row, and
    its first values (from its "created" entry, whether a change row or a created block)."""
    from registry.audit import origin
    from registry.models import ImportBatch
    from registry.serialize import change_dict

    try:
        service.get_facility(db.session, facility_id)
    except RegistryError as error:
        fail(error)
    found = origin(db.session, facility_id)
    if found is None:
        click.echo(f"facility {facility_id}: no creation is logged")
        return
    entry = change_dict(found.entry)
    reference = f", {entry['source_ref']}" if entry["source_ref"] else ""
    when = _bangkok(found.entry.changed_at)
    click.echo(
        f"facility {facility_id} created {when} by {entry['changed_by']} "
        f"({entry['source']}{reference}), change set {entry['change_set']}"
    )
    batch = db.session.get(ImportBatch, found.batch_id) if found.batch_id is not None else None
    row = f"row {found.row}" if found.row is not None else "row not logged"
    if batch is not None:
        click.echo(f"source: {batch.file_name} (sha256 {batch.file_sha256}), {row}")
    elif found.row is not None:
        click.echo(f"source: {row}")
    click.echo("first values:")
    for name, value in found.first_values.items():
        click.echo(f"  {name}: {json.dumps(value, ensure_ascii=False)}")
