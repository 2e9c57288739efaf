"""`registry roads`: load, list and delete road network layers."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext
from tqdm import tqdm

from registry.cli import fail
from registry.db import db
from registry.errors import RegistryError
from registry.roads import service


@click.group("roads", cls=AppGroup)
def roads_group() -> None:
    """Road networks for travel-time answers (OpenStreetMap, GIS road lines)."""


@roads_group.command("load")
@with_appcontext
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--name", required=True, help="Layer name, e.g. chiang-mai or TH-north.")
@click.option("--source", help="Where the file came from (default: its file name).")
@click.option("--licence", help="Licence of the data (OpenStreetMap files: ODbL-1.0).")
@click.option("--attribution", help="Attribution to show with results.")
@click.option("--replace", is_flag=True, help="Replace a layer of that name with other roads.")
@click.option("--actor", default="cli", show_default=True, help="Who loads it (for the log).")
def roads_load(file, name, source, licence, attribution, replace, actor) -> None:
    """Load FILE (.osm.pbf, Overpass JSON, .graph.json, .gpkg, .shp/.zip, .geojson) as NAME."""
    with tqdm(total=2, desc=f"roads {file.name}", unit="step") as bar:
        try:
            info, action = service.load_road_layer(
                db.session,
                file,
                name,
                created_by=actor,
                source=source,
                licence=licence,
                attribution=attribution,
                replace=replace,
            )
            bar.update()
            db.session.commit()
            bar.update()
        except RegistryError as error:
            fail(error)
    click.echo(
        f"road layer {info.name!r} {action}: {info.node_count:,} nodes, {info.edge_count:,} "
        f"edges, extent {', '.join(f'{v:.4f}' for v in info.bounds)}; {info.attribution}"
    )


@roads_group.command("list")
@with_appcontext
def roads_list() -> None:
    """Every road layer with its extent, size and attribution."""
    layers = service.road_layers(db.session)
    if not layers:
        click.echo("no road layers; load one with 'registry roads load FILE --name NAME'")
    for info in layers:
        click.echo(
            f"{info.name}\t{info.file_format}\t{info.node_count:,} nodes\t"
            f"{', '.join(f'{v:.4f}' for v in info.bounds)}\t{info.licence}\t{info.attribution}"
        )


@roads_group.command("delete")
@with_appcontext
@click.argument("name")
def roads_delete(name: str) -> None:
    """Delete the road layer NAME."""
    try:
        service.delete_road_layer(db.session, name)
    except RegistryError as error:
        fail(error)
    db.session.commit()
    click.echo(f"road layer {name!r} deleted")


def load_demo_roads(data_dir: Path) -> None:
    """The demo city's roads (Chiang Mai, OpenStreetMap), as `registry demo` loads them."""
    from registry.demo import DEMO_ROADS, DEMO_ROADS_LAYER

    try:
        with tqdm(total=1, desc="roads (Chiang Mai)", unit="layer") as bar:
            info, action = service.load_road_layer(
                db.session, data_dir / DEMO_ROADS, DEMO_ROADS_LAYER, created_by="demo loader"
            )
            db.session.commit()
            bar.update()
    except RegistryError as error:
        fail(error)
    click.echo(f"road layer {info.name!r}: {action}; {info.node_count:,} nodes; {info.attribution}")
