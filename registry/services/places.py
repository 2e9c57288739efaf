"""Place search over the loaded areas: a resident's typed place becomes a search point."""

from __future__ import annotations

import ast
import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.places import PlaceIndex, PlaceMatch

from .. import DATA_DIR
from ..errors import ValidationError
from ..models import Area
from .cache import PerDatabase

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


place_indexes = PerDatabase(_build_place_index, _area_count)


def search_places(session: Session, query: str, *, limit: int = 10) -> list[PlaceMatch]:
    """Ranked areas whose names match what the resident typed."""
    try:
        return place_indexes.get(session).search(query, limit=limit)
    except ValueError as error:
        raise ValidationError(str(error), field="place") from None


# -- choosing the place a resident meant ------------------------------------------------------
# A part score at or above this is a name spelled as the area's (or a known variant of it).
EXACT_SCORE = 0.97
# Below this only fuzzy look-alikes matched: the name is not an area we know.
WEAK_SCORE = 0.6
MAX_CANDIDATES = 30
MAX_SUGGESTIONS = 5


@dataclass(frozen=True)
class PlaceResolution:
    """What a typed place name was taken to mean, and what else it could have meant.

    ``match`` is one of:

    * ``exact``: one area is named exactly at the highest level named (a province before its
      districts); ``chosen`` is it, ``alternatives`` the other areas elsewhere of the same
      name (``เชียงใหม่`` is also a subdistrict in Roi Et), never hidden;
    * ``ambiguous``: several areas of the same level bear the name (``ช้างเผือก``);
    * ``weak``: nothing is named exactly, but names start with or contain the text;
    * ``unknown``: at best a look-alike name; ``alternatives`` are suggestions;
    * ``code``: the area was given by its code (a candidate the resident picked).

    ``chosen`` is the best-ranked candidate in every case but ``unknown`` (the API answers from
    it and says how sure it is; the page asks the resident instead of guessing). Candidates in
    the resident's own province (``home_province``) come first among equally good ones.
    """

    query: str
    match: str
    chosen: PlaceMatch | None
    alternatives: tuple[PlaceMatch, ...]

    @property
    def settled(self) -> bool:
        return self.match in ("exact", "code")


def province_of(code: str) -> str:
    return code[:4]


def _related(a: PlaceMatch, b: PlaceMatch) -> bool:
    return a.code.startswith(b.code) or b.code.startswith(a.code)


def _ranked(matches, home_province: str | None) -> list[PlaceMatch]:
    return sorted(matches, key=lambda m: (-round(m.score, 2), province_of(m.code) != home_province))


def resolve_place(
    session: Session, query: str, *, home_province: str | None = None
) -> PlaceResolution:
    """Read a typed place name as one area, or say it is ambiguous, weak or unknown."""
    matches = search_places(session, query, limit=MAX_CANDIDATES)
    exact = [m for m in matches if m.score >= EXACT_SCORE]
    if exact:
        top_level = min(m.level for m in exact)
        firsts = _ranked([m for m in exact if m.level == top_level], home_province)
        if len(firsts) == 1:
            chosen = firsts[0]
            others = [m for m in exact if not _related(m, chosen)]
            return PlaceResolution(query, "exact", chosen, tuple(_ranked(others, home_province)))
        return PlaceResolution(query, "ambiguous", firsts[0], tuple(firsts))
    ranked = _ranked(matches, home_province)
    if ranked and ranked[0].score >= WEAK_SCORE:
        return PlaceResolution(query, "weak", ranked[0], tuple(ranked[:10]))
    return PlaceResolution(query, "unknown", None, tuple(ranked[:MAX_SUGGESTIONS]))


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
