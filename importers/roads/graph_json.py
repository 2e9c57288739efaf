"""Derived road graphs in JSON: ``{"meta": ..., "coords": [lon, lat, ...], "edges": [u, v,
length_m, ...]}``, undirected, without road classes (as the city graphs in the shared data).

Such graphs derive from OpenStreetMap, so they carry its licence unless ``meta`` names
another in ``licence``/``attribution``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from geo.routing import network_from_edges, split_long_edges
from importers import file_rules
from importers.errors import ImportFormatError
from importers.roads.osm import OSM_ATTRIBUTION, OSM_LICENCE
from importers.roads.result import RoadFile


def read_graph_json(path: Path) -> RoadFile:
    """A derived graph's nodes and edges; every edge two-way, of unknown road class."""
    name = path.name
    try:
        document = json.loads(path.read_bytes())
        coords = np.asarray(document["coords"], dtype=np.float64)
        edges = np.asarray(document["edges"], dtype=np.float64)
    except (ValueError, KeyError, TypeError) as error:
        raise ImportFormatError(
            file_rules.GRAPH_NOT_NUMERIC(why=str(error)), file_name=name
        ) from None
    if coords.ndim != 1 or coords.size % 2 or edges.ndim != 1 or edges.size % 3:
        raise ImportFormatError(file_rules.GRAPH_SHAPE(), file_name=name)
    if edges.size == 0:
        raise ImportFormatError(file_rules.GRAPH_NO_EDGES(), file_name=name)
    lon, lat = coords[0::2], coords[1::2]
    u, v, length = edges[0::3], edges[1::3], edges[2::3]
    n = lon.size
    bad = ~((u >= 0) & (u < n) & (v >= 0) & (v < n) & (u == np.floor(u)) & (v == np.floor(v)))
    if bad.any():
        row = int(np.argmax(bad))
        raise ImportFormatError(
            file_rules.GRAPH_BAD_EDGE(edge=row, u=f"{u[row]:g}", v=f"{v[row]:g}", last=n - 1),
            file_name=name,
        )
    try:
        network = network_from_edges(lon, lat, u.astype(np.int64), v.astype(np.int64), length)
        network = split_long_edges(network, 100.0)
    except ValueError as error:
        raise ImportFormatError(str(error), file_name=name) from None
    meta = document.get("meta") if isinstance(document.get("meta"), dict) else {}
    return RoadFile(
        network,
        "graph.json",
        str(meta.get("licence") or OSM_LICENCE),
        str(meta.get("attribution") or OSM_ATTRIBUTION),
        int(edges.size // 3),
        {},
    )
