"""`registry survey ...`: bulk-load survey sheets and rebuild the survey population layer.

Thin commands over the services the pages use. The command line is a trusted system actor:
no area and no correction window apply (``--by`` names who is recorded as entering).
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from tqdm import tqdm

from importers.limits import ImportLimits
from registry.db import db
from registry.errors import RegistryError
from registry.survey import service as survey
from registry.survey.sheets import (
    SurveyImportRejectedError,
    commit_survey_upload,
    preview_survey_upload,
)

MAX_LISTED = 20


@click.group("survey", cls=AppGroup)
def survey_group() -> None:
    """The volunteer survey: import sheets, rebuild its population layer."""


def _print_problems(outcome) -> None:
    for problem in outcome.problems[:MAX_LISTED]:
        click.echo(f"  {problem['severity']}: {problem['message']}")
    if len(outcome.problems) > MAX_LISTED:
        click.echo(f"  ... and {len(outcome.problems) - MAX_LISTED} more")


@survey_group.command("import")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "by", required=True, help="Who is recorded as entering the records.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
def survey_import(file: Path, by: str, dry_run: bool) -> None:
    """Import a survey sheet (CSV or XLSX): every row or nothing."""
    options = {
        "tolerance_m": current_app.config["COAST_TOLERANCE_M"],
        "window_days": current_app.config["SURVEY_CORRECTION_WINDOW_DAYS"],
        # A national sheet from an administrator: the command line's larger limits.
        "limits": ImportLimits.from_config(current_app.config["CLI_IMPORT_LIMITS"]),
    }
    try:
        surveyor = survey.Surveyor(by, "cli")
        data = file.read_bytes()
        if dry_run:
            outcome = preview_survey_upload(db.session, data, file.name, surveyor, **options)
            db.session.rollback()
        else:
            with tqdm(desc="survey rows", unit="row") as bar:

                def progress(done: int, total: int) -> None:
                    bar.total = total
                    bar.update(done - bar.n)

                outcome = commit_survey_upload(
                    db.session, data, file.name, surveyor, progress=progress, **options
                )
            db.session.commit()
    except SurveyImportRejectedError as error:
        db.session.rollback()
        _print_problems(error.outcome)
        raise click.ClickException(error.message) from None
    except RegistryError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(("dry run, nothing written: " if dry_run else "") + outcome.summary())
    _print_problems(outcome)
    if dry_run and outcome.errors:
        raise click.ClickException(f"{len(outcome.errors)} errors: the import would be refused")


@survey_group.command("layer")
@with_appcontext
@click.option("--by", "by", default="survey layer command", show_default=True)
def survey_layer(by: str) -> None:
    """Rebuild the survey population layer from the latest records (normally kept current)."""
    with tqdm(total=1, desc="survey layer", unit="layer") as bar:
        outcome = survey.rebuild_survey_layer(db.session, created_by=by)
        bar.update()
    if outcome is None:
        click.echo("no survey records: no layer")
        return
    db.session.commit()
    click.echo(outcome.summary())
