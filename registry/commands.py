"""Every command of `registry`, in one list, and the database and demo-data commands.

Commands are thin: they call the same services as the web and API.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from tqdm import tqdm

from importers.limits import ImportLimits
from registry import migrate
from registry.accounts.cli import user_group
from registry.areas.service import load_boundaries
from registry.cli import MAX_LISTED, fail
from registry.coverage.cli import coverage_command, population_group
from registry.db import db
from registry.errors import RegistryError
from registry.facilities import service
from registry.facilities.cli import facility_group
from registry.imports import service as imports
from registry.imports.bulk import upsert_facilities
from registry.imports.cli import import_command, import_undo_command
from registry.models import Area, ImportBatch
from registry.paths import DATA_DIR
from registry.roads.cli import load_demo_roads, roads_group
from registry.survey.cli import survey_group


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
            fail(error)
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
    load_demo_roads(data_dir)
    from registry.stats.reference import load_demo_reference  # DDC provincial report

    try:
        outcome = load_demo_reference(db.session, data_dir)
    except RegistryError as error:
        fail(error)
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


def all_commands() -> list[click.Command]:
    """Every command of `registry` but the servers (those are on the entry point itself)."""
    return [
        init_db_command,  # registry init-db
        load_areas_command,  # registry load-areas
        demo_command,  # registry demo
        facility_group,  # registry facility create|set|deactivate|revert|history|origin
        import_command,  # registry import
        import_undo_command,  # registry import-undo
        user_group,  # registry user ...
        coverage_command,  # registry coverage
        population_group,  # registry population ...
        survey_group,  # registry survey ...
        roads_group,  # registry roads ...
    ]


def init_app(app: Flask) -> None:
    for command in all_commands():
        app.cli.add_command(command)
