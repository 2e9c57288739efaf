"""Tests for geo.dask_coverage: the Dask run must equal the in-process run exactly.

"Exactly" is ``check_exact=True`` on every column and the same dtypes: integer counts equal,
distances and shares equal to the last bit.
"""

from __future__ import annotations

import json
from pathlib import Path

import dask.dataframe as dd
import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from geo.coverage import coverage_by_area
from geo.dask_coverage import coverage_by_area_dask
from geo.population import AGE_GROUPS, province_totals_from_dopa, spread_population

ROOT = Path(__file__).resolve().parents[2]
SUBDISTRICTS = ROOT / "data" / "th_adm3_subdistricts.geojson"
HOSPITALS = ROOT / "data" / "moph_hospitals_geojson_health.geojson"
POPULATION = ROOT.parent / "shared" / "data" / "population"


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def client(cluster):
    with Client(cluster, set_as_default=False) as client:
        yield client


@pytest.fixture(scope="module")
def units() -> gpd.GeoDataFrame:
    """4,000 points of the modelled layer, in shuffled order."""
    if not POPULATION.is_dir():
        pytest.skip(f"the shared population data {POPULATION} is not here")
    table = province_totals_from_dopa(
        json.loads((POPULATION / "th-census-data.json").read_text(encoding="utf-8")),
        json.loads((POPULATION / "th-census-age-group.json").read_text(encoding="utf-8")),
    )
    layer = spread_population(gpd.read_file(SUBDISTRICTS), table, points_per_subdistrict=2)
    sample = layer.sample(4_000, random_state=1)
    sample.attrs = dict(layer.attrs)
    return sample


@pytest.fixture(scope="module")
def hospitals() -> tuple[np.ndarray, np.ndarray]:
    points = gpd.read_file(HOSPITALS).geometry
    return points.x.to_numpy(), points.y.to_numpy()


@pytest.mark.parametrize(("level", "threshold_m"), [(1, 10_000.0), (2, 5_000.0), (3, 20_000.0)])
def test_pandas_input_gives_the_in_process_table(client, units, hospitals, level, threshold_m):
    expected = coverage_by_area(
        units, *hospitals, threshold_m=threshold_m, level=level, group_columns=AGE_GROUPS
    )

    actual = coverage_by_area_dask(
        units,
        *hospitals,
        threshold_m=threshold_m,
        level=level,
        group_columns=AGE_GROUPS,
        client=client,
        npartitions=7,
    )

    pd.testing.assert_frame_equal(actual, expected, check_exact=True)
    assert actual.attrs["modelled"] is True


def test_dask_and_dask_geopandas_input(client, units, hospitals):
    expected = coverage_by_area(units, *hospitals, threshold_m=8_000, level=2)
    plain = dd.from_pandas(pd.DataFrame(units.drop(columns="geometry")), npartitions=5)
    geometry_only = dask_geopandas.from_geopandas(units.drop(columns=["lon", "lat"]), npartitions=3)

    for population in (plain, geometry_only):
        actual = coverage_by_area_dask(
            population, *hospitals, threshold_m=8_000, level=2, client=client
        )
        pd.testing.assert_frame_equal(actual, expected, check_exact=True, check_dtype=True)


def test_scheduler_address_and_no_facilities(cluster, units):
    expected = coverage_by_area(units, [], [], threshold_m=1_000, level=1)

    actual = coverage_by_area_dask(
        units, [], [], threshold_m=1_000, level=1, client=cluster.scheduler_address
    )

    pd.testing.assert_frame_equal(actual, expected, check_exact=True)
    assert (actual["covered"] == 0).all() and np.isinf(actual["median_m"]).all()


def test_bad_input_is_refused(client, units, hospitals):
    with pytest.raises(ValueError, match=r"client must be a distributed.Client or a scheduler"):
        coverage_by_area_dask(units, *hospitals, threshold_m=1, level=1, client=42)
    with pytest.raises(ValueError, match=r"level 5 is not an area level"):
        coverage_by_area_dask(units, *hospitals, threshold_m=1, level=5, client=client)
    with pytest.raises(ValueError, match=r"npartitions must be a positive integer, got 0"):
        coverage_by_area_dask(
            units, *hospitals, threshold_m=1, level=1, client=client, npartitions=0
        )
    broken = pd.DataFrame(units.drop(columns="geometry")).reset_index(drop=True)
    broken.loc[3_500, "area_code"] = "TH1"
    with pytest.raises(ValueError, match=r"population row 3500: area_code 'TH1' is not"):
        coverage_by_area_dask(broken, *hospitals, threshold_m=1, level=1, client=client)
    with pytest.raises(ValueError, match=r"partition 1: population row \d+: area_code 'TH1'"):
        coverage_by_area_dask(
            dd.from_pandas(broken, npartitions=2), *hospitals, threshold_m=1, level=1, client=client
        )


@pytest.mark.slow
def test_worker_processes_give_the_same_table(units, hospitals):
    # Separate processes, as on a real cluster: the facilities and the partitions travel
    # pickled, and each worker process builds its own index.
    expected = coverage_by_area(
        units, *hospitals, threshold_m=15_000, level=3, group_columns=AGE_GROUPS
    )
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            worker_dashboard_address=":0",
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        actual = coverage_by_area_dask(
            units,
            *hospitals,
            threshold_m=15_000,
            level=3,
            group_columns=AGE_GROUPS,
            client=client,
        )
    pd.testing.assert_frame_equal(actual, expected, check_exact=True)
