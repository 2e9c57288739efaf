"""OGC API - Features Part 3: CQL2 filters (text and JSON) translated into SQL.

pygeofilter parses the filter (text through cql_text's grammar); this module walks its tree
and builds a SQLAlchemy condition on the collection's declared properties, so the database
does the filtering on both SpatiaLite and PostGIS, with the same answers: LIKE matches case
on both. Supported: comparisons, BETWEEN, LIKE, IN, IS NULL, AND / OR / NOT, TRUE / FALSE
and S_INTERSECTS with a geometry or a bbox. Anything else, an unknown property, a value of
the wrong kind or a tree nested deeper than the compiler can take is a ValidationError
that names the part of the filter at fault.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pygeofilter.ast as ast
import shapely
from lark.exceptions import UnexpectedInput
from pygeofilter import values
from pygeofilter.parsers.cql2_json import parse as parse_json
from sqlalchemy import (
    Boolean,
    ColumnElement,
    FunctionElement,
    and_,
    false,
    func,
    literal,
    not_,
    or_,
    true,
)
from sqlalchemy.ext.compiler import compiles

from registry.errors import ValidationError
from registry.ogcapi.collections import Collection, Property
from registry.ogcapi.cql_text import parse as parse_text
from registry.ogcapi.crs import Crs, geometry_to_lonlat
from registry.ogcapi.times import in_utc

FILTER_LANGUAGES = ("cql2-text", "cql2-json")
# Older drafts' names that GDAL and QGIS releases still send.
_FILTER_LANGUAGE_ALIASES = {"cql-text": "cql2-text", "cql-json": "cql2-json"}
# CQL2's temporal and array operators, which the text grammar cannot read as conditions.
_UNSUPPORTED_FUNCTION = re.compile(r"\b([TA]_[A-Z]+)\s*\(", re.IGNORECASE)
UNSUPPORTED = (
    "is not supported; use comparisons (dates and times too: <, >, BETWEEN), LIKE, IN, "
    "IS NULL, AND, OR, NOT and S_INTERSECTS"
)
MAX_FILTER_LENGTH = 20_000
# Levels of nesting a filter may have, a run of one operator (a OR b OR c) being one level:
# SQLAlchemy compiles each level by recursion, and 140 levels ran out of Python's stack.
MAX_FILTER_DEPTH = 50
# Operators from the top of a filter to any condition, each AND or OR of a run counted: the
# database nests a run as the filter does (SQLite refuses trees deeper than 1000).
MAX_FILTER_PATH = 500
TOO_DEEP = (
    f"parameter 'filter': nested too deeply; at most {MAX_FILTER_DEPTH} levels (a run of one "
    f"operator, a OR b OR c, is one level) and {MAX_FILTER_PATH} operators from the top to "
    "any condition"
)
_COMPARISONS: dict[type, Callable[[Any, Any], ColumnElement[bool]]] = {
    ast.Equal: lambda c, v: c == v,
    ast.NotEqual: lambda c, v: c != v,
    ast.LessThan: lambda c, v: c < v,
    ast.LessEqual: lambda c, v: c <= v,
    ast.GreaterThan: lambda c, v: c > v,
    ast.GreaterEqual: lambda c, v: c >= v,
}
_OPERATOR_NAMES = {
    ast.Equal: "=",
    ast.NotEqual: "<>",
    ast.LessThan: "<",
    ast.LessEqual: "<=",
    ast.GreaterThan: ">",
    ast.GreaterEqual: ">=",
}


def filter_language(raw: str | None) -> str:
    """The filter-lang parameter's language (cql2-text when absent)."""
    language = (raw or "cql2-text").strip().lower()
    language = _FILTER_LANGUAGE_ALIASES.get(language, language)
    if language not in FILTER_LANGUAGES:
        raise ValidationError(
            f"parameter 'filter-lang': {raw!r} is not one of {', '.join(FILTER_LANGUAGES)}",
            field="filter-lang",
        )
    return language


