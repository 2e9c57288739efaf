"""Road layers and travel time through the CLI and the API, on both databases.

The network is the bundled Chiang Mai road graph (data/chiangmai_roads.graph.json.gz); the
answers are checked against SciPy's csgraph Dijkstra run per origin or per unit on the
stored network's graph, and against the live rule (closing a site changes the next answer).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra
from sqlalchemy import func, select

from geo.routing import DEFAULT_PROFILES, TravelGraph
from registry.coverage import query as coverage_query
from registry.demo import DEMO_ROADS
from registry.facilities.service import update_facility
from registry.models import RoadLayer
from registry.paths import DATA_DIR
from registry.roads import service as roads_service
from tests.registry.coverage_layout import fresh_caches, store_points  # noqa: F401  (fixture)
from tests.registry.helpers import OFFICIAL, make_facility

pytestmark = pytest.mark.usefixtures("fresh_caches")
ROADS = DATA_DIR / DEMO_ROADS
# Sites and homes inside the Chiang Mai road graph (old town and around).
SITES = [(98.9934, 18.7877), (98.9650, 18.8050), (99.0150, 18.7700), (98.9550, 18.7600)]
HOMES = [(98.9800, 18.7900), (98.9600, 18.8200), (99.0300, 18.7450), (98.9700, 18.7400)]


def _layer_count(session) -> int:
    return session.scalar(select(func.count()).select_from(RoadLayer))


@pytest.fixture
def roads(app, session):
    result = app.test_cli_runner().invoke(
        args=["roads", "load", str(ROADS), "--name", "chiang-mai"]
    )
    assert result.exit_code == 0, result.output
    yield roads_service.road_layers(session)[0]
    roads_service.graphs.clear()


@pytest.fixture
def sites(session):
    made = [
        make_facility(session, type="vaccination_site", name_th=f"จุดฉีด {i}", lon=lon, lat=lat)
        for i, (lon, lat) in enumerate(SITES)
    ]
    session.commit()
    return made


def _graph(session, layer, profile="motorcycle") -> TravelGraph:
    return roads_service.travel_graph(session, layer, DEFAULT_PROFILES[profile])


def test_load_list_and_load_again(app, session, roads):
    assert roads.name == "chiang-mai" and roads.licence == "ODbL-1.0"
    assert "OpenStreetMap" in roads.attribution and roads.node_count == 34032
    west, south, east, north = roads.bounds
    assert 98.9 < west < east < 99.1 and 18.7 < south < north < 18.9
    runner = app.test_cli_runner()
    again = runner.invoke(args=["roads", "load", str(ROADS), "--name", "chiang-mai"])
    assert again.exit_code == 0 and "unchanged" in again.output
    listed = runner.invoke(args=["roads", "list"])
    assert "chiang-mai" in listed.output and "ODbL" in listed.output
    assert _layer_count(session) == 1


def _lines_file(tmp_path, name, coordinates):
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"highway": "residential"},
                "geometry": {"type": "LineString", "coordinates": coordinates},
            }
        ],
    }
    path = tmp_path / name
    path.write_text(json.dumps(collection))
    return path


@pytest.mark.parametrize(
    ("name", "content", "options", "message"),
    [
        (
            "broken.osm.pbf",
            b"\x00\x00\x00\x0eOSMHeader" + b"\xff" * 64,
            (),
            "not a readable OpenStreetMap",
        ),
        ("nothing.json", b'{"elements": []}', (), "holds no road lines"),
        (
            "paris.geojson",
            [[2.35, 48.85], [2.36, 48.86]],
            ("--licence", "x", "--attribution", "y"),
            "outside Thailand",
        ),
        ("unlicensed.geojson", [[98.98, 18.79], [98.99, 18.79]], (), "licence and attribution"),
        ("good.graph.json.gz", None, ("--name", "bad name!"), "road layer name"),
    ],
)
def test_bad_road_files_write_nothing(app, session, tmp_path, name, content, options, message):
    if isinstance(content, list):
        path = _lines_file(tmp_path, name, content)
    elif content is None:
        path = ROADS
    else:
        path = tmp_path / name
        path.write_bytes(content)
    args = ["roads", "load", str(path)]
    args += list(options) if "--name" in options else ["--name", "bad-file", *options]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert _layer_count(session) == 0


def test_nearest_by_travel_time_is_the_exact_ranking(client, session, roads, sites):
    graph = _graph(session, roads)
    site_lon = np.array([s[0] for s in SITES])
    site_lat = np.array([s[1] for s in SITES])
    site = graph.snap(site_lon, site_lat)
    for lon, lat in HOMES:
        response = client.get(
            f"/api/v1/nearest?lat={lat}&lon={lon}&by=travel_time&profile=motorcycle"
            "&k=4&open_now=false&type=vaccination_site"
        )
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["search"]["by"] == "travel_time"
        assert "OpenStreetMap" in body["search"]["attribution"]
        origin = graph.snap([lon], [lat])
        network = dijkstra(graph.forward, indices=int(origin.node[0]))
        expected = origin.access_s[0] + network[site.node] + site.access_s
        ids = np.array([s.id for s in sites])
        order = np.lexsort((ids, expected))
        got = [f["properties"]["id"] for f in body["features"]]
        assert got == ids[order].tolist()
        times = [f["properties"]["travel_time_s"] for f in body["features"]]
        assert times == pytest.approx(np.round(expected[order], 1).tolist(), abs=0.11)
        for feature in body["features"]:
            props = feature["properties"]
            assert props["route_m"] >= props["distance_m"] - 0.2
            assert props["travel_time_min"] == pytest.approx(props["travel_time_s"] / 60, abs=0.06)


def test_outside_every_road_layer_answers_by_distance_and_says_so(client, roads, sites):
    response = client.get(
        "/api/v1/nearest?lat=13.7563&lon=100.5018&by=travel_time&profile=car&open_now=false"
    )
    body = response.get_json()
    assert response.status_code == 200
    assert body["search"]["by"] == "distance"
    assert "outside every road layer" in body["search"]["note"]
    assert "travel_time_s" not in body["features"][0]["properties"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("by=travel_time&profile=boat", "profile", "'boat' is not one of motorcycle, car, walking"),
        ("by=fastest", "by", "'fastest' is not one of distance, travel_time"),
        ("profile=car", "profile", "needs by=travel_time"),
    ],
)
def test_bad_nearest_parameters(client, query, field, message):
    response = client.get(f"/api/v1/nearest?lat=18.79&lon=98.98&{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == field and message in body["message"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("threshold_min=-5&profile=motorcycle", "threshold_min", "between 0 and 600"),
        ("threshold_min=0", "threshold_min", "more than 0"),
        ("threshold_min=30&profile=boat", "profile", "'boat' is not one of"),
        ("threshold_min=30&threshold_km=5", "threshold_min", "not both"),
        ("profile=car", "threshold_min", "needs 'threshold_min'"),
    ],
)
def test_bad_coverage_parameters(client, session, query, field, message):
    _unit_layer(session)
    response = client.get(f"/api/v1/coverage?type=vaccination_site&{query}")
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["field"] == field and message in body["message"]


def test_coverage_without_roads_says_how_to_load_them(client, session):
    _unit_layer(session)
    response = client.get("/api/v1/coverage?type=vaccination_site&threshold_min=30")
    assert response.status_code == 400
    assert "registry roads load" in response.get_json()["message"]


def _unit_layer(session):
    rng = np.random.default_rng(17)
    lon = rng.uniform(98.94, 99.03, 40)
    lat = rng.uniform(18.74, 18.84, 40)
    points = {f"u{i}": (float(x), float(y)) for i, (x, y) in enumerate(zip(lon, lat, strict=True))}
    people = {key: int(n) for key, n in zip(points, rng.integers(10, 500, 40), strict=True)}
    # One unit far outside the roads: left out and counted.
    points["away"], people["away"] = (100.5018, 13.7563), 77
    store_points(session, "roads-units", points, people)
    session.commit()
    return points, people


def test_coverage_per_area_equals_a_per_unit_computation(client, session, roads, sites):
    points, people = _unit_layer(session)
    url = (
        "/api/v1/coverage?type=vaccination_site&threshold_min=20&profile=walking"
        "&layer=roads-units&level=subdistrict&open_now=false"
    )
    body = client.get(url).get_json()
    assert body["totals"]["outside_roads_population"] == 77
    assert body["totals"]["outside_roads_units"] == 1
    assert "OpenStreetMap" in body["attribution"]
    graph = _graph(session, roads, "walking")
    keys = [k for k in points if k != "away"]
    unit = graph.snap([points[k][0] for k in keys], [points[k][1] for k in keys])
    site = graph.snap([s[0] for s in SITES], [s[1] for s in SITES])
    per_unit = dijkstra(graph.forward, indices=unit.node)
    seconds = (unit.access_s[:, None] + per_unit[:, site.node] + site.access_s).min(axis=1)
    covered = sum(people[k] for k, s in zip(keys, seconds, strict=True) if s <= 1200)
    assert 0 < covered < sum(people[k] for k in keys)
    assert body["totals"]["covered"] == covered
    assert body["totals"]["population"] == sum(people[k] for k in keys)
    assert all("median_min" in item and "median_m" not in item for item in body["items"])
    csv_body = client.get(url + "&format=csv").get_data(as_text=True)
    assert "roads_attribution" in csv_body.splitlines()[0] and "OpenStreetMap" in csv_body


def test_closing_a_site_changes_the_next_answer(client, session, roads, sites):
    _unit_layer(session)
    url = (
        "/api/v1/coverage?type=vaccination_site&threshold_min=10&profile=motorcycle"
        "&layer=roads-units&level=district"
    )
    before = client.get(url).get_json()["totals"]["covered"]
    for site in sites[:3]:
        update_facility(
            session, site.id, {"status": "closed"}, OFFICIAL, expected_version=site.version
        )
    session.commit()
    after = client.get(url).get_json()["totals"]["covered"]
    assert after < before
    suggestions = client.get(
        url.replace("/coverage?", "/coverage/suggestions?") + "&k=2&candidates=grid"
    ).get_json()
    assert suggestions["covered_after"] > suggestions["covered_before"] == after
    assert suggestions["picks"][0]["gain"] > 0


def test_coverage_service_query_round_trips(app):
    with app.test_request_context():
        args = {"type": "hospital", "threshold_min": "30", "profile": "car", "level": "province"}
        query = coverage_query.parse_coverage_query(args)
        assert query.by_time and query.threshold_s == 1800.0
        assert coverage_query.parse_coverage_query(query.as_args()) == query


def test_coverage_command_in_minutes(app, session, tmp_path, roads, sites):
    _unit_layer(session)
    out = tmp_path / "coverage.csv"
    runner = app.test_cli_runner()
    args = ["coverage", "--type", "vaccination_site", "--layer", "roads-units", "--out", str(out)]
    result = runner.invoke(args=[*args, "--threshold-min", "15", "--profile", "car"])
    assert result.exit_code == 0, result.output
    assert "15 minutes by road (car)" in result.output
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert "median_min" in header and "roads_attribution" in header
    bad = runner.invoke(args=[*args, "--threshold-min", "-5"])
    assert bad.exit_code != 0 and "'threshold_min'" in bad.output
