"""Thai phone numbers as lists write them: several in a cell, labels, extensions, ranges,
``+66``, Thai digits."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from importers import rules
from importers.coords import to_ascii_digits

_PHONE_SPLIT = re.compile(r"\s*(?:[,;/|\n]|\s+หรือ\s+|\s+or\s+)\s*")
_PHONE_LABEL = re.compile(r"^(?:โทรศัพท์|โทร\.?|tel\.?|phone|mobile|มือถือ|เบอร์)\s*:?\s*", re.I)
_PHONE_EXTENSION = re.compile(r"\s*(?:ต่อ|ext\.?|extension|#)\s*(\d{1,5})\s*$", re.I)
_PLAIN_PHONE = re.compile(r"0\d{1,2}[- ]?\d{3}[- ]?\d{3,4}")
_PHONE_RANGE = re.compile(r"^(.*\d)\s*[-–]\s*(\d{1,2})$")
PHONE_RULE = rules.NOT_A_PHONE()


def _valid_thai_number(digits: str) -> bool:
    if len(digits) == 10:
        return digits[:2] in ("06", "08", "09")
    if len(digits) == 9:
        return digits[0] == "0" and digits[1] in "234567"
    return len(digits) == 4 and digits[0] == "1"


def _one_phone(piece: str) -> str | None:
    s = _PHONE_LABEL.sub("", to_ascii_digits(unicodedata.normalize("NFKC", piece)).strip())
    extension = ""
    match = _PHONE_EXTENSION.search(s)
    if match:
        extension = f" ต่อ {match.group(1)}"
        s = s[: match.start()]
    s = s.strip()
    candidates = [s]
    # "02-123-4567-9" is a run of lines 4567 to 4569: keep the first.
    range_match = _PHONE_RANGE.match(s)
    if range_match:
        candidates.append(range_match.group(1))
    for candidate in candidates:
        digits = re.sub(r"[\s().-]", "", candidate)
        if digits.startswith("+66"):
            digits = "0" + digits[3:]
        elif digits.startswith("66") and len(digits) in (10, 11):
            digits = "0" + digits[2:]
        if digits.startswith("00"):
            digits = digits[1:]
        if digits.isdigit() and _valid_thai_number(digits):
            return digits + extension
    return None


@lru_cache(maxsize=65536)
def parse_phones(text: str) -> tuple[str | None, tuple[str, ...]]:
    """Phone numbers normalised to digits (``"0812345678"``), several joined by ``", "``.

    Thai digits, dashes, spaces and brackets are removed, ``+66`` becomes ``0``, an extension
    is kept as ``" ต่อ 12"``. Returns the normalised numbers (None if none is valid) and the
    pieces that are not Thai numbers, for a warning.

    Examples
    --------
    >>> parse_phones("02-123-4567, +66 81 234 5678")
    ('021234567, 0812345678', ())
    >>> parse_phones("๐๘๑-๒๓๔-๕๖๗๘ / 1234567")
    ('0812345678', ('1234567',))
    """
    text = str(text).strip()
    if _PLAIN_PHONE.fullmatch(text):  # the common case, fast
        digits = text.replace("-", "").replace(" ", "")
        if _valid_thai_number(digits):
            return digits, ()
    valid: list[str] = []
    invalid: list[str] = []
    for piece in _PHONE_SPLIT.split(text):
        if not piece.strip():
            continue
        number = _one_phone(piece)
        if number is None:
            invalid.append(piece.strip())
        elif number not in valid:
            valid.append(number)
    return (", ".join(valid) if valid else None), tuple(invalid)
