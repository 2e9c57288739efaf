"""The nearest item for many points at once: the search behind coverage analysis.

Each point fetches its two chord-nearest candidates from the KD-tree and computes one
geodesic; the first candidate is proved nearest when that geodesic is strictly below the
second candidate's chord. Only the points failing the proof (near-ties) are queried again,
with more candidates each round. Points go ``chunk_size`` at a time, split over threads.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from geo.cpus import thread_count
from geo.nearest.geometry import GEOD, ecef, proved_below
from geo.nearest.searchable import Searchable

# First candidate count for batch points whose two-candidate check failed (duplicates or
# near-ties); grows fourfold per round.
_BATCH_RETRY_FETCH = 8


def nearest_of_points(
    items: tuple[np.ndarray, np.ndarray, np.ndarray],
    searchable: Searchable,
    lon: np.ndarray,
    lat: np.ndarray,
    chunk_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Index position of each point's nearest item, and the geodesic distance to it.

    ``items`` are the index's ids, longitudes and latitudes; ``searchable`` the KD-tree over
    the eligible items, one per location. :meth:`NearestIndex.nearest_distances` checks the
    inputs and documents the rule.
    """
    positions = np.empty(lon.size, dtype=np.int64)
    distance = np.empty(lon.size, dtype=np.float64)
    # Threading only pays once each thread gets a few thousand points.
    workers = min(thread_count(), max(1, lon.size // 10_000))
    if workers == 1:
        for start in range(0, lon.size, chunk_size):
            part = slice(start, min(start + chunk_size, lon.size))
            _nearest_block(items, searchable, lon[part], lat[part], positions[part], distance[part])
        return positions, distance

    # KD-tree queries and Geod.inv both release the GIL, so threads share the cores;
    # each thread writes a disjoint slice of the outputs, and at most chunk_size points
    # are in flight at once.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for start in range(0, lon.size, chunk_size):
            stop = min(start + chunk_size, lon.size)
            edges = np.linspace(start, stop, workers + 1).astype(np.int64)
            jobs = [
                pool.submit(
                    _nearest_block,
                    items,
                    searchable,
                    lon[a:b],
                    lat[a:b],
                    positions[a:b],
                    distance[a:b],
                )
                for a, b in itertools.pairwise(edges)
                if b > a
            ]
            for job in jobs:
                job.result()
    return positions, distance


def _nearest_block(
    items: tuple[np.ndarray, np.ndarray, np.ndarray],
    searchable: Searchable,
    lon: np.ndarray,
    lat: np.ndarray,
    out_positions: np.ndarray,
    out_distance: np.ndarray,
) -> None:
    _, item_lon, item_lat = items
    tree = searchable.tree
    xyz = ecef(lon, lat)
    if tree.n == 1:
        out_positions[:] = searchable.positions[0]
        out_distance[:] = GEOD.inv(
            lon,
            lat,
            np.full(lon.size, item_lon[out_positions[0]]),
            np.full(lon.size, item_lat[out_positions[0]]),
        )[2]
        return

    chord, found = tree.query(xyz, k=2)
    first = searchable.positions[found[:, 0]]
    distance = GEOD.inv(lon, lat, item_lon[first], item_lat[first])[2]
    # Every other item's geodesic is at least the second candidate's chord.
    proved = distance < proved_below(chord[:, 1])
    out_positions[proved] = first[proved]
    out_distance[proved] = distance[proved]
    retry = np.flatnonzero(~proved)
    if retry.size:
        positions, distances = _nearest_by_rounds(
            items, searchable, xyz[retry], lon[retry], lat[retry]
        )
        out_positions[retry] = positions
        out_distance[retry] = distances


def _nearest_by_rounds(
    items: tuple[np.ndarray, np.ndarray, np.ndarray],
    searchable: Searchable,
    xyz: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The points whose two candidates proved nothing, with more candidates each round."""
    ids, item_lon, item_lat = items
    tree = searchable.tree
    out_positions = np.empty(lon.size, dtype=np.int64)
    out_distance = np.empty(lon.size, dtype=np.float64)
    todo = np.arange(lon.size)
    fetch = _BATCH_RETRY_FETCH
    while todo.size:
        fetch = min(fetch, tree.n)
        everything = fetch == tree.n
        chord, found = tree.query(xyz[todo], k=fetch)
        chord = chord.reshape(todo.size, fetch)
        found = found.reshape(todo.size, fetch)
        if not everything:
            bound = chord[:, -1]
            found = found[:, :-1]
        positions = searchable.positions[found]
        per_point = positions.shape[1]
        distance = GEOD.inv(
            np.repeat(lon[todo], per_point),
            np.repeat(lat[todo], per_point),
            item_lon[positions].ravel(),
            item_lat[positions].ravel(),
        )[2].reshape(positions.shape)
        best_distance = distance.min(axis=1)
        tied_ids = np.where(
            distance == best_distance[:, None],
            ids[positions],
            np.iinfo(np.int64).max,
        )
        best = positions[np.arange(todo.size), tied_ids.argmin(axis=1)]
        proved = (
            np.ones(todo.size, dtype=bool) if everything else best_distance < proved_below(bound)
        )
        out_positions[todo[proved]] = best[proved]
        out_distance[todo[proved]] = best_distance[proved]
        todo = todo[~proved]
        fetch *= 4
    return out_positions, out_distance
