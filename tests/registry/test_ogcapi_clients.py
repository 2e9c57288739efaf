"""Real GIS clients against the OGC API over HTTP: GDAL's OAPIF driver, OWSLib and pyogrio.

Each reads every collection whole and checks counts, field types and CRS against the
database; filters must reach the server (seen in the request log), not be applied after
downloading everything.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry.db import db
from registry.models import Area, Facility
from registry.ogcapi.collections import COLLECTIONS
from tests.conftest import drop_postgis_database, fresh_database_url, scratch_name
from tests.registry.live_registry import LiveServer, live_app, load_registry

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(backend, tmp_path_factory):
    name = scratch_name("ogc")
    url = fresh_database_url(backend, tmp_path_factory.mktemp("ogc"), name)
    app = live_app(url)
    deleted_id = load_registry(app)
    with app.app_context():
        counts = {}
        for collection in COLLECTIONS.values():
            model = collection.model
            statement = select(func.count()).select_from(model).where(*collection.conditions())
            if model is Facility:
                statement = statement.where(Facility.deleted_at.is_(None))
            counts[collection.id] = db.session.scalar(statement)
        db.session.close()
    with LiveServer(app) as server:
        server.counts, server.deleted_id, server.app = counts, deleted_id, app
        yield server
    with app.app_context():
        db.engine.dispose()
    if backend == "postgis":
        drop_postgis_database(name)


def _gdal(*args: str, timeout: int = 180) -> str:
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, env={"CPL_DEBUG": "OFF"}
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _summary(url: str, layer: str) -> tuple[int, str, dict[str, str]]:
    """ogrinfo -so of one layer: feature count, geometry type and field types.

    (GDAL 3.6 has no ogrinfo -json; its summary lines are stable: 'Feature Count: n',
    'Geometry: Point', 'name: Type (w.p)'.)
    """
    text = _gdal("ogrinfo", "-so", "-ro", f"OAPIF:{url}/api/ogc", layer)
    count = int(re.search(r"^Feature Count: (\d+)$", text, re.M).group(1))
    geometry = re.search(r"^Geometry: (.+)$", text, re.M).group(1)
    assert 'ID["EPSG",4326]' in text
    fields = dict(re.findall(r"^(\w+): ([\w()]+) \(\d+\.\d+\)$", text, re.M))
    return count, geometry, fields


def test_every_collection_is_a_layer_with_the_right_count_type_and_crs(live):
    listing = _gdal("ogrinfo", "-ro", "-q", f"OAPIF:{live.url}/api/ogc")
    for collection_id in COLLECTIONS:
        assert f": {collection_id} (" in listing
    for collection_id, collection in COLLECTIONS.items():
        count, geometry, _fields = _summary(live.url, collection_id)
        assert count == live.counts[collection_id], collection_id
        assert geometry.replace(" ", "").lower() == collection.geometry_type.lower()


def test_field_types_come_from_the_declared_schema(live):
    _count, _geometry, fields = _summary(live.url, "waiting_centre")
    assert fields["beds_green_available"] == "Integer"
    assert fields["oxygen"] == "Integer(Boolean)"
    assert fields["status"] == "String"
    assert fields["updated_at"] == "DateTime"
    assert "vaccine_brands" not in fields  # a waiting centre's layer has its own fields
    _count, _geometry, fields = _summary(live.url, "vaccination_site")
    assert fields["vaccine_brands"] == "StringList"
    assert fields["daily_capacity"] == "Integer"


@pytest.mark.parametrize("collection_id", ["facilities", "vaccination_site", "districts"])
def test_ogr2ogr_reads_a_whole_collection_into_geopackage(live, tmp_path, collection_id):
    import pyogrio

    target = tmp_path / f"{collection_id}.gpkg"
    _gdal(
        "ogr2ogr",
        "-f",
        "GPKG",
        str(target),
        f"OAPIF:{live.url}/api/ogc",
        collection_id,
        "-oo",
        "PAGE_SIZE=10000",
    )
    info = pyogrio.read_info(target)
    assert info["features"] == live.counts[collection_id]
    assert info["crs"] == "EPSG:4326"
    frame = pyogrio.read_dataframe(target)
    assert frame.geometry.notna().all()
    if collection_id != "districts":
        assert "ศูนย์พักคอยที่ปิดแล้ว" not in set(frame["name_th"])  # deactivated: left out
        assert frame["updated_at"].notna().all()


def test_where_and_spatial_filters_reach_the_server(live):
    live.log.seen.clear()
    out = _gdal(
        "ogrinfo",
        "-ro",
        "-al",
        "-q",
        f"OAPIF:{live.url}/api/ogc",
        "hospital",
        "-where",
        "status = 'open'",
        "-spat",
        "98.9",
        "18.7",
        "99.1",
        "18.9",
    )
    requests = [line for line in live.log.seen if "/items" in line]
    assert any("bbox=" in line for line in requests), requests
    assert any("status=open" in line or "filter=" in line for line in requests), requests
    with live.app.app_context():
        expected = db.session.scalar(
            select(func.count()).where(
                Facility.type == "hospital",
                Facility.status == "open",
                Facility.deleted_at.is_(None),
                func.ST_X(Facility.geom).between(98.9, 99.1),
                func.ST_Y(Facility.geom).between(18.7, 18.9),
            )
        )
        db.session.close()
    assert expected > 0
    assert out.count("OGRFeature(hospital)") == expected


def test_utm_output_and_bbox_in_utm(live):
    base = f"{live.url}/api/ogc/collections/hospital/items"

    utm = "http://www.opengis.net/def/crs/EPSG/0/32647"
    with urllib.request.urlopen(f"{base}?crs={utm}&limit=5") as answer:
        assert answer.headers["Content-Crs"] == f"<{utm}>"
        body = json.load(answer)
    x, y = body["features"][0]["geometry"]["coordinates"]
    assert 100_000 < x < 1_500_000 and 500_000 < y < 2_400_000  # metres, not degrees
    # Chiang Mai city in UTM 47N; the same sites as the lon/lat bbox around it.
    box = "495000,2067000,505000,2080000"
    with urllib.request.urlopen(f"{base}?bbox={box}&bbox-crs={utm}&limit=1000") as answer:
        in_utm = {f["id"] for f in json.load(answer)["features"]}
    from pyproj import Transformer

    to_utm = Transformer.from_crs(4326, 32647, always_xy=True)
    with urllib.request.urlopen(f"{base}?bbox=98.5,18.5,99.5,19.0&limit=1000") as answer:
        near = json.load(answer)["features"]
    expected = set()
    for feature in near:
        ux, uy = to_utm.transform(*feature["geometry"]["coordinates"])
        if 495000 <= ux <= 505000 and 2067000 <= uy <= 2080000:
            expected.add(feature["id"])
    assert in_utm == expected and expected


def test_owslib_reads_collections_and_items(live):
    from owslib.ogcapi.features import Features

    api = Features(f"{live.url}/api/ogc")
    ids = {c["id"] for c in api.collections()["collections"]}
    assert ids == set(COLLECTIONS)
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
        in api.conformance()["conformsTo"]
    )
    page = api.collection_items("provinces", limit=100)
    assert page["numberMatched"] == page["numberReturned"] == 77
    chiang_mai = api.collection_items("hospital", bbox=[98.9, 18.7, 99.1, 18.9], limit=500)
    assert 0 < chiang_mai["numberReturned"] < live.counts["hospital"]
    filtered = api.collection_items(
        "facilities", filter="beds_total >= 500 AND type = 'hospital'", limit=1000
    )
    assert filtered["features"]
    assert all(f["properties"]["beds_total"] >= 500 for f in filtered["features"])
    schema = api.collection_queryables("hospital")
    assert schema["properties"]["beds_total"]["type"] == "integer"


def test_pyogrio_reads_a_large_geojson_answer_by_url(live):
    url = f"{live.url}/api/ogc/collections/facilities/items?limit=10000"
    assert _pyogrio_rows(url) == live.counts["facilities"]
    areas = f"{live.url}/api/ogc/collections/subdistricts/items?limit=10000"
    assert _pyogrio_rows(areas) == live.counts["subdistricts"] > 7000
    # The public API's own answers (here a 1,000-site page, 700 KB) take ranges too.
    listed = f"{live.url}/api/v1/facilities?limit=1000"
    assert _pyogrio_rows(listed) == min(1000, live.counts["facilities"])


def test_area_counts_match_the_boundaries(live):
    with live.app.app_context():
        provinces = db.session.scalar(select(func.count()).where(Area.level == 1))
        db.session.close()
    assert live.counts["provinces"] == provinces == 77


def _pyogrio_rows(url: str) -> int:
    """Rows pyogrio reads from a URL, in another process: GDAL's locks are per process, and
    the server (which writes GeoPackages with GDAL) runs in this one."""
    script = f"import pyogrio; print(len(pyogrio.read_dataframe({url!r}, read_geometry=False)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "csv"])
def test_pyogrio_reads_the_downloads_by_url(live, fmt):
    """GDAL's /vsicurl/ sizes the file with HEAD and reads byte ranges of it."""
    live.log.seen.clear()
    url = f"{live.url}/api/v1/facilities/download?format={fmt}"
    if fmt == "csv":  # the URL has no .csv for GDAL to guess the driver from
        url = f"CSV:/vsicurl/{url}"
    assert _pyogrio_rows(url) == live.counts["facilities"]
    assert any("download" in line for line in live.log.seen)


