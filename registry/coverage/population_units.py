"""Population units built from counts: one unit per area, spread over subdistricts, or points.

A unit is a point with a number of people, optional group counts and the most specific area it
lies in; :mod:`registry.coverage.population` explains the three ways a layer is made.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.population import (
    MODEL_DESCRIPTION,
    spread_population,
)
from registry.areas.service import locators
from registry.coverage.population import (
    DEMO_POINTS_PER_SUBDISTRICT,
    DEMO_SEED,
    LEVEL_NAMES,
    empty_units,
)
from registry.coverage.population_files import AreaCounts, PointCounts
from registry.errors import ValidationError
from registry.models import Area

# -- building units ---------------------------------------------------------------------------


def units_from_area_counts(
    session: Session,
    counts: AreaCounts,
    *,
    placement: str = "point",
    points_per_subdistrict: int = DEMO_POINTS_PER_SUBDISTRICT,
    seed: int = DEMO_SEED,
) -> tuple[pd.DataFrame, int, str]:
    """Units for counts per area, the layer's finest level and a sentence on the method."""
    if placement not in ("point", "spread"):
        raise ValidationError(
            f"placement {placement!r} is not 'point' or 'spread' (placement 'within' is "
            "registry.coverage.population_measured)",
            field="placement",
        )
    known = set(
        session.scalars(select(Area.code).where(Area.code.in_([str(c) for c in counts.codes])))
    )
    unknown = [str(code) for code in counts.codes if code not in known]
    if unknown:
        raise ValidationError(
            f"{len(unknown)} area code(s) are not in the registry's boundaries, e.g. "
            f"{', '.join(unknown[:5])}",
            field="code",
        )
    if placement == "spread":
        if counts.level != 1:
            raise ValidationError(
                "placement 'spread' spreads province counts over their subdistricts; these "
                f"are {LEVEL_NAMES[counts.level]} counts: use placement 'point'",
                field="placement",
            )
        totals = pd.DataFrame(
            {"province_code": counts.codes.astype(str), "population": counts.population}
        )
        for name, values in counts.groups.items():
            totals[name] = values
        units = spread_units(
            session,
            totals,
            group_columns=tuple(counts.groups),
            points_per_subdistrict=points_per_subdistrict,
            seed=seed,
        )
        return units, 3, MODEL_DESCRIPTION
    rows = session.execute(
        select(Area.code, Area.geom).where(Area.code.in_([str(c) for c in counts.codes]))
    ).all()
    point_of = {row.code: shapely.point_on_surface(to_shape(row.geom)) for row in rows}
    points = [point_of[str(code)] for code in counts.codes]
    units = pd.DataFrame(
        {
            "lon": np.array([p.x for p in points], dtype=np.float64),
            "lat": np.array([p.y for p in points], dtype=np.float64),
            "population": counts.population.astype(np.int64),
            "area_code": counts.codes.astype(str),
        }
    )
    for name, values in counts.groups.items():
        units[name] = values.astype(np.int64)
    method = (
        f"counts per {LEVEL_NAMES[counts.level]}, each area's people at one point inside it "
        "(its representative point); coverage is answered at that level and above"
    )
    return units, counts.level, method


def spread_units(
    session: Session,
    province_totals: pd.DataFrame,
    *,
    group_columns: Sequence[str],
    points_per_subdistrict: int = DEMO_POINTS_PER_SUBDISTRICT,
    seed: int = DEMO_SEED,
) -> pd.DataFrame:
    """Province totals spread over the registry's subdistricts by geo.population (modelled)."""
    rows = session.execute(select(Area.code, Area.geom).where(Area.level == 3)).all()
    if not rows:
        raise ValidationError(
            "no subdistrict boundaries are loaded; run `registry load-areas` first"
        )
    provinces = set(province_totals["province_code"])
    rows = [row for row in rows if row.code[:4] in provinces]
    subdistricts = gpd.GeoDataFrame(
        {"adm3_pcode": [row.code for row in rows]},
        geometry=[to_shape(row.geom) for row in rows],
        crs="EPSG:4326",
    )
    try:
        layer = spread_population(
            subdistricts,
            province_totals,
            points_per_subdistrict=points_per_subdistrict,
            seed=seed,
            group_columns=tuple(group_columns),
        )
    except ValueError as error:
        raise ValidationError(f"cannot spread these counts: {error}") from None
    units = pd.DataFrame(layer.drop(columns="geometry"))
    units.attrs = {}
    return units[["lon", "lat", "population", "area_code", *group_columns]]


def units_at_points(
    session: Session, counts: PointCounts, *, tolerance_m: float
) -> tuple[pd.DataFrame, int]:
    """Units at the given points in the subdistrict holding each; how many were left out."""
    if counts.lon.size == 0:
        return empty_units(tuple(counts.groups)), 0
    match = locators.get(session).locate(counts.lon, counts.lat, tolerance_m=tolerance_m)
    found = ~match.unmatched
    units = pd.DataFrame(
        {
            "lon": counts.lon[found].astype(np.float64),
            "lat": counts.lat[found].astype(np.float64),
            "population": counts.population[found].astype(np.int64),
            "area_code": match.codes[found].astype(str),
        }
    )
    for name, values in counts.groups.items():
        units[name] = values[found].astype(np.int64)
    return units, int((~found).sum())
