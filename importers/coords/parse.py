"""Coordinates as written in cells: Thai digits, comma decimals, degrees-minutes-seconds in
symbols or Thai words, two coordinates in one cell."""

from __future__ import annotations

import math
import re
import unicodedata

import numpy as np
import pandas as pd

from importers import rules
from importers.messages import RuleError, Text, text_of

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def to_ascii_digits(text: str) -> str:
    """Replace Thai digits with ASCII ones: ``'๑๓.๗๕'`` -> ``'13.75'``."""
    return text.translate(THAI_DIGITS)


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_COMMA_DECIMAL = re.compile(r"[+-]?\d+,\d+")


def parse_number(text: str) -> float:
    """A finite number from text with Thai digits, comma decimals or thousands separators.

    A single comma with no point is a decimal comma (``'13,75'`` -> 13.75); commas together
    with a point, or several commas, separate thousands (``'1,520,000.5'``).

    Raises
    ------
    ValueError
        With a rule phrased to follow the quoted value: ``"is not a number"``.

    Examples
    --------
    >>> parse_number("๑๓,๗๕"), parse_number(" 1,520,000 "), parse_number("−3.5")
    (13.75, 1520000.0, -3.5)
    """
    s = to_ascii_digits(unicodedata.normalize("NFKC", str(text))).strip()
    s = s.replace("\u2212", "-").replace("\u2013", "-").replace(" ", "")
    if _COMMA_DECIMAL.fullmatch(s):
        s = s.replace(",", ".")
    elif "," in s:
        s = s.replace(",", "")
    if not _NUMBER.fullmatch(s):
        raise RuleError(rules.NOT_A_NUMBER())
    value = float(s)
    if not math.isfinite(value):
        raise RuleError(rules.NOT_FINITE_NUMBER())
    return value


