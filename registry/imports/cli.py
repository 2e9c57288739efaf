"""`registry import` and `registry import-undo`: a facility file, all or nothing, and its undo."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from importers.limits import ImportLimits
from registry.cli import MAX_LISTED, fail
from registry.db import db, waits_of
from registry.errors import RegistryError
from registry.imports import service as imports


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
            fail(error)
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
        fail(error)
    click.echo(
        f"import batch {batch_id} undone: {counts['deactivated']} facilities deactivated, "
        f"{counts['reverted']} fields reverted"
    )
