"""Road network layers: load, list, delete, and the travel graphs answers use.

A layer is one road file's network (see :mod:`importers.roads`), stored whole in the
``road_layer`` table as compressed NumPy arrays with its source, licence, attribution and
extent, so it lives in the registry on SpatiaLite and PostGIS alike. Many layers may exist
(one per province or city); a point is answered on the smallest layer whose extent holds it
and whose roads come within ``ROUTING_MAX_ACCESS_M`` of it (else: outside every road layer,
and the caller falls back to straight-line distance).

Travel graphs (:class:`geo.routing.TravelGraph`, one per layer and profile) are built on
first use and kept in the process, keyed by the layer's checksum and the profiles' settings,
so reloading a layer or changing ``ROUTING_PROFILES`` is seen by the next answer.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, undefer

from geo.routing import Profile, RoadNetwork, TravelGraph, profiles_from_config
from importers.messages import Rule
from importers.roads import read_road_file
from registry.errors import ConflictError, NotFoundError, ValidationError
from registry.models import RoadLayer, utcnow

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
# Thailand's extent with a margin for border roads (degrees): a layer must mostly lie inside.
THAILAND_BOUNDS = (97.2, 5.5, 105.8, 20.6)
_GRAPH_CACHE_SIZE = 12


@dataclass(frozen=True)
class RoadLayerInfo:
    """A road layer's description, detached from the session."""

    id: int
    name: str
    source: str
    file_format: str
    licence: str
    attribution: str
    bounds: tuple[float, float, float, float]
    node_count: int
    edge_count: int
    checksum: str

    @classmethod
    def of(cls, row: RoadLayer) -> RoadLayerInfo:
        return cls(
            row.id,
            row.name,
            row.source,
            row.file_format,
            row.licence,
            row.attribution,
            (row.west, row.south, row.east, row.north),
            row.node_count,
            row.edge_count,
            row.checksum,
        )

    @property
    def area_deg2(self) -> float:
        west, south, east, north = self.bounds
        return (east - west) * (north - south)

    def holds(self, lon: float, lat: float) -> bool:
        west, south, east, north = self.bounds
        return west <= lon <= east and south <= lat <= north

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "source": self.source,
            "format": self.file_format,
            "licence": self.licence,
            "attribution": self.attribution,
            "bbox": [round(v, 6) for v in self.bounds],
            "nodes": self.node_count,
            "edges": self.edge_count,
        }


# -- profiles ---------------------------------------------------------------------------------


def profiles(config) -> dict[str, Profile]:
    """The travel profiles: Thai defaults with the operator's ``ROUTING_PROFILES`` applied."""
    return profiles_from_config(config.get("ROUTING_PROFILES"))


NOT_A_PROFILE = Rule(
    "roads.not_a_profile", "parameter '%(name)s': %(value)s is not one of %(choices)s"
)


def profile_named(config, name: str | None, field: str = "profile") -> Profile:
    """The profile a question names (default ``ROUTING_DEFAULT_PROFILE``); 400 if unknown."""
    known = profiles(config)
    chosen = (name or "").strip() or config.get("ROUTING_DEFAULT_PROFILE", "motorcycle")
    if chosen not in known:
        raise ValidationError(
            NOT_A_PROFILE(name=field, value=repr(chosen), choices=", ".join(known)), field=field
        )
    return known[chosen]


# -- loading ----------------------------------------------------------------------------------


def load_road_layer(
    session: Session,
    path: Path,
    name: str,
    *,
    created_by: str,
    source: str | None = None,
    licence: str | None = None,
    attribution: str | None = None,
    replace: bool = False,
) -> tuple[RoadLayerInfo, str]:
    """Read a road file and store it as layer ``name``; returns the layer and what happened
    ('created', 'replaced' or 'unchanged'). Nothing is written unless every check passes."""
    if not _NAME.match(name or ""):
        raise ValidationError(
            f"road layer name {name!r} must be 1-100 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit",
            field="name",
        )
    road = read_road_file(path)
    network = road.network
    licence = (licence or road.licence or "").strip()
    attribution = (attribution or road.attribution or "").strip()
    if not licence or not attribution:
        raise ValidationError(
            f"'{path.name}': the file does not say its licence and attribution; give both "
            "(--licence, --attribution), e.g. the data owner's terms",
            field="licence",
        )
    _check_in_thailand(network, path.name)
    blob = network_bytes(network)
    checksum = hashlib.sha256(blob).hexdigest()
    existing = session.scalar(select(RoadLayer).where(RoadLayer.name == name))
    if existing is not None:
        if existing.checksum == checksum:
            return RoadLayerInfo.of(existing), "unchanged"
        if not replace:
            raise ConflictError(
                f"road layer {name!r} exists with other roads; use --replace to replace it",
                field="name",
            )
        session.delete(existing)
        session.flush()
    west, south, east, north = network.bounds
    row = RoadLayer(
        name=name,
        source=(source or path.name)[:2000],
        file_format=road.file_format,
        licence=licence[:100],
        attribution=attribution,
        west=west,
        south=south,
        east=east,
        north=north,
        node_count=network.node_count,
        edge_count=network.edge_count,
        checksum=checksum,
        network_npz=blob,
        created_at=utcnow(),
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return RoadLayerInfo.of(row), "replaced" if existing is not None else "created"


def _check_in_thailand(network: RoadNetwork, file_name: str) -> None:
    west, south, east, north = THAILAND_BOUNDS
    inside = (
        (network.lon >= west)
        & (network.lon <= east)
        & (network.lat >= south)
        & (network.lat <= north)
    )
    if inside.mean() < 0.5:
        box = ", ".join(f"{v:.4f}" for v in network.bounds)
        raise ValidationError(
            f"'{file_name}': the road network lies outside Thailand (its extent is {box} "
            f"west, south, east, north; Thailand is within {', '.join(map(str, THAILAND_BOUNDS))})",
            field="file",
        )


def network_bytes(network: RoadNetwork) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **network.arrays())
    return buffer.getvalue()


