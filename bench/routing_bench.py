"""Travel-time coverage at country scale against pgRouting and networkx.

    PYTHONPATH=. .venv/bin/python bench/routing_bench.py [--nodes 5000000] [--units 1000000]
        [--sites 15000] [--block-nodes 250000] [--postgis-server postgresql+psycopg://postgres@127.0.0.1]

No road network of all Thailand is at hand (the shared OSM extracts are city-sized), so the
network is SYNTHETIC, of Thailand's size: a jittered grid of ``--nodes`` nodes over the
country's extent (about 5 million; Thailand's OSM drivable graph is of that order), each node
joined to its east and north neighbours with probability ``--keep`` (0.6: a mean degree of
2.4, as road graphs have, where most nodes are points along a road; the grid stays one giant
component), road classes drawn from a realistic mix (mostly residential/unclassified, some
tertiary to trunk), 5 % of edges one-way, a few maxspeeds.

1. Ours (geo.routing): build the motorcycle graph, snap ``--units`` population units and
   ``--sites`` sites, one multi-source Dijkstra; each unit's travel time to its nearest site.
2. The same computation on a block of the graph (``--block-nodes``, the south-west corner)
   by ours, by networkx (``multi_source_dijkstra_path_length`` from the site nodes on the
   reversed graph) and by pgRouting on PostGIS (``pgr_drivingDistance`` from all site nodes
   with ``equicost``: each node's cost to its nearest start), checked equal to ours, and
   the slow ones extrapolated to the whole graph by (nodes + edges) log nodes.

Numbers on a shared, busy 2-core machine are noisy: read the ratios of one run.
"""

from __future__ import annotations

import argparse
import io
import math
import time

import numpy as np

from geo.routing import DEFAULT_PROFILES, RoadNetwork, TravelGraph
from geo.routing.network import CLASS_CODE

THAILAND = (97.35, 5.62, 105.64, 20.46)
MIX = {
    "residential": 0.45,
    "unclassified": 0.25,
    "service": 0.08,
    "tertiary": 0.1,
    "secondary": 0.06,
    "primary": 0.04,
    "trunk": 0.02,
}


def synthetic_network(nodes: int, rng, keep: float = 0.6) -> tuple[RoadNetwork, int, int]:
    """A jittered grid of about ``nodes`` nodes over Thailand's extent."""
    west, south, east, north = THAILAND
    side = int(math.sqrt(nodes))
    cols, rows = side, side
    step_x, step_y = (east - west) / cols, (north - south) / rows
    col, row = np.meshgrid(np.arange(cols), np.arange(rows))
    lon = west + (col.ravel() + rng.uniform(-0.3, 0.3, cols * rows)) * step_x
    lat = south + (row.ravel() + rng.uniform(-0.3, 0.3, cols * rows)) * step_y
    ids = np.arange(cols * rows).reshape(rows, cols)
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    kept = rng.random(u.size) < keep
    u, v = u[kept], v[kept]
    m = u.size
    classes = rng.choice(
        [CLASS_CODE[c] for c in MIX], size=m, p=np.array(list(MIX.values()))
    ).astype(np.int8)
    oneway = np.where(rng.random(m) < 0.05, 1, 0).astype(np.int8)
    maxspeed = np.where(rng.random(m) < 0.03, 60.0, np.nan).astype(np.float32)
    from pyproj import Geod

    length = Geod(ellps="WGS84").inv(lon[u], lat[u], lon[v], lat[v])[2]
    network = RoadNetwork.from_arrays(
        {
            "lon": lon,
            "lat": lat,
            "u": u,
            "v": v,
            "length_m": np.maximum(length, 1.0),
            "road_class": classes,
            "oneway": oneway,
            "maxspeed_kmh": maxspeed,
        }
    )
    return network, cols, rows


