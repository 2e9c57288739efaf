"""Village names in a resident's search, from DOPA's village list bundled in data/villages/.

The list has no coordinates: a village found here is searched from its subdistrict, and the
page says so. See geo/villages.py for how names are compared.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from geo.places import PlaceMatch, name_key
from geo.villages import Village, VillageIndex
from registry.areas.villages import VILLAGE_FILE, read_village_file
from registry.nearest.places import place_at
from registry.paths import DATA_DIR

VILLAGES_FILE = DATA_DIR / VILLAGE_FILE
# Administrative words before the district or province a resident adds after a village name.
_ADMIN_WORD = re.compile(r"^(?:จังหวัด|อำเภอ|ตำบล|จ\.|อ\.|ต\.|เขต|แขวง)")
_SEPARATORS = re.compile(r"[\s,;/|()]+")


@dataclass(frozen=True)
class VillageMatch:
    """A village and the subdistrict it lies in (the point a search starts from)."""

    village: Village
    place: PlaceMatch


@functools.cache
def village_index(path: Path = VILLAGES_FILE) -> VillageIndex | None:
    """Current villages of the bundled list (None if the file is not there)."""
    if not path.exists():
        return None
    rows = read_village_file(path)  # the same rows the database is loaded with
    codes = [row["code"] for row in rows]
    names_th = [row["name_th"] for row in rows]
    names_en = [row["name_en"] or "" for row in rows]
    subdistricts = [row["subdistrict_code"] for row in rows]
    return VillageIndex(codes, names_th, names_en, subdistricts)


def _with_place(session: Session, village: Village) -> VillageMatch | None:
    place = place_at(session, village.subdistrict)
    return None if place is None else VillageMatch(village, place)


def village_at(session: Session, code: str) -> VillageMatch | None:
    """The village with this DOPA code and its subdistrict, or None."""
    index = village_index()
    village = index.get(code) if index is not None else None
    return None if village is None else _with_place(session, village)


def find_villages(session: Session, query: str) -> list[VillageMatch]:
    """Villages named by the query, optionally followed by their district or province.

    The longest run of leading words that is a village name is the village; every word after
    it must appear in the name of the village's subdistrict, district or province
    ("บ้านหนองบัว ขอนแก่น", "Ban Nong Bua, Khon Kaen").
    """
    index = village_index()
    words = [w for w in _SEPARATORS.split(query.strip()) if w]
    if index is None or not words:
        return []
    for cut in range(len(words), 0, -1):
        villages = index.find(" ".join(words[:cut]))
        if not villages:
            continue
        rest = [name_key(_ADMIN_WORD.sub("", w)) for w in words[cut:]]
        rest = [w for w in rest if w]
        found = []
        for village in villages:
            match = _with_place(session, village)
            if match is None:
                continue
            place = match.place
            names = name_key(
                " ".join(
                    (place.name_th, place.name_en, *place.parent_names_th, *place.parent_names_en)
                )
            )
            if all(word in names for word in rest):
                found.append(match)
        return found
    return []


def village_record(match: VillageMatch) -> dict:
    """A village as plain data for JSON answers: its names, code and subdistrict."""
    return {
        "code": match.village.code,
        "name_th": match.village.name_th,
        "name_en": match.village.name_en,
        "subdistrict_code": match.place.code,
        "parents_th": [match.place.name_th, *match.place.parent_names_th],
        "parents_en": [match.place.name_en, *match.place.parent_names_en],
    }
