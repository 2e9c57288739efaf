"""Travel times on a road network: one profile's weighted graph, snapping, shortest paths.

How a trip is counted
---------------------
A trip from a point A (a home, a population unit) to a site B is::

    access(A) + network time(node(A) -> node(B)) + access(B)

``node(P)`` is the node nearest to P (by the straight line through the Earth between WGS 84
positions, which orders points as the geodesic does up to sub-millimetre ties) among the
nodes where the profile can both arrive and leave, in a strongly connected part of the
network of at least ``MIN_COMPONENT_NODES`` nodes (smaller pieces are mostly artefacts that
would trap a trip, such as a parking aisle cut off at the extract's edge; on a network with
no part that large, the largest part counts). ``access(P)`` is the WGS 84
geodesic from P to that node, covered at the profile's ``access_speed_kmh`` (walking, 5 km/h:
off-road travel on foot, as AccessMod counts it). Networks are built with nodes at most 100 m
apart along every road (:func:`geo.routing.network.split_long_edges`), so the nearest node is
never more than 50 m along the road from the nearest point of that road. The network time is
the exact shortest path (Dijkstra) over the profile's directed graph: an edge's time is its
length over the profile's speed on it, one-way edges only in their direction for vehicles.

Ties
----
Sites with equal travel time (to the last bit of the float) rank by their id, lower first.
A site that cannot be reached (another component of the network, a one-way trap) has an
infinite time and is never an answer.

Work
----
Coverage is one multi-source Dijkstra per question, on the reversed graph from all eligible
sites at once (a virtual source joined to every site's node by an edge of that site's access
time): it gives every node its time to the nearest site, and a unit's time is its access plus
its node's time. A resident's question is one single-source Dijkstra from their node on the
forward graph, bounded at 10 minutes and widened fourfold until k sites lie within the bound
(which proves them the k fastest); route lengths follow the predecessors of the k answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from pyproj import Geod
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from geo.nearest import ecef
from geo.routing.network import ONEWAY_BACKWARD, ONEWAY_FORWARD, RoadNetwork
from geo.routing.profiles import Profile

_GEOD = Geod(ellps="WGS84")
MIN_COMPONENT_NODES = 50
# A resident's search first looks this far (seconds), then four times farther, and so on.
FIRST_BOUND_S = 600.0
MAX_BOUND_S = 4 * 3600.0


@dataclass(frozen=True, eq=False)
class Snap:
    """Points joined to the network: node, straight-line distance and time to reach it."""

    node: np.ndarray  # int64
    access_m: np.ndarray  # float64, geodesic metres
    access_s: np.ndarray  # float64, seconds at the access speed


@dataclass(frozen=True, eq=False)
class NearestByTime:
    """One origin's k nearest sites by travel time, fastest first."""

    positions: np.ndarray  # positions in the site arrays given
    travel_time_s: np.ndarray
    route_m: np.ndarray  # access + network path + access, metres
    straight_m: np.ndarray  # geodesic origin -> site
    origin_access_m: float


