"""`registry coverage` and `registry population ...`: the planner's commands.

Thin commands over the services the API and the planner page use.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from tqdm import tqdm

from importers.vocabulary import FACILITY_TYPES
from registry.cli import fail
from registry.coverage import export, population, population_store, population_units, service
from registry.coverage import query as coverage_query
from registry.coverage.admin_counts import read_admin_counts
from registry.coverage.population_files import read_point_counts, read_raster_counts, read_upload
from registry.coverage.population_measured import (
    ensure_dopa_2021_layer,
    known_area_codes,
    reassigned_note,
    units_from_admin_counts,
)
from registry.db import db
from registry.errors import RegistryError, ValidationError
from registry.paths import DATA_DIR

OUTPUT_FORMATS = {".csv": "csv", ".geojson": "geojson", ".json": "json", ".xlsx": "xlsx"}


@click.command("coverage")
@click.option(
    "--type",
    "types",
    multiple=True,
    required=True,
    type=click.Choice(FACILITY_TYPES),
    help="Facility type; repeat for several.",
)
@click.option("--threshold-km", type=float, default=10.0, show_default=True)
@click.option(
    "--threshold-min",
    type=float,
    help="Travel time by road instead of distance (minutes; needs a road layer).",
)
@click.option("--profile", help="Travel profile with --threshold-min: motorcycle, car, walking.")
@click.option(
    "--level",
    type=click.Choice(tuple(coverage_query.LEVELS)),
    default="district",
    show_default=True,
)
@click.option("--province", help="Only the people of this province, e.g. TH50.")
@click.option("--layer", help="Population layer name (default: the demo layer or the newest).")
@click.option("--any-status", is_flag=True, help="Count sites whatever their status.")
@click.option("--confirmed-only", is_flag=True, help="Only sites confirmed open recently.")
@click.option(
    "--walk-in/--appointment", "walk_in", default=None, help="Walk-in sites only, or not."
)
@click.option("--vaccine-brand")
@click.option("--dose")
@click.option("--age-group")
@click.option("--test-method")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Output file: .csv, .geojson, .json or .xlsx.",
)
@with_appcontext
def coverage_command(
    types,
    threshold_km,
    threshold_min,
    profile,
    level,
    province,
    layer,
    any_status,
    confirmed_only,
    walk_in,
    vaccine_brand,
    dose,
    age_group,
    test_method,
    out: Path,
) -> None:
    """People farther than --threshold-km from an eligible site, per area, written to --out."""
    fmt = OUTPUT_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise click.BadParameter(
            f"{out.name!r} does not end in one of {', '.join(OUTPUT_FORMATS)}", param_hint="--out"
        )
    args = {
        "type": ",".join(types),
        "threshold_km": repr(threshold_km),
        "level": level,
        "province": province or "",
        "layer": layer or "",
        "open_now": "false" if any_status else "true",
        "confirmed_only": "true" if confirmed_only else "",
        "walk_in": "" if walk_in is None else str(walk_in).lower(),
        "vaccine_brand": vaccine_brand or "",
        "dose": dose or "",
        "age_group": age_group or "",
        "test_method": test_method or "",
    }
    if threshold_min is not None or profile:
        # Minutes by road instead of kilometres in a straight line.
        del args["threshold_km"]
        args["threshold_min"] = "" if threshold_min is None else repr(threshold_min)
        args["profile"] = profile or ""
    session = db.session
    config = current_app.config
    steps = ("population layer", "eligible sites", "coverage", f"writing {out.name}")
    try:
        with tqdm(total=len(steps), desc="coverage", unit="step") as bar:
            query = coverage_query.parse_coverage_query(args)
            bar.set_postfix_str(steps[0])
            info = population.configured_layer(session, query.layer, config)
            population.layer_units(session, info)
            bar.update()
            bar.set_postfix_str(steps[1])
            service.eligible_facilities(session, query, config)
            bar.update()
            bar.set_postfix_str(steps[2])
            answer = service.coverage(session, query, config)
            bar.update()
            bar.set_postfix_str(steps[3])
            out.write_bytes(_encode(answer, fmt, session))
            bar.update()
    except RegistryError as error:
        fail(error)
    totals = answer.totals
    click.echo(
        f"{totals['areas']:,} areas, {totals['population']:,} people ({answer.layer.kind}, "
        f"layer {answer.layer.name}): {totals['uncovered']:,} live farther than "
        f"{_reach(answer.query)} from the {totals['facilities']:,} sites counted "
        f"({service_share(totals['share_covered'])} covered); written to {out}"
    )


def _reach(query) -> str:
    if query.by_time:
        return f"{query.threshold_min:g} minutes by road ({query.profile})"
    return f"{query.threshold_m / 1000:g} km"


def service_share(share: float) -> str:
    return "–" if share != share else f"{share * 100:.1f}%"


def _encode(answer, fmt: str, session) -> bytes:
    if fmt == "csv":
        return export.coverage_csv(answer)
    if fmt == "xlsx":
        return export.coverage_xlsx(answer)
    if fmt == "geojson":
        body = export.coverage_geojson(answer, service.area_tables.get(session).geometry)
    else:
        body = export.coverage_json(answer)
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


# -- population layers ------------------------------------------------------------------------


@click.group("population", cls=AppGroup)
def population_group() -> None:
    """Population layers for coverage: list, load (areas, points, grids), delete, demo."""


@population_group.command("list")
def population_list() -> None:
    """The layers loaded, with what is measured and placed, and their totals."""
    for info in population.list_layers(db.session):
        click.echo(
            f"{info.name}: {info.title} [{info.measure}] {info.as_of or ''} "
            f"{info.unit_count:,} units, {info.total_population:,} people, finest level "
            f"{population.LEVEL_NAMES[info.finest_level]}, groups: "
            f"{', '.join(info.group_columns) or 'none'}"
        )


def _layer_options(function):
    options = [
        click.option("--name", required=True, help="Layer name: lower-case, digits, . _ -"),
        click.option("--title", required=True, help="What the layer is, for people."),
        click.option("--source", required=True, help="Where the counts come from."),
        click.option("--as-of", help="Date of the counts: YYYY, YYYY-MM or YYYY-MM-DD."),
        click.option(
            "--kind",
            type=click.Choice(population.KINDS),
            required=True,
            help="measured (a count of people) or modelled (placed by a model).",
        ),
        click.option("--groups", default="", help="Group columns, comma-separated."),
        click.option("--replace", is_flag=True, help="Replace a layer of the same name."),
        click.option("--by", "actor", default="cli", show_default=True),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _groups(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _store(
    units, finest_level: int, method: str, options: dict, left_out=0, notes=(), **extra
) -> None:
    try:
        outcome = population_store.store_layer(
            db.session,
            units,
            name=options["name"],
            title=options["title"],
            source=options["source"],
            as_of=options["as_of"],
            kind=options["kind"],
            method=method,
            group_columns=_groups(options["groups"]),
            finest_level=finest_level,
            created_by=options["actor"],
            replace=options["replace"],
            left_out=left_out,
            notes=notes,
            **extra,
        )
        db.session.commit()
    except RegistryError as error:
        fail(error)
    for note in outcome.notes:
        click.echo(note)
    click.echo(outcome.summary())


@population_group.command("load-areas")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_layer_options
@click.option("--code-column", help="Column of DOPA codes (default: recognised by its header).")
@click.option("--population-column", help="Column of people (default: recognised by header).")
@click.option("--level-column", help="Column of levels, checked against the codes (optional).")
@click.option("--name-column", help="Column of area names, quoted in the report (optional).")
@click.option(
    "--placement",
    type=click.Choice(population.PLACEMENTS),
    default="point",
    show_default=True,
    help="point: each area's people at one point inside it; within: spread evenly over "
    "points inside each area (measured by area, placed within it); spread: province "
    "counts spread over points in every subdistrict (modelled).",
)
@click.option("--valid-rows-only", is_flag=True, help="Leave rows with errors out.")
def population_load_areas(
    file: Path, code_column, population_column, level_column, name_column, placement, **options
):
    """Load counts by province, district or subdistrict (levels may be mixed, as in DOPA's
    tables) from a CSV keyed by DOPA code; the finest rows are used, the others checked."""
    if placement == "spread" and options["kind"] != "modelled":
        raise click.BadParameter(
            "spread counts are placed by a model: give --kind modelled", param_hint="--kind"
        )
    if placement == "within" and options["kind"] != "measured":
        raise click.BadParameter(
            "placement within keeps counts as measured: give --kind measured", param_hint="--kind"
        )
    valid_rows_only = options.pop("valid_rows_only")
    try:
        counts = read_admin_counts(
            read_upload(file),
            file.name.removesuffix(".gz"),
            known_area_codes(db.session),
            code_column=code_column,
            population_column=population_column,
            level_column=level_column,
            name_column=name_column,
            group_columns=_groups(options["groups"]),
            valid_rows_only=valid_rows_only,
        )
        click.echo(counts.summary())
        if placement == "within":
            units, method = units_from_admin_counts(
                db.session, counts, group_columns=_groups(options["groups"])
            )
            level = counts.level
        else:
            units, level, method = population_units.units_from_area_counts(
                db.session, counts, placement=placement
            )
    except RegistryError as error:
        fail(error)
    measured = counts.level if options["kind"] == "measured" and placement != "spread" else None
    _store(units, level, method, options, measured_level=measured)


@population_group.command("load-points")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_layer_options
@click.option("--population-column")
@click.option("--lon-column")
@click.option("--lat-column")
@click.option("--crs", help="Coordinate system of a CSV's columns, e.g. EPSG:32647.")
def population_load_points(file: Path, population_column, lon_column, lat_column, crs, **options):
    """Load points (villages, households) with counts from a CSV or GeoJSON."""
    try:
        counts = read_point_counts(
            file.read_bytes(),
            file.name,
            population_column=population_column,
            group_columns=_groups(options["groups"]),
            lon_column=lon_column,
            lat_column=lat_column,
            crs=crs,
        )
        units, left_out = population_units.units_at_points(
            db.session, counts, tolerance_m=current_app.config["COAST_TOLERANCE_M"]
        )
    except RegistryError as error:
        fail(error)
    method = "points with counts, each in the subdistrict holding it"
    _store(units, 3, method, options, left_out)


@population_group.command("load-raster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_layer_options
@click.option("--band", type=int, default=1, show_default=True)
@click.option(
    "--aggregate",
    type=int,
    default=1,
    show_default=True,
    help="Sum blocks of N x N cells first (10 turns a 100 m grid into 1 km).",
)
def population_load_raster(file: Path, band: int, aggregate: int, **options):
    """Load a population grid (GeoTIFF, e.g. WorldPop): one unit per non-empty cell centre."""
    if options["groups"]:
        raise click.BadParameter("a grid has no group columns", param_hint="--groups")
    with tqdm(total=3, desc=file.name, unit="step") as bar:
        try:
            counts = read_raster_counts(str(file), band=band, aggregate=aggregate)
            bar.update()
            units, left_out = population_units.units_at_points(
                db.session, counts, tolerance_m=current_app.config["COAST_TOLERANCE_M"]
            )
            bar.update()
        except RegistryError as error:
            fail(error)
        method = f"grid cells (aggregated {aggregate} x {aggregate}) at their centres"
        _store(units, 3, method, options, left_out, counts.notes)
        bar.update()


@population_group.command("delete")
@click.argument("name")
def population_delete(name: str) -> None:
    """Delete a layer and its units."""
    try:
        info = population.delete_layer(db.session, name)
        db.session.commit()
    except RegistryError as error:
        fail(error)
    click.echo(f"deleted population layer {info.name!r} ({info.unit_count:,} units)")


@population_group.command("demo")
@click.option("--data-dir", type=click.Path(path_type=Path, exists=True), default=DATA_DIR)
def population_demo(data_dir: Path) -> None:
    """Load the demo layers: DOPA 2021 by subdistrict (default) and the 2020 modelled one."""
    load_demo_population(data_dir, with_2020=True)


def load_demo_population(data_dir: Path, *, with_2020: bool) -> None:
    """The demo layers; a second run changes nothing.

    DOPA 2021 by subdistrict is the default layer (measured by subdistrict, placed within
    it). The 2020 layer (province totals spread by a model), kept for comparison, is loaded
    when ``with_2020``: by `registry population demo`, not by `registry demo`, which stays
    as quick as it was.
    """
    try:
        with tqdm(total=2 if with_2020 else 1, desc="population layers", unit="layer") as bar:
            outcome, counts = ensure_dopa_2021_layer(db.session, data_dir)
            db.session.commit()
            bar.update()
            modelled = None
            if with_2020:
                modelled = population_store.ensure_demo_layer(db.session, data_dir)
                db.session.commit()
                bar.update()
    except (RegistryError, ValidationError) as error:
        fail(error)
    if counts.reassigned:
        click.echo(reassigned_note(counts))
    click.echo(outcome.summary())
    if modelled is not None:
        click.echo(modelled.summary())
    else:
        click.echo(
            "the 2020 layer (modelled, for comparison) is loaded by `registry population demo`"
        )