def parse_filter(text: str, language: str) -> ast.Node:
    """The filter's syntax tree; a 400 that points at the place the parser stopped."""
    if len(text) > MAX_FILTER_LENGTH:
        raise ValidationError(
            f"parameter 'filter': {len(text)} characters; at most {MAX_FILTER_LENGTH}",
            field="filter",
        )
    try:
        if language == "cql2-json":
            tree = parse_json(_bboxes_as_polygons(json.loads(text)))
        else:
            tree = parse_text(text)
    except UnexpectedInput as error:
        unsupported = _UNSUPPORTED_FUNCTION.search(text)
        if unsupported:
            raise ValidationError(
                f"parameter 'filter': {unsupported[1].upper()} {UNSUPPORTED}", field="filter"
            ) from None
        near = text[max(0, error.pos_in_stream - 10) : error.pos_in_stream + 10]
        raise ValidationError(
            f"parameter 'filter': CQL2 text cannot be read at column {error.column}, near {near!r}",
            field="filter",
        ) from None
    except RecursionError:
        raise ValidationError(TOO_DEEP, field="filter") from None
    except Exception as error:  # pygeofilter raises bare KeyError/ValueError/TypeError
        raise ValidationError(
            f"parameter 'filter': not valid {language} ({type(error).__name__}: "
            f"{str(error)[:200]})",
            field="filter",
        ) from None
    levels, path = _depth(tree)
    if levels > MAX_FILTER_DEPTH or path > MAX_FILTER_PATH:
        raise ValidationError(TOO_DEEP, field="filter")
    return tree


def _depth(tree: ast.Node) -> tuple[int, int]:
    """The deepest nesting in levels (a run of one operator is one) and in nodes.

    Walked without recursion, as the tree may be too deep for it.
    """
    deepest_level = deepest_path = 0
    stack = [(tree, 1, 1)]
    while stack:
        node, level, path = stack.pop()
        deepest_level, deepest_path = max(deepest_level, level), max(deepest_path, path)
        for child in node.get_sub_nodes():
            if isinstance(child, ast.Node):
                same_run = isinstance(node, ast.And | ast.Or) and type(child) is type(node)
                stack.append((child, level if same_run else level + 1, path + 1))
    return deepest_level, deepest_path


def _run(node: ast.And | ast.Or) -> list[Any]:
    """The operands of a run of one operator (a OR b OR c), without recursion."""
    operands, stack = [], [node]
    while stack:
        item = stack.pop()
        if type(item) is type(node):
            stack += [item.rhs, item.lhs]
        else:
            operands.append(item)
    return operands


def _bboxes_as_polygons(node: Any) -> Any:
    """CQL2 JSON ``{"bbox": [w, s, e, n]}`` as a GeoJSON polygon.

    pygeofilter 0.4 reads the four numbers into its Envelope as (x1, x2, y1, y2), which
    swaps the middle two; a polygon has no order to get wrong.
    """
    if isinstance(node, list):
        return [_bboxes_as_polygons(item) for item in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1 and "bbox" in node:
        return shapely.geometry.mapping(_bbox_polygon(node["bbox"]))
    return {key: _bboxes_as_polygons(value) for key, value in node.items()}


def _bbox_polygon(numbers: Any) -> shapely.Geometry:
    """A CQL2 bbox (west, south, east, north; 6 numbers with heights) as a polygon.

    West of east and south of north: CQL2 reads west > east as a box across the antimeridian,
    which is not supported, so it is refused rather than read the other way round.
    """
    if not (
        isinstance(numbers, list)
        and len(numbers) in (4, 6)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in numbers)
    ):
        raise ValueError(f"a bbox is 4 or 6 numbers, got {numbers!r}")
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    west, south, east, north = numbers
    if west > east or south > north:
        raise ValueError(
            f"bbox {numbers}: west is east of east or south north of north (a box across "
            "the antimeridian is not supported)"
        )
    return shapely.box(west, south, east, north)


