"""The demo layer on the real boundaries: loaded once, totals add up, every unit in one area.

One test per database does the heavy work (building and storing the 59,400 modelled units
takes a few seconds), then checks everything that depends on it.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
import shapely
from sqlalchemy import func, select

from registry.coverage import population, service
from registry.models import PopulationUnit
from tests.registry.coverage_layout import fresh_caches  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("fresh_caches")
DOPA_TOTAL = 66_186_727


def test_demo_layer_adds_up_on_the_real_boundaries(app, client, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["population", "demo"])
    assert first.exit_code == 0, first.output
    assert "created; 59,400 units, 66,186,727 people" in first.output
    again = runner.invoke(args=["population", "demo"])
    assert "unchanged" in again.output  # idempotent: a second run changes nothing
    # The 2020 modelled layer (kept for comparison) and DOPA 2021 by subdistrict (default).
    assert session.scalar(select(func.count()).select_from(PopulationUnit)) == 59_400 + 59_440

    layer = population.find_layer(session, population.DEMO_LAYER)
    assert (layer.kind, layer.total_population, layer.finest_level) == ("modelled", DOPA_TOTAL, 3)
    units = population.layer_units(session, layer)
    assert units["population"].sum() == DOPA_TOTAL
    assert units.attrs["modelled"] is True

    # Every unit lies inside exactly one subdistrict, the one it is coded with.
    geometry = service.area_tables.get(session).geometry
    codes = sorted(code for code in geometry if len(code) == 8)
    tree = shapely.STRtree([geometry[code] for code in codes])
    points = shapely.points(units["lon"].to_numpy(), units["lat"].to_numpy())
    point_index, area_index = tree.query(points, predicate="within")
    assert np.bincount(point_index, minlength=len(units)).tolist() == [1] * len(units)
    found = np.empty(len(units), dtype=object)
    found[point_index] = np.asarray(codes, dtype=object)[area_index]
    assert (found == units["area_code"].to_numpy()).all()

    # Through the API, at every level, the areas add up to the layer's total.
    counts = {}
    for level in ("province", "district", "subdistrict"):
        body = client.get(
            f"/api/v1/coverage?type=vaccination_site&threshold_km=10&level={level}"
            f"&layer={population.DEMO_LAYER}"
        ).get_json()
        items = body["items"]
        counts[level] = len(items)
        assert sum(item["population"] for item in items) == DOPA_TOTAL
        assert sum(item["covered"] + item["uncovered"] for item in items) == DOPA_TOTAL
        assert sum(item["under_20_population"] for item in items) == sum(units["under_20"])
        assert body["layer"]["kind"] == "modelled"
    assert counts == {"province": 77, "district": 928, "subdistrict": 7_425}

    # Chiang Mai's subdistricts hold Chiang Mai's registered people.
    response = client.get(
        "/api/v1/coverage?type=vaccination_site&level=subdistrict&province=50&format=csv"
        f"&layer={population.DEMO_LAYER}"
    )
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert sum(int(row["population"]) for row in rows) == 1_784_370
    assert {row["population_kind"] for row in rows} == {"modelled"}
    assert all(row["code"].startswith("TH50") for row in rows)
