"""A searched place as residents read it: its name, district and province, in the page's language.

Thai addresses name each level with its word (ตำบล / อำเภอ / จังหวัด; in Bangkok แขวง / เขต and
no word before กรุงเทพมหานคร), English ones with a trailing "subdistrict", "district",
"province"; the area's own name comes first, then its district and province.
"""

from __future__ import annotations

from geo.places import PlaceMatch
from registry.i18n import current_language

BANGKOK = "TH10"
_THAI_WORDS = {1: "จังหวัด", 2: "อำเภอ", 3: "ตำบล"}
_BANGKOK_THAI_WORDS = {1: "", 2: "เขต", 3: "แขวง"}
_ENGLISH_WORDS = {1: "province", 2: "district", 3: "subdistrict"}


def _chain(match: PlaceMatch, thai: bool) -> list[tuple[int, str]]:
    """(level, name) from the area up to its province, in one language (Thai if a name lacks)."""
    names = (match.name_th, *match.parent_names_th)
    if not thai:
        english = (match.name_en, *match.parent_names_en)
        names = tuple(en or th for en, th in zip(english, names, strict=True))
    return [(match.level - step, name) for step, name in enumerate(names)]


def place_label(match: PlaceMatch) -> str:
    """'ตำบลช้างเผือก อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่' or 'Chang Phueak subdistrict, ...'."""
    bangkok = match.code.startswith(BANGKOK)
    if current_language() == "th":
        words = _BANGKOK_THAI_WORDS if bangkok else _THAI_WORDS
        return " ".join(words[level] + name for level, name in _chain(match, thai=True))
    return ", ".join(
        name if bangkok and level == 1 else f"{name} {_ENGLISH_WORDS[level]}"
        for level, name in _chain(match, thai=False)
    )


def area_label(match: PlaceMatch) -> str:
    """The area's own name with its level word: 'อำเภอเมืองเชียงใหม่', 'Mueang Chiang Mai district'."""
    level, name = _chain(match, thai=current_language() == "th")[0]
    bangkok = match.code.startswith(BANGKOK)
    if current_language() == "th":
        return (_BANGKOK_THAI_WORDS if bangkok else _THAI_WORDS)[level] + name
    return name if bangkok and level == 1 else f"{name} {_ENGLISH_WORDS[level]}"


def village_label(match) -> str:
    """'บ้านคลองนา ตำบล... อำเภอ... จังหวัด...' or 'Ban Khlong Na village, in ... subdistrict, ...'."""
    village, place = match.village, match.place
    if current_language() == "th":
        name = village.name_th
        word = "" if name.startswith("บ้าน") else "หมู่บ้าน"
        return f"{word}{name} {place_label(place)}"
    return f"{village.name_en or village.name_th} village, in {place_label(place)}"
