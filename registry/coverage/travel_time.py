"""Coverage in travel time on the road layers, for :mod:`registry.coverage.service`.

Each population unit is answered on the smallest road layer whose extent holds it and whose
usable roads come within ``ROUTING_MAX_ACCESS_M`` of it; units no layer reaches are left out
of the table and counted (``outside_roads``). On each layer, one multi-source Dijkstra from
the eligible sites inside it gives every node its time to the nearest site
(:meth:`geo.routing.TravelGraph.node_times_to_sites`); a unit's time is its walk onto the
network plus its node's time. Sites outside a layer do not serve its units (a layer should
reach beyond the area it is used for).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from geo.routing import Profile, TravelGraph
from geo.routing.coverage import band_lines, reach_by_time
from registry.coverage import messages as say
from registry.errors import NotFoundError
from registry.roads.service import RoadLayerInfo, road_layers, travel_graph

# Bands drawn on the coverage map, as shares of the threshold.
BAND_SHARES = (0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True, eq=False)
class TravelTimes:
    """Per-unit travel times (s) to the nearest site, and what they were computed on."""

    profile: Profile
    layers: tuple[RoadLayerInfo, ...]
    inside: np.ndarray  # bool per unit: some layer reaches it
    seconds: np.ndarray  # float per unit; inf unreachable, nan outside
    graphs: tuple[TravelGraph, ...]
    node_seconds: tuple[np.ndarray, ...]  # per used layer: every node's time to a site

    @property
    def attributions(self) -> list[dict]:
        return [layer.as_dict() for layer in self.layers]


def chosen_layers(session: Session, name: str | None) -> list[RoadLayerInfo]:
    """The named layer, or every layer (smallest extent first)."""
    layers = road_layers(session)
    if name:
        layers = [layer for layer in layers if layer.name == name]
        if not layers:
            known = ", ".join(layer.name for layer in road_layers(session)) or say.NONE_LOADED()
            raise NotFoundError(say.NO_SUCH_ROADS(name=repr(name), known=known), field="roads")
    return sorted(layers, key=lambda layer: (layer.area_deg2, layer.name))


def travel_times(
    session: Session,
    units: pd.DataFrame,
    site_lon: np.ndarray,
    site_lat: np.ndarray,
    profile: Profile,
    layers: list[RoadLayerInfo],
    config,
) -> TravelTimes:
    """Every unit's time to its nearest site, one multi-source pass per layer used."""
    limit = float(config.get("ROUTING_MAX_ACCESS_M", 1000.0))
    lon = units["lon"].to_numpy(dtype=np.float64)
    lat = units["lat"].to_numpy(dtype=np.float64)
    seconds = np.full(lon.size, np.nan)
    used, graphs, node_seconds = [], [], []
    for layer in layers:
        west, south, east, north = layer.bounds
        candidates = np.flatnonzero(
            np.isnan(seconds) & (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
        )
        if candidates.size == 0:
            continue
        graph = travel_graph(session, layer, profile)
        if graph is None:
            continue
        snap = graph.snap(lon[candidates], lat[candidates])
        near = snap.access_m <= limit
        if not near.any():
            continue
        site_snap = graph.snap(site_lon, site_lat)
        serving = site_snap.access_m <= limit
        node_time = graph.node_times_to_sites(site_lon[serving], site_lat[serving])
        rows = candidates[near]
        seconds[rows] = snap.access_s[near] + node_time[snap.node[near]]
        used.append(layer)
        graphs.append(graph)
        node_seconds.append(node_time)
    return TravelTimes(
        profile, tuple(used), ~np.isnan(seconds), seconds, tuple(graphs), tuple(node_seconds)
    )


def candidate_reach(
    times: TravelTimes,
    units: pd.DataFrame,
    candidate_lon: np.ndarray,
    candidate_lat: np.ndarray,
    threshold_s: float,
    config,
) -> tuple[np.ndarray, np.ndarray]:
    """Units (positions in ``units``) each candidate reaches within the threshold (CSR)."""
    limit = float(config.get("ROUTING_MAX_ACCESS_M", 1000.0))
    lon = units["lon"].to_numpy(dtype=np.float64)
    lat = units["lat"].to_numpy(dtype=np.float64)
    members = [[] for _ in range(candidate_lon.size)]
    for layer, graph in zip(times.layers, times.graphs, strict=True):
        rows = np.flatnonzero(times.inside & _within(layer, lon, lat))
        on_layer = np.flatnonzero(graph.snap(candidate_lon, candidate_lat).access_m <= limit)
        on_layer = on_layer[_within(layer, candidate_lon[on_layer], candidate_lat[on_layer])]
        if rows.size == 0 or on_layer.size == 0:
            continue
        pointer, reached = reach_by_time(
            graph,
            lon[rows],
            lat[rows],
            candidate_lon[on_layer],
            candidate_lat[on_layer],
            threshold_s,
        )
        for i, candidate in enumerate(on_layer):
            members[candidate].append(rows[reached[pointer[i] : pointer[i + 1]]])
    flat = [np.unique(np.concatenate(m)) if m else np.empty(0, np.int64) for m in members]
    sizes = np.fromiter((f.size for f in flat), dtype=np.int64, count=len(flat))
    pointer = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    return pointer, (np.concatenate(flat).astype(np.int64) if flat else np.empty(0, np.int64))


def bands(times: TravelTimes, threshold_s: float) -> list[dict]:
    """Road segments by travel-time band (quarters of the threshold), for the map."""
    bounds = [threshold_s * share for share in BAND_SHARES]
    merged: list[list] = [[] for _ in bounds]
    for graph, node_time in zip(times.graphs, times.node_seconds, strict=True):
        for index, lines in enumerate(band_lines(graph, node_time, bounds)):
            merged[index].extend(lines)
    return [
        {"minutes": bound / 60.0, "lines": lines}
        for bound, lines in zip(bounds, merged, strict=True)
    ]


def _within(layer: RoadLayerInfo, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    west, south, east, north = layer.bounds
    return (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
