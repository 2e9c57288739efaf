"""Coverage in travel time: reach of candidate sites, and travel-time bands for maps.

The per-unit times come from :meth:`geo.routing.TravelGraph.times_to_nearest_site` (one
multi-source pass); this module adds what planners need beside them.
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from geo.routing.travel import TravelGraph


def reach_by_time(
    graph: TravelGraph,
    unit_lon,
    unit_lat,
    candidate_lon,
    candidate_lat,
    threshold_s: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Units within ``threshold_s`` of each candidate site, as CSR arrays (pointer, members).

    One Dijkstra per candidate on the reversed graph, stopped at the threshold (SciPy's
    ``limit``); a unit's time is counted as for coverage (its access, the network, the
    candidate's access), so a pick's people match a coverage run with the pick added.

    Examples
    --------
    >>> from geo.routing import Profile, network_from_edges
    >>> net = network_from_edges([100.0, 100.01], [14.0, 14.0], [0], [1], [1000.0])
    >>> graph = TravelGraph(net, Profile("m", {"unknown": 36.0}))
    >>> pointer, members = reach_by_time(graph, [100.0, 100.01], [14.0] * 2, [100.0], [14.0], 60)
    >>> pointer.tolist(), members.tolist()
    ([0, 1], [0])
    """
    unit = graph.snap(unit_lon, unit_lat)
    candidate = graph.snap(candidate_lon, candidate_lat)
    members = []
    sizes = np.zeros(candidate.node.size, dtype=np.int64)
    for position, (node, access) in enumerate(zip(candidate.node, candidate.access_s, strict=True)):
        budget = threshold_s - access
        if budget < 0 or unit.node.size == 0:
            members.append(np.empty(0, dtype=np.int64))
            continue
        times = dijkstra(graph.reverse, directed=True, indices=int(node), limit=budget)
        within = np.flatnonzero(unit.access_s + times[unit.node] + access <= threshold_s)
        members.append(within.astype(np.int64))
        sizes[position] = within.size
    pointer = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    flat = np.concatenate(members) if members else np.empty(0, dtype=np.int64)
    return pointer, flat


def band_lines(
    graph: TravelGraph, node_time_s: np.ndarray, bands_s, *, digits: int = 5
) -> list[list[list[list[float]]]]:
    """Road segments grouped by travel-time band, for drawing isochrones on a map.

    A segment belongs to the first band whose upper bound is at least the time of its
    later end; segments beyond the last bound are left out. Returns, per band, a list of
    lines (lists of ``[lon, lat]`` rounded to ``digits`` decimals): the band's segments,
    each pair of nodes once, merged into the longest runs (shapely's ``line_merge``) so a
    map draws few coordinates twice.

    Examples
    --------
    >>> from geo.routing import Profile, network_from_edges
    >>> net = network_from_edges([100.0, 100.01, 100.02], [14.0] * 3, [0, 1], [1, 2])
    >>> graph = TravelGraph(net, Profile("m", {"unknown": 36.0}))
    >>> lines = band_lines(graph, np.array([0.0, 200.0, 900.0]), [300, 600, 1200])
    >>> [len(band) for band in lines]
    [1, 0, 1]
    """
    bounds = np.asarray(bands_s, dtype=np.float64)
    forward = graph.forward.tocoo()
    keep = forward.row < forward.col  # one segment per pair of nodes
    u, v = forward.row[keep], forward.col[keep]
    # Also one-way segments drawn only as (v, u).
    one_way = ~keep & (graph.forward[forward.col, forward.row].A1 == 0)
    u = np.concatenate([u, forward.col[one_way]])
    v = np.concatenate([v, forward.row[one_way]])
    later = np.maximum(node_time_s[u], node_time_s[v])
    band = np.searchsorted(bounds, later, side="left")
    lon = np.round(graph.network.lon, digits)
    lat = np.round(graph.network.lat, digits)
    result = []
    for index in range(bounds.size):
        chosen = np.flatnonzero(band == index)
        if chosen.size == 0:
            result.append([])
            continue
        # Both ends of every chosen segment, interleaved: one linestring per pair.
        ends = np.empty((2 * chosen.size, 2))
        ends[0::2, 0], ends[0::2, 1] = lon[u[chosen]], lat[u[chosen]]
        ends[1::2, 0], ends[1::2, 1] = lon[v[chosen]], lat[v[chosen]]
        segments = shapely.linestrings(ends, indices=np.repeat(np.arange(chosen.size), 2))
        merged = shapely.line_merge(shapely.multilinestrings(segments))
        # Drop vertices within a few metres of the line through their neighbours (the
        # nodes added every 100 m along straight roads): invisible on a map, half the bytes.
        parts = shapely.simplify(
            shapely.get_parts(merged), 5 * 10.0**-digits, preserve_topology=False
        )
        coords, owner = shapely.get_coordinates(parts, return_index=True)
        coords = np.round(coords, digits)
        cuts = np.flatnonzero(np.diff(owner)) + 1
        result.append([piece.tolist() for piece in np.split(coords, cuts)])
    return result