# PyQGIS is Debian's (python3-qgis), for Debian's own Python: .ci/run installs it.
QGIS_PYTHON = "/usr/bin/python3"


def _qgis(url: str, home: Path, *layers: str) -> dict:
    script = Path(__file__).with_name("qgis_client.py")
    # QGIS keeps a profile and caches under HOME (and XDG_RUNTIME_DIR): a folder of the test's.
    done = subprocess.run(
        [QGIS_PYTHON, str(script), url, *layers],
        capture_output=True,
        text=True,
        timeout=300,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(home),
            "XDG_RUNTIME_DIR": str(home),
            "LANG": "C.UTF-8",
        },
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_qgis_adds_the_ogc_api_layers(live, tmp_path):
    """Headless QGIS (its OAPIF provider, as its "Add layer" dialog uses it) reads each layer
    whole with its declared fields and CRS, and sends a map view's rectangle to the server."""
    layers = ["facilities", "vaccination_site", "provinces"]
    live.log.seen.clear()
    seen = _qgis(live.url, tmp_path, *layers)
    for name in layers:
        layer = seen[name]
        assert layer["valid"], layer
        assert layer["count"] == live.counts[name], name
        assert layer["read"] == layer["with_geometry"] == live.counts[name], name
        assert layer["crs"] in {"EPSG:4326", "OGC:CRS84"}, layer["crs"]
    facilities = seen["facilities"]
    types = {name: kind.lower() for name, kind in facilities["fields"].items()}
    assert types["updated_at"] == "datetime"
    assert types["name_th"] == "string"
    assert "ศูนย์พักคอยที่ปิดแล้ว" not in facilities["names"]  # deactivated: left out
    assert any("โรงพยาบาล" in name for name in facilities["names"])  # Thai arrives whole
    assert seen["vaccination_site"]["fields"]["daily_capacity"].lower() == "integer"
    assert 0 < facilities["in_rectangle"] == facilities["in_rectangle_by_hand"] < facilities["read"]
    requests = [line for line in live.log.seen if "/collections/facilities/items" in line]
    assert any("bbox=" in line for line in requests), requests
