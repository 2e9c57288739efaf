"""The `registry` command: Flask's CLI plus database, demo-data and facility commands.

Commands are thin: they call the same services as the web and API.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy import func, select
from tqdm import tqdm

from importers.limits import ImportLimits
from registry import __version__, migrate
from registry.app import create_app
from registry.areas.service import load_boundaries
from registry.db import db, waits_of
from registry.errors import RegistryError
from registry.facilities import service
from registry.imports import service as imports
from registry.imports.bulk import upsert_facilities
from registry.models import Area, ImportBatch
from registry.paths import DATA_DIR

MAX_LISTED = 20  # rows listed on the terminal; the rest are counted


def _fail(error: RegistryError) -> None:
    db.session.rollback()
    raise click.ClickException(error.message)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    migrate.upgrade(db.engine)
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")


def _load_areas(data_dir: Path, force: bool) -> None:
    session = db.session
    count = session.scalar(select(func.count()).select_from(Area))
    if count and not force:
        click.echo(f"areas already loaded ({count}); use --force to reload")
        return
    with tqdm(total=1, desc="boundaries", unit="file set") as bar:
        written = load_boundaries(session, data_dir)
        bar.update()
    session.commit()
    click.echo(f"loaded {written} areas")


@click.command("load-areas")
@with_appcontext
@click.option("--data-dir", type=click.Path(path_type=Path, exists=True), default=DATA_DIR)
@click.option("--force", is_flag=True, help="Replace areas that are already loaded.")
def load_areas_command(data_dir: Path, force: bool) -> None:
    """Load provinces, districts and subdistricts from the bundled boundaries."""
    _load_areas(data_dir, force)


@click.command("demo")
@with_appcontext
@click.option("--data-dir", type=click.Path(path_type=Path, exists=True), default=DATA_DIR)
def demo_command(data_dir: Path) -> None:
    """Migrate, load areas and the real demo facilities. Safe to run again: nothing doubles."""
    from registry.demo import DEMO_FACILITY_FILES, DEMO_IMPORTS

    migrate.upgrade(db.engine)
    _load_areas(data_dir, force=False)
    actor = service.Actor("demo loader", "demo")
    for file_name, reader in tqdm(DEMO_FACILITY_FILES, desc="demo facilities", unit="file"):
        try:
            result = upsert_facilities(
                db.session,
                reader(data_dir / file_name),
                actor,
                tolerance_m=current_app.config["COAST_TOLERANCE_M"],
            )
        except RegistryError as error:
            _fail(error)
        db.session.commit()
        counts = ", ".join(f"{n} {action}" for action, n in result.counts.items())
        tqdm.write(f"{file_name}: {counts}; {len(result.warnings)} warnings")
        rejected = [o for o in result.outcomes if o.action == "rejected"]
        for outcome in rejected[:MAX_LISTED]:
            tqdm.write(f"  row {outcome.row} rejected: {outcome.message}")
        if len(rejected) > MAX_LISTED:
            tqdm.write(f"  ... and {len(rejected) - MAX_LISTED} more rejected rows")
    for file_name, facility_type, source, mapping in DEMO_IMPORTS:
        _demo_import(data_dir / file_name, facility_type, source, mapping)
    from registry.coverage.cli import load_demo_population  # the modelled population layer

    load_demo_population(data_dir, with_2020=False)
    from registry.areas.villages import load_villages  # DOPA's village list

    with tqdm(total=1, desc="villages", unit="list") as bar:
        action, count = load_villages(db.session, data_dir)
        db.session.commit()
        bar.update()
    click.echo(f"villages (DOPA): {action}; {count:,} villages")
    from registry.roads.cli import load_demo_roads  # one city's roads, for travel time

    load_demo_roads(data_dir)
    from registry.stats.reference import load_demo_reference  # DDC provincial report

    try:
        outcome = load_demo_reference(db.session, data_dir)
    except RegistryError as error:
        _fail(error)
    db.session.commit()
    click.echo(outcome.summary())


def _demo_import(path: Path, facility_type: str, source: str, mapping=None) -> None:
    """A demo list goes through the importer, like any official's list; once only."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    done = db.session.scalar(
        select(ImportBatch.id).where(
            ImportBatch.file_sha256 == digest, ImportBatch.status == "committed"
        )
    )
    if done:
        click.echo(f"{path.name}: already imported as batch {done}")
        return
    outcome = imports.commit_import(
        db.session,
        data,
        path.name,
        actor_name="demo loader",
        facility_type=facility_type,
        source=source,
        mapping=mapping,
        tolerance_m=current_app.config["COAST_TOLERANCE_M"],
        valid_rows_only=True,
        limits=ImportLimits.from_config(current_app.config["CLI_IMPORT_LIMITS"]),
    )
    db.session.commit()
    click.echo(outcome.summary())


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
        _fail(error)
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
        _fail(error)
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
        _fail(error)
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
        _fail(error)
    _echo_result(result)


@facility_group.command("history")
@click.argument("facility_id", type=int)
def facility_history(facility_id: int) -> None:
    """Print the change log of one facility, newest first."""
    from registry.serialize import change_dict

    try:
        changes = service.facility_history(db.session, facility_id)
    except RegistryError as error:
        _fail(error)
    for change in changes:
        row = change_dict(change)
        click.echo(
            f"#{row['id']} v{row['facility_version']} {row['changed_at']} {row['changed_by']} "
            f"({row['source']}): {row['field']} {row['old_value']!r} -> {row['new_value']!r}"
        )