class TravelGraph:
    """One profile's directed, time-weighted graph over a :class:`RoadNetwork`.

    Parameters
    ----------
    network : RoadNetwork
    profile : Profile

    Examples
    --------
    A 3-node line, 100 m apart, a motorcycle at 36 km/h (10 m/s) on "unknown" roads:

    >>> from geo.routing.network import network_from_edges
    >>> from geo.routing.profiles import Profile
    >>> net = network_from_edges([100.0, 100.001, 100.002], [14.0] * 3, [0, 1], [1, 2],
    ...                          [100.0, 100.0])
    >>> graph = TravelGraph(net, Profile("m", {"unknown": 36.0}))
    >>> hit = graph.nearest_sites(100.0, 14.0, [100.002], [14.0], [7], k=1)
    >>> float(hit.travel_time_s[0]), float(hit.route_m[0])
    (20.0, 200.0)
    """

    def __init__(self, network: RoadNetwork, profile: Profile) -> None:
        self.network = network
        self.profile = profile
        n = network.node_count
        speed = profile.edge_speeds(network)
        usable = speed > 0
        time = np.divide(network.length_m, speed, out=np.full(speed.shape, np.inf), where=usable)
        oneway = network.oneway if profile.obeys_oneway else np.zeros_like(network.oneway)
        ahead = usable & (oneway != ONEWAY_BACKWARD)
        back = usable & (oneway != ONEWAY_FORWARD)
        tail = np.concatenate([network.u[ahead], network.v[back]])
        head = np.concatenate([network.v[ahead], network.u[back]])
        weight = np.concatenate([time[ahead], time[back]])
        length = np.concatenate([network.length_m[ahead], network.length_m[back]])
        # Parallel edges: keep the fastest (a CSR matrix would add them up).
        keep = _fastest_of_parallel(tail * np.int64(n) + head, weight)
        tail, head, weight, length = tail[keep], head[keep], weight[keep], length[keep]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(tail, minlength=n), out=indptr[1:])
        self.forward = sp.csr_matrix((weight, head.astype(np.int32), indptr), shape=(n, n))
        self.lengths = sp.csr_matrix((length, head.astype(np.int32), indptr), shape=(n, n))
        self.reverse = self.forward.T.tocsr()
        # Edge keys tail * n + head in CSR order, ascending (tails sorted, then heads).
        self._edge_keys = tail * np.int64(n) + head
        self.edge_count = int(tail.size)
        # Nodes where a trip can both start and end: those of strongly connected components
        # of at least MIN_COMPONENT_NODES nodes (or the largest one, on a smaller network).
        # Smaller islands are mostly artefacts (a parking aisle cut off at the extract's edge,
        # a one-way spur) that would trap a trip; real islands hold more nodes than that.
        count, label = connected_components(self.forward, directed=True, connection="strong")
        sizes = np.bincount(label, minlength=count)
        has_edge = (np.bincount(tail, minlength=n) > 0) & (np.bincount(head, minlength=n) > 0)
        enough = min(MIN_COMPONENT_NODES, int(sizes[label[has_edge]].max(initial=0)))
        self.snap_nodes = np.flatnonzero(has_edge & (sizes[label] >= max(enough, 2)))
        if self.snap_nodes.size == 0:
            raise ValueError(f"no road of the network can be used by profile {profile.name!r}")
        # An unbalanced tree builds several times faster on millions of nodes; queries stay
        # exact.
        self._tree = cKDTree(
            ecef(network.lon[self.snap_nodes], network.lat[self.snap_nodes]),
            balanced_tree=False,
            compact_nodes=False,
        )
        self._access_speed = profile.access_speed_kmh / 3.6

    # -- joining points to the network ---------------------------------------------------

    def snap(self, lon, lat) -> Snap:
        """The node each point joins the network at, with the distance and time to it."""
        lon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        lat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        if lon.size == 0:
            empty = np.empty(0)
            return Snap(np.empty(0, dtype=np.int64), empty, empty)
        _, at = self._tree.query(ecef(lon, lat))
        node = self.snap_nodes[at]
        _, _, metres = _GEOD.inv(lon, lat, self.network.lon[node], self.network.lat[node])
        metres = np.asarray(metres, dtype=np.float64)
        return Snap(node.astype(np.int64), metres, metres / self._access_speed)

    # -- many points, many sites: one pass -----------------------------------------------

    def node_times_to_sites(self, site_lon, site_lat) -> np.ndarray:
        """Every node's travel time (s) to its nearest site, including the site's access.

        One multi-source Dijkstra on the reversed graph; ``inf`` where no site is reachable.
        """
        n = self.network.node_count
        site = self.snap(site_lon, site_lat)
        if site.node.size == 0:
            return np.full(n, np.inf)
        # Several sites on one node: the one with the shortest access.
        best = np.full(n, np.inf)
        np.minimum.at(best, site.node, site.access_s)
        nodes = np.flatnonzero(np.isfinite(best))
        # A virtual source (row n) joined to every site node by its access time. CSR keeps
        # explicit zeros as edges, so a site exactly on a node costs nothing extra.
        reverse = self.reverse
        indptr = np.concatenate([reverse.indptr, [reverse.indptr[-1] + nodes.size]])
        indices = np.concatenate([reverse.indices, nodes.astype(reverse.indices.dtype)])
        data = np.concatenate([reverse.data, best[nodes]])
        augmented = sp.csr_matrix((data, indices, indptr), shape=(n + 1, n + 1))
        return dijkstra(augmented, directed=True, indices=n)[:n]

    def times_to_nearest_site(self, lon, lat, site_lon, site_lat) -> np.ndarray:
        """Each point's travel time (s) to its nearest site: access + node's time to a site."""
        node_time = self.node_times_to_sites(site_lon, site_lat)
        point = self.snap(lon, lat)
        return point.access_s + node_time[point.node]

    # -- one origin, its k nearest sites -------------------------------------------------

    def nearest_sites(self, lon: float, lat: float, site_lon, site_lat, site_ids, k: int):
        """The k sites fastest to reach from (lon, lat); ties by lower site id."""
        site_lon = np.asarray(site_lon, dtype=np.float64)
        site_lat = np.asarray(site_lat, dtype=np.float64)
        site_ids = np.asarray(site_ids)
        origin = self.snap([lon], [lat])
        start = int(origin.node[0])
        if site_lon.size == 0:
            empty = np.empty(0)
            return NearestByTime(np.empty(0, dtype=np.int64), empty, empty, empty, 0.0)
        site = self.snap(site_lon, site_lat)
        # A search bounded in time, widened fourfold until it holds k sites: every site
        # within the bound is found with its exact time and every other one is slower, so
        # the k fastest found are the k fastest of all (the last round is unbounded).
        bound = FIRST_BOUND_S
        while True:
            network_limit = bound - origin.access_s[0] if np.isfinite(bound) else np.inf
            distance, predecessor = dijkstra(
                self.forward,
                directed=True,
                indices=start,
                return_predecessors=True,
                limit=max(network_limit, 0.0),
            )
            time = origin.access_s[0] + distance[site.node] + site.access_s
            reachable = np.flatnonzero(np.isfinite(time) & (time <= bound))
            if reachable.size >= min(k, site_lon.size) or not np.isfinite(bound):
                break
            bound = bound * 4 if bound < MAX_BOUND_S else np.inf
        order = reachable[np.lexsort((site_ids[reachable], time[reachable]))][:k]
        route = np.array(
            [
                origin.access_m[0]
                + self._path_length(predecessor, start, int(site.node[i]))
                + site.access_m[i]
                for i in order
            ],
            dtype=np.float64,
        )
        _, _, straight = _GEOD.inv(
            np.full(order.size, lon), np.full(order.size, lat), site_lon[order], site_lat[order]
        )
        return NearestByTime(
            order.astype(np.int64),
            time[order],
            route,
            np.asarray(straight, dtype=np.float64),
            float(origin.access_m[0]),
        )

    def _path_length(self, predecessor: np.ndarray, start: int, end: int) -> float:
        """Length (m) of the path the predecessors give from start to end."""
        nodes = [end]
        while nodes[-1] != start:
            nodes.append(int(predecessor[nodes[-1]]))
        if len(nodes) == 1:
            return 0.0
        path = np.array(nodes[::-1], dtype=np.int64)
        # Each step's edge by its (tail, head) key in the CSR order (rows, then sorted columns).
        keys = path[:-1] * np.int64(self.network.node_count) + path[1:]
        return float(self.lengths.data[np.searchsorted(self._edge_keys, keys)].sum())


def _fastest_of_parallel(pair: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Positions of one edge per (tail, head) pair, the fastest, sorted by pair.

    One sort by pair; only the few pairs drawn twice (parallel ways) are sorted by time too,
    which is many times faster than ``np.lexsort`` over millions of edges.
    """
    order = np.argsort(pair)
    sorted_pair = pair[order]
    first = np.ones(pair.size, dtype=bool)
    first[1:] = sorted_pair[1:] != sorted_pair[:-1]
    starts = np.flatnonzero(first)
    sizes = np.diff(np.append(starts, pair.size))
    repeated = np.flatnonzero(sizes > 1)
    if repeated.size:
        counts = sizes[repeated]
        offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        members = np.repeat(starts[repeated], counts) + offsets
        ranked = members[np.lexsort((weight[order[members]], sorted_pair[members]))]
        group_first = np.concatenate(([0], np.cumsum(counts)[:-1]))
        order[starts[repeated]] = order[ranked[group_first]]
    return order[starts]
