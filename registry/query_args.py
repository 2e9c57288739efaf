"""Query-string values from any mapping (a request's arguments, a saved question): numbers,
whole numbers, choices and flags. A bad value is a ValidationError (a 400) that names the
parameter and quotes the value; the API, the pages and the CLI parse through these alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from registry.errors import ValidationError

REQUIRED = object()  # number_in without a default: a blank value is refused


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
        value = float(raw.replace(",", "."))
    except ValueError:
        raise ValidationError(f"parameter '{name}': {raw!r} is not a number", field=name) from None
    if not math.isfinite(value) or not low <= value <= high:
        kind = f"{what} " if what else ""
        raise ValidationError(
            f"parameter '{name}': {raw!r} is not {kind}between {low:g} and {high:g}", field=name
        )
    return value


def integer_in(args: Mapping, name: str, default: int, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high`` in ``args``, ``default`` when it is absent."""
    raw = args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValidationError(
            f"parameter '{name}': {raw!r} is not a whole number", field=name
        ) from None
    if not low <= value <= high:
        raise ValidationError(
            f"parameter '{name}': {value} is not between {low} and {high}", field=name
        )
    return value


def parse_choice(args: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    """An optional parameter that must be one of the allowed words."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if raw not in allowed:
        raise ValidationError(
            f"parameter '{name}': {raw!r} is not one of {', '.join(allowed)}", field=name
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
    raise ValidationError(f"parameter '{name}': {raw!r} is not true or false", field=name)
