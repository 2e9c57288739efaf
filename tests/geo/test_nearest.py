"""Tests for geo.nearest: exact k-nearest facilities by WGS 84 geodesic distance.

Every expected answer comes from ranking items by ``pyproj.Geod(ellps="WGS84").inv`` distance
(query point first, the convention the index documents) and then by id, computed here without
any KD-tree.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod, Transformer
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from geo.nearest import NearestIndex, NearestList, NearestResult, merge_nearest

GEOD = Geod(ellps="WGS84")
# Geocentric coordinates from PROJ, independent of the index's own ECEF formula.
TO_ECEF = Transformer.from_crs("EPSG:4326", "EPSG:4978", always_xy=True)
TO_UTM47 = Transformer.from_crs("EPSG:4326", "EPSG:32647", always_xy=True)

DATA = Path("/work/shared/data/facilities")
FACILITY_FILES = ("moph_hospitals_geojson_health.geojson", "moph_clinics_geojson_clinic.geojson")
LON_RANGE = (97.0, 106.0)
LAT_RANGE = (5.0, 21.0)


# -- reference computations ---------------------------------------------------------------------


def geodesic(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geod.inv distances for paired arrays, on two threads (Geod releases the GIL)."""
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (lon1, lat1, lon2, lat2))
    )
    if lon1.size < 20_000:
        return GEOD.inv(lon1.ravel(), lat1.ravel(), lon2.ravel(), lat2.ravel())[2].reshape(
            lon1.shape
        )
    flat = [a.ravel() for a in (lon1, lat1, lon2, lat2)]
    half = flat[0].size // 2
    with ThreadPoolExecutor(2) as pool:
        parts = pool.map(
            lambda part: GEOD.inv(*(a[part] for a in flat))[2],
            (slice(0, half), slice(half, None)),
        )
        return np.concatenate(list(parts)).reshape(lon1.shape)


def ecef(lon, lat) -> np.ndarray:
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    x, y, z = TO_ECEF.transform(lon, lat, np.zeros_like(lon))
    return np.column_stack([x, y, z])


def brute_force(qlon, qlat, ids, lon, lat, k, block=200):
    """Rank ALL items for every query by (geodesic distance, id); (positions, distances)."""
    qlon = np.atleast_1d(qlon)
    qlat = np.atleast_1d(qlat)
    k = min(k, len(ids))
    positions = np.empty((qlon.size, k), dtype=np.int64)
    distances = np.empty((qlon.size, k))
    for start in range(0, qlon.size, block):
        rows = slice(start, start + block)
        dist = geodesic(qlon[rows, None], qlat[rows, None], lon[None, :], lat[None, :])
        order = np.lexsort((np.broadcast_to(ids, dist.shape), dist), axis=-1)[:, :k]
        positions[rows] = order
        distances[rows] = np.take_along_axis(dist, order, axis=1)
    return positions, distances


def screened_brute_force(qlon, qlat, ids, lon, lat, k, block=500):
    """Same answer as brute_force, for many queries, with geodesics only where they can matter.

    The straight-line distance between ECEF points (PROJ's, computed here over all items with
    scipy's cdist) never exceeds the geodesic. Geodesics are computed for every item whose
    chord is within ``limit`` = 1.001 x the k-th smallest chord + 1 m; if the k-th best
    geodesic among them is within ``limit``, every item left out is farther. That condition
    is asserted, so a wrong screen fails loudly instead of passing silently.
    """
    item_xyz = ecef(lon, lat)
    query_xyz = ecef(qlon, qlat)
    positions = np.empty((qlon.size, k), dtype=np.int64)
    distances = np.empty((qlon.size, k))
    for start in range(0, qlon.size, block):
        stop = min(start + block, qlon.size)
        chord = cdist(query_xyz[start:stop], item_xyz)
        kth = chord.min(axis=1) if k == 1 else np.partition(chord, k - 1, axis=1)[:, k - 1]
        limit = kth * 1.001 + 1.0
        rows, cols = np.nonzero(chord <= limit[:, None])
        dist = geodesic(qlon[start:stop][rows], qlat[start:stop][rows], lon[cols], lat[cols])
        order = np.lexsort((ids[cols], dist, rows))
        rows, cols, dist = rows[order], cols[order], dist[order]
        rank = np.arange(rows.size) - np.searchsorted(rows, rows)
        keep = rank < k
        positions[start:stop] = cols[keep].reshape(-1, k)
        distances[start:stop] = dist[keep].reshape(-1, k)
        assert np.all(distances[start:stop, -1] <= limit), "reference screen too narrow"
    return positions, distances


