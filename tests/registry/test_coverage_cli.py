"""`registry coverage` and `registry population ...` through app.test_cli_runner()."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from openpyxl import load_workbook

from tests.registry.coverage_layout import LAYER, build_layout, fresh_caches  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("fresh_caches")


def _coverage(app, *extra):
    args = ["coverage", "--type", "vaccination_site", "--threshold-km", "10", "--layer", LAYER]
    return app.test_cli_runner().invoke(args=[*args, *extra])


def test_coverage_command_writes_csv_geojson_and_xlsx(app, session, tmp_path):
    build_layout(session)

    out = tmp_path / "by-province.csv"
    result = _coverage(app, "--level", "province", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "250 live farther than 10 km from the 1 sites counted" in result.output
    assert "measured" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert [(r["code"], r["covered"], r["uncovered"]) for r in rows] == [
        ("TH10", "0", "50"),
        ("TH50", "100", "200"),
    ]

    geojson = tmp_path / "chiang-mai.geojson"
    result = _coverage(app, "--level", "district", "--province", "TH50", "--out", str(geojson))
    assert result.exit_code == 0, result.output
    body = json.loads(geojson.read_text(encoding="utf-8"))
    assert sum(f["properties"]["population"] for f in body["features"]) == 300
    assert all(f["geometry"]["type"] == "MultiPolygon" for f in body["features"])

    xlsx = tmp_path / "walk-in.xlsx"
    result = _coverage(app, "--level", "province", "--walk-in", "--out", str(xlsx))
    assert result.exit_code == 0, result.output
    sheet = load_workbook(xlsx)["coverage"]
    assert [row[0].value for row in sheet.iter_rows(2)] == ["TH10", "TH50"]


def test_coverage_command_refuses_bad_input_with_the_reason(app, session, tmp_path):
    build_layout(session)
    result = _coverage(app, "--out", str(tmp_path / "x.pdf"))
    assert result.exit_code == 2 and "'x.pdf' does not end in one of" in result.output
    result = _coverage(app, "--province", "TH99", "--out", str(tmp_path / "x.csv"))
    assert result.exit_code == 1 and "'TH99' is not a province" in result.output
    result = _coverage(app, "--threshold-km", "-3", "--out", str(tmp_path / "x.csv"))
    assert result.exit_code == 1 and "threshold_km" in result.output
    assert not (tmp_path / "x.csv").exists()


def test_population_commands_load_list_and_delete(app, session, tmp_path):
    runner = app.test_cli_runner()
    areas = tmp_path / "districts.csv"
    areas.write_text("code,population,elderly\n5001,1000,100\n5002,500,80\n", encoding="utf-8")
    result = runner.invoke(
        args=[
            "population",
            "load-areas",
            str(areas),
            "--name",
            "districts",
            "--title",
            "Districts",
            "--source",
            "tests",
            "--kind",
            "measured",
            "--as-of",
            "2021",
            "--groups",
            "elderly",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "created; 2 units, 1,500 people" in result.output

    points = tmp_path / "villages.geojson"
    points.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [98.99, 18.79]},
                        "properties": {"population": 40},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    result = runner.invoke(
        args=[
            "population",
            "load-points",
            str(points),
            "--name",
            "villages",
            "--title",
            "Villages",
            "--source",
            "survey",
            "--kind",
            "measured",
        ]
    )
    assert result.exit_code == 0, result.output

    import rasterio
    from affine import Affine

    grid = tmp_path / "grid.tif"
    with rasterio.open(grid, "w", driver="GTiff", height=2, width=2, count=1, dtype="float32",
                       crs="EPSG:4326", transform=Affine(0.01, 0, 98.98, 0, -0.01, 18.80),
                       nodata=-1) as dataset:  # fmt: skip
        dataset.write(np.array([[2.5, 0.0], [-1, 7.5]], dtype=np.float32), 1)
    result = runner.invoke(
        args=[
            "population",
            "load-raster",
            str(grid),
            "--name",
            "grid",
            "--title",
            "Grid",
            "--source",
            "WorldPop-like",
            "--kind",
            "modelled",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "created; 2 units, 10 people" in result.output

    spread = runner.invoke(
        args=[
            "population",
            "load-areas",
            str(areas),
            "--name",
            "x",
            "--title",
            "x",
            "--source",
            "x",
            "--kind",
            "measured",
            "--placement",
            "spread",
        ]
    )
    assert spread.exit_code == 2 and "--kind modelled" in spread.output

    listing = runner.invoke(args=["population", "list"])
    assert "districts: Districts [measured by district, placed within it] 2021" in listing.output
    assert "finest level district, groups: elderly" in listing.output
    assert "grid: Grid [modelled]" in listing.output

    result = _coverage(app, "--level", "subdistrict", "--out", str(tmp_path / "x.csv"))
    assert result.exit_code == 1  # the layout's layer is not loaded in this test
    result = app.test_cli_runner().invoke(
        args=[
            "coverage",
            "--type",
            "hospital",
            "--layer",
            "districts",
            "--level",
            "subdistrict",
            "--out",
            str(tmp_path / "x.csv"),
        ]
    )
    assert result.exit_code == 1 and "counts per district" in result.output

    deleted = runner.invoke(args=["population", "delete", "villages"])
    assert deleted.exit_code == 0 and "deleted population layer 'villages'" in deleted.output
    assert "villages" not in runner.invoke(args=["population", "list"]).output
