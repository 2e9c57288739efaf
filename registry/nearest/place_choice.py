"""Which place a resident meant: one area, several candidates, a village, or none.

A typed name is read by the area search (``places.search_places``) and, when no area bears it
exactly, by the village list (``villages.find_villages``). The answer says how sure it is, so
the page can ask instead of guessing and the API can say what it assumed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from geo.places import PlaceMatch
from registry.nearest.places import search_places
from registry.nearest.village_search import VillageMatch, find_villages

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
    * ``code``: the area or village was given by its code (a candidate the resident picked);
    * ``village``: no area bears the name but one village does; ``chosen`` is its subdistrict.
      Several villages of the name make it ``ambiguous``, with ``villages`` to choose from.

    ``chosen`` is the best-ranked candidate in every case but ``unknown`` (the API answers from
    it and says how sure it is; the page asks the resident instead of guessing). Candidates in
    the resident's own province (``home_province``) come first among equally good ones.
    """

    query: str
    match: str
    chosen: PlaceMatch | None
    alternatives: tuple[PlaceMatch, ...]
    # The village the search starts from (its subdistrict is ``chosen``), and the villages
    # an ambiguous village name could mean.
    village: VillageMatch | None = None
    villages: tuple[VillageMatch, ...] = ()

    @property
    def settled(self) -> bool:
        return self.match in ("exact", "code", "village")


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
    villages = sorted(
        find_villages(session, query),
        key=lambda v: province_of(v.place.code) != home_province,
    )
    if len(villages) == 1:
        return PlaceResolution(query, "village", villages[0].place, (), village=villages[0])
    if villages:
        return PlaceResolution(
            query,
            "ambiguous",
            villages[0].place,
            (),
            village=villages[0],
            villages=tuple(villages[:MAX_CANDIDATES]),
        )
    ranked = _ranked(matches, home_province)
    if ranked and ranked[0].score >= WEAK_SCORE:
        return PlaceResolution(query, "weak", ranked[0], tuple(ranked[:10]))
    return PlaceResolution(query, "unknown", None, tuple(ranked[:MAX_SUGGESTIONS]))
