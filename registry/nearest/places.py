"""Place search over the loaded areas: a resident's typed place becomes a search point."""

from __future__ import annotations

import ast
import csv
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.places import PlaceIndex, PlaceMatch
from registry.cache import PerDatabase
from registry.errors import ValidationError
from registry.models import Area
from registry.paths import DATA_DIR

ALIASES_FILE = DATA_DIR / "province_mapping.csv"


def province_aliases(path: Path = ALIASES_FILE) -> dict[str, list[str]]:
    """Real spellings of province names seen in government documents, by area code."""
    if not path.exists():
        return {}
    aliases: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            iso = (row.get("ISO[7]") or "").strip()  # TH-10
            if not iso.startswith("TH-"):
                continue
            names = ast.literal_eval(row["Alt_names"]) if row.get("Alt_names") else []
            aliases.setdefault("TH" + iso[3:], []).extend(str(name) for name in names)
    return aliases


def _seat(code: str) -> str:
    """The subdistrict that stands for an area: DOPA numbers the seat 01 at every level.

    A resident who types a province means its town, not the middle of its forests: TH50
    (Chiang Mai) is searched from TH500101, Si Phum, the old city.
    """
    return code + "01" * ((8 - len(code)) // 2)


def _area_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Area))


def _build_place_index(session: Session) -> PlaceIndex:
    surface = func.ST_PointOnSurface(Area.geom)
    rows = session.execute(
        select(
            Area.code,
            Area.level,
            Area.name_th,
            Area.name_en,
            func.ST_X(surface).label("lon"),
            func.ST_Y(surface).label("lat"),
        ).order_by(Area.code)
    ).all()
    points = {r.code: (r.lon, r.lat) for r in rows}
    seats = [points.get(_seat(r.code), points[r.code]) for r in rows]
    return PlaceIndex(
        [r.code for r in rows],
        [r.level for r in rows],
        [r.name_th for r in rows],
        [r.name_en for r in rows],
        [lon for lon, _ in seats],
        [lat for _, lat in seats],
        aliases=province_aliases(),
    )


place_indexes = PerDatabase(_build_place_index, _area_count, follows_data_version=True)


def search_places(
    session: Session, query: str, *, limit: int = 10, field: str = "place"
) -> list[PlaceMatch]:
    """Ranked areas whose names match what the resident typed (in parameter ``field``)."""
    try:
        return place_indexes.get(session).search(query, limit=limit)
    except ValueError as error:
        raise ValidationError(str(error), field=field) from None


def place_at(session: Session, code: str) -> PlaceMatch | None:
    """The area with this code, with its names and the point searches start from."""
    return place_indexes.get(session).area(code)


def place_record(match: PlaceMatch) -> dict:
    """A match as plain data for JSON answers."""
    return {
        "code": match.code,
        "level": match.level,
        "name_th": match.name_th,
        "name_en": match.name_en,
        "parents_th": list(match.parent_names_th),
        "parents_en": list(match.parent_names_en),
        "lon": match.lon,
        "lat": match.lat,
        "score": round(match.score, 3),
    }
