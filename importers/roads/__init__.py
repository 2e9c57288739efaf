"""Road files to road networks: OpenStreetMap (.osm.pbf, Overpass JSON), GIS road lines
(GeoPackage, zipped or plain Shapefile, GeoJSON) and derived graph JSON.

One entry point, :func:`read_road_file`, picks the reader by the file's name and content
and returns a :class:`RoadFile`: the :class:`geo.routing.RoadNetwork` and what to say about
where it came from. An unreadable file, a file with no road lines, or a format we do not read
is an :class:`importers.errors.ImportFormatError` naming the file and the problem.
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

from importers import file_rules
from importers.errors import ImportFormatError
from importers.roads.graph_json import read_graph_json
from importers.roads.lines import read_road_lines
from importers.roads.osm import OSM_ATTRIBUTION, read_osm_pbf, read_overpass_json
from importers.roads.result import RoadFile

__all__ = ["OSM_ATTRIBUTION", "ROAD_FORMATS", "RoadFile", "read_road_file"]

ROAD_FORMATS = (
    "OpenStreetMap .osm.pbf",
    "Overpass API JSON (.json)",
    "derived graph JSON (.graph.json: coords and edges)",
    "road lines in GeoPackage (.gpkg), Shapefile (.shp or .zip) or GeoJSON (.geojson)",
)


def read_road_file(path: Path | str) -> RoadFile:
    """Read a road file into a network, choosing the reader by name and content.

    Examples
    --------
    >>> read_road_file("roads.csv")
    Traceback (most recent call last):
    ...
    importers.errors.ImportFormatError: 'roads.csv': is not a road file this registry reads; \
give OpenStreetMap .osm.pbf, Overpass API JSON (.json), derived graph JSON (.graph.json: \
coords and edges), road lines in GeoPackage (.gpkg), Shapefile (.shp or .zip) or GeoJSON \
(.geojson)
    """
    path = Path(path)
    name = path.name.lower()
    if name.endswith(".gz"):
        return _read_gzip(path)
    if name.endswith(".pbf"):
        return read_osm_pbf(path)
    if name.endswith((".gpkg", ".shp", ".zip", ".geojson")):
        return read_road_lines(path)
    if name.endswith(".json"):
        head = _head(path)
        if b'"elements"' in head:
            return read_overpass_json(path)
        if b'"coords"' in head or b'"edges"' in head:
            return read_graph_json(path)
        if b'"FeatureCollection"' in head:
            return read_road_lines(path)
        raise ImportFormatError(file_rules.ROAD_JSON_UNKNOWN(), file_name=path.name)
    # The rule's English lists ROAD_FORMATS (tests/importers/test_roads.py keeps them in step).
    raise ImportFormatError(file_rules.NOT_A_ROAD_FILE(), file_name=path.name)


# A gzip member is inflated to at most this much (a hostile file can inflate a thousandfold).
MAX_INFLATED_BYTES = 2 * 1024**3


def _read_gzip(path: Path) -> RoadFile:
    """A gzip-compressed road file (``roads.graph.json.gz``): inflated to a temporary file."""
    inner = path.name[: -len(".gz")]
    with tempfile.TemporaryDirectory(prefix="roads-") as folder:
        target = Path(folder) / Path(inner).name
        written = 0
        try:
            with gzip.open(path, "rb") as source, target.open("wb") as sink:
                while chunk := source.read(1 << 20):
                    written += len(chunk)
                    if written > MAX_INFLATED_BYTES:
                        raise ImportFormatError(
                            file_rules.GZIP_TOO_BIG(gb=MAX_INFLATED_BYTES // 1024**3),
                            file_name=path.name,
                        )
                    sink.write(chunk)
        except (OSError, EOFError) as error:
            raise ImportFormatError(
                file_rules.GZIP_UNREADABLE(why=str(error)), file_name=path.name
            ) from None
        road = read_road_file(target)
    return road


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(4096)
    except OSError as error:
        raise ImportFormatError(
            file_rules.ROAD_FILE_UNREADABLE(why=error.strerror), file_name=path.name
        ) from None
