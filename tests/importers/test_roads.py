"""Road files: real OpenStreetMap extracts, GIS road lines, and files that are not roads."""

from __future__ import annotations

import doctest
import json

import numpy as np
import pytest

import importers.roads
import importers.roads.tags
from geo.routing.network import CLASS_CODE
from importers.errors import ImportFormatError
from importers.roads import read_road_file


def test_doctests():
    for module in (importers.roads, importers.roads.tags):
        assert doctest.testmod(module).failed == 0


def test_pathumwan_pbf_keeps_classes_one_way_and_speed_limits(shared_data):
    road = read_road_file(shared_data / "roads" / "bangkok_pathumwan.osm.pbf")
    network = road.network
    assert road.licence == "ODbL-1.0" and "OpenStreetMap" in road.attribution
    assert network.node_count > 5_000
    west, south, east, north = network.bounds
    assert 100.51 < west < east < 100.55 and 13.72 < south < north < 13.76
    assert (network.road_class == CLASS_CODE["primary"]).sum() > 100
    assert (network.oneway != 0).sum() > 100
    assert np.isfinite(network.maxspeed_kmh).sum() > 100
    assert set(np.unique(network.maxspeed_kmh[np.isfinite(network.maxspeed_kmh)])) >= {60.0}
    assert road.skipped["not a road (no usable highway tag)"] > 0


def test_latkrabang_overpass_json(shared_data):
    road = read_road_file(shared_data / "roads" / "bangkok_latkrabang_overpass.json")
    assert road.file_format == "overpass.json" and road.road_lines == 857
    assert (road.network.road_class == CLASS_CODE["secondary"]).any()


def test_derived_graph_json(shared_data):
    road = read_road_file(shared_data / "roads" / "huahin_network.graph.json")
    assert road.road_lines == 8104
    assert road.network.node_count >= 7454
    assert np.all(road.network.road_class == CLASS_CODE["unknown"])
    assert road.network.length_m.max() <= 100.0 + 1e-6


def test_geojson_road_lines_in_utm_are_reprojected(tmp_path):
    # Two lines in UTM 47N meeting at one vertex, with a class and a one-way flag.
    collection = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32647"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"highway": "primary", "oneway": "yes", "maxspeed": "60"},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[660000, 1520000], [660500, 1520000]],
                },
            },
            {
                "type": "Feature",
                "properties": {"highway": None, "oneway": None, "maxspeed": None},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[660500, 1520000], [660500, 1520400]],
                },
            },
        ],
    }
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps(collection))
    network = read_road_file(path).network
    assert 100.4 < network.lon.min() < 100.6 and 13.7 < network.lat.min() < 13.8
    assert network.length_m.sum() == pytest.approx(900, rel=0.01)
    assert set(network.oneway.tolist()) == {0, 1}
    assert (
        CLASS_CODE["primary"] in network.road_class and CLASS_CODE["unknown"] in network.road_class
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "broken.osm.pbf",
            b"\x00\x00\x00\x0dOSMHeader garbage" * 3,
            "not a readable OpenStreetMap",
        ),
        ("empty.osm.pbf", b"", "not a readable OpenStreetMap"),
        (
            "nodes.json",
            json.dumps(
                {"elements": [{"type": "node", "id": 1, "lat": 13.7, "lon": 100.5}]}
            ).encode(),
            "holds no road lines",
        ),
        (
            "rivers.json",
            json.dumps(
                {
                    "elements": [
                        {"type": "node", "id": 1, "lat": 13.7, "lon": 100.5},
                        {"type": "node", "id": 2, "lat": 13.8, "lon": 100.5},
                        {"type": "way", "id": 3, "nodes": [1, 2], "tags": {"waterway": "river"}},
                    ]
                }
            ).encode(),
            "holds no road lines",
        ),
        (
            "graph.graph.json",
            json.dumps({"coords": [100, 13], "edges": []}).encode(),
            "no road lines",
        ),
        (
            "bad.graph.json",
            json.dumps({"coords": [100, 13], "edges": [0, 5, 1.0]}).encode(),
            "edge 0",
        ),
        ("other.json", b'{"hello": 1}', "neither Overpass"),
        ("notjson.json", b'{"elements": [', "not Overpass API JSON"),
        ("roads.csv", b"a,b\n1,2\n", "not a road file"),
        (
            "points.geojson",
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {},
                            "geometry": {"type": "Point", "coordinates": [100, 13]},
                        }
                    ],
                }
            ).encode(),
            "is not a road line",
        ),
    ],
)
def test_bad_road_files_name_the_file_and_the_problem(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFormatError, match=message) as caught:
        read_road_file(path)
    assert name in caught.value.message


def test_the_refusal_of_a_file_that_is_no_road_file_lists_every_road_format(tmp_path):
    path = tmp_path / "roads.csv"
    path.write_text("x")
    with pytest.raises(ImportFormatError) as caught:
        read_road_file(path)
    assert caught.value.message == (
        f"'roads.csv': is not a road file this registry reads; give "
        f"{', '.join(importers.roads.ROAD_FORMATS)}"
    )
    assert caught.value.text.params["problem"].code == "roads.not_a_road_file"