# -- tiny hand-made cases -----------------------------------------------------------------------


def test_points_on_a_meridian_come_back_in_order():
    index = NearestIndex([30, 10, 20], [100.0, 100.0, 100.0], [13.0, 13.1, 13.3])

    from_south = index.query(100.0, 12.9, k=3)
    from_north = index.query(100.0, 13.5, k=3)

    assert from_south.ids.tolist() == [30, 10, 20]
    assert from_south.positions.tolist() == [0, 1, 2]
    np.testing.assert_allclose(from_south.bearing_deg, 0.0, atol=1e-9)
    assert from_north.ids.tolist() == [20, 10, 30]
    np.testing.assert_allclose(from_north.bearing_deg, 180.0, atol=1e-9)
    expected = geodesic(100.0, 12.9, [100.0] * 3, [13.0, 13.1, 13.3])
    np.testing.assert_allclose(from_south.distance_m, expected, rtol=0, atol=1e-9)
    # 0.1 degree of latitude near 13 N is about 11.06 km.
    assert 11_000 < from_south.distance_m[1] - from_south.distance_m[0] < 11_100


@pytest.mark.parametrize(("east_id", "west_id"), [(7, 3), (3, 7)])
def test_tie_at_equal_distance_goes_to_the_smaller_id(east_id, west_id):
    # Mirrored across the query's meridian; 0.5 is exact in binary, so the distances are equal.
    lon = [100.5, 99.5, 100.0]
    lat = [13.0, 13.0, 14.0]
    d = geodesic(100.0, 13.0, lon[:2], lat[:2])
    assert d[0] == d[1], "precondition: the two points must be at exactly equal distance"
    index = NearestIndex([east_id, west_id, 99], lon, lat)

    result = index.query(100.0, 13.0, k=2)
    positions, distance = index.nearest_distances([100.0], [13.0])

    assert result.ids.tolist() == [3, 7]
    assert result.distance_m[0] == result.distance_m[1] == d[0]
    assert index.ids[positions[0]] == 3
    assert distance[0] == d[0]


def test_items_at_one_location_are_ordered_by_id():
    index = NearestIndex([9, 2, 5, 1], [100.2, 100.2, 100.2, 100.3], [13.4, 13.4, 13.4, 13.4])

    result = index.query(100.21, 13.4, k=4)
    positions, _ = index.nearest_distances(np.full(5, 100.21), np.full(5, 13.4))

    assert result.ids.tolist() == [2, 5, 9, 1]
    assert index.ids[positions].tolist() == [2] * 5
    only_shared = np.array([True, True, True, False])
    positions, distance = index.nearest_distances([100.3, 100.0], [13.4, 13.4], mask=only_shared)
    assert index.ids[positions].tolist() == [2, 2]
    np.testing.assert_array_equal(distance, geodesic([100.3, 100.0], 13.4, 100.2, 13.4))


def test_mask_leaves_out_ineligible_items():
    index = NearestIndex([1, 2, 3, 4], [100.0, 100.1, 100.2, 100.3], [13.0, 13.0, 13.0, 13.0])
    mask = np.array([False, True, False, True])

    result = index.query(100.0, 13.0, k=2, mask=mask)
    positions, distance = index.nearest_distances([100.0, 100.29], [13.0, 13.0], mask=mask)

    assert result.ids.tolist() == [2, 4]
    assert result.positions.tolist() == [1, 3]
    np.testing.assert_allclose(result.bearing_deg, 90.0, atol=0.1)
    assert positions.tolist() == [1, 3]
    assert distance[0] == result.distance_m[0]


def test_k_larger_than_the_eligible_count_returns_all_eligible():
    index = NearestIndex([1, 2, 3, 4, 5], [100.0, 100.1, 100.2, 100.3, 100.4], [13.0] * 5)

    masked = index.query(100.35, 13.0, k=10, mask=np.array([True, False, True, True, False]))
    unmasked = index.query(100.35, 13.0, k=10)

    assert masked.ids.tolist() == [4, 3, 1]
    assert unmasked.ids.tolist() == [4, 5, 3, 2, 1]


