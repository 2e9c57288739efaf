"""A road network as plain arrays: nodes with coordinates, edges with length, class and rules.

Pure computation: readers in :mod:`importers.roads` turn files into polylines with tags, and
:func:`network_from_polylines` turns those into a :class:`RoadNetwork`; the registry stores
its arrays. Nothing here reads files or knows about travel speeds (see
:mod:`geo.routing.profiles`).

Nodes are the polylines' vertices, merged where two vertices have the same coordinates to
1e-7 degree (about 1 cm): that is how OpenStreetMap ways meet at a junction, and how road
lines from a GIS file meet when they were digitised snapped. Lines that cross without a
shared vertex (a bridge over a road) do not meet. Each edge joins two consecutive vertices
of one polyline; its length is the WGS 84 geodesic between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pyproj import Geod

_GEOD = Geod(ellps="WGS84")

# OpenStreetMap highway classes the profiles know, in a fixed order (an edge stores the
# position). "unknown" is for road lines that carry no class (derived graphs, GIS files).
ROAD_CLASSES = (
    "unknown",
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "road",
    "track",
    "busway",
    "pedestrian",
    "footway",
    "path",
    "cycleway",
    "bridleway",
    "steps",
    "corridor",
)
CLASS_CODE = {name: code for code, name in enumerate(ROAD_CLASSES)}
# Highway values that are not ways anyone travels along (areas, plans, disused ways).
NOT_ROADS = frozenset(
    ("proposed", "construction", "abandoned", "platform", "raceway", "elevator", "bus_stop")
)
# One-way codes: 0 both ways, 1 along the drawing direction only, -1 against it only.
ONEWAY_BOTH, ONEWAY_FORWARD, ONEWAY_BACKWARD = 0, 1, -1
_COORD_SCALE = 1e7


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """Nodes and directed-or-not edges of a road network.

    Attributes
    ----------
    lon, lat : numpy.ndarray of float64
        Node coordinates in degrees WGS 84.
    u, v : numpy.ndarray of int64
        Edge end nodes (positions in ``lon``/``lat``), in the direction the road was drawn.
    length_m : numpy.ndarray of float64
        Edge lengths (WGS 84 geodesic between the two nodes), metres, always > 0.
    road_class : numpy.ndarray of int8
        Positions in :data:`ROAD_CLASSES`.
    oneway : numpy.ndarray of int8
        0 both ways, 1 only from u to v, -1 only from v to u (for vehicles).
    maxspeed_kmh : numpy.ndarray of float32
        The mapped speed limit, NaN where none is mapped.
    """

    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    road_class: np.ndarray
    oneway: np.ndarray
    maxspeed_kmh: np.ndarray

    @property
    def node_count(self) -> int:
        return int(self.lon.size)

    @property
    def edge_count(self) -> int:
        return int(self.u.size)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """West, south, east, north of the nodes."""
        return (
            float(self.lon.min()),
            float(self.lat.min()),
            float(self.lon.max()),
            float(self.lat.max()),
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """The network as named arrays (what :meth:`from_arrays` takes back)."""
        return {name: getattr(self, name) for name in _ARRAY_TYPES}

    @classmethod
    def from_arrays(cls, arrays) -> RoadNetwork:
        """A network from named arrays, checked for shape and range."""
        missing = [name for name in _ARRAY_TYPES if name not in arrays]
        if missing:
            raise ValueError(f"road network arrays lack {', '.join(missing)}")
        values = {name: np.asarray(arrays[name], dtype=t) for name, t in _ARRAY_TYPES.items()}
        network = cls(**values)
        _check(network)
        return network


_ARRAY_TYPES = {
    "lon": np.float64,
    "lat": np.float64,
    "u": np.int64,
    "v": np.int64,
    "length_m": np.float64,
    "road_class": np.int8,
    "oneway": np.int8,
    "maxspeed_kmh": np.float32,
}


def _check(network: RoadNetwork) -> None:
    n = network.lon.size
    if network.lat.size != n:
        raise ValueError("road network: lon and lat differ in length")
    m = network.u.size
    for name in ("v", "length_m", "road_class", "oneway", "maxspeed_kmh"):
        if getattr(network, name).size != m:
            raise ValueError(f"road network: edge array {name} differs in length from u")
    if m and (
        min(network.u.min(), network.v.min()) < 0 or max(network.u.max(), network.v.max()) >= n
    ):
        raise ValueError("road network: an edge names a node that does not exist")
    if m and not np.all(network.length_m > 0):
        raise ValueError("road network: every edge length must be positive")


def network_from_polylines(
    lines: Sequence[np.ndarray],
    road_class: Sequence[str | None],
    oneway: Sequence[int],
    maxspeed_kmh: Sequence[float],
    *,
    max_edge_m: float | None = 100.0,
) -> RoadNetwork:
    """Build a network from polylines that share vertices where roads meet.

    Parameters
    ----------
    lines : sequence of numpy.ndarray
        One array of shape (n, 2) per road line, longitude and latitude in degrees WGS 84,
        in the direction the line was drawn.
    road_class : sequence of str or None
        The OpenStreetMap ``highway`` value of each line; None or a value not in
        :data:`ROAD_CLASSES` counts as "unknown".
    oneway : sequence of int
        0, 1 or -1 per line (see :class:`RoadNetwork`).
    maxspeed_kmh : sequence of float
        Mapped speed limit per line, NaN where none.
    max_edge_m : float or None, default 100
        Edges longer than this are split into equal parts by added nodes, so that a point
        snapped to its nearest node is never more than half of it from the road it is
        nearest to. None keeps the vertices as they are.

    Returns
    -------
    RoadNetwork
        Zero-length steps (a vertex repeated) are dropped.

    Examples
    --------
    Two lines meeting at (100.001, 14.0):

    >>> net = network_from_polylines(
    ...     [np.array([[100.0, 14.0], [100.001, 14.0]]),
    ...      np.array([[100.001, 14.0], [100.001, 14.001]])],
    ...     ["residential", "primary"], [0, 1], [float("nan"), 60.0], max_edge_m=None,
    ... )
    >>> net.node_count, net.edge_count, net.length_m.round(1).tolist()
    (3, 2, [108.0, 110.6])
    """
    count = len(lines)
    if not (len(road_class) == len(oneway) == len(maxspeed_kmh) == count):
        raise ValueError("lines, road_class, oneway and maxspeed_kmh differ in length")
    if count == 0:
        raise ValueError("no road lines")
    sizes = np.fromiter((len(line) for line in lines), dtype=np.int64, count=count)
    if np.any(sizes < 2):
        raise ValueError(f"road line {int(np.argmax(sizes < 2))} has fewer than two vertices")
    coords = np.concatenate([np.asarray(line, dtype=np.float64)[:, :2] for line in lines])
    if not np.all(np.isfinite(coords)):
        raise ValueError("road lines hold a coordinate that is not a finite number")
    if np.any(np.abs(coords[:, 0]) > 180) or np.any(np.abs(coords[:, 1]) > 90):
        raise ValueError("road lines hold coordinates outside longitude/latitude degrees")
    keys = np.round(coords * _COORD_SCALE).astype(np.int64)
    unique, node_of_vertex = np.unique(keys, axis=0, return_inverse=True)
    node_of_vertex = node_of_vertex.ravel()
    lon, lat = unique[:, 0] / _COORD_SCALE, unique[:, 1] / _COORD_SCALE
    # An edge from every vertex to the next one of the same line.
    line_of_vertex = np.repeat(np.arange(count), sizes)
    last = np.cumsum(sizes) - 1
    first_of_step = np.setdiff1d(np.arange(coords.shape[0]), last, assume_unique=True)
    u = node_of_vertex[first_of_step]
    v = node_of_vertex[first_of_step + 1]
    line = line_of_vertex[first_of_step]
    keep = u != v
    u, v, line = u[keep], v[keep], line[keep]
    codes = np.array([CLASS_CODE.get(c or "unknown", 0) for c in road_class], dtype=np.int8)
    network = _with_lengths(
        lon,
        lat,
        u,
        v,
        codes[line],
        np.asarray(oneway, dtype=np.int8)[line],
        np.asarray(maxspeed_kmh, dtype=np.float32)[line],
    )
    return split_long_edges(network, max_edge_m) if max_edge_m else network


def network_from_edges(lon, lat, u, v, length_m=None) -> RoadNetwork:
    """A two-way network of unknown road class from node coordinates and an edge list.

    ``length_m`` is taken as given when present (a derived graph's own lengths), else the
    geodesic between the end nodes. Self-loops are dropped.

    Examples
    --------
    >>> net = network_from_edges([100.0, 100.001], [14.0, 14.0], [0], [1])
    >>> net.edge_count, round(float(net.length_m[0]), 1)
    (1, 108.0)
    """
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    keep = u != v
    m = int(keep.sum())
    network = _with_lengths(
        lon,
        lat,
        u[keep],
        v[keep],
        np.zeros(m, dtype=np.int8),
        np.zeros(m, dtype=np.int8),
        np.full(m, np.nan, dtype=np.float32),
    )
    if length_m is not None:
        given = np.asarray(length_m, dtype=np.float64)[keep]
        usable = np.isfinite(given) & (given > 0)
        network = RoadNetwork.from_arrays(
            {**network.arrays(), "length_m": np.where(usable, given, network.length_m)}
        )
    return network


def _with_lengths(lon, lat, u, v, road_class, oneway, maxspeed) -> RoadNetwork:
    if u.size:
        _, _, length = _GEOD.inv(lon[u], lat[u], lon[v], lat[v])
        length = np.maximum(np.asarray(length, dtype=np.float64), 1e-3)
    else:
        length = np.empty(0, dtype=np.float64)
    return RoadNetwork.from_arrays(
        {
            "lon": lon,
            "lat": lat,
            "u": u,
            "v": v,
            "length_m": length,
            "road_class": road_class,
            "oneway": oneway,
            "maxspeed_kmh": maxspeed,
        }
    )


def split_long_edges(network: RoadNetwork, max_edge_m: float) -> RoadNetwork:
    """Split every edge longer than ``max_edge_m`` into equal parts joined by new nodes.

    New nodes lie on the straight line (in degrees) between the end nodes; each part keeps
    the edge's class, one-way rule and speed limit, and the parts' lengths add up to the
    edge's length.
    """
    if not max_edge_m > 0:
        raise ValueError(f"max_edge_m must be positive, got {max_edge_m!r}")
    pieces = np.maximum(np.ceil(network.length_m / max_edge_m).astype(np.int64), 1)
    long = np.flatnonzero(pieces > 1)
    if long.size == 0:
        return network
    n = network.node_count
    extra = pieces[long] - 1
    total_extra = int(extra.sum())
    # Fractions 1/p, 2/p, ... (p-1)/p along each long edge.
    owner = np.repeat(long, extra)
    step = np.arange(total_extra) - np.repeat(np.cumsum(extra) - extra, extra) + 1
    fraction = step / pieces[owner]
    u, v = network.u[owner], network.v[owner]
    new_lon = network.lon[u] + fraction * (network.lon[v] - network.lon[u])
    new_lat = network.lat[u] + fraction * (network.lat[v] - network.lat[u])
    # Chains: u -> new_1 -> ... -> new_(p-1) -> v for every long edge.
    first_new = np.repeat(n + np.cumsum(extra) - extra, pieces[long])
    k = np.arange(int(pieces[long].sum())) - np.repeat(
        np.cumsum(pieces[long]) - pieces[long], pieces[long]
    )
    p = np.repeat(pieces[long], pieces[long])
    edge = np.repeat(long, pieces[long])
    chain_u = np.where(k == 0, network.u[edge], first_new + k - 1)
    chain_v = np.where(k == p - 1, network.v[edge], first_new + k)
    short = np.flatnonzero(pieces == 1)
    return RoadNetwork.from_arrays(
        {
            "lon": np.concatenate([network.lon, new_lon]),
            "lat": np.concatenate([network.lat, new_lat]),
            "u": np.concatenate([network.u[short], chain_u]),
            "v": np.concatenate([network.v[short], chain_v]),
            "length_m": np.concatenate([network.length_m[short], network.length_m[edge] / p]),
            "road_class": np.concatenate([network.road_class[short], network.road_class[edge]]),
            "oneway": np.concatenate([network.oneway[short], network.oneway[edge]]),
            "maxspeed_kmh": np.concatenate(
                [network.maxspeed_kmh[short], network.maxspeed_kmh[edge]]
            ),
        }
    )