class FilterSql:
    """Builds the SQL condition of one parsed filter for one collection."""

    def __init__(self, collection: Collection, crs: Crs, intersects) -> None:
        self.collection = collection
        self.crs = crs
        # (lon/lat geometry) -> condition; the spatial index lookup differs by database.
        self.intersects = intersects

    def condition(self, node: Any) -> ColumnElement[bool]:
        try:
            return self._node(node)
        except RecursionError:
            raise ValidationError(TOO_DEEP, field="filter") from None

    def _node(self, node: Any) -> ColumnElement[bool]:
        if isinstance(node, ast.And):
            return and_(*(self._node(operand) for operand in _run(node)))
        if isinstance(node, ast.Or):
            return or_(*(self._node(operand) for operand in _run(node)))
        if isinstance(node, ast.Not):
            return not_(self._node(node.sub_node))
        if type(node) in _COMPARISONS:
            prop = self._property(node.lhs, _OPERATOR_NAMES[type(node)])
            value = self._value(prop, node.rhs)
            return _COMPARISONS[type(node)](prop.column, value)
        if isinstance(node, ast.Between):
            prop = self._property(node.lhs, "BETWEEN")
            condition = prop.column.between(
                self._value(prop, node.low), self._value(prop, node.high)
            )
            return not_(condition) if node.not_ else condition
        if isinstance(node, ast.Like):
            prop = self._property(node.lhs, "LIKE")
            if prop.type != "string" or prop.format:
                raise self._error(f"LIKE needs a text property; '{prop.name}' is {prop.type}")
            if not isinstance(node.pattern, str):
                raise self._error(f"LIKE needs a text pattern, got {node.pattern!r}")
            # pygeofilter names "." as the single-character wildcard; CQL2's is "_", which
            # is what the pattern means, so it goes to the database as it is.
            if node.pattern.replace("\\\\", "").endswith("\\"):
                raise self._error(f"the LIKE pattern {node.pattern!r} ends with its escape \\")
            condition = CaseSensitiveLike(prop.column, node.pattern)
            return not_(condition) if node.not_ else condition
        if isinstance(node, ast.In):
            prop = self._property(node.lhs, "IN")
            choices = [self._value(prop, v) for v in node.sub_nodes]
            if not choices:
                raise self._error(f"IN on '{prop.name}' needs at least one value")
            condition = prop.column.in_(choices)
            return not_(condition) if node.not_ else condition
        if isinstance(node, ast.IsNull):
            prop = self._property(node.lhs, "IS NULL")
            condition = prop.column.is_(None)
            return not_(condition) if node.not_ else condition
        if isinstance(node, ast.GeometryIntersects):
            return self._intersects(node)
        if isinstance(node, ast.Include):  # TRUE or INCLUDE; FALSE or EXCLUDE
            return false() if node.not_ else true()
        name = getattr(node, "op", None)
        name = getattr(name, "value", None) or type(node).__name__
        raise self._error(f"{name} {UNSUPPORTED}")

    def _property(self, node: Any, operator: str) -> Property:
        if not isinstance(node, ast.Attribute):
            raise self._error(f"{operator} needs a property name on its left, got {node!r}")
        prop = self.collection.property_named(node.name)
        if prop is None or not prop.queryable:
            queryable = [p.name for p in self.collection.properties if p.queryable]
            raise self._error(
                f"'{node.name}' is not a queryable of collection '{self.collection.id}'; "
                f"queryables: {', '.join(queryable)}"
            )
        return prop

    def _value(self, prop: Property, value: Any) -> Any:
        """The literal as the property's type, or a 400 naming both."""
        if prop.format == "date-time":
            return self._time(prop, value)
        ok = {
            "string": isinstance(value, str),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
        }.get(prop.type, False)
        if prop.type == "integer" and isinstance(value, float) and value.is_integer():
            value, ok = int(value), -(2**31) <= value < 2**31
        if ok and prop.type == "integer" and not -(2**31) <= value < 2**31:  # 32-bit columns
            ok = False
        if ok and isinstance(value, float) and not math.isfinite(value):
            ok = False
        if not ok:
            raise self._error(f"'{prop.name}' is {prop.type}; {value!r} is not")
        return prop.normalised(value, "filter")

    def _time(self, prop: Property, value: Any) -> datetime:
        if isinstance(value, datetime):
            return in_utc(value, "filter", value.isoformat())
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
            else:
                return in_utc(parsed, "filter", value)
        raise self._error(
            f"'{prop.name}' is a date-time; {value!r} is not one (give TIMESTAMP('...Z'))"
        )

    def _intersects(self, node: ast.GeometryIntersects) -> ColumnElement[bool]:
        left, right = node.lhs, node.rhs
        if not isinstance(left, ast.Attribute):
            left, right = right, left
        if not isinstance(left, ast.Attribute) or left.name not in ("geometry", "geom"):
            raise self._error("S_INTERSECTS compares the property 'geometry' with a geometry")
        geom = self._geometry(right)
        shown = shapely.to_wkt(geom, rounding_precision=-1)
        shown = shown if len(shown) <= 100 else shown[:100] + "..."
        return self.intersects(geometry_to_lonlat(self.crs, geom, "filter", shown))

    def _geometry(self, value: Any) -> shapely.Geometry:
        try:
            if isinstance(value, values.Geometry):
                geom = shapely.geometry.shape(value.geometry)
            elif isinstance(value, values.Envelope):
                geom = shapely.box(value.x1, value.y1, value.x2, value.y2)
            elif isinstance(value, ast.Function) and value.name.lower() == "bbox":
                geom = _bbox_polygon(value.arguments)
            else:
                raise TypeError(type(value).__name__)
        except Exception as error:
            raise self._error(f"S_INTERSECTS needs a geometry or BBOX: {error}") from None
        if geom.is_empty or not all(math.isfinite(v) for v in geom.bounds):
            raise self._error("S_INTERSECTS: the geometry is empty or has non-finite numbers")
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        return geom

    @staticmethod
    def _error(message: str) -> ValidationError:
        return ValidationError(f"parameter 'filter': {message}", field="filter")