def test_nothing_eligible_gives_an_empty_answer():
    index = NearestIndex([1, 2], [100.0, 100.1], [13.0, 13.0])

    result = index.query(100.0, 13.0, k=3, mask=np.zeros(2, dtype=bool), max_distance_m=10.0)

    assert len(result) == 0
    assert result.widened is False
    assert result.distance_m.dtype == np.float64
    with pytest.raises(ValueError, match="the mask selects no item"):
        index.nearest_distances([100.0], [13.0], mask=np.zeros(2, dtype=bool))


def test_an_empty_index_answers_empty():
    index = NearestIndex(np.array([], dtype=np.int64), [], [])

    assert len(index) == 0
    assert len(index.query(100.0, 13.0)) == 0
    with pytest.raises(ValueError, match="the index is empty"):
        index.nearest_distances([100.0], [13.0])


def test_max_distance_widens_only_when_fewer_than_k_lie_within():
    # 0.01 degree of longitude at 13 N is about 1,085 m.
    index = NearestIndex([1, 2, 3], [100.01, 100.02, 100.10], [13.0, 13.0, 13.0])
    plain = index.query(100.0, 13.0, k=2)

    within = index.query(100.0, 13.0, k=2, max_distance_m=3_000)
    short = index.query(100.0, 13.0, k=2, max_distance_m=1_500)
    none_within = index.query(100.0, 13.0, k=2, max_distance_m=500)
    all_eligible_within = index.query(
        100.0, 13.0, k=5, mask=np.array([True, True, False]), max_distance_m=3_000
    )

    assert within.widened is False
    assert short.widened is True
    assert none_within.widened is True
    assert all_eligible_within.widened is False
    for result in (within, short, none_within):
        assert result.ids.tolist() == plain.ids.tolist() == [1, 2]
    assert none_within.distance_m[0] > 500


def test_query_on_a_facility_and_bearings_stay_in_range():
    lon = [100.0, 100.01, 99.99, 100.0, 100.0]
    lat = [13.0, 13.01, 13.01, 12.99, 13.0]
    index = NearestIndex([1, 2, 3, 4, 5], lon, lat)

    result = index.query(100.0, 13.0, k=5)

    assert result.ids.tolist()[:2] == [1, 5]
    assert result.distance_m[:2].tolist() == [0.0, 0.0]
    assert np.all((result.bearing_deg >= 0) & (result.bearing_deg < 360))
    azimuth = GEOD.inv(np.full(5, 100.0), np.full(5, 13.0), np.array(lon), np.array(lat))[0]
    by_id = dict(zip(result.ids.tolist(), result.bearing_deg.tolist(), strict=True))
    assert by_id[3] == pytest.approx(azimuth[2] + 360.0)  # north-west: negative azimuth
    assert by_id[4] == pytest.approx(180.0)


def test_antimeridian_neighbours_are_found():
    index = NearestIndex([1, 2], [-179.9, 179.7], [0.0, 0.0])

    result = index.query(179.95, 0.0, k=2)

    assert result.ids.tolist() == [1, 2]
    assert result.distance_m[0] == pytest.approx(0.15 * 111_319.5, rel=1e-3)


def test_results_are_read_only():
    index = NearestIndex([1, 2], [100.0, 100.1], [13.0, 13.0])
    result = index.query(100.0, 13.0)

    assert isinstance(result, NearestResult)
    with pytest.raises(ValueError, match="read-only"):
        result.ids[0] = 5
    with pytest.raises(AttributeError):
        result.widened = True  # type: ignore[misc]


def test_lists_are_accepted_and_input_arrays_are_not_modified():
    lon = np.array([100.0, 100.1, 100.2])
    lat = np.array([13.0, 13.0, 13.0])
    index = NearestIndex([1, 2, 3], lon.tolist(), lat.tolist())
    query_lon = np.array([100.05, 100.19])
    query_lat = np.array([13.0, 13.0])

    positions, _ = index.nearest_distances(query_lon, query_lat)
    lon[0] = 0.0

    assert positions.tolist() == [0, 2]
    assert index.lon[0] == 100.0
    assert query_lon.tolist() == [100.05, 100.19]