_THAI_DMS_WORDS = (
    ("ฟิลิปดา", '"'),
    ("ลิปดา", "'"),
    ("องศา", "°"),
    ("เหนือ", "N"),
    ("ใต้", "S"),
    ("ตะวันออก", "E"),
    ("ตะวันตก", "W"),
)
# Primes and quotes as typed or pasted, reduced to ° ' " (NFKC turns ″ into ′′).
_SYMBOL_VARIANTS = (
    ("′′", '"'),
    ("''", '"'),
    ("″", '"'),
    ("”", '"'),
    ("“", '"'),
    ("′", "'"),
    ("’", "'"),
    ("‘", "'"),
    ("º", "°"),
    ("˚", "°"),
)
_LABELS = re.compile(
    r"^(ละติจูด|ละติจุด|ลองจิจูด|ลองติจูด|ลองจิจุด|latitude|longitude|lat|lon|lng|long)\s*[:=]?\s*",
    re.IGNORECASE,
)
_DMS = re.compile(
    r"""^\s*(?P<h1>[NSEW])?\s*
    (?P<sign>[+-])?\s*
    (?P<deg>\d+(?:[.,]\d+)?)\s*(?:°|deg|d|:)?\s*
    (?:(?P<min>\d+(?:[.,]\d+)?)\s*(?:'|min|m|:)?\s*)?
    (?:(?P<sec>\d+(?:[.,]\d+)?)\s*(?:"|sec|s)?\s*)?
    (?P<h2>[NSEW])?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)


def _parse_coordinate(text: str) -> tuple[float, str | None]:
    """Decimal degrees and, when a hemisphere is written, the axis it names ('lat'/'lon')."""
    try:
        return parse_number(text), None
    except ValueError:
        pass
    s = to_ascii_digits(unicodedata.normalize("NFKC", str(text))).strip()
    for variant, symbol in _SYMBOL_VARIANTS:
        s = s.replace(variant, symbol)
    for word, symbol in _THAI_DMS_WORDS:
        s = s.replace(word, f" {symbol} ")
    s = _LABELS.sub("", s.strip())
    match = _DMS.match(s)
    if not match or (match["h1"] and match["h2"]):
        raise RuleError(rules.NOT_A_COORDINATE())
    parts = [match["deg"], match["min"], match["sec"]]
    numbers = [float(p.replace(",", ".")) if p else None for p in parts]
    degrees, minutes, seconds = numbers
    if (minutes is not None and not degrees.is_integer()) or (
        seconds is not None and not minutes.is_integer()
    ):
        raise RuleError(rules.MIXED_DMS())
    if (minutes or 0) >= 60 or (seconds or 0) >= 60:
        raise RuleError(rules.MINUTES_OVER_60())
    value = degrees + (minutes or 0) / 60 + (seconds or 0) / 3600
    hemisphere = (match["h1"] or match["h2"] or "").upper()
    if match["sign"] == "-" or hemisphere in ("S", "W"):
        value = -value
    axis = {"N": "lat", "S": "lat", "E": "lon", "W": "lon"}.get(hemisphere)
    return value, axis


def parse_coordinate(text: str) -> float:
    """Decimal degrees (or metres) from a number or a degrees-minutes-seconds string.

    Raises
    ------
    ValueError
        With a rule that follows the quoted value.

    Examples
    --------
    >>> round(parse_coordinate("13°45'30.5\\"N"), 6), parse_coordinate("100 30 15 E")
    (13.758472, 100.50416666666666)
    >>> round(parse_coordinate("ละติจูด ๑๓ องศา ๔๕ ลิปดา ๓๐ ฟิลิปดา เหนือ"), 4)
    13.7583
    """
    return _parse_coordinate(text)[0]


_PAIR_SPLITS = (re.compile(r"\s*[;|/]\s*"), re.compile(r"\s*,\s*"), re.compile(r"\s+"))
_HEMISPHERE_SPLIT = re.compile(r"(?<=[NSns])\s*,?\s*(?=[0-9๐-๙EWew+-])")


def parse_coordinate_pair(text: str) -> tuple[float, float]:
    """Two coordinates from one cell, in the order written: ``"13.7563, 100.5018"``.

    With hemisphere letters the order is read from them and the result is (lat, lon).
    Separators: ``;``, ``,``, ``|``, ``/`` or spaces.

    Examples
    --------
    >>> parse_coordinate_pair("(13.7563, 100.5018)")
    (13.7563, 100.5018)
    >>> parse_coordinate_pair("100°30'E 13°45'N")
    (13.75, 100.5)
    """
    s = to_ascii_digits(str(text)).strip().strip("()[]{}").strip()
    candidates = [_HEMISPHERE_SPLIT.split(s, maxsplit=1)]
    candidates += [splitter.split(s) for splitter in _PAIR_SPLITS]
    for parts in candidates:
        if len(parts) != 2:
            continue
        try:
            (a, axis_a), (b, axis_b) = _parse_coordinate(parts[0]), _parse_coordinate(parts[1])
        except ValueError:
            continue
        if axis_a == "lon" or axis_b == "lat":
            return b, a
        return a, b
    raise RuleError(rules.NOT_A_PAIR())


def _simple_fix(text: str) -> str:
    text = text.translate(THAI_DIGITS)
    if text.count(",") == 1 and "." not in text:
        return text.replace(",", ".")
    return text


def parse_coordinate_column(values: pd.Series) -> tuple[np.ndarray, dict[int, str]]:
    """Vectorised :func:`parse_coordinate` over a column of raw text.

    Plain numbers are converted in one pass; only cells that are not (Thai digits, DMS, comma
    decimals) go through the per-value parser, once per distinct value.

    Returns
    -------
    numbers : numpy.ndarray
        Float array, NaN where the cell is empty or unreadable.
    bad : dict
        Position -> rule for cells that are not empty but cannot be read.
    """
    raw = values.to_numpy(dtype=object)
    numbers = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy(
        dtype=float, copy=True
    )
    slow = np.flatnonzero(~np.isfinite(numbers) & pd.notna(raw))
    bad: dict[int, str] = {}
    if not len(slow):
        return numbers, bad
    texts = [str(v).strip() for v in raw[slow]]
    # Thai digits and decimal commas, the usual reasons, are fixed in bulk first.
    quick = pd.to_numeric(
        pd.Series([_simple_fix(t) for t in texts], dtype=object), errors="coerce"
    ).to_numpy(dtype=float)
    parsed: dict[str, float | str] = {}
    for position, text, value in zip(slow.tolist(), texts, quick.tolist(), strict=True):
        if math.isfinite(value):
            numbers[position] = value
            continue
        if not text:
            continue
        if text not in parsed:
            try:
                parsed[text] = _parse_coordinate(text)[0]
            except ValueError as exc:
                parsed[text] = text_of(exc) or str(exc)
        result = parsed[text]
        if isinstance(result, (str, Text)):
            bad[position] = result
        else:
            numbers[position] = result
    return numbers, bad
