"""Population layers: reading area counts, points and grids, storing, idempotency."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from affine import Affine
from sqlalchemy import func, select

from registry.coverage import population, population_store, population_units
from registry.coverage.population_files import (
    read_area_counts,
    read_point_counts,
    read_raster_counts,
)
from registry.errors import ConflictError, NotFoundError, ValidationError
from registry.models import PopulationLayer, PopulationUnit
from tests.registry.coverage_layout import fresh_caches  # noqa: F401  (fixture)
from tests.registry.helpers import CHIANG_MAI

pytestmark = pytest.mark.usefixtures("fresh_caches")


def _store(session, units, name="layer", **options):
    defaults = {
        "title": "A layer",
        "source": "tests",
        "kind": "measured",
        "finest_level": 3,
        "created_by": "tests",
    }
    return population_store.store_layer(session, units, name=name, **{**defaults, **options})


# -- counts per area --------------------------------------------------------------------------


def test_area_counts_in_thai_cp874_with_thai_digits_and_thousands():
    text = 'รหัสพื้นที่,ประชากร,elderly\r\n๕๐,"1,784,370",300000\r\nTH10,5588222,1158176\r\n'
    counts = read_area_counts(text.encode("cp874"), "provinces.csv", group_columns=["elderly"])
    assert counts.level == 1
    assert counts.codes.tolist() == ["TH50", "TH10"]
    assert counts.population.tolist() == [1_784_370, 5_588_222]
    assert counts.groups["elderly"].tolist() == [300_000, 1_158_176]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,population\n50,10\n5001,5\n", "row 3, column 'code': TH5001 is of another level"),
        ("code,population\n50,10\n50,5\n", "row 3, column 'code': TH50 already appears in row 2"),
        ("code,population\n50,12.5\n", "row 2, column 'population': '12.5' is not a whole number"),
        ("code,population\n5x,1\n", "row 2, column 'code': '5x' is not a DOPA area code"),
        ("code,people_count\n50,1\n", "has no population column"),
        ("code,population,old\n50,10,11\n", "column 'old': 11 people in the group, more than"),
    ],
)
def test_bad_area_counts_name_row_column_and_rule(text, message):
    with pytest.raises(ValidationError) as error:
        read_area_counts(
            text.encode(), "counts.csv", group_columns=["old"] if "old" in text else ()
        )
    assert message in error.value.message


def test_area_counts_at_representative_points_answer_only_their_level(session):
    counts = read_area_counts(b"code,population\n5001,1000\n5002,500\n", "districts.csv")
    units, level, method = population_units.units_from_area_counts(session, counts)
    assert level == 2
    assert units["area_code"].tolist() == ["TH5001", "TH5002"]
    layer = _store(session, units, finest_level=level, method=method).layer
    assert (layer.finest_level, layer.total_population, layer.unit_count) == (2, 1500, 2)
    # The representative point lies inside its district.
    from registry.coverage.service import area_tables

    geometry = area_tables.get(session).geometry
    import shapely

    for code, lon, lat in zip(units["area_code"], units["lon"], units["lat"], strict=True):
        assert geometry[code].contains(shapely.Point(lon, lat))


def test_unknown_area_codes_are_refused(session):
    counts = read_area_counts(b"code,population\n99,1\n50,2\n", "x.csv")
    with pytest.raises(ValidationError, match=r"1 area code.*TH99"):
        population_units.units_from_area_counts(session, counts)


def test_province_counts_spread_over_subdistricts_are_modelled_and_exact(session):
    counts = read_area_counts(
        b"code,population,kids\n50,1000,400\n", "p.csv", group_columns=["kids"]
    )
    with pytest.raises(ValidationError, match="cannot spread"):
        # Groups must add up to the population to be spread (geo.population's rule).
        population_units.units_from_area_counts(session, counts, placement="spread")
    counts = read_area_counts(b"code,population\n50,1000\n", "p.csv")
    units, level, method = population_units.units_from_area_counts(
        session, counts, placement="spread", points_per_subdistrict=2
    )
    assert level == 3 and "modelled" in method
    assert units["population"].sum() == 1000
    assert units["area_code"].str.startswith("TH50").all()
    district = read_area_counts(b"code,population\n5001,10\n", "d.csv")
    with pytest.raises(ValidationError, match="spreads province counts"):
        population_units.units_from_area_counts(session, district, placement="spread")


# -- points -----------------------------------------------------------------------------------


def test_points_from_geojson_land_in_their_subdistrict_and_the_sea_is_left_out(session):
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [CHIANG_MAI["lon"], CHIANG_MAI["lat"]],
                },
                "properties": {"population": 120, "elderly": 20},
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [95.0, 10.0]},  # Andaman Sea
                "properties": {"population": 5, "elderly": 0},
            },
        ],
    }
    counts = read_point_counts(
        json.dumps(collection).encode(), "villages.geojson", group_columns=["elderly"]
    )
    units, left_out = population_units.units_at_points(session, counts, tolerance_m=5_000)
    assert left_out == 1
    # Tha Phae Gate is in Mueang Chiang Mai district.
    assert [code[:6] for code in units["area_code"]] == ["TH5001"]
    outcome = _store(session, units, group_columns=["elderly"], left_out=left_out)
    assert "1 units outside Thailand left out" in outcome.summary()


def test_points_from_a_thai_csv_in_utm(session):
    # Tha Phae Gate in UTM zone 47N (EPSG:32647), Thai headers and digits.
    text = "ชื่อ,x,y,ประชากร\nประตูท่าแพ,๔๙๙๓๐๔.๕,๒๐๗๗๓๓๗.๒,๑๒๐\n"
    counts = read_point_counts(text.encode(), "villages.csv", crs="EPSG:32647")
    assert counts.population.tolist() == [120]
    assert counts.lon[0] == pytest.approx(CHIANG_MAI["lon"], abs=1e-3)
    assert counts.lat[0] == pytest.approx(CHIANG_MAI["lat"], abs=1e-3)


def test_swapped_point_columns_are_named():
    # The columns are labelled the wrong way round: 'lat' holds longitudes.
    text = "lat,lon,population\n98.99,18.78,10\n99.1,18.9,5\n"
    with pytest.raises(ValidationError, match=r"'swapped\.csv': .* look swapped"):
        read_point_counts(text.encode(), "swapped.csv")


# -- rasters ----------------------------------------------------------------------------------

NODATA = -99999.0
# A WorldPop-like grid of fractional people: 0 is empty, NODATA and NaN are no data.
GRID = np.array(
    [
        [1.4, 0.0, NODATA, 2.6],
        [0.3, 0.3, 0.3, 5.0],
        [np.nan, 10.2, 0.49, 0.2],
    ],
    dtype=np.float32,
)


def _write_grid(path, values, *, west, north, cell, crs="EPSG:4326"):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=values.shape[0],
        width=values.shape[1],
        count=1,
        dtype="float32",
        crs=crs,
        transform=Affine(cell, 0.0, west, 0.0, -cell, north),
        nodata=NODATA,
    ) as grid:
        grid.write(values, 1)


def test_grid_cells_become_units_at_their_centres_with_whole_people(tmp_path):
    path = tmp_path / "tha_ppp.tif"
    _write_grid(path, GRID, west=98.95, north=18.82, cell=0.01)

    counts = read_raster_counts(str(path))

    # Non-empty cells in reading order: 1.4, 2.6, 0.3, 0.3, 0.3, 5.0, 10.2, 0.49, 0.2. Running
    # sums rounded: 1, 4, 4, 5, 5, 10, 20, 21, 21; so people 1, 3, 0, 1, 0, 5, 10, 1, 0, and
    # the cells rounding to nobody are left out.
    assert counts.population.tolist() == [1, 3, 1, 5, 10, 1]
    assert counts.population.sum() == round(float(np.nansum(GRID[GRID > 0])))
    cells = [(0, 0), (0, 3), (1, 1), (1, 3), (2, 1), (2, 2)]
    np.testing.assert_allclose(counts.lon, [98.95 + (c + 0.5) * 0.01 for _, c in cells])
    np.testing.assert_allclose(counts.lat, [18.82 - (r + 0.5) * 0.01 for r, _ in cells])
    estimates = np.array([GRID[r, c] for r, c in cells])
    assert (np.abs(counts.population - estimates) < 1).all()


def test_grid_bytes_in_utm_aggregated_and_stored(session, tmp_path):
    path = tmp_path / "utm.tif"
    # 100 m cells around Tha Phae Gate in UTM 47N.
    _write_grid(path, GRID, west=499_100.0, north=2_077_500.0, cell=100.0, crs="EPSG:32647")

    counts = read_raster_counts(path.read_bytes(), aggregate=2)

    # 2 x 2 blocks: [1.4 + 0.3 + 0.3, 2.6 + 5.0 + 0.3], [10.2, 0.49 + 0.2].
    assert counts.population.tolist() == [2, 8, 10, 1]
    units, left_out = population_units.units_at_points(session, counts, tolerance_m=5_000)
    assert left_out == 0 and set(units["area_code"].str[:6]) == {"TH5001"}
    layer = _store(session, units, kind="modelled").layer
    assert layer.total_population == 21


def test_grid_errors_are_named(tmp_path):
    with pytest.raises(ValidationError, match="band 2 does not exist"):
        path = tmp_path / "g.tif"
        _write_grid(path, GRID, west=98.95, north=18.82, cell=0.01)
        read_raster_counts(str(path), band=2)
    with pytest.raises(ValidationError, match="aggregate"):
        read_raster_counts(str(path), aggregate=0)


# -- storing ----------------------------------------------------------------------------------


def _two_units(session):
    counts = read_area_counts(b"code,population\n500102,70\n500101,30\n", "s.csv")
    return population_units.units_from_area_counts(session, counts)[0]


def test_same_content_twice_changes_nothing_and_other_content_needs_replace(session):
    units = _two_units(session)
    first = _store(session, units)
    again = _store(session, units)
    assert (first.action, again.action) == ("created", "unchanged")
    assert again.layer.id == first.layer.id

    other = units.assign(population=units["population"] + 1)
    with pytest.raises(ConflictError, match="already exists with other units"):
        _store(session, other)
    replaced = _store(session, other, replace=True)
    assert replaced.action == "replaced" and replaced.layer.total_population == 102
    assert session.scalar(select(func.count()).select_from(PopulationLayer)) == 1
    count = session.scalar(select(func.count()).where(PopulationUnit.layer_id == replaced.layer.id))
    assert count == 2

    described = _store(session, other, title="Renamed", replace=True)
    assert described.action == "updated" and described.layer.title == "Renamed"


def test_layer_units_read_back_exactly(session):
    units = _two_units(session)
    layer = _store(session, units).layer
    frame = population.layer_units(session, layer)
    np.testing.assert_array_equal(frame["lon"], units["lon"])
    np.testing.assert_array_equal(frame["lat"], units["lat"])
    assert frame["population"].tolist() == [70, 30]
    assert frame.attrs["modelled"] is False


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"name": "Bad Name"}, "name"),
        ({"kind": "guessed"}, "kind"),
        ({"as_of": "2564-13"}, "as_of"),
        ({"group_columns": ["population"]}, "groups"),
        ({"finest_level": 1}, None),  # subdistrict codes are finer than that: fine
    ],
)
def test_layer_descriptions_are_checked(session, options, field):
    units = _two_units(session)
    options = {"name": "layer", **options}
    if field is None:
        assert _store(session, units, **options).action == "created"
        return
    with pytest.raises(ValidationError) as error:
        _store(session, units, **options)
    assert error.value.field == field


def test_find_layer_names_what_exists(session):
    with pytest.raises(NotFoundError, match="no population layer is loaded"):
        population.find_layer(session, None)
    _store(session, _two_units(session), name="only")
    assert population.find_layer(session, None).name == "only"
    with pytest.raises(NotFoundError, match="'nope'; layers: only"):
        population.find_layer(session, "nope")
