"""Administrative areas: loading the real boundaries and assigning points to areas."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import shapely
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from geo.areas import AreaLocator

from ..errors import OutsideThailandError, ValidationError
from ..models import Area
from .cache import PerDatabase

# How far out a point may lie when the stated province corroborates the nearest area.
ISLAND_TOLERANCE_M = 30_000.0
LEVELS = {1: "province", 2: "district", 3: "subdistrict"}
LEVEL_BY_NAME = {name: level for level, name in LEVELS.items()}
# Files in data/ and the column prefix of each level (HDX COD-AB naming).
BOUNDARY_FILES = {
    1: ("th_adm1_provinces.geojson", "adm1"),
    2: ("th_adm2_districts.geojson", "adm2"),
    3: ("th_adm3_subdistricts.geojson", "adm3"),
}


def parent_code(code: str) -> str | None:
    """The code of the area one level up: TH500101 -> TH5001 -> TH50 -> None."""
    return code[:-2] if len(code) > 4 else None


def level_of(code: str) -> int:
    return (len(code) - 2) // 2


def load_boundaries(session: Session, data_dir: Path) -> int:
    """Replace all areas with the boundaries in data_dir; returns how many were written."""
    rows = []
    for level, (file_name, prefix) in BOUNDARY_FILES.items():
        frame = gpd.read_file(data_dir / file_name)
        for code, name_th, name_en, geom in zip(
            frame[f"{prefix}_pcode"],
            frame[f"{prefix}_th"],
            frame[f"{prefix}_en"],
            frame.geometry,
            strict=True,
        ):
            multi = geom if geom.geom_type == "MultiPolygon" else shapely.MultiPolygon([geom])
            rows.append(
                {
                    "code": code,
                    "level": level,
                    "name_th": name_th,
                    "name_en": name_en,
                    "parent_code": parent_code(code),
                    "geom": from_shape(multi, srid=4326),
                }
            )
    session.execute(delete(Area))
    # Parents first so the foreign key holds on every insert.
    session.execute(Area.__table__.insert(), rows)
    locators.clear()
    return len(rows)


@dataclass
class AreaAssignment:
    """The areas derived from a point, plus anything a person should know about them."""

    province_code: str | None
    district_code: str | None
    subdistrict_code: str | None
    warnings: list[str] = field(default_factory=list)


def _subdistrict_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Area).where(Area.level == 3))


def _build_locator(session: Session) -> AreaLocator:
    rows = session.execute(select(Area.code, Area.geom).where(Area.level == 3)).all()
    if not rows:
        raise ValidationError(
            "no administrative areas are loaded; run `registry load-areas` or `registry demo`"
        )
    return AreaLocator([r.code for r in rows], [to_shape(r.geom) for r in rows])


locators = PerDatabase(_build_locator, _subdistrict_count)


def assign_areas(
    session: Session,
    lon: float,
    lat: float,
    *,
    tolerance_m: float,
    stated: dict[str, str | None] | None = None,
) -> AreaAssignment:
    """Derive province / district / subdistrict from a point and compare with stated codes.

    A point inside no subdistrict gets the nearest one within ``tolerance_m`` (coast, island)
    with a warning; farther than that it is refused as outside Thailand. The derived codes are
    the facility's areas (filters and maps must agree with the point); a stated code that
    differs is kept by the caller beside them and reported here as a warning.
    """
    result = assign_many(session, [lon], [lat], tolerance_m=tolerance_m, stated=[stated or {}])
    if isinstance(result[0], OutsideThailandError):
        raise result[0]
    return result[0]


def _assignment(subdistrict, distance_m, lon, lat, tolerance_m, stated) -> AreaAssignment:
    corroborated = subdistrict is not None and stated.get("province_code") == subdistrict[:4]
    if subdistrict is None or (distance_m > tolerance_m and not corroborated):
        raise OutsideThailandError(
            f"location (lat {lat}, lon {lon}) is outside Thailand: no subdistrict lies within "
            f"{tolerance_m / 1000:g} km of it",
            field="location",
        )
    result = AreaAssignment(subdistrict[:4], subdistrict[:6], subdistrict)
    if distance_m > 0:
        because = (
            f"; accepted beyond {tolerance_m / 1000:g} km because the stated province agrees"
            if distance_m > tolerance_m
            else ""
        )
        result.warnings.append(
            f"location (lat {lat}, lon {lon}) lies {distance_m:.0f} m outside every "
            f"subdistrict; assigned to the nearest, {subdistrict}{because}"
        )
    for level in (1, 2, 3):
        name = f"{LEVELS[level]}_code"
        code = stated.get(name)
        if code and code != getattr(result, name):
            result.warnings.append(
                f"stated {LEVELS[level]} {code} differs from {getattr(result, name)}, where the "
                "location lies"
            )
    return result


def assign_many(
    session: Session, lon, lat, *, tolerance_m: float, stated: list[dict[str, str | None]]
) -> list[AreaAssignment | OutsideThailandError]:
    """assign_areas() for many points at once; a point outside Thailand gives its error.

    Small islands are missing from the simplified boundaries (Ko Phi Phi lies 22 km from the
    nearest polygon), so a point up to ISLAND_TOLERANCE_M out is still accepted when the
    province the source states is the province of the nearest area.
    """
    search_m = max(tolerance_m, ISLAND_TOLERANCE_M)
    match = locators.get(session).locate(lon, lat, tolerance_m=search_m)
    results: list[AreaAssignment | OutsideThailandError] = []
    for i, code in enumerate(match.codes):
        try:
            results.append(
                _assignment(code, match.distance_m[i], lon[i], lat[i], tolerance_m, stated[i])
            )
        except OutsideThailandError as error:
            results.append(error)
    return results
