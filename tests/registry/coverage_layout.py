"""A small, hand-checked coverage layout shared by the coverage tests.

Three groups of people and one vaccination site at Tha Phae Gate, Chiang Mai:

=====  ==========================================  ======  ========================
unit   where                                       people  distance to the site
=====  ==========================================  ======  ========================
near   0.02° north of the gate (Chiang Mai)          100   2.2 km: covered at 10 km
far    0.30° north of the gate (Chiang Mai)          200   33 km: not covered
city   Bangkok, Democracy Monument                    50   580 km: not covered
=====  ==========================================  ======  ========================

So at 10 km: Chiang Mai (TH50) has 300 people, 100 covered, 200 not; Bangkok (TH10) 50, none
covered; 250 people in all are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from pyproj import Geod

from registry.coverage import population, population_store, population_units
from registry.coverage import service as coverage_service
from registry.coverage.population_files import PointCounts
from tests.registry.helpers import BANGKOK, CHIANG_MAI, make_facility

GEOD = Geod(ellps="WGS84")
LAYER = "test-layout"
NEAR = (CHIANG_MAI["lon"], CHIANG_MAI["lat"] + 0.02)
FAR = (CHIANG_MAI["lon"], CHIANG_MAI["lat"] + 0.30)
CITY = (BANGKOK["lon"], BANGKOK["lat"])
PEOPLE = {"near": 100, "far": 200, "city": 50}
GROUPS = {"elderly": {"near": 10, "far": 40, "city": 5}}


def geodesic(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Metres from a to b, unit first, as geo.coverage measures."""
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


@dataclass
class Layout:
    layer: population.LayerInfo
    site: object  # the vaccination site at the gate


def store_points(session, name: str, points: dict, people: dict, groups: dict | None = None):
    groups = groups or {}
    counts = PointCounts(
        lon=np.array([points[k][0] for k in people]),
        lat=np.array([points[k][1] for k in people]),
        population=np.array(list(people.values()), dtype=np.int64),
        groups={g: np.array([v[k] for k in people], dtype=np.int64) for g, v in groups.items()},
    )
    units, left_out = population_units.units_at_points(session, counts, tolerance_m=5_000)
    assert left_out == 0
    return population_store.store_layer(
        session,
        units,
        name=name,
        title="Hand-checked layout",
        source="tests",
        kind="measured",
        finest_level=3,
        created_by="tests",
        group_columns=tuple(groups),
    ).layer


def build_layout(session) -> Layout:
    layer = store_points(session, LAYER, {"near": NEAR, "far": FAR, "city": CITY}, PEOPLE, GROUPS)
    site = make_facility(session, type="vaccination_site", name_th="จุดฉีดวัคซีนประตูท่าแพ", walk_in=True)
    session.commit()
    return Layout(layer, site)


@pytest.fixture
def fresh_caches():
    """Coverage answers are keyed by data version, which rolled-back tests reuse."""
    coverage_service.answers.clear()
    population.layer_cache.clear()
    yield
    coverage_service.answers.clear()
    population.layer_cache.clear()