class CaseSensitiveLike(FunctionElement):
    """column LIKE pattern (CQL2: % any text, _ one character, \\ escapes), matching case as
    CQL2 and PostgreSQL do. SQLite's LIKE ignores ASCII case, so there it is GLOB."""

    type = Boolean()
    name = "case_sensitive_like"
    inherit_cache = True

    def __init__(self, column, pattern: str) -> None:
        super().__init__(column, literal(pattern), literal(_glob(pattern)))


@compiles(CaseSensitiveLike)
def _like(element: CaseSensitiveLike, compiler, **kw) -> str:
    column, pattern, _glob_pattern = element.clauses
    return compiler.process(column.like(pattern, escape="\\"), **kw)


@compiles(CaseSensitiveLike, "sqlite")
def _like_sqlite(element: CaseSensitiveLike, compiler, **kw) -> str:
    column, _pattern, glob_pattern = element.clauses
    return compiler.process(column.op("GLOB")(glob_pattern), **kw)


_GLOB_WILDCARDS = {"%": "*", "_": "?"}
_GLOB_SPECIAL = {"*": "[*]", "?": "[?]", "[": "[[]"}


def _glob(pattern: str) -> str:
    """A CQL2 LIKE pattern as a GLOB pattern: wildcards turned, GLOB's own characters and
    escaped ones matched as themselves."""
    made, escaped = [], False
    for char in pattern:
        if escaped:
            made.append(_GLOB_SPECIAL.get(char, char))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            made.append(_GLOB_WILDCARDS.get(char) or _GLOB_SPECIAL.get(char, char))
    return "".join(made)


def spatial_intersects(
    column, lonlat: shapely.Geometry, envelope_filter, *, points: bool
) -> ColumnElement[bool]:
    """column intersects the geometry: the index finds candidates by envelope first.

    For points inside a lon/lat rectangle the envelope test is already exact.
    """
    candidates = envelope_filter(lonlat.bounds)
    if points and lonlat.geom_type == "Polygon" and lonlat.equals(lonlat.envelope):
        return candidates
    wkt = shapely.to_wkt(lonlat, rounding_precision=-1)
    exact = func.ST_Intersects(column, func.ST_GeomFromText(wkt, 4326)).is_(True)
    return and_(candidates, exact)
