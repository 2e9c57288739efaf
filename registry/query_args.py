"""Query-string values from any mapping (a request's arguments, a saved question): numbers,
whole numbers, choices and flags. A bad value is a ValidationError (a 400) that names the
parameter and quotes the value; the API, the pages and the CLI parse through these alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from importers.coords.parse import to_ascii_digits
from importers.messages import Rule
from registry.errors import ValidationError


def area_code(raw: str | None, levels: tuple[int, ...] = (1, 2, 3)) -> str | None:
    """An area code as stored ('TH50'), from 'TH50', 'th50', the DOPA '50' or Thai digits
    ('๕๐'); None when ``raw`` is not a code of one of ``levels`` (2, 4 or 6 digits)."""
    digits = to_ascii_digits((raw or "").strip()).upper().removeprefix("TH")
    if digits.isascii() and digits.isdecimal() and len(digits) in {2 * level for level in levels}:
        return "TH" + digits
    return None


def decimal_number(raw: str) -> float:
    """A number as people write it (a decimal comma allowed); ValueError otherwise, also for
    Python's digit grouping (float reads 1_3 as 13, which no person means)."""
    if "_" in raw:
        raise ValueError(f"not a number: {raw!r}")
    return float(raw.replace(",", "."))


REQUIRED = object()  # number_in without a default: a blank value is refused

NOT_A_NUMBER = Rule("parameter.not_a_number", "parameter '%(name)s': %(value)s is not a number")
NOT_BETWEEN = Rule(
    "parameter.not_between", "parameter '%(name)s': %(value)s is not between %(low)s and %(high)s"
)
NOT_WHAT_BETWEEN = Rule(
    "parameter.not_what_between",
    "parameter '%(name)s': %(value)s is not %(what)s between %(low)s and %(high)s",
)
NOT_WHOLE = Rule("parameter.not_whole", "parameter '%(name)s': %(value)s is not a whole number")
NOT_ONE_OF = Rule(
    "parameter.not_one_of", "parameter '%(name)s': %(value)s is not one of %(choices)s"
)
NOT_A_FLAG = Rule("parameter.not_a_flag", "parameter '%(name)s': %(value)s is not true or false")
# What a number is, in the message ("is not a latitude between -90 and 90").
WHAT = {
    what: Rule(f"parameter.what.{what.split()[1]}", what)
    for what in ("a latitude", "a longitude", "a count", "a distance in km")
}


def number_in(
    args: Mapping[str, str],
    name: str,
    low: float,
    high: float,
    *,
    what: str = "",
    default: float | object | None = REQUIRED,
) -> float | None:
    """A finite number from ``low`` to ``high`` (a decimal comma is read as a point).

    ``what`` says what the number is in the message ("a latitude"). An absent or empty value
    is ``default``; without one, it is refused as not a number.
    """
    raw = args.get(name) or ""
    if not raw.strip() and default is not REQUIRED:
        return default
    try:
        value = decimal_number(raw)
    except ValueError:
        raise ValidationError(NOT_A_NUMBER(name=name, value=repr(raw)), field=name) from None
    if not math.isfinite(value) or not low <= value <= high:
        bounds = {"name": name, "value": repr(raw), "low": f"{low:g}", "high": f"{high:g}"}
        if not what:
            raise ValidationError(NOT_BETWEEN(**bounds), field=name)
        kind = WHAT[what]() if what in WHAT else what
        raise ValidationError(NOT_WHAT_BETWEEN(**bounds, what=kind), field=name)
    return value


def integer_in(args: Mapping, name: str, default: int, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high`` in ``args``, ``default`` when it is absent."""
    raw = args.get(name)
    if raw is None:
        return default
    try:
        if "_" in raw:  # Python's digit grouping (1_0 is 10), which no person means
            raise ValueError(raw)
        value = int(raw.strip())
    except ValueError:
        raise ValidationError(NOT_WHOLE(name=name, value=repr(raw)), field=name) from None
    if not low <= value <= high:
        raise ValidationError(NOT_BETWEEN(name=name, value=value, low=low, high=high), field=name)
    return value


def parse_choice(args: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    """An optional parameter that must be one of the allowed words."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if raw not in allowed:
        raise ValidationError(
            NOT_ONE_OF(name=name, value=repr(raw), choices=list(allowed)), field=name
        )
    return raw


def parse_flag(args: Mapping[str, str], name: str, default: bool | None) -> bool | None:
    """An optional true/false parameter (1/0, true/false, yes/no, on/off)."""
    raw = (args.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValidationError(NOT_A_FLAG(name=name, value=repr(raw)), field=name)
