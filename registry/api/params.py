"""Query-string parsing for the API: every bad value is a 400 naming the parameter and value."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime

from flask import request

from registry import query_args
from registry.errors import ValidationError
from registry.query_args import integer_in, parse_flag


def reject_unknown(allowed: Iterable[str]) -> None:
    """Refuse parameters outside ``allowed`` (the /api/v1 views are checked by api.spec)."""
    if not isinstance(allowed, frozenset | set):
        allowed = set(allowed)
    for name in request.args:
        if name not in allowed:
            raise ValidationError(
                f"unknown query parameter '{name}'; this endpoint takes: "
                f"{', '.join(sorted(allowed))}",
                field=name,
            )


def choices(name: str, allowed: Iterable[str]) -> list[str] | None:
    """A comma-separated list of allowed words, or None when the parameter is absent.

    Given more than once (type=a&type=b, as HTML forms and many clients send a list), the
    values of every occurrence count, as if comma-separated."""
    given = request.args.getlist(name)
    if not given:
        return None
    raw = ",".join(given)
    allowed = tuple(allowed)
    values = [value.strip() for value in raw.split(",") if value.strip()]
    if not values:
        raise ValidationError(f"parameter '{name}': give at least one value", field=name)
    for value in values:
        if value not in allowed:
            raise ValidationError(
                f"parameter '{name}': {value!r} is not one of {', '.join(allowed)}", field=name
            )
    return values


def choice(name: str, allowed: Iterable[str], default: str) -> str:
    """One allowed word, or ``default`` when the parameter is absent.

    One value only: ``format=csv,xlsx`` is refused, not read as its first word.
    """
    raw = request.args.get(name)
    return default if raw is None else one_of(name, raw, allowed)


def one_of(name: str, raw: str, allowed: Iterable[str]) -> str:
    """``raw`` when it is one of the allowed words; else a 400 naming parameter ``name``."""
    allowed = tuple(allowed)
    if raw.strip() not in allowed:
        raise ValidationError(
            f"parameter '{name}': {raw!r} is not one of {', '.join(allowed)} (give one of them)",
            field=name,
        )
    return raw.strip()


def area_code(name: str, level: int | None = None) -> str | None:
    """An area code as 'TH50' or the DOPA '50'; returned TH-prefixed."""
    raw = request.args.get(name)
    if raw is None:
        return None
    code = query_args.area_code(raw, (1, 2, 3) if level is None else (level,))
    if code is None:
        shape = {1: "TH50", 2: "TH5001", 3: "TH500101"}.get(level or 0, "TH50, TH5001")
        raise ValidationError(
            f"parameter '{name}': {raw!r} is not an area code like {shape}", field=name
        )
    return code


def hcode(name: str = "hcode") -> str | None:
    """An MOPH code in its 5-character (10713) or 9-character (A00012345) form."""
    from importers.values import parse_hcode

    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        code, _note = parse_hcode(raw)
    except ValueError as error:
        rule = str(error).removesuffix("; dropped")
        raise ValidationError(f"parameter '{name}': {raw!r} {rule}", field=name) from None
    return code


def integer(name: str, default: int, low: int, high: int) -> int:
    return integer_in(request.args, name, default, low, high)


def bbox(name: str = "bbox") -> tuple[float, float, float, float] | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    parts = raw.split(",")
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        raise ValidationError(
            f"parameter '{name}': {raw!r} is not four numbers west,south,east,north", field=name
        ) from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise ValidationError(f"parameter '{name}': {raw!r} has a non-finite number", field=name)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValidationError(
            f"parameter '{name}': {raw!r} is not west,south,east,north in degrees with "
            "west < east and south < north",
            field=name,
        )
    return west, south, east, north


def timestamp(name: str) -> datetime | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"parameter '{name}': {raw!r} is not an ISO 8601 date-time such as "
            "2021-06-20T08:00:00Z",
            field=name,
        ) from None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    try:  # in UTC, as stored: 9999-12-31T23:59:59-23:59 is past the last day a date can hold
        return value.astimezone(UTC)
    except OverflowError:
        raise ValidationError(
            f"parameter '{name}': {raw!r} lies outside the years 1 to 9999 in UTC", field=name
        ) from None


def boolean(name: str, default: bool = False) -> bool:
    """true/false with the same words on every endpoint: 1/0, true/false, yes/no, on/off."""
    return bool(parse_flag(request.args, name, default))
