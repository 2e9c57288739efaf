"""OpenStreetMap roads: .osm.pbf (through GDAL's OSM driver) and Overpass API JSON.

A way is a road when its ``highway`` value is one of :data:`geo.routing.ROAD_CLASSES` (the
profiles then decide who may use it); other ways (rivers, railways, buildings, planned
roads) are left out and counted. ``oneway``, ``junction=roundabout`` and ``maxspeed`` are
read from the tags.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import shapely

from geo.routing import ROAD_CLASSES, network_from_polylines
from importers import file_rules
from importers.errors import ImportFormatError
from importers.roads.result import RoadFile
from importers.roads.tags import maxspeed_kmh, oneway_code

OSM_LICENCE = "ODbL-1.0"
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0)"
_ROADS = frozenset(ROAD_CLASSES) - {"unknown"}
# GDAL's OSM driver keeps tags without a column of their own as an hstore string.
_HSTORE = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def read_osm_pbf(path: Path) -> RoadFile:
    """Road ways of an OpenStreetMap PBF extract (any size GDAL can read)."""
    import pyogrio

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = pyogrio.read_dataframe(
                path, layer="lines", columns=["highway", "other_tags"], read_geometry=True
            )
    except Exception as error:  # GDAL reports damage as several exception types
        raise ImportFormatError(
            file_rules.PBF_UNREADABLE(why=_first_line(error)), file_name=path.name
        ) from None
    highway = frame["highway"].to_numpy(dtype=object)
    other = frame["other_tags"].to_numpy(dtype=object)
    geometry = frame.geometry.to_numpy()
    lines, classes, oneway, speed = [], [], [], []
    skipped: dict[str, int] = {}
    for road, extra, shape in zip(highway, other, geometry, strict=True):
        if road not in _ROADS:
            _count(skipped, "not a road (no usable highway tag)")
            continue
        if shape is None or shape.is_empty:
            _count(skipped, "road way without geometry")
            continue
        tags = dict(_HSTORE.findall(extra)) if isinstance(extra, str) else {}
        tags["highway"] = road
        lines.append(shapely.get_coordinates(shape))
        classes.append(road)
        oneway.append(oneway_code(tags))
        speed.append(maxspeed_kmh(tags.get("maxspeed")))
    return _road_file(path, lines, classes, oneway, speed, skipped, "osm.pbf")


def read_overpass_json(path: Path) -> RoadFile:
    """Road ways of an Overpass API answer in JSON (``out body;`` with the ways' nodes)."""
    try:
        document = json.loads(path.read_bytes())
        elements = document["elements"]
        if not isinstance(elements, list):
            raise TypeError("'elements' is not a list")
    except (ValueError, KeyError, TypeError) as error:
        raise ImportFormatError(
            file_rules.OVERPASS_INVALID(why=_first_line(error)), file_name=path.name
        ) from None
    nodes: dict[int, tuple[float, float]] = {}
    for element in elements:
        if isinstance(element, dict) and element.get("type") == "node":
            try:
                nodes[int(element["id"])] = (float(element["lon"]), float(element["lat"]))
            except (KeyError, TypeError, ValueError):
                continue
    lines, classes, oneway, speed = [], [], [], []
    skipped: dict[str, int] = {}
    for element in elements:
        if not isinstance(element, dict) or element.get("type") != "way":
            continue
        tags = element.get("tags") or {}
        road = tags.get("highway")
        if road not in _ROADS:
            _count(skipped, "not a road (no usable highway tag)")
            continue
        refs = element.get("nodes") or []
        points = [nodes[r] for r in refs if isinstance(r, int) and r in nodes]
        if len(points) < len(refs):
            _count(skipped, "road way with nodes missing from the file (kept in part)")
        if len(points) < 2:
            _count(skipped, "road way with fewer than two known nodes")
            continue
        lines.append(np.array(points, dtype=np.float64))
        classes.append(road)
        oneway.append(oneway_code(tags))
        speed.append(maxspeed_kmh(tags.get("maxspeed")))
    return _road_file(path, lines, classes, oneway, speed, skipped, "overpass.json")


def _road_file(path, lines, classes, oneway, speed, skipped, file_format) -> RoadFile:
    if not lines:
        raise ImportFormatError(file_rules.NO_HIGHWAYS(), file_name=path.name)
    try:
        network = network_from_polylines(lines, classes, oneway, speed)
    except ValueError as error:
        raise ImportFormatError(str(error), file_name=path.name) from None
    return RoadFile(network, file_format, OSM_LICENCE, OSM_ATTRIBUTION, len(lines), skipped)


def _count(skipped: dict[str, int], reason: str) -> None:
    skipped[reason] = skipped.get(reason, 0) + 1


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__


__all__ = ["OSM_ATTRIBUTION", "OSM_LICENCE", "read_osm_pbf", "read_overpass_json"]
