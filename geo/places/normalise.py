"""The two forms a name and a query are compared in: plain (normalised) and skeleton.

The plain form is NFC, a decomposed SARA AM recomposed, case-folded, Thai digits as Arabic,
and only letters, digits and Thai vowel and tone marks kept. The skeleton form also merges
spelling variants: romanisations of one sound, Thai letters that sound alike, tone marks.
"""

from __future__ import annotations

import re
import unicodedata

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
# \w keeps letters and digits of every script but not Thai vowel and tone marks (category Mn),
# which are added back; ฯ ๏ ๚ ๛ are letters to Unicode but abbreviation or section marks here.
NOT_NAME_CHAR = re.compile(r"[^\w\u0E31\u0E34-\u0E3A\u0E47-\u0E4E]|[_\u0E2F\u0E4F\u0E5A\u0E5B]")
MUEANG_THAI = "เมือง"

_THAI_SILENT = re.compile(r".\u0E4C")  # a letter under THANTHAKHAT is not pronounced
_THAI_SOUND_ALIKE = str.maketrans(
    {
        **dict.fromkeys("\u0e48\u0e49\u0e4a\u0e4b\u0e47\u0e4d", None),  # tone marks, mai taikhu
        "ใ": "ไ",
        "ศ": "ส",
        "ษ": "ส",
        "ซ": "ส",
        "ฎ": "ด",
        "ฏ": "ต",
        "ฐ": "ท",
        "ฑ": "ท",
        "ฒ": "ท",
        "ถ": "ท",
        "ธ": "ท",
        "ณ": "น",
        "ฬ": "ล",
        "ภ": "พ",
        "ผ": "พ",
        "ฆ": "ค",
        "ฅ": "ค",
        "ฃ": "ค",
        "ข": "ค",
        "ฌ": "ช",
        "ฉ": "ช",
        "ฝ": "ฟ",
        "ญ": "ย",
    }
)
# Applied in this order ("tch" before "ch" before "th").
_LATIN_SOUND_ALIKE = (
    ("tch", "c"),
    ("ch", "c"),
    ("j", "c"),
    ("ph", "p"),
    ("th", "t"),
    ("kh", "k"),
    ("ue", "u"),
    ("eu", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("v", "w"),
)
_LATIN_R_BEFORE_CONSONANT = re.compile(r"or(?=[^aeiou]|$)")
_DOUBLED = re.compile(r"(.)\1+")
_HAS_LATIN = re.compile(r"[a-z]")


def fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\u0e4d\u0e32", "\u0e33")
    return text.casefold().translate(_THAI_DIGITS)


def normalise(text: str) -> str:
    return NOT_NAME_CHAR.sub("", fold(text))


def name_key(text: str) -> str:
    """A name as place search compares it: folded, Thai digits as Arabic, no spaces or marks.

    >>> name_key("บ้าน คลองนา") == name_key("บ้านคลองนา")
    True
    >>> name_key("Ban Khlong-Na")
    'bankhlongna'
    """
    return normalise(text)


def skeleton(normalised: str) -> str:
    text = normalised
    if "\u0e4c" in text:
        text = _THAI_SILENT.sub("", text)
    text = text.translate(_THAI_SOUND_ALIKE)
    if _HAS_LATIN.search(text):
        for old, new in _LATIN_SOUND_ALIKE:
            text = text.replace(old, new)
        text = _LATIN_R_BEFORE_CONSONANT.sub("o", text)
    return _DOUBLED.sub(r"\1", text)


MUEANG_SKELETON = skeleton("mueang")


def is_mueang(normalised: str) -> bool:
    return normalised == MUEANG_THAI or skeleton(normalised) == MUEANG_SKELETON
