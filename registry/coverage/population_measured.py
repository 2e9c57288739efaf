"""Measured counts per area placed within their areas; DOPA 2021 by subdistrict, the default.

A table of counts by area (read by :mod:`registry.coverage.admin_counts`) becomes a layer
whose every subdistrict, district and province figure is the table's own: the counts are
*measured*, only where people stand inside their area is *placed* (points spread evenly over
the polygon, :func:`geo.population.place_area_counts`). Pages, files and API answers say
"measured by subdistrict, placed within it" (``LayerInfo.measure``).

DOPA publishes no age split below province, so the age groups of such a layer come from the
province's DOPA bands (2020, ``th-census-age-group.json``) applied to each subdistrict, and
the layer's method says so.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.population import (
    AGE_GROUPS,
    PLACEMENT_DESCRIPTION,
    place_area_counts,
    province_totals_from_dopa,
)
from registry.coverage.admin_counts import AdminCounts, read_admin_counts
from registry.coverage.population import (
    DEMO_POINTS_PER_SUBDISTRICT,
    DEMO_SEED,
    LEVEL_NAMES,
    StoreOutcome,
)
from registry.coverage.population_store import store_layer
from registry.errors import ValidationError
from registry.models import Area

DOPA_2021_LAYER = "dopa-2021-subdistrict"
DOPA_2021_FILE = Path("population") / "dopa_population_2021_by_admin.csv.gz"
AGE_BANDS_FILE = "th-census-age-group.json"
DOPA_ATTRIBUTION = "กรมการปกครอง (DOPA)"
DOPA_2021_SOURCE = (
    "กรมการปกครอง (DOPA), registered population at 2021-12-31 by province, district and "
    "subdistrict (CC BY; DOPA's statbyyear on data.go.th), via Ahoerstemeier/tambon @ b5dfcce"
)
AGE_NOTE = (
    "age groups (<20, 20-60, >60) are not measured below province: each subdistrict gets its "
    "province's DOPA 2020 age bands"
)


def known_area_codes(session: Session) -> set[str]:
    return set(session.scalars(select(Area.code)))


def units_from_admin_counts(
    session: Session,
    counts: AdminCounts,
    *,
    province_groups: pd.DataFrame | None = None,
    group_columns: Sequence[str] = (),
    points_per_area: int = DEMO_POINTS_PER_SUBDISTRICT,
    seed: int = DEMO_SEED,
) -> tuple[pd.DataFrame, str]:
    """Units for the counts, each area's people on points inside it; and the method text."""
    codes = [str(code) for code in counts.codes]
    polygons = {}
    for start in range(0, len(codes), 900):
        for row in session.execute(
            select(Area.code, Area.geom).where(Area.code.in_(codes[start : start + 900]))
        ):
            polygons[row.code] = to_shape(row.geom)
    areas = gpd.GeoDataFrame(
        {"code": list(polygons)}, geometry=list(polygons.values()), crs="EPSG:4326"
    )
    frame = pd.DataFrame({"area_code": codes, "population": counts.population})
    groups = tuple(counts.groups) if counts.groups else tuple(group_columns)
    if counts.groups:
        for name, values in counts.groups.items():
            frame[name] = values
    try:
        units = place_area_counts(
            areas,
            frame[["area_code", "population"]],
            province_groups=province_groups if not counts.groups else None,
            group_columns=groups,
            points_per_area=points_per_area,
            seed=seed,
        )
    except ValueError as error:
        raise ValidationError(f"cannot place these counts: {error}") from None
    units = pd.DataFrame(units.drop(columns="geometry"))
    units.attrs = {}
    if counts.groups:
        units = _measured_groups(units, frame, groups)
    method = PLACEMENT_DESCRIPTION.replace("subdistrict", LEVEL_NAMES[counts.level])
    if counts.reassigned:
        method += "; " + reassigned_note(counts)
    return units[["lon", "lat", "population", "area_code", *groups]], method


def _measured_groups(units: pd.DataFrame, frame: pd.DataFrame, groups) -> pd.DataFrame:
    """Measured group counts of each area, split over its points like its people."""
    from geo.population import split_equally  # the same whole-people split as the totals

    by_code = frame.set_index("area_code")
    area_of = pd.factorize(units["area_code"])[0]
    for name in groups:
        totals = by_code[name].reindex(pd.unique(units["area_code"])).to_numpy("int64")
        units[name] = split_equally(totals, area_of)
    return units


def reassigned_note(counts: AdminCounts) -> str:
    items = ", ".join(f"{r.code} {r.name} -> {r.assigned_to}" for r in counts.reassigned)
    return (
        f"{len(counts.reassigned)} {LEVEL_NAMES[counts.level]}(s) newer than the 2019 "
        f"boundaries are counted in the area they belong to ({items})"
    )


def province_age_groups(data_dir: Path, counts: AdminCounts) -> pd.DataFrame:
    """The province bands of DOPA 2020 as shares of the counts' province totals."""
    ages = json.loads((data_dir / AGE_BANDS_FILE).read_text(encoding="utf-8"))
    totals: dict[str, int] = {}
    for code, people in zip(counts.codes, counts.population, strict=True):
        totals[str(code)[2:4]] = totals.get(str(code)[2:4], 0) + int(people)
    census = [{"PROV_CODE": code, "population": people} for code, people in totals.items()]
    ages = [record for record in ages if str(record.get("PROV_CODE")).zfill(2) in totals]
    return province_totals_from_dopa(census, ages)


def read_dopa_2021(session: Session, data_dir: Path) -> AdminCounts:
    path = data_dir / DOPA_2021_FILE
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    return read_admin_counts(data, path.name.removesuffix(".gz"), known_area_codes(session))


def ensure_dopa_2021_layer(session: Session, data_dir: Path) -> tuple[StoreOutcome, AdminCounts]:
    """The default layer: DOPA 2021 by subdistrict, placed within; a second run changes nothing."""
    counts = read_dopa_2021(session, data_dir)
    units, method = units_from_admin_counts(
        session,
        counts,
        province_groups=province_age_groups(data_dir, counts),
        group_columns=AGE_GROUPS,
    )
    outcome = store_layer(
        session,
        units,
        name=DOPA_2021_LAYER,
        title="DOPA registered population 2021 by subdistrict",
        source=DOPA_2021_SOURCE,
        as_of="2021-12-31",
        kind="measured",
        measured_level=3,
        method=f"{method}; {AGE_NOTE}",
        group_columns=AGE_GROUPS,
        finest_level=3,
        created_by="demo loader",
        notes=tuple(r.message for r in counts.report.warnings()),
    )
    return outcome, counts