def test_chunking_does_not_change_the_answer():
    rng = np.random.default_rng(5)
    lon = rng.uniform(100, 101, 300)
    lat = rng.uniform(13, 14, 300)
    index = NearestIndex(rng.permutation(300), lon, lat)
    qlon = rng.uniform(100, 101, 25_000)  # enough points for the threaded path
    qlat = rng.uniform(13, 14, 25_000)

    whole = index.nearest_distances(qlon, qlat)
    chunked = index.nearest_distances(qlon, qlat, chunk_size=7_777)
    single = index.nearest_distances(qlon[:50], qlat[:50], chunk_size=3)

    np.testing.assert_array_equal(whole[0], chunked[0])
    np.testing.assert_array_equal(whole[1], chunked[1])
    np.testing.assert_array_equal(whole[0][:50], single[0])


# -- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ids", "lon", "lat", "message"),
    [
        (
            [1, 2],
            [100.0, 101.0],
            [13.0, 95.0],
            "lat[1] = 95.0 is not a latitude between -90 and 90",
        ),
        ([1], [200.0], [13.0], "lon[0] = 200.0 is not a longitude between -180 and 180"),
        ([1], [np.nan], [13.0], "lon[0] = nan is not a longitude between -180 and 180"),
        (
            [1, 2],
            [100.0],
            [13.0, 13.0],
            "ids, lon and lat must have the same length, got 2, 1 and 2",
        ),
        ([1, 1], [100.0, 101.0], [13.0, 13.0], "ids must be unique; id 1 appears more than once"),
        ([1.5], [100.0], [13.0], "ids must be integers, got dtype float64"),
        ([[1]], [[100.0]], [[13.0]], "ids must be a 1-D array, got shape (1, 1)"),
        ([1], ["x"], [13.0], "lon must hold numbers (longitudes in degrees), got dtype <U1"),
    ],
)
def test_bad_items_are_refused(ids, lon, lat, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        NearestIndex(ids, lon, lat)


@pytest.fixture
def small_index():
    return NearestIndex([1, 2, 3], [100.0, 100.1, 100.2], [13.0, 13.0, 13.0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lat": 95.0}, "lat 95.0 is not a latitude between -90 and 90"),
        ({"lat": float("nan")}, "lat nan is not a latitude between -90 and 90"),
        ({"lon": -180.5}, "lon -180.5 is not a longitude between -180 and 180"),
        ({"lon": "100"}, "lon '100' is not a number; expected a longitude in degrees"),
        ({"k": 0}, "k must be a positive integer, got 0"),
        ({"k": 2.0}, "k must be a positive integer, got 2.0"),
        ({"k": True}, "k must be a positive integer, got True"),
        ({"mask": np.ones(2, dtype=bool)}, "mask must have one value per index item, shape (3,)"),
        ({"mask": np.array([1, 0, 1])}, "mask must be a boolean array (True = eligible)"),
        ({"max_distance_m": -1.0}, "max_distance_m must be a finite, non-negative number"),
        ({"max_distance_m": float("inf")}, "max_distance_m must be a finite, non-negative number"),
    ],
)
def test_bad_queries_are_refused(small_index, kwargs, message):
    arguments = {"lon": 100.0, "lat": 13.0, **kwargs}
    with pytest.raises(ValueError, match=re.escape(message)):
        small_index.query(**arguments)


@pytest.mark.parametrize(
    ("lon", "lat", "kwargs", "message"),
    [
        ([100.0, 100.1], [13.0], {}, "lon and lat must have the same length, got 2 and 1"),
        ([100.0, 100.1], [13.0, 95.5], {}, "lat[1] = 95.5 is not a latitude between -90 and 90"),
        ([[100.0]], [[13.0]], {}, "lon must be a 1-D array, got shape (1, 1)"),
        ([100.0], [13.0], {"chunk_size": 0}, "chunk_size must be a positive integer, got 0"),
        ([100.0], [13.0], {"mask": np.ones(4, dtype=bool)}, "shape (3,), got shape (4,)"),
    ],
)
def test_bad_batches_are_refused(small_index, lon, lat, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        small_index.nearest_distances(lon, lat, **kwargs)


# -- why the geodesic check matters ---------------------------------------------------------------


def test_geodesic_order_differs_from_chord_order():
    # A north-south geodesic bends more than an east-west one (the meridian's radius of
    # curvature is the smaller), so at 600 km it exceeds its chord by metres more. An
    # eastern item slightly nearer by geodesic is then farther by chord.
    q_lon, q_lat = 100.0, 13.0
    north = GEOD.fwd(q_lon, q_lat, 0.0, 600_000.0)[:2]
    east_probe = GEOD.fwd(q_lon, q_lat, 90.0, 600_000.0)[:2]
    q_xyz = ecef([q_lon], [q_lat])[0]

    def excess(lon, lat):
        return 600_000.0 - np.linalg.norm(ecef([lon], [lat])[0] - q_xyz)

    gap = excess(*north) - excess(*east_probe)
    assert gap > 0.5, "precondition: the meridian geodesic must bend measurably more"
    east = GEOD.fwd(q_lon, q_lat, 90.0, 600_000.0 - gap / 2)[:2]
    # Enough far items that the search must prove its answer rather than evaluate them all.
    far = [GEOD.fwd(q_lon, q_lat, az, 1_500_000.0)[:2] for az in range(0, 360, 20)]
    lon = [north[0], east[0], *(p[0] for p in far)]
    lat = [north[1], east[1], *(p[1] for p in far)]
    ids = list(range(1, len(lon) + 1))
    chord_nearest = cKDTree(ecef(lon, lat)).query(q_xyz, k=1)[1]
    assert chord_nearest == 0, "precondition: by chord the northern item is nearer"
    d = geodesic(q_lon, q_lat, lon[:2], lat[:2])
    assert d[1] < d[0], "precondition: by geodesic the eastern item is nearer"

    index = NearestIndex(ids, lon, lat)

    assert index.query(q_lon, q_lat, k=2).ids.tolist() == [2, 1]
    assert index.query(q_lon, q_lat, k=1).ids.tolist() == [2]
    positions, distance = index.nearest_distances([q_lon], [q_lat])
    assert positions.tolist() == [1]
    assert distance[0] == d[1]


def test_geodesic_order_differs_from_degree_and_utm_order():
    q_lon, q_lat = 104.0, 15.0
    # Degrees: the northern item is 0.0099 away, the eastern 0.01, but a degree of
    # longitude at 15 N is only ~0.97 of a degree of latitude.
    degree_case = ([104.01, 104.0], [15.0, 15.0099])
    # UTM 47N: 5 degrees east of the zone's central meridian the scale grows eastward, so the
    # eastern item, nearer by 1 m of geodesic, looks farther on the map.
    east = GEOD.fwd(q_lon, q_lat, 90.0, 10_000.0)[:2]
    west = GEOD.fwd(q_lon, q_lat, 270.0, 10_001.0)[:2]
    utm_case = ([east[0], west[0]], [east[1], west[1]])

    for lon, lat in (degree_case, utm_case):
        d = geodesic(q_lon, q_lat, lon, lat)
        assert d[0] < d[1], "precondition: the first item is nearer by geodesic"
        index = NearestIndex([1, 2], lon, lat)
        assert index.query(q_lon, q_lat, k=1).ids.tolist() == [1]

    planar = np.hypot(np.subtract(degree_case[0], q_lon), np.subtract(degree_case[1], q_lat))
    assert planar[1] < planar[0], "precondition: by degrees the second item is nearer"
    x, y = TO_UTM47.transform(np.array(utm_case[0]), np.array(utm_case[1]))
    qx, qy = TO_UTM47.transform(q_lon, q_lat)
    projected = np.hypot(x - qx, y - qy)
    assert projected[1] < projected[0], "precondition: in UTM 47N the second item is nearer"


def test_chord_never_exceeds_geodesic():
    # The index's completeness proof rests on this; check it numerically, far and near.
    rng = np.random.default_rng(11)
    lon1, lat1 = rng.uniform(-180, 180, 50_000), rng.uniform(-90, 90, 50_000)
    scale = 10.0 ** rng.uniform(-6, 2, 50_000)
    lon2 = np.clip(lon1 + rng.normal(0, 1, 50_000) * scale, -180, 180)
    lat2 = np.clip(lat1 + rng.normal(0, 1, 50_000) * scale, -90, 90)

    chord = np.linalg.norm(ecef(lon1, lat1) - ecef(lon2, lat2), axis=1)
    geo = geodesic(lon1, lat1, lon2, lat2)

    assert np.all(chord <= geo + 1e-8)


# -- randomised layouts against brute force -------------------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_random_layouts_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    spread = 10.0 ** rng.uniform(-5, 1)  # about 1 m to 1,000 km
    centre_lon, centre_lat = rng.uniform(-180, 180), rng.uniform(-80, 80)
    lon = (centre_lon + rng.normal(0, spread, n) + 180.0) % 360.0 - 180.0
    lat = np.clip(centre_lat + rng.normal(0, spread, n), -90, 90)
    copies = np.flatnonzero(rng.random(n) < 0.2)
    sources = rng.integers(0, n, copies.size)
    lon[copies], lat[copies] = lon[sources], lat[sources]
    ids = rng.choice(1_000_000, n, replace=False)
    mask = None if seed % 3 == 0 else rng.random(n) < rng.uniform(0.02, 1.0)
    k = int(rng.integers(1, 15))
    qlon = (centre_lon + rng.normal(0, spread, 30) + 180.0) % 360.0 - 180.0
    qlat = np.clip(centre_lat + rng.normal(0, spread, 30), -90, 90)
    on_items = min(5, n)  # some queries exactly on items, where ties are certain
    qlon[:on_items], qlat[:on_items] = lon[:on_items], lat[:on_items]

    index = NearestIndex(ids, lon, lat)
    eligible = np.arange(n) if mask is None else np.flatnonzero(mask)
    ref_pos, ref_dist = brute_force(qlon, qlat, ids[eligible], lon[eligible], lat[eligible], k)

    restricted = index.restrict(np.ones(n, dtype=bool) if mask is None else mask)
    assert len(restricted) == eligible.size
    for i in range(qlon.size):
        result = index.query(qlon[i], qlat[i], k=k, mask=mask)
        assert result.positions.tolist() == eligible[ref_pos[i]].tolist()
        np.testing.assert_array_equal(result.distance_m, ref_dist[i])
        again = restricted.query(qlon[i], qlat[i], k=k)
        assert again.positions.tolist() == result.positions.tolist()
        np.testing.assert_array_equal(again.bearing_deg, result.bearing_deg)
        as_lists = restricted.query_list(float(qlon[i]), float(qlat[i]), k=k)
        assert as_lists == NearestList.of(result)
    if eligible.size:
        positions, distance = index.nearest_distances(qlon, qlat, mask=mask)
        np.testing.assert_array_equal(positions, eligible[ref_pos[:, 0]])
        np.testing.assert_array_equal(distance, ref_dist[:, 0])


@pytest.mark.parametrize("seed", range(12))
def test_merged_answers_of_disjoint_sets_match_brute_force_over_their_union(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, 300))
    lon = rng.uniform(100.0, 100.05, n)
    lat = rng.uniform(13.0, 13.05, n)
    copies = np.flatnonzero(rng.random(n) < 0.2)  # shared locations, often across the sets
    lon[copies], lat[copies] = lon[0], lat[0]
    ids = rng.choice(10_000, n, replace=False)
    part = rng.random(n) < rng.uniform(0.05, 0.5)
    k = int(rng.integers(1, 12))
    radius = float(rng.uniform(50, 3_000))
    big = NearestIndex(ids[~part], lon[~part], lat[~part])
    small = NearestIndex(ids[part], lon[part], lat[part])
    qlon, qlat = rng.uniform(99.99, 100.06, 20), rng.uniform(12.99, 13.06, 20)
    qlon[0], qlat[0] = lon[0], lat[0]
    ref_pos, ref_dist = brute_force(qlon, qlat, ids, lon, lat, k)

    for i in range(qlon.size):
        answers = [
            index.query(qlon[i], qlat[i], k=k, max_distance_m=radius)
            for index in (big, small)
            if len(index)
        ]
        merged = merge_nearest(answers, k, max_distance_m=radius)
        assert merged.ids.tolist() == ids[ref_pos[i]].tolist()
        np.testing.assert_array_equal(merged.distance_m, ref_dist[i])
        assert merged.widened == bool(ref_dist[i][-1] > radius)
        listed = NearestList.merge([NearestList.of(a) for a in answers], k, radius)
        assert listed == NearestList.of(merged)


def test_clustered_mask_far_from_the_query():
    # Eligible items all lie in the north, so the full tree's nearest candidates are all
    # ineligible and the answer must come from the subset of eligible items.
    rng = np.random.default_rng(3)
    lon = rng.uniform(97, 106, 5_000)
    lat = rng.uniform(5, 21, 5_000)
    mask = lat > 18.5
    index = NearestIndex(np.arange(5_000), lon, lat)
    eligible = np.flatnonzero(mask)
    ref_pos, ref_dist = brute_force(
        np.array([100.5]), np.array([5.5]), eligible, lon[eligible], lat[eligible], 10
    )

    result = index.query(100.5, 5.5, k=10, mask=mask)

    assert result.positions.tolist() == eligible[ref_pos[0]].tolist()
    np.testing.assert_array_equal(result.distance_m, ref_dist[0])


def test_concurrent_queries_agree_with_sequential_ones():
    rng = np.random.default_rng(8)
    n = 3_000
    lon = rng.uniform(97, 106, n)
    lat = rng.uniform(5, 21, n)
    index = NearestIndex(rng.permutation(n), lon, lat)
    # More distinct sparse masks than the cache holds, so threads also evict each other.
    masks = [rng.random(n) < 0.03 for _ in range(NearestIndex.SUBSET_CACHE_SIZE + 4)]
    masks += [None, rng.random(n) < 0.6]
    qlon = rng.uniform(97, 106, 600)
    qlat = rng.uniform(5, 21, 600)
    jobs = [(i, masks[i % len(masks)]) for i in range(qlon.size)]

    def ask(job):
        i, mask = job
        return index.query(qlon[i], qlat[i], k=7, mask=mask).ids.tolist()

    sequential = [ask(job) for job in jobs]
    with ThreadPoolExecutor(4) as pool:
        concurrent = list(pool.map(ask, jobs))

    assert concurrent == sequential
    assert len(index._subset_trees) <= NearestIndex.SUBSET_CACHE_SIZE
    eligible = np.flatnonzero(masks[0])
    ref_pos, _ = brute_force(
        qlon[:1], qlat[:1], index.ids[eligible], lon[eligible], lat[eligible], 7
    )
    assert sequential[0] == index.ids[eligible[ref_pos[0]]].tolist()


# -- real facility data ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def facilities():
    """Real MOPH hospitals and clinics inside Thailand's box, ids 0..n-1 in shuffled order."""
    missing = [str(DATA / name) for name in FACILITY_FILES if not (DATA / name).is_file()]
    if missing:
        pytest.skip(f"real facility data not found: {', '.join(missing)}")
    lon, lat, seen = [], [], set()
    for name in FACILITY_FILES:
        for feature in json.loads((DATA / name).read_text(encoding="utf-8"))["features"]:
            geometry = feature.get("geometry") or {}
            if geometry.get("type") != "Point":
                continue
            x, y = geometry["coordinates"][:2]
            if not (LON_RANGE[0] <= x <= LON_RANGE[1] and LAT_RANGE[0] <= y <= LAT_RANGE[1]):
                continue
            code = (feature.get("properties") or {}).get("main_code")
            if code is not None and code in seen:
                continue
            seen.add(code)
            lon.append(x)
            lat.append(y)
    lon = np.array(lon)
    lat = np.array(lat)
    assert lon.size > 10_000, f"expected over 10,000 facilities, read {lon.size}"
    # Ids 0..n-1, shuffled so that a tie broken by position instead of id would show.
    ids = np.random.default_rng(2021).permutation(lon.size)
    return ids, lon, lat, NearestIndex(ids, lon, lat)


def random_points(seed, count):
    rng = np.random.default_rng(seed)
    return rng.uniform(*LON_RANGE, count), rng.uniform(*LAT_RANGE, count)


def query_all(index, qlon, qlat, k, mask=None):
    """Every query through NearestIndex.query, or RestrictedIndex.query when given a view."""
    extra = {} if mask is None else {"mask": mask}
    results = [index.query(qlon[i], qlat[i], k=k, **extra) for i in range(qlon.size)]
    return (
        np.array([r.positions for r in results]),
        np.array([r.distance_m for r in results]),
    )


def assert_same_ranking(got_pos, got_dist, ref_pos, ref_dist):
    mismatched_rows = np.flatnonzero(np.any(got_pos != ref_pos, axis=-1).reshape(-1))
    assert mismatched_rows.size == 0, (
        f"{mismatched_rows.size} queries differ, e.g. {mismatched_rows[:5]}"
    )
    assert np.max(np.abs(got_dist - ref_dist)) <= 1e-6


@pytest.mark.slow
def test_real_data_10000_queries_match_geodesic_ranking(facilities):
    ids, lon, lat, index = facilities
    qlon, qlat = random_points(1, 10_000)

    got_pos, got_dist = query_all(index, qlon, qlat, k=5)

    # Every query against a brute force over all items screened by chord...
    ref_pos, ref_dist = screened_brute_force(qlon, qlat, ids, lon, lat, k=5)
    assert_same_ranking(got_pos, got_dist, ref_pos, ref_dist)
    # ...and the first 1,000 against geodesics to every single item.
    full_pos, full_dist = brute_force(qlon[:1000], qlat[:1000], ids, lon, lat, k=5)
    assert_same_ranking(got_pos[:1000], got_dist[:1000], full_pos, full_dist)


@pytest.mark.slow
def test_real_data_ties_at_shared_locations(facilities):
    ids, lon, lat, index = facilities
    xy = np.column_stack([lon, lat])
    _, first, counts = np.unique(xy, axis=0, return_index=True, return_counts=True)
    shared = first[counts > 1][:200]
    assert shared.size >= 100, "the real data should hold many facilities sharing a location"

    got_pos, got_dist = query_all(index, lon[shared], lat[shared], k=5)
    ref_pos, ref_dist = brute_force(lon[shared], lat[shared], ids, lon, lat, k=5)

    assert_same_ranking(got_pos, got_dist, ref_pos, ref_dist)
    positions, distance = index.nearest_distances(lon[shared], lat[shared])
    np.testing.assert_array_equal(positions, ref_pos[:, 0])
    assert np.all(distance == 0.0)


@pytest.mark.slow
def test_real_data_nearest_distances_for_50000_points(facilities):
    ids, lon, lat, index = facilities
    qlon, qlat = random_points(2, 50_000)

    positions, distance = index.nearest_distances(qlon, qlat)

    ref_pos, ref_dist = screened_brute_force(qlon, qlat, ids, lon, lat, k=1)
    assert_same_ranking(positions[:, None], distance[:, None], ref_pos, ref_dist)
    full_pos, full_dist = brute_force(qlon[:500], qlat[:500], ids, lon, lat, k=1)
    assert_same_ranking(positions[:500, None], distance[:500, None], full_pos, full_dist)


@pytest.mark.slow
def test_real_data_with_a_sparse_mask(facilities):
    ids, lon, lat, index = facilities
    mask = np.random.default_rng(4).random(lon.size) < 0.02
    eligible = np.flatnonzero(mask)
    qlon, qlat = random_points(3, 50_000)

    positions, distance = index.nearest_distances(qlon, qlat, mask=mask)
    got_pos, got_dist = query_all(index, qlon[:2_000], qlat[:2_000], k=5, mask=mask)
    view_pos, view_dist = query_all(index.restrict(mask), qlon[:2_000], qlat[:2_000], k=5)

    assert 0.01 < eligible.size / lon.size < 0.03
    ref_pos, ref_dist = brute_force(qlon, qlat, ids[eligible], lon[eligible], lat[eligible], k=5)
    assert_same_ranking(
        positions[:, None], distance[:, None], eligible[ref_pos[:, :1]], ref_dist[:, :1]
    )
    assert_same_ranking(got_pos, got_dist, eligible[ref_pos[:2_000]], ref_dist[:2_000])
    assert_same_ranking(view_pos, view_dist, eligible[ref_pos[:2_000]], ref_dist[:2_000])


@pytest.mark.slow
def test_real_data_with_a_dense_mask_through_a_restricted_view(facilities):
    # The resident's usual question: most sites open, answered by the view's first fetch.
    ids, lon, lat, index = facilities
    mask = np.random.default_rng(5).random(lon.size) < 0.85
    eligible = np.flatnonzero(mask)
    qlon, qlat = random_points(6, 3_000)

    view = index.restrict(mask)
    got_pos, got_dist = query_all(view, qlon, qlat, k=10)
    as_lists = [view.query_list(float(x), float(y), k=10) for x, y in zip(qlon, qlat, strict=True)]

    ref_pos, ref_dist = screened_brute_force(
        qlon, qlat, ids[eligible], lon[eligible], lat[eligible], k=10
    )
    assert_same_ranking(got_pos, got_dist, eligible[ref_pos], ref_dist)
    # The list answers are the same answers, bit for bit, bearings included.
    for i, listed in enumerate(as_lists):
        assert listed == NearestList.of(view.query(qlon[i], qlat[i], k=10))
    assert_same_ranking(
        np.array([a.positions for a in as_lists]),
        np.array([a.distance_m for a in as_lists]),
        eligible[ref_pos],
        ref_dist,
    )
