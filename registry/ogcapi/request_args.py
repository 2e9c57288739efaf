"""The query parameters of the items endpoints, checked and turned into an ItemsQuery.

Takes any mapping of names to lists of strings (Werkzeug's MultiDict fits), so the rules are
the same whatever the web framework. Each bad value is a 400 naming the parameter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime

from registry.errors import ValidationError
from registry.ogcapi.collections import Collection, Property
from registry.ogcapi.cql import filter_language, parse_filter
from registry.ogcapi.crs import bbox_geometry, parse_crs
from registry.ogcapi.documents import DEFAULT_LIMIT, MAX_LIMIT
from registry.ogcapi.items import ItemsQuery
from registry.ogcapi.times import parse_instant
from registry.query_args import integer_in as integer

COMMON = ("f", "crs", "lang")  # lang: the page language of the HTML answers
ITEMS = (
    *COMMON,
    "limit",
    "offset",
    "after",
    "bbox",
    "bbox-crs",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
    "include_deleted",
)
FORMATS = ("json", "geojson", "html")


def _one(args, name: str) -> str | None:
    values = args.getlist(name) if hasattr(args, "getlist") else [args[name]]
    if len(values) > 1:
        raise ValidationError(f"parameter '{name}' is given {len(values)} times", field=name)
    return values[0]


def reject_unknown(args: Mapping, allowed: tuple[str, ...] | set[str]) -> None:
    """Unknown names are 400s, and so are control characters no database column holds."""
    for name, value in args.items(multi=True) if hasattr(args, "getlist") else args.items():
        if "\x00" in value:
            raise ValidationError(f"parameter '{name}': contains a NUL character", field=name)
    for name in args:
        if name not in allowed:
            raise ValidationError(
                f"unknown query parameter '{name}'; this endpoint takes: "
                f"{', '.join(sorted(allowed))}",
                field=name,
            )


def output_format(args: Mapping, accept_html: bool) -> str:
    raw = args.get("f")
    if raw is None:
        return "html" if accept_html else "json"
    value = raw.strip().lower()
    value = {"application/geo+json": "geojson", "application/json": "json"}.get(value, value)
    if value not in FORMATS:
        raise ValidationError(f"parameter 'f': {raw!r} is not one of json, html", field="f")
    return value


def boolean(args: Mapping, name: str) -> bool:
    raw = args.get(name)
    if raw is None:
        return False
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValidationError(f"parameter '{name}': {raw!r} is not true or false", field=name)


def _numbers(raw: str, name: str) -> tuple[float, ...]:
    try:
        numbers = tuple(float(part) for part in raw.split(","))
    except ValueError:
        numbers = ()
    if len(numbers) not in (4, 6) or not all(math.isfinite(n) for n in numbers):
        raise ValidationError(
            f"parameter '{name}': {raw!r} is not 4 (or 6) finite numbers separated by commas",
            field=name,
        )
    if len(numbers) == 6:
        numbers = (numbers[0], numbers[1], numbers[3], numbers[4])
    return numbers


def interval(raw: str | None) -> tuple[datetime | None, datetime | None] | None:
    """A datetime instant or interval as its first and last instants (None: open)."""
    if raw is None:
        return None
    if "/" in raw:
        start_text, _, end_text = raw.partition("/")
        start = _interval_end(start_text, end=False)
        end = _interval_end(end_text, end=True)
        if start and end and start > end:
            raise ValidationError(
                f"parameter 'datetime': {raw!r} ends before it starts", field="datetime"
            )
        return start, end
    if raw.strip() in ("", ".."):
        raise ValidationError("parameter 'datetime': give a date-time or an interval")
    return parse_instant(raw, "datetime"), parse_instant(raw, "datetime", end=True)


def _interval_end(raw: str, *, end: bool) -> datetime | None:
    return None if raw in ("..", "") else parse_instant(raw, "datetime", end=end)


def property_value(prop: Property, raw: str) -> object:
    """A property=value query parameter as the property's type."""
    name = prop.name
    if prop.format == "date-time":
        return parse_instant(raw, name)
    if prop.type == "integer":
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError(f"parameter '{name}': {raw!r} is not a whole number") from None
        if not -(2**31) <= value < 2**31:  # the columns are 32-bit integers
            raise ValidationError(f"parameter '{name}': {value} is out of range", field=name)
        return value
    if prop.type == "boolean":
        lowered = raw.strip().lower()
        if lowered not in ("true", "false", "1", "0"):
            raise ValidationError(f"parameter '{name}': {raw!r} is not true or false", field=name)
        return lowered in ("true", "1")
    if prop.normalise:
        return prop.normalised(raw, name)
    if prop.enum and raw not in prop.enum:
        raise ValidationError(
            f"parameter '{name}': {raw!r} is not one of {', '.join(prop.enum)}", field=name
        )
    return raw


def items_query(collection: Collection, args, *, limit_default: int = DEFAULT_LIMIT):
    """The ItemsQuery of an items request's parameters."""
    queryables = {p.name: p for p in collection.properties if p.queryable}
    reject_unknown(args, {*ITEMS, *queryables})
    for name in args:
        _one(args, name)
    crs = parse_crs(args.get("crs"), "crs")
    query = ItemsQuery(
        collection,
        limit=integer(args, "limit", limit_default, 1, MAX_LIMIT),
        offset=integer(args, "offset", 0, 0, 10**9),
        crs=crs,
        include_deleted=boolean(args, "include_deleted"),
    )
    after = args.get("after")
    if after is not None:
        if collection.is_facility:
            query.after = integer(args, "after", 0, 0, 2**31 - 1)
        elif len(after) > 20:
            raise ValidationError(
                f"parameter 'after': {after!r} is not an area code", field="after"
            )
        else:
            query.after = after
    if args.get("bbox") is not None:
        bbox_crs = parse_crs(args.get("bbox-crs"), "bbox-crs")
        query.bbox = bbox_geometry(_numbers(args["bbox"], "bbox"), bbox_crs, "bbox")
    elif args.get("bbox-crs") is not None:
        raise ValidationError("parameter 'bbox-crs' needs a bbox", field="bbox-crs")
    query.interval = interval(args.get("datetime"))
    if query.interval is not None and collection.temporal is None:
        # Its features have no time to intersect the value; a 400 rather than none of them,
        # so a client learns the parameter does nothing here.
        raise ValidationError(
            f"parameter 'datetime': collection '{collection.id}' has no temporal property "
            "to select by",
            field="datetime",
        )
    query.equals = {
        name: property_value(prop, args[name]) for name, prop in queryables.items() if name in args
    }
    # Checked with no filter too: a bad value is a mistake whether or not it is used.
    language = filter_language(args.get("filter-lang"))
    filter_crs = parse_crs(args.get("filter-crs"), "filter-crs")
    text = args.get("filter")
    if text is not None:
        query.filter = parse_filter(text, language)
        query.filter_crs = filter_crs
    return query
