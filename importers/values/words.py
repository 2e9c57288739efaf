"""Words as people type them, reduced for lookups, and the cells that mean "nothing here"."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from importers.coords import to_ascii_digits

# Cells that mean "nothing here" in Thai spreadsheets.
EMPTY_MARKERS = frozenset({"-", "--", "–", "—", "n/a", "na", "#n/a", "null", "none", "ไม่ระบุ"})


def word_key(text: str) -> str:
    """Text reduced for word lookups: NFKC, Thai digits, lower case, no spaces or punctuation."""
    text = unicodedata.normalize("NFKC", to_ascii_digits(str(text)))
    text = text.replace("\u0e4d\u0e32", "\u0e33").casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "ZPC")


def word_index(words: dict[str, Iterable[str]]) -> dict[str, str]:
    """Each value and alias, by its :func:`word_key`, to its value; an alias of two is an error."""
    index: dict[str, str] = {}
    for value, aliases in words.items():
        for alias in (value, *aliases):
            key = word_key(alias)
            if index.get(key, value) != value:
                raise RuntimeError(f"word {alias!r} means both {index[key]} and {value}")
            index[key] = value
    return index


def accepted_words(words: dict[str, Iterable[str]], shown: int = 2) -> str:
    """The first few words of each value, for a rule that says what is accepted."""
    return "; ".join(
        f"{value}: " + ", ".join(list(aliases)[:shown]) for value, aliases in words.items()
    )


_WHITESPACE = re.compile(r"\s+")


def clean_text(text: str) -> str | None:
    """Text with runs of whitespace made one space and zero-width characters removed."""
    s = _WHITESPACE.sub(" ", str(text).replace("\u200b", "").replace("\ufeff", "")).strip()
    return s or None


def is_empty(text: object) -> bool:
    """True for None, blank text and the markers that mean "nothing" (``-``, ``N/A``...)."""
    if text is None:
        return True
    s = str(text).strip()
    return not s or s.casefold() in EMPTY_MARKERS
