"""Administrative areas: loading the real boundaries and assigning points to areas."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from geo.areas import AreaLocator
from importers.messages import Rule, Text, area
from registry import version_watch
from registry.cache import PerDatabase
from registry.errors import OutsideThailandError, ValidationError
from registry.models import Area

# How far out a point may lie when the stated province corroborates the nearest area.
ISLAND_TOLERANCE_M = 30_000.0
LEVELS = {1: "province", 2: "district", 3: "subdistrict"}
LEVEL_BY_NAME = {name: level for level, name in LEVELS.items()}
# Each level's name inside a message ("stated district ..."), translated where it is shown.
LEVEL_WORDS = {level: Rule(f"area.level.{name}", name) for level, name in LEVELS.items()}

NO_AREAS = Rule(
    "area.none_loaded",
    "no administrative areas are loaded; run `registry load-areas` or `registry demo`",
)
OUTSIDE_THAILAND = Rule(
    "area.outside_thailand",
    "location (lat %(lat)s, lon %(lon)s) is outside Thailand: no subdistrict lies within %(km)s "
    "km of it",
)
OFF_THE_COAST = Rule(
    "area.off_the_coast",
    "location (lat %(lat)s, lon %(lon)s) lies %(metres)s m outside every subdistrict; assigned "
    "to the nearest, %(area)s",
)
OFF_THE_COAST_CORROBORATED = Rule(
    "area.off_the_coast_corroborated",
    "location (lat %(lat)s, lon %(lon)s) lies %(metres)s m outside every subdistrict; assigned "
    "to the nearest, %(area)s; accepted beyond %(km)s km because the stated province agrees",
)
STATED_DIFFERS = Rule(
    "area.stated_differs",
    "stated %(level)s %(stated)s differs from %(found)s, where the location lies",
)


def code_param(code: str) -> dict:
    """An area as a message parameter whose English is its code (as the notes have always
    read); a page names it in its language, with the code."""
    return area(code, code)


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
    # Caches built from the areas (place search, the locator) look again once it commits.
    version_watch.next_data_version(session)
    locators.clear()
    return len(rows)


@dataclass
class AreaAssignment:
    """The areas derived from a point, plus anything a person should know about them."""

    province_code: str | None
    district_code: str | None
    subdistrict_code: str | None
    warnings: list[Text] = field(default_factory=list)


def _subdistrict_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Area).where(Area.level == 3))


def _build_locator(session: Session) -> AreaLocator:
    rows = session.execute(select(Area.code, Area.geom).where(Area.level == 3)).all()
    if not rows:
        raise ValidationError(NO_AREAS())
    return AreaLocator([r.code for r in rows], [to_shape(r.geom) for r in rows])


locators = PerDatabase(_build_locator, _subdistrict_count, follows_data_version=True)


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


def _outside(lon, lat, tolerance_m: float) -> OutsideThailandError:
    return OutsideThailandError(
        OUTSIDE_THAILAND(lat=lat, lon=lon, km=f"{tolerance_m / 1000:g}"), field="location"
    )


@dataclass
class AreaColumns:
    """assign_areas() for a whole batch, column by column.

    ``province_code``, ``district_code`` and ``subdistrict_code`` are object arrays (None where
    the point was refused); ``warnings`` and ``errors`` are keyed by position in the batch and
    hold only the points that have any.
    """

    province_code: np.ndarray
    district_code: np.ndarray
    subdistrict_code: np.ndarray
    warnings: dict[int, list[Text]]
    errors: dict[int, OutsideThailandError]


def _stated_column(stated, n: int) -> np.ndarray:
    column = np.full(n, None, dtype=object)
    if stated is not None:
        column[:] = [code or None for code in stated]
    return column


def assign_columns(
    session: Session,
    lon,
    lat,
    *,
    tolerance_m: float,
    stated_province=None,
    stated_district=None,
    stated_subdistrict=None,
) -> AreaColumns:
    """Areas of many points at once, with the rules and messages of assign_areas().

    The point-in-polygon test and the nearest-area search run over the whole batch; only the
    points that get a warning or an error are looked at one by one, to word the message.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    n = len(lon)
    search_m = max(tolerance_m, ISLAND_TOLERANCE_M)
    match = locators.get(session).locate(lon, lat, tolerance_m=search_m)
    codes = match.codes
    distance = match.distance_m
    stated = {
        "province_code": _stated_column(stated_province, n),
        "district_code": _stated_column(stated_district, n),
        "subdistrict_code": _stated_column(stated_subdistrict, n),
    }
    found = np.array([code is not None for code in codes], dtype=bool)
    derived = {
        "province_code": np.array([c[:4] if c else None for c in codes], dtype=object),
        "district_code": np.array([c[:6] if c else None for c in codes], dtype=object),
        "subdistrict_code": codes.astype(object),
    }
    corroborated = found & (stated["province_code"] == derived["province_code"])
    far = found & (np.nan_to_num(distance, nan=0.0) > tolerance_m)
    refused = ~found | (far & ~corroborated)
    errors = {
        int(i): _outside(float(lon[i]), float(lat[i]), tolerance_m) for i in np.flatnonzero(refused)
    }
    outside = found & ~refused & (np.nan_to_num(distance, nan=0.0) > 0)
    differs = {
        name: ~refused & (column != None) & (column != derived[name])  # noqa: E711
        for name, column in stated.items()
    }
    noted = outside | differs["province_code"] | differs["district_code"]
    noted |= differs["subdistrict_code"]
    warnings: dict[int, list[Text]] = {}
    for i in np.flatnonzero(noted):
        notes = []
        if outside[i]:
            where = {
                "lat": float(lat[i]),
                "lon": float(lon[i]),
                "metres": f"{distance[i]:.0f}",
                "area": code_param(codes[i]),
            }
            if far[i]:
                notes.append(OFF_THE_COAST_CORROBORATED(**where, km=f"{tolerance_m / 1000:g}"))
            else:
                notes.append(OFF_THE_COAST(**where))
        for level in (1, 2, 3):
            name = f"{LEVELS[level]}_code"
            if differs[name][i]:
                notes.append(
                    STATED_DIFFERS(
                        level=LEVEL_WORDS[level](),
                        stated=code_param(stated[name][i]),
                        found=code_param(derived[name][i]),
                    )
                )
        warnings[int(i)] = notes
    for column in derived.values():
        column[refused] = None
    return AreaColumns(
        derived["province_code"],
        derived["district_code"],
        derived["subdistrict_code"],
        warnings,
        errors,
    )


def assign_many(
    session: Session, lon, lat, *, tolerance_m: float, stated: list[dict[str, str | None]]
) -> list[AreaAssignment | OutsideThailandError]:
    """assign_areas() for many points at once; a point outside Thailand gives its error.

    Small islands are missing from the simplified boundaries (Ko Phi Phi lies 22 km from the
    nearest polygon), so a point up to ISLAND_TOLERANCE_M out is still accepted when the
    province the source states is the province of the nearest area.
    """
    columns = assign_columns(
        session,
        lon,
        lat,
        tolerance_m=tolerance_m,
        stated_province=[s.get("province_code") for s in stated],
        stated_district=[s.get("district_code") for s in stated],
        stated_subdistrict=[s.get("subdistrict_code") for s in stated],
    )
    results: list[AreaAssignment | OutsideThailandError] = []
    for i in range(len(stated)):
        if i in columns.errors:
            results.append(columns.errors[i])
            continue
        results.append(
            AreaAssignment(
                columns.province_code[i],
                columns.district_code[i],
                columns.subdistrict_code[i],
                columns.warnings.get(i, []),
            )
        )
    return results