def block(network: RoadNetwork, cols: int, nodes: int) -> RoadNetwork:
    """The south-west square block of about ``nodes`` nodes, renumbered."""
    side = int(math.sqrt(nodes))
    index = np.arange(network.node_count)
    keep = (index % cols < side) & (index // cols < side)
    new = np.full(network.node_count, -1)
    new[keep] = np.arange(int(keep.sum()))
    edges = keep[network.u] & keep[network.v]
    arrays = network.arrays()
    sub = {name: arrays[name][keep] for name in ("lon", "lat")}
    for name in ("length_m", "road_class", "oneway", "maxspeed_kmh"):
        sub[name] = arrays[name][edges]
    sub["u"], sub["v"] = new[network.u[edges]], new[network.v[edges]]
    return RoadNetwork.from_arrays(sub)


def points_in(network: RoadNetwork, count: int, rng) -> tuple[np.ndarray, np.ndarray]:
    west, south, east, north = network.bounds
    return rng.uniform(west, east, count), rng.uniform(south, north, count)


def ours(network: RoadNetwork, units, sites) -> tuple[np.ndarray, dict]:
    timings = {}
    start, cpu = time.perf_counter(), time.process_time()
    graph = TravelGraph(network, DEFAULT_PROFILES["motorcycle"])
    timings["graph_build_s"] = time.perf_counter() - start
    timings["graph_build_cpu_s"] = time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    seconds = graph.times_to_nearest_site(units[0], units[1], sites[0], sites[1])
    timings["coverage_s"] = time.perf_counter() - start
    timings["coverage_cpu_s"] = time.process_time() - cpu
    return seconds, timings | {"graph": graph}


def networkx_node_times(graph: TravelGraph, sites) -> tuple[np.ndarray, float]:
    import networkx as nx

    snap = graph.snap(*sites)
    reverse = graph.reverse.tocoo()
    directed = nx.DiGraph()
    directed.add_weighted_edges_from(
        zip(reverse.row.tolist(), reverse.col.tolist(), reverse.data.tolist(), strict=True)
    )
    # A virtual source joined to every site node by its access time, as ours does.
    source = graph.network.node_count
    best = {}
    for node, access in zip(snap.node.tolist(), snap.access_s.tolist(), strict=True):
        best[node] = min(best.get(node, math.inf), access)
    directed.add_weighted_edges_from((source, node, access) for node, access in best.items())
    start, cpu = time.perf_counter(), time.process_time()
    lengths = nx.single_source_dijkstra_path_length(directed, source)
    elapsed = time.perf_counter() - start
    print(f"  (networkx CPU {time.process_time() - cpu:.2f} s)")
    times = np.full(graph.network.node_count, np.inf)
    for node, value in lengths.items():
        if node != source:
            times[node] = value
    return times, elapsed


def pgrouting_node_times(graph: TravelGraph, sites, server: str) -> tuple[np.ndarray, float]:
    import psycopg

    from registry.db import recreate_postgis_database

    url = recreate_postgis_database(server, "bench_routing")
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    snap = graph.snap(*sites)
    reverse = graph.reverse.tocoo()
    n = graph.network.node_count
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgrouting CASCADE")
        conn.execute("CREATE TABLE edges (id bigserial, source bigint, target bigint, cost float8)")
        buffer = io.StringIO()
        # Node ids from 1 (0 is not a valid vertex id); the virtual source is n + 1.
        for a, b, c in zip(
            (reverse.row + 1).tolist(),
            (reverse.col + 1).tolist(),
            reverse.data.tolist(),
            strict=True,
        ):
            buffer.write(f"{a}\t{b}\t{c!r}\n")
        best = {}
        for node, access in zip(snap.node.tolist(), snap.access_s.tolist(), strict=True):
            best[node] = min(best.get(node, math.inf), access)
        for node, access in best.items():
            buffer.write(f"{n + 1}\t{node + 1}\t{access!r}\n")
        with conn.cursor().copy("COPY edges (source, target, cost) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        conn.execute("ANALYZE edges")
        start = time.perf_counter()
        rows = conn.execute(
            "SELECT node, agg_cost FROM pgr_drivingDistance("
            "'SELECT id, source, target, cost FROM edges', %s, 1e12, directed => true)",
            (n + 1,),
        ).fetchall()
        elapsed = time.perf_counter() - start
    times = np.full(n, np.inf)
    for node, cost in rows:
        if node != n + 1:
            times[node - 1] = cost
    return times, elapsed


def scale(measured_s: float, small: TravelGraph, big: TravelGraph) -> float:
    """Extrapolate a Dijkstra's time by (nodes + edges) log nodes."""

    def work(graph: TravelGraph) -> float:
        n = graph.network.node_count
        return (n + graph.edge_count) * math.log(n)

    return measured_s * work(big) / work(small)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=5_000_000)
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=15_000)
    parser.add_argument("--block-nodes", type=int, default=250_000)
    parser.add_argument("--keep", type=float, default=0.6, help="share of grid edges kept")
    parser.add_argument("--postgis-server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--skip-pgrouting", action="store_true")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(17)

    start = time.perf_counter()
    network, cols, _ = synthetic_network(args.nodes, rng, args.keep)
    print(
        f"synthetic network: {network.node_count:,} nodes, {network.edge_count:,} edges "
        f"({time.perf_counter() - start:.1f} s to generate)"
    )
    units, sites = points_in(network, args.units, rng), points_in(network, args.sites, rng)
    seconds, timings = ours(network, units, sites)
    big = timings.pop("graph")
    total = timings["graph_build_s"] + timings["coverage_s"]
    print(
        f"ours, whole graph: graph build {timings['graph_build_s']:.1f} s "
        f"(CPU {timings['graph_build_cpu_s']:.1f} s, once per process), coverage of "
        f"{args.units:,} units vs {args.sites:,} sites {timings['coverage_s']:.1f} s "
        f"(CPU {timings['coverage_cpu_s']:.1f} s; total {total:.1f} s); "
        f"median {np.median(seconds[np.isfinite(seconds)]) / 60:.1f} min, "
        f"{np.isinf(seconds).mean():.2%} of units reach no site"
    )

    small_net = block(network, cols, args.block_nodes)
    share = small_net.node_count / network.node_count
    small_sites = points_in(small_net, max(int(args.sites * share), 10), rng)
    small_units = points_in(small_net, max(int(args.units * share), 10), rng)
    _, small_timings = ours(small_net, small_units, small_sites)
    small = small_timings.pop("graph")
    ours_nodes = small.node_times_to_sites(*small_sites)
    start, cpu = time.perf_counter(), time.process_time()
    small.node_times_to_sites(*small_sites)
    ours_pass = time.perf_counter() - start
    print(f"  (ours one pass CPU {time.process_time() - cpu:.2f} s)")
    print(
        f"block: {small_net.node_count:,} nodes, {small.edge_count:,} directed edges, "
        f"{small_sites[0].size} sites; ours one pass {ours_pass:.3f} s"
    )
    nx_nodes, nx_s = networkx_node_times(small, small_sites)
    assert np.allclose(nx_nodes, ours_nodes, rtol=1e-9, atol=1e-6, equal_nan=True)
    nx_full = scale(nx_s, small, big)
    print(
        f"networkx one pass on the block {nx_s:.2f} s ({nx_s / ours_pass:.0f}x ours); "
        f"extrapolated to the whole graph ~{nx_full:.0f} s (same answers)"
    )
    if not args.skip_pgrouting:
        pg_nodes, pg_s = pgrouting_node_times(small, small_sites, args.postgis_server)
        reached = np.isfinite(ours_nodes)
        assert np.allclose(pg_nodes[reached], ours_nodes[reached], rtol=1e-6, atol=1e-3)
        pg_full = scale(pg_s, small, big)
        print(
            f"pgRouting pgr_drivingDistance from a virtual source on the block {pg_s:.2f} s "
            f"({pg_s / ours_pass:.0f}x ours); extrapolated to the whole graph ~{pg_full:.0f} s "
            "(same answers)"
        )


if __name__ == "__main__":
    main()