def network_from_bytes(blob: bytes) -> RoadNetwork:
    with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
        return RoadNetwork.from_arrays({name: arrays[name] for name in arrays.files})


def road_layers(session: Session) -> list[RoadLayerInfo]:
    """Every road layer, by name."""
    rows = session.scalars(select(RoadLayer).order_by(RoadLayer.name))
    return [RoadLayerInfo.of(row) for row in rows]


def delete_road_layer(session: Session, name: str) -> None:
    if session.execute(delete(RoadLayer).where(RoadLayer.name == name)).rowcount == 0:
        raise NotFoundError(f"there is no road layer {name!r}", field="name")


# -- answering --------------------------------------------------------------------------------


def layers_for_point(session: Session, lon: float, lat: float) -> list[RoadLayerInfo]:
    """Layers whose extent holds the point, smallest first."""
    return sorted(
        (layer for layer in road_layers(session) if layer.holds(lon, lat)),
        key=lambda layer: (layer.area_deg2, layer.name),
    )


class _GraphCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._graphs: OrderedDict[tuple, TravelGraph] = OrderedDict()
        self._networks: OrderedDict[tuple, RoadNetwork] = OrderedDict()

    def graph(self, session: Session, layer: RoadLayerInfo, profile: Profile) -> TravelGraph:
        database = str(session.get_bind().engine.url)
        key = (database, layer.id, layer.checksum, repr(profile))
        with self._lock:
            graph = self._graphs.get(key)
            if graph is not None:
                self._graphs.move_to_end(key)
                return graph
        network = self._network(session, database, layer)
        graph = TravelGraph(network, profile)
        with self._lock:
            self._graphs[key] = graph
            while len(self._graphs) > self.size:
                self._graphs.popitem(last=False)
        return graph

    def _network(self, session: Session, database: str, layer: RoadLayerInfo) -> RoadNetwork:
        key = (database, layer.id, layer.checksum)
        with self._lock:
            network = self._networks.get(key)
        if network is None:
            row = session.scalar(
                select(RoadLayer)
                .options(undefer(RoadLayer.network_npz))
                .where(RoadLayer.id == layer.id)
            )
            if row is None or row.checksum != layer.checksum:
                raise NotFoundError(f"road layer {layer.name!r} changed; ask again", field="roads")
            network = network_from_bytes(row.network_npz)
            with self._lock:
                self._networks[key] = network
                while len(self._networks) > self.size:
                    self._networks.popitem(last=False)
        return network

    def clear(self) -> None:
        with self._lock:
            self._graphs.clear()
            self._networks.clear()


graphs = _GraphCache(_GRAPH_CACHE_SIZE)


def travel_graph(session: Session, layer: RoadLayerInfo, profile: Profile) -> TravelGraph | None:
    """The layer's graph for the profile; None when the profile can use none of its roads."""
    try:
        return graphs.graph(session, layer, profile)
    except ValueError:
        return None


def graph_for_point(
    session: Session, lon: float, lat: float, profile: Profile, config
) -> tuple[RoadLayerInfo, TravelGraph] | None:
    """The smallest layer holding the point whose usable roads come near enough to it."""
    limit = float(config.get("ROUTING_MAX_ACCESS_M", 1000.0))
    for layer in layers_for_point(session, lon, lat):
        graph = travel_graph(session, layer, profile)
        if graph is not None and graph.snap([lon], [lat]).access_m[0] <= limit:
            return layer, graph
    return None
