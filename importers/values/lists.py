"""List fields (test methods, vaccine brands, doses, age groups): items in the words lists
use, split on the separators they use."""

from __future__ import annotations

import re

from importers import rules
from importers.messages import Text
from importers.values.words import accepted_words, word_index, word_key
from importers.vocabulary import AGE_GROUPS, DOSES, TEST_METHODS, VACCINE_BRANDS

LIST_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "test_methods": {
        "rt_pcr": ("rt-pcr", "pcr", "rt pcr", "rtpcr", "swab", "real-time pcr", "อาร์ทีพีซีอาร์"),
        "atk": (
            "atk",
            "antigen",
            "antigen test kit",
            "rapid antigen",
            "rapid antigen test",
            "ชุดตรวจ atk",
            "แอนติเจน",
            "ชุดตรวจแอนติเจน",
        ),
    },
    "vaccine_brands": {
        "sinovac": ("ซิโนแวค", "ซิโนแวก", "ซิโนแว็ค", "coronavac", "sv", "sinovac biotech"),
        "sinopharm": ("ซิโนฟาร์ม", "bbibp", "bbibp-corv", "sp", "sinopharm bibp"),
        "astrazeneca": (
            "แอสตร้าเซนเนก้า",
            "แอสตร้าเซนเนกา",
            "แอสตราเซเนกา",
            "แอสตร้า",
            "az",
            "astra",
            "astra zeneca",
            "vaxzevria",
            "covishield",
        ),
        "pfizer": ("ไฟเซอร์", "pfizer-biontech", "pfizer biontech", "biontech", "pf", "comirnaty"),
        "moderna": ("โมเดอร์นา", "โมเดิร์นนา", "md", "mrna-1273", "spikevax"),
        "johnson": (
            "johnson & johnson",
            "johnson and johnson",
            "j&j",
            "jnj",
            "janssen",
            "จอห์นสัน",
            "จอห์นสันแอนด์จอห์นสัน",
        ),
    },
    "doses": {
        "1": ("เข็ม 1", "เข็มที่ 1", "เข็มแรก", "first", "1st", "dose 1", "first dose"),
        "2": ("เข็ม 2", "เข็มที่ 2", "second", "2nd", "dose 2", "second dose"),
        "booster": (
            "เข็มกระตุ้น",
            "เข็ม 3",
            "เข็มที่ 3",
            "3",
            "3rd",
            "third",
            "เข็ม 4",
            "เข็มที่ 4",
            "4",
            "dose 3",
            "booster dose",
        ),
    },
    "age_groups": {
        "5-11": ("5-11 ปี", "เด็ก 5-11", "เด็ก 5-11 ปี", "children 5-11", "5 - 11", "5–11"),
        "12-18": (
            "12-18 ปี",
            "12-17",
            "12-17 ปี",
            "นักเรียน",
            "students",
            "student",
            "เด็ก 12-18 ปี",
            "12 - 18",
            "12–18",
        ),
        "adult": (
            "ผู้ใหญ่",
            "adults",
            "18-59",
            "18-59 ปี",
            "18-60",
            "18+",
            "บุคคลทั่วไป",
            "ประชาชนทั่วไป",
            "general public",
        ),
        "elderly": (
            "ผู้สูงอายุ",
            "สูงอายุ",
            "60+",
            "60 ปีขึ้นไป",
            "60ปีขึ้นไป",
            "อายุ 60 ปีขึ้นไป",
            "seniors",
            "older people",
        ),
    },
}
_LIST_INDEX = {name: word_index(words) for name, words in LIST_WORDS.items()}
_LIST_CHOICES = {
    "test_methods": TEST_METHODS,
    "vaccine_brands": VACCINE_BRANDS,
    "doses": DOSES,
    "age_groups": AGE_GROUPS,
}
for _name, _choices in _LIST_CHOICES.items():
    if set(LIST_WORDS[_name]) != set(_choices):
        raise RuntimeError(f"LIST_WORDS[{_name!r}] and importers.vocabulary differ")
# "+" separates only between words: "60+" and "18+" are age groups.
_LIST_SPLIT = re.compile(r"\s*(?:[,;/|\n、]|\+(?=\s*\w)|\s+และ\s+|\s+and\s+|\s+หรือ\s+|\s+or\s+)\s*")


def parse_list(text: str, field: str) -> tuple[list[str], list[str]]:
    """Items of a list field, and the pieces that are not accepted words.

    Separators: ``,`` ``;`` ``/`` ``|`` ``+``, line breaks, ``และ``/``and``. Unknown pieces are
    returned for a warning rather than failing the row: the facility is still valid, and the
    registry cannot store an item it does not know.

    Examples
    --------
    >>> parse_list("RT-PCR, ATK", "test_methods")
    (['rt_pcr', 'atk'], [])
    >>> parse_list("ซิโนแวค/แอสตร้าเซนเนก้า", "vaccine_brands")
    (['sinovac', 'astrazeneca'], [])
    >>> parse_list("Pfizer; Novavax", "vaccine_brands")
    (['pfizer'], ['Novavax'])
    """
    index = _LIST_INDEX[field]
    whole = index.get(word_key(text))
    if whole is not None:
        return [whole], []
    items: list[str] = []
    unknown: list[str] = []
    for piece in _LIST_SPLIT.split(str(text).strip()):
        if not piece.strip():
            continue
        found = index.get(word_key(piece))
        if found is None:
            unknown.append(piece.strip())
        elif found not in items:
            items.append(found)
    return items, unknown


def list_rule(field: str) -> Text:
    """The rule quoted when a list item is unknown."""
    words = LIST_WORDS[field]
    return rules.NOT_IN_LIST(what=field.replace("_", " "), accepted=accepted_words(words))
