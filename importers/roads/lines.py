"""Road lines from GIS files (GeoPackage, Shapefile, GeoJSON), as provinces and the
Department of Highways hold them.

Lines (or multi-lines) in any CRS with a definition are reprojected to WGS 84. Optional
attributes, matched case-insensitively: ``highway`` (or ``road_class``/``fclass``, an
OpenStreetMap class), ``oneway`` (yes/no/-1) and ``maxspeed`` (km/h). Lines without a class
are roads of unknown class (a minor road's speed). Licence and attribution are not known
from the file: the registry asks for them when the layer is loaded.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import shapely

from geo.routing import network_from_polylines
from importers import file_rules
from importers.errors import ImportFormatError
from importers.roads.result import RoadFile
from importers.roads.tags import maxspeed_kmh, oneway_code

_CLASS_COLUMNS = ("highway", "road_class", "fclass")


def read_road_lines(path: Path) -> RoadFile:
    """Road lines of a vector file; points and polygons in it are refused."""
    import pyogrio

    source = f"/vsizip/{path}" if path.name.lower().endswith(".zip") else path
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = pyogrio.read_dataframe(source)
    except Exception as error:  # GDAL reports damage as several exception types
        raise ImportFormatError(
            file_rules.LINES_UNREADABLE(why=str(error).splitlines()[0][:200]),
            file_name=path.name,
        ) from None
    if frame.crs is None:
        raise ImportFormatError(file_rules.LINES_NO_CRS(), file_name=path.name)
    if len(frame) == 0:
        raise ImportFormatError(file_rules.LINES_NO_FEATURES(), file_name=path.name)
    frame = frame.to_crs(4326)
    columns = {c.lower(): c for c in frame.columns}
    class_column = next((columns[c] for c in _CLASS_COLUMNS if c in columns), None)
    kinds = frame.geometry.geom_type.to_numpy()
    lines, classes, oneway, speed = [], [], [], []
    for row, (kind, shape) in enumerate(zip(kinds, frame.geometry.to_numpy(), strict=True)):
        if kind not in ("LineString", "MultiLineString"):
            raise ImportFormatError(
                file_rules.LINES_NOT_A_LINE(feature=row + 1, kind=repr(kind)),
                file_name=path.name,
            )
        tags = {
            "highway": frame.at[frame.index[row], class_column] if class_column else None,
            "oneway": _text(frame, columns, "oneway", row),
        }
        parts = shapely.get_parts(shape) if kind == "MultiLineString" else [shape]
        for part in parts:
            lines.append(shapely.get_coordinates(part))
            classes.append(tags["highway"] if isinstance(tags["highway"], str) else None)
            oneway.append(oneway_code(tags))
            speed.append(maxspeed_kmh(_text(frame, columns, "maxspeed", row)))
    try:
        network = network_from_polylines(lines, classes, oneway, speed)
    except ValueError as error:
        raise ImportFormatError(str(error), file_name=path.name) from None
    return RoadFile(network, path.suffix.lower().lstrip("."), "", "", len(lines), {})


def _text(frame, columns: dict[str, str], name: str, row: int) -> str | None:
    column = columns.get(name)
    if column is None:
        return None
    value = frame.at[frame.index[row], column]
    return None if value is None or value != value else str(value)
