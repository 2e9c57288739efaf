"""OpenStreetMap tag values as numbers: one-way rules and speed limits."""

from __future__ import annotations

import math
import re

_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$", re.IGNORECASE)
# Implicit one-way highway classes and junctions (OSM wiki, Key:oneway).
_ONEWAY_CLASSES = frozenset(("motorway",))
_ONEWAY_JUNCTIONS = frozenset(("roundabout", "circular"))


def oneway_code(tags: dict) -> int:
    """0 both ways, 1 along the way, -1 against it, from ``oneway``, ``junction``, ``highway``.

    >>> oneway_code({"oneway": "yes"}), oneway_code({"oneway": "-1"}), oneway_code({})
    (1, -1, 0)
    >>> oneway_code({"junction": "roundabout"}), oneway_code({"highway": "motorway"})
    (1, 1)
    """
    value = (tags.get("oneway") or "").strip().lower()
    if value in ("yes", "true", "1"):
        return 1
    if value in ("-1", "reverse"):
        return -1
    if value in ("no", "false", "0"):
        return 0
    if tags.get("junction") in _ONEWAY_JUNCTIONS or tags.get("highway") in _ONEWAY_CLASSES:
        return 1
    return 0


def maxspeed_kmh(value: str | None) -> float:
    """A ``maxspeed`` value in km/h; NaN for none, zones ('TH:urban') and signals.

    >>> maxspeed_kmh("60"), maxspeed_kmh("30 mph"), maxspeed_kmh("TH:urban")
    (60.0, 48.28032, nan)
    """
    if not value:
        return math.nan
    match = _NUMBER.match(str(value).split(";")[0])
    if not match:
        return math.nan
    number = float(match.group(1))
    unit = (match.group(2) or "km/h").lower()
    if unit == "mph":
        number *= 1.609344
    elif unit == "knots":
        number *= 1.852
    return number if 0 < number < 200 else math.nan
