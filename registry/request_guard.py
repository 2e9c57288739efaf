"""Refuse malformed requests at the door, before any view or database sees them.

- Whole-number path parts (``<int:...>``) stop at PostgreSQL's integer limit, so an id such as
  2147483648 is a plain 404 on both databases instead of an error from PostGIS.
- A NUL character anywhere in the path, the query, a form field, a file name or a JSON string
  is refused with 400 naming where it was: PostgreSQL text cannot hold it, and no person types
  one.
- A JSON body nested deeper than ``MAX_JSON_DEPTH`` is refused before Python's parser recurses
  itself into an error.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from flask import Flask, request
from werkzeug.routing import IntegerConverter

from importers.messages import Rule, Text
from registry.errors import ValidationError
from registry.models import DB_INT_MAX

MAX_JSON_DEPTH = 64
# Objects and lists in one JSON body (a few megabytes of "{}," are millions of
# dicts once parsed); counted on the bytes, strings included, before anything is parsed.
MAX_JSON_CONTAINERS = 100_000

HOLDS_NUL = Rule(
    "request.holds_nul",
    "%(where)s contains a NUL character (\\x00), which no field may hold; remove it",
)
# Where the NUL character was, inside that message.
WHERE = {
    "address": Rule("request.where.address", "the address"),
    "query parameter": Rule("request.where.query", "query parameter '%(name)s'"),
    "form field": Rule("request.where.form", "form field '%(name)s'"),
    "file name of": Rule("request.where.file_name", "file name of '%(name)s'"),
    "JSON field": Rule("request.where.json_field", "JSON field '%(name)s'"),
    "JSON key": Rule("request.where.json_key", "a JSON key in '%(name)s'"),
}
TOO_MANY_CONTAINERS = Rule(
    "request.too_many_containers",
    "the JSON body holds more than %(limit)s objects and lists, the limit; send fewer records "
    "at a time",
)
TOO_DEEP = Rule(
    "request.too_deep",
    "the JSON body nests lists or objects more than %(limit)s levels deep; send flat records",
)


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in every route: 0 to 2,147,483,647; anything else does not match (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, min, DB_INT_MAX if max is None else max, signed)


def _nul_refusal(where: str, name: str | None = None) -> ValidationError:
    said: Text = WHERE[where](name=name) if name is not None else WHERE[where]()
    return ValidationError(HOLDS_NUL(where=said), field=name)


def _check_text(values, where: str) -> None:
    for name, value in values:
        if "\x00" in name or "\x00" in value:
            raise _nul_refusal(where, name.replace(chr(0), ""))


_QUOTE, _SQUARE, _CURLY = ord('"'), ord("["), ord("{")
# Every byte but a quote and the four brackets: all the nesting depth needs to see.
_NOT_MARKS = bytes(b for b in range(256) if b not in b'"[]{}')


def _bytes_nesting_depth(data: bytes) -> int:
    """How deep brackets nest, strings skipped: cheap, and enough to refuse before parsing.

    Done with whole-buffer operations, not byte by byte (a 20 MB body in a few tenths of a
    second instead of seconds): escapes are dropped as a string reads them (a backslash takes
    the next byte with it), then everything but quotes and brackets; two quotes side by side
    hold nothing between them, so they go too. What is left is short for any real body; a
    running parity of quotes then tells the brackets inside strings from the others. Outside
    strings a valid body has no backslash; an invalid one is refused by the parser at the
    first one, before nesting any deeper than counted here.
    """
    unescaped = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = unescaped.translate(None, _NOT_MARKS).replace(b'""', b"")
    codes = np.frombuffer(marks, dtype=np.uint8)
    quotes = codes == _QUOTE
    if quotes.any():
        codes = codes[~(np.bitwise_xor.accumulate(quotes) | quotes)]
    opening = np.flatnonzero((codes == _SQUARE) | (codes == _CURLY))
    # Before the k-th opening bracket (from 0) at ``at`` come k opening and at - k closing ones.
    depths = 2 * np.arange(1, opening.size + 1) - 1 - opening
    return max(0, int(depths.max())) if depths.size else 0


def _check_json() -> None:
    data = request.get_data(cache=True)
    if not data:
        return
    containers = data.count(b"{") + data.count(b"[")
    if containers > MAX_JSON_CONTAINERS:
        raise ValidationError(TOO_MANY_CONTAINERS(limit=f"{MAX_JSON_CONTAINERS:,}"))
    if containers > MAX_JSON_DEPTH and _bytes_nesting_depth(data) > MAX_JSON_DEPTH:
        raise ValidationError(TOO_DEEP(limit=MAX_JSON_DEPTH))
    body = request.get_json(silent=True)
    stack: list[tuple[Any, str]] = [(body, "body")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise _nul_refusal("JSON field", where)
        elif isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    raise _nul_refusal("JSON key", where)
                stack.append((item, key))
        elif isinstance(value, list):
            stack.extend((item, where) for item in value)


def _guard() -> None:
    if "\x00" in request.path:
        raise _nul_refusal("address")
    _check_text(request.args.items(multi=True), "query parameter")
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        _check_text(request.form.items(multi=True), "form field")
        for name, upload in request.files.items(multi=True):
            _check_text([(name, upload.filename or "")], "file name of")
    elif request.is_json:
        _check_json()


def init_app(app: Flask) -> None:
    app.before_request(_guard)


def install_converters(app: Flask) -> None:
    """Before any blueprint is registered: rules pick their converters when they are added."""
    app.url_map.converters["int"] = DatabaseIdConverter
