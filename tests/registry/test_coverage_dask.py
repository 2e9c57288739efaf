"""DASK_SCHEDULER: the coverage service on a local Dask cluster equals the in-process run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from distributed import LocalCluster

from registry.coverage import query as coverage_query
from registry.coverage import service
from registry.coverage.dask_cluster import close_clients
from registry.coverage.population_files import PointCounts
from tests.registry.coverage_layout import fresh_caches  # noqa: F401  (fixture)
from tests.registry.helpers import make_facility

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        yield cluster
    close_clients()


def _random_layer(session, rng) -> str:
    """3,000 villages with people and two groups across northern Thailand."""
    from registry.coverage import population_store, population_units

    count = 3_000
    counts = PointCounts(
        lon=rng.uniform(98.3, 100.5, count),
        lat=rng.uniform(17.5, 19.9, count),
        population=rng.integers(0, 900, count),
        groups={"kids": rng.integers(0, 200, count), "old": rng.integers(0, 100, count)},
    )
    counts.groups["kids"][:] = np.minimum(counts.groups["kids"], counts.population)
    counts.groups["old"][:] = np.minimum(counts.groups["old"], counts.population)
    units, _ = population_units.units_at_points(session, counts, tolerance_m=5_000)
    population_store.store_layer(
        session, units, name="villages", title="Random villages", source="tests",
        kind="modelled", finest_level=3, created_by="tests", group_columns=("kids", "old"),
    )  # fmt: skip
    return "villages"


def test_dask_run_through_the_service_is_identical(app, session, cluster):
    rng = np.random.default_rng(6)
    layer = _random_layer(session, rng)
    for lon, lat in zip(rng.uniform(98.3, 100.5, 40), rng.uniform(17.5, 19.9, 40), strict=True):
        make_facility(session, type="vaccination_site", name_th="จุดฉีด", lon=lon, lat=lat)
    session.commit()

    for level in ("province", "district", "subdistrict"):
        query = coverage_query.parse_coverage_query(
            {"type": "vaccination_site", "threshold_km": "12.5", "level": level, "layer": layer}
        )
        app.config["DASK_SCHEDULER"] = ""
        local = service.coverage(session, query, app.config)
        service.answers.clear()  # or the second run would be the cached first
        app.config["DASK_SCHEDULER"] = cluster.scheduler_address
        distributed = service.coverage(session, query, app.config)
        service.answers.clear()

        assert (local.computed_with, distributed.computed_with) == ("in-process", "dask")
        assert len(local.areas) > 1
        pd.testing.assert_frame_equal(distributed.areas, local.areas, check_exact=True)
        assert distributed.totals == local.totals
