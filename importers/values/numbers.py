"""Cells of digits that spreadsheets mangle: counts (thousands separators, units, Thai
digits) and MOPH codes (leading zeros lost, ``.0`` added)."""

from __future__ import annotations

import re
import unicodedata

from importers import rules
from importers.coords import to_ascii_digits
from importers.messages import RuleError

_UNITS = re.compile(
    r"(เตียง|คน|ราย|ที่|โดส|ครั้ง|beds?|people|persons?|doses?|tests?)?\s*"
    r"(/\s*วัน|ต่อวัน|per\s*day|/\s*day)?$",
    re.IGNORECASE,
)


def parse_int(text: str) -> int:
    """A count: Thai digits, thousands separators and a trailing unit allowed.

    Examples
    --------
    >>> parse_int("๑,๒๐๐ เตียง"), parse_int("300 คน/วัน"), parse_int("12.0")
    (1200, 300, 12)
    """
    s = to_ascii_digits(unicodedata.normalize("NFKC", str(text))).strip()
    s = _UNITS.sub("", s).strip().replace(",", "").replace(" ", "")
    try:
        number = float(s)
    except ValueError:
        raise RuleError(rules.NOT_WHOLE()) from None
    if not number.is_integer():
        raise RuleError(rules.NOT_WHOLE())
    if number < 0:
        raise RuleError(rules.NEGATIVE())
    return int(number)


# MOPH codes: the 5-character hcode, or the 9-character code issued beside it (digits
# only before October 2024; since then also capital letters that group the kind of unit).
HCODE_PATTERN = r"[0-9A-Z]{5}|[0-9A-Z]{9}"
_HCODE = re.compile(HCODE_PATTERN)


def parse_hcode(text: str) -> tuple[str, str | None]:
    """An MOPH code, 5 or 9 letters or digits (leading zeros kept), and a note if repaired.

    Codes read as numbers come back as the code: ``'10697.0'`` -> ``'10697'``. Numeric codes
    of 1-4 digits lost their leading zeros in a spreadsheet and are padded back (``'4007'`` ->
    ``'04007'``), with a note for a warning.

    Raises
    ------
    ValueError
        For text that is no hcode (``'24531(245'``, ``'0'``).

    Examples
    --------
    >>> parse_hcode("10697.0"), parse_hcode("f1002")
    (('10697', None), ('F1002', None))
    >>> code, note = parse_hcode("4007")
    >>> code, note.english
    ('04007', "was read as '04007' (leading zeros restored)")
    >>> parse_hcode("a00012345")
    ('A00012345', None)
    """
    s = to_ascii_digits(str(text)).strip().upper()
    if re.fullmatch(r"\d+\.0+", s):
        s = s.split(".")[0]
    if _HCODE.fullmatch(s) and s.strip("0"):
        return s, None
    if s.isdecimal() and len(s) < 5 and s.strip("0"):
        padded = s.zfill(5)
        return padded, rules.HCODE_PADDED(code=padded)
    raise RuleError(rules.NOT_AN_HCODE())