def _print_outcome(outcome) -> None:
    click.echo(outcome.summary())
    errors = outcome.errors
    for problem in errors[:MAX_LISTED]:
        click.echo(f"  error: {problem['message']}")
    if len(errors) > MAX_LISTED:
        click.echo(f"  ... and {len(errors) - MAX_LISTED} more errors")
    warnings = [p for p in outcome.problems if p["severity"] == "warning"]
    for problem in warnings[:MAX_LISTED]:
        click.echo(f"  warning: {problem['message']}")
    if len(warnings) > MAX_LISTED:
        click.echo(f"  ... and {len(warnings) - MAX_LISTED} more warnings")
    for duplicate in outcome.duplicates[:MAX_LISTED]:
        click.echo(
            f"  likely duplicate: facilities {duplicate['facility_id']} and "
            f"{duplicate['other_facility_id']}: {duplicate['reason']}"
        )


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--type", "facility_type", help="Facility type when the file has no type column.")
@click.option("--source", help="Source name kept with every record (default: the file name).")
@click.option("--crs", help="Coordinate system of the file, e.g. EPSG:32647 (UTM 47N).")
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV or JSON file mapping the file's headers to registry fields.",
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--valid-rows-only",
    is_flag=True,
    help="Commit the valid rows even when others have errors (default: all or nothing).",
)
@click.option("--by", "actor", default="cli", show_default=True, help="Who runs the import.")
@with_appcontext
def import_command(file, facility_type, source, crs, mapping, dry_run, valid_rows_only, actor):
    """Import a facility list (CSV, XLSX, GeoJSON, zipped Shapefile, GeoPackage, KML)."""
    options = {
        "actor_name": actor,
        "facility_type": facility_type,
        "source": source,
        "crs": crs,
        "mapping": mapping,
        "tolerance_m": current_app.config["COAST_TOLERANCE_M"],
        "limits": ImportLimits.from_config(current_app.config["CLI_IMPORT_LIMITS"]),
    }
    # An administrator's import of a national list may wait and run longer than a request.
    db.state().spatial.set_waits(db.session.connection(), waits_of(current_app.config, "CLI_"))
    steps = ("reading and validating", "matching and writing", "flagging likely duplicates")
    with tqdm(total=len(steps), desc=file.name, unit="step") as bar:

        def progress(step: str) -> None:
            bar.set_postfix_str(step)
            bar.update(0 if step == steps[0] else 1)

        try:
            if dry_run:
                outcome = imports.preview_import(
                    db.session, file.read_bytes(), file.name, **options
                )
            else:
                outcome = imports.commit_import(
                    db.session,
                    file.read_bytes(),
                    file.name,
                    valid_rows_only=valid_rows_only,
                    progress=progress,
                    **options,
                )
                db.session.commit()
            bar.update(bar.total - bar.n)
        except imports.ImportRejectedError as error:
            db.session.rollback()
            _print_outcome(error.outcome)
            raise click.ClickException(error.message) from None
        except RegistryError as error:
            _fail(error)
    _print_outcome(outcome)
    if dry_run:
        click.echo("dry run: nothing was written")
    else:
        click.echo(f"committed as import batch {outcome.batch_id}")


@click.command("import-undo")
@click.argument("batch_id", type=int)
@click.option("--by", "actor", required=True, help="Who undoes the batch.")
@with_appcontext
def import_undo_command(batch_id: int, actor: str) -> None:
    """Undo one import batch: deactivate what it created, revert what it changed."""
    try:
        counts = imports.undo_import(db.session, batch_id, actor_name=actor)
        db.session.commit()
    except RegistryError as error:
        _fail(error)
    click.echo(
        f"import batch {batch_id} undone: {counts['deactivated']} facilities deactivated, "
        f"{counts['reverted']} fields reverted"
    )


def init_app(app: Flask) -> None:
    from registry.accounts.cli import user_group
    from registry.coverage.cli import coverage_command, population_group

    for command in (
        init_db_command,
        load_areas_command,
        demo_command,
        facility_group,
        import_command,
        import_undo_command,
        user_group,
        coverage_command,
        population_group,
    ):
        app.cli.add_command(command)
    from registry.survey.cli import survey_group  # the volunteer survey

    app.cli.add_command(survey_group)
    from registry.roads.cli import roads_group  # road networks for travel time

    app.cli.add_command(roads_group)


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
@click.version_option(__version__, prog_name="registry", message="%(prog)s %(version)s")
def main() -> None:
    """Thai facility registry: serve it, load data, change facilities.

    `registry serve` is the production server (gunicorn); `registry dev` is Flask's
    development server, for developers only.
    """


def _add_serving_commands() -> None:
    """Production and development servers: on the group, so `registry serve`
    builds the app itself, after setting up what must come first (see registry.operations.serve)."""
    from registry.operations.serve import dev_command, serve_command

    main.add_command(serve_command)
    main.add_command(dev_command)


_add_serving_commands()
