"""One declaration of every /api/v1 operation: its parameters, body and answers.

The same declaration checks each request before its view runs (unknown parameters and values
of the wrong kind are 400s naming the parameter, with the same rules on every endpoint) and
is turned into the OpenAPI 3.0 document served at /api/v1/openapi.json. A test checks that
every /api/v1 route is declared, so the document cannot drift from the application.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from typing import Any

from flask import request
from werkzeug.datastructures import MultiDict

from importers.vocabulary import (
    AGE_GROUPS,
    DOSES,
    FACILITY_TYPES,
    STATUSES,
    TEST_METHODS,
    VACCINE_BRANDS,
)
from registry import query_args
from registry.api import params
from registry.coverage import query as coverage_query
from registry.errors import NotFoundError, ValidationError
from registry.facilities import export as facility_export
from registry.models import DB_INT_MAX
from registry.nearest import search as search_service


@dataclass(frozen=True)
class Param:
    """One query parameter: its kind decides both the check and the OpenAPI schema."""

    name: str
    kind: str  # integer, number, boolean, choice, choices, area, bbox, datetime, text, hcode
    description: str
    enum: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    level: int | None = None  # area codes: 1 province, 2 district, 3 subdistrict
    required: bool = False
    what: str = "a number"  # how a bad number's message names the value: "a latitude"

    def check(self, args: MultiDict) -> None:
        """Raise a ValidationError when the value in ``args`` (the request's query) breaks
        this parameter's rule."""
        raw = args.get(self.name)
        if raw is None:
            if self.required:
                raise ValidationError(f"parameter '{self.name}' is required", field=self.name)
            return
        if self.kind != "choices":
            given = len(args.getlist(self.name))
            if given > 1:
                raise ValidationError(
                    f"parameter '{self.name}' is given {given} times; give it once",
                    field=self.name,
                )
        CHECKS[self.kind](self, raw)

    def schema(self) -> dict[str, Any]:
        return SCHEMAS[self.kind](self)


_WHOLE = {"a number": "a whole number"}  # unless the declaration names the thing ("a count")


def _integer(p: Param, raw: str) -> None:
    text = raw.strip()
    if not (text.lstrip("-").isdecimal() and len(text) < 20 and p.low <= int(text) <= p.high):
        raise ValidationError(
            f"parameter '{p.name}': {raw!r} is not {_WHOLE.get(p.what, p.what)} between "
            f"{p.low:.0f} and {p.high:.0f}",
            field=p.name,
        )


def _number(p: Param, raw: str) -> None:
    try:
        value = query_args.decimal_number(raw)
    except ValueError:
        raise ValidationError(
            f"parameter '{p.name}': {raw!r} is not a number", field=p.name
        ) from None
    if not math.isfinite(value) or not p.low <= value <= p.high:
        raise ValidationError(
            f"parameter '{p.name}': {raw!r} is not {p.what} between {p.low:g} and {p.high:g}",
            field=p.name,
        )


def _text(p: Param, raw: str) -> None:
    if len(raw) > (p.high or 200):
        raise ValidationError(
            f"parameter '{p.name}': {len(raw)} characters; at most {int(p.high or 200)}",
            field=p.name,
        )


CHECKS = {
    "integer": _integer,
    "number": _number,
    # These read the request's query themselves (the first value is ``raw``).
    "boolean": lambda p, raw: params.boolean(p.name),
    "choice": lambda p, raw: params.one_of(p.name, raw, p.enum),
    "choices": lambda p, raw: params.choices(p.name, p.enum),
    "area": lambda p, raw: params.area_code(p.name, p.level),
    "bbox": lambda p, raw: params.bbox(p.name),
    "datetime": lambda p, raw: params.timestamp(p.name),
    "hcode": lambda p, raw: params.hcode(p.name),
    "text": _text,
}
_AREA_PATTERNS = {
    1: r"^(TH)?\d{2}$",
    2: r"^(TH)?\d{4}$",
    3: r"^(TH)?\d{6}$",
    None: r"^(TH)?\d{2}(\d{2}){0,2}$",
}
SCHEMAS = {
    "integer": lambda p: {"type": "integer", "minimum": int(p.low), "maximum": int(p.high)},
    "number": lambda p: {"type": "number", "minimum": p.low, "maximum": p.high},
    "boolean": lambda p: {"type": "boolean"},
    "choice": lambda p: {"type": "string", "enum": list(p.enum)},
    "choices": lambda p: {
        "type": "array",
        "items": {"type": "string", "enum": list(p.enum)},
        "minItems": 1,
    },
    "area": lambda p: {"type": "string", "pattern": _AREA_PATTERNS[p.level]},
    "bbox": lambda p: {
        "type": "array",
        "items": {"type": "number"},
        "minItems": 4,
        "maxItems": 4,
    },
    "datetime": lambda p: {"type": "string", "format": "date-time"},
    "hcode": lambda p: {"type": "string", "pattern": "^([0-9A-Za-z]{5}|[0-9A-Za-z]{9})$"},
    "text": lambda p: {"type": "string", "maxLength": int(p.high or 200)},
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the Flask rule under the blueprint, e.g. /facilities/<int:facility_id>
    summary: str
    parameters: tuple[Param, ...] = ()
    answer: str = "object"  # a schema name in ANSWERS, or a file format list
    media: tuple[str, ...] = ("application/json",)
    body: dict[str, Any] | None = None
    token: bool = False  # needs Authorization: Bearer
    tags: tuple[str, ...] = ("registry",)
    extra: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.parameters)


# -- shared parameter sets ----------------------------------------------------------------------

_TYPES = Param("type", "choices", "Facility types, comma-separated.", FACILITY_TYPES)
_AREA_FILTERS = (
    Param("province", "area", "Province P-code (TH50) or DOPA code (50).", level=1),
    Param("district", "area", "District code (TH5001 or 5001).", level=2),
    Param("subdistrict", "area", "Subdistrict code (TH500101 or 500101).", level=3),
)
LIST_FILTERS = (
    _TYPES,
    Param("status", "choices", "Statuses, comma-separated.", STATUSES),
    *_AREA_FILTERS,
    Param("bbox", "bbox", "west,south,east,north in degrees."),
    Param("updated_since", "datetime", "Only sites changed at or after this time (sync)."),
    Param("include_deleted", "boolean", "Also deactivated sites, marked by deleted_at."),
    Param("hcode", "hcode", "MOPH code, 5-character (10713) or 9-character (A00012345)."),
)
_SITE_FILTERS = (
    Param("open_now", "boolean", "Only sites open now and confirmed in time (default true)."),
    Param("walk_in", "boolean", "Only walk-in sites (true) or appointment-only (false)."),
    Param("vaccine_brand", "choice", "Vaccine in stock.", VACCINE_BRANDS),
    Param("dose", "choice", "Dose offered.", DOSES),
    Param("age_group", "choice", "Age group served.", AGE_GROUPS),
    Param("test_method", "choice", "Test method.", TEST_METHODS),
)
_COVERAGE = (
    replace(_TYPES, required=True),  # coverage is always of some type of site
    Param("threshold_km", "number", "Distance people may travel, in km.", low=0.0, high=200.0),
    Param("level", "choice", "Area level of the table.", tuple(coverage_query.LEVELS)),
    Param("province", "area", "Only this province.", level=1),
    Param("layer", "text", "Population layer name.", high=100),
    Param("confirmed_only", "boolean", "Only sites whose status was confirmed in time."),
    *_SITE_FILTERS,
)
_ROADS = (
    Param("profile", "text", "Travel profile on roads: motorcycle, car or walking.", high=40),
)
_COVERAGE_BY_ROAD = (
    Param(
        "threshold_min",
        "number",
        "Travel time people may take, in minutes (instead of threshold_km).",
        low=0.0,
        high=coverage_query.MAX_THRESHOLD_MIN,
    ),
    *_ROADS,
    Param("roads", "text", "Road layer name (default: the one covering the area).", high=100),
)
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMAT = Param("format", "choice", "Answer format.", ("json", "geojson", "csv", "xlsx"))
_ID = {
    "name": "facility_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**62},
}
_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}


def _check_names(declared: tuple[Param, ...], names) -> tuple[Param, ...]:
    """The declared parameters, after checking they are the names a service parses."""
    missing = set(names) - {p.name for p in declared}
    if missing:  # a programming error, found at import
        raise RuntimeError(f"parameters without a declaration: {sorted(missing)}")
    return declared


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/facilities",
        "Facilities as GeoJSON, ordered by id, with a next link",
        (
            *LIST_FILTERS,
            Param("limit", "integer", "Sites per page.", low=1, high=1000),
            Param(
                "after",
                "integer",
                "Id to continue after (next links set it).",
                low=0,
                high=DB_INT_MAX,
            ),
        ),
        answer="FeatureCollection",
        media=("application/geo+json",),
    ),
    Operation(
        "GET",
        "/facilities/download",
        "Every matching facility in one file",
        (
            *LIST_FILTERS,
            Param("format", "choice", "File format.", facility_export.FORMATS),
            Param("headers", "choice", "Column names in English or Thai.", ("en", "th")),
        ),
        answer="file",
        media=tuple(dict.fromkeys(t.split(";")[0] for t in facility_export.MEDIA_TYPES.values())),
    ),
    Operation(
        "GET",
        "/facilities/<int:facility_id>",
        "One facility as a GeoJSON Feature",
        answer="Feature",
        media=("application/geo+json",),
        extra={"path": [_ID]},
    ),
    Operation(
        "GET",
        "/facilities/<int:facility_id>/history",
        "The logged changes of one facility, newest first, a page at a time",
        (
            Param("limit", "integer", "Changes per page.", low=1, high=1000),
            Param(
                "before",
                "integer",
                "Id of the last change of the previous page (next links set it).",
                low=1,
                high=DB_INT_MAX,
            ),
        ),
        extra={"path": [_ID]},
    ),
    Operation(
        "POST",
        "/facilities",
        "Create a facility inside the token owner's area",
        answer="object",
        body={"type": "object"},
        token=True,
    ),
    Operation(
        "PATCH",
        "/facilities/<int:facility_id>",
        "Change fields of one facility (send its version)",
        body={"type": "object"},
        token=True,
        extra={"path": [_ID]},
    ),
    Operation(
        "POST",
        "/status",
        "Many status updates at once (JSON array or CSV)",
        (Param("partial", "boolean", "Apply the valid items even when some are refused."),),
        body={"type": "array", "items": {"type": "object"}},
        token=True,
    ),
    Operation(
        "GET",
        "/areas",
        "Areas of one level or under one parent",
        (
            Param("level", "choices", "Levels.", ("province", "district", "subdistrict")),
            Param("parent", "area", "Parent area code."),
            Param("geometry", "boolean", "Include boundaries."),
        ),
        answer="FeatureCollection",
        media=("application/geo+json",),
    ),
    Operation(
        "GET",
        "/areas/<code>",
        "One area with its boundary",
        answer="Feature",
        media=("application/geo+json",),
        extra={"path": [_CODE]},
    ),
    Operation(
        "GET",
        "/map/features",
        "Sites or clusters in a view of the all-sites map",
        (
            Param("bbox", "bbox", "west,south,east,north in degrees.", required=True),
            Param("zoom", "integer", "Map zoom level.", low=0, high=22),
            _TYPES,
        ),
    ),
    Operation(
        "GET",
        "/nearest",
        "The k nearest matching sites, exact by geodesic distance",
        _check_names(
            (
                Param("lat", "number", "Latitude.", low=-90, high=90, what="a latitude"),
                Param("lon", "number", "Longitude.", low=-180, high=180, what="a longitude"),
                Param("place", "text", "A province, district, subdistrict or village name."),
                Param("area", "area", "An area code picked from the candidates of a place."),
                Param("village", "text", "A DOPA village code picked from candidates.", high=20),
                Param(
                    "by",
                    "choice",
                    "Rank by straight-line distance or by travel time on roads.",
                    ("distance", "travel_time"),
                ),
                *_ROADS,
                _TYPES,
                Param(
                    "k",
                    "integer",
                    "How many sites.",
                    low=1,
                    high=search_service.MAX_K,
                    what="a count",
                ),
                Param(
                    "max_km",
                    "number",
                    "Farthest distance.",
                    low=0.1,
                    high=2000,
                    what="a distance in km",
                ),
                Param("fallback", "boolean", "Fill up with unconfirmed sites when too few."),
                *_SITE_FILTERS,
            ),
            search_service.PARAMETERS,
        ),
        answer="FeatureCollection",
        media=("application/geo+json",),
    ),
    Operation(
        "GET",
        "/places",
        "Provinces, districts and subdistricts whose names match q",
        (
            Param("q", "text", "Name or part of it, Thai or English.", required=True),
            Param("limit", "integer", "How many.", low=1, high=50),
        ),
    ),
    Operation(
        "GET",
        "/coverage",
        "People within and beyond threshold_km of the nearest eligible site, per area",
        (*_check_names((*_COVERAGE, *_COVERAGE_BY_ROAD), coverage_query.PARAMETERS), _FORMAT),
        media=("application/json", "application/geo+json", "text/csv", _XLSX),
        tags=("coverage",),
    ),
    Operation(
        "GET",
        "/coverage/suggestions",
        "Up to k new sites that would cover the most people",
        (
            *_COVERAGE,
            *_COVERAGE_BY_ROAD,
            Param("k", "integer", "How many suggestions.", low=1, high=coverage_query.MAX_K),
            Param(
                "candidates",
                "choice",
                "Where candidates come from.",
                coverage_query.CANDIDATE_KINDS,
            ),
            Param("format", "choice", "Answer format.", ("json", "geojson", "csv")),
        ),
        media=("application/json", "application/geo+json", "text/csv"),
        tags=("coverage",),
    ),
    Operation(
        "GET",
        "/coverage/curve",
        "Share of the people covered at every whole km from 1 to 30 (or every 5 minutes)",
        (*_COVERAGE, *_COVERAGE_BY_ROAD),
        tags=("coverage",),
    ),
    Operation(
        "GET",
        "/population/layers",
        "Population layers coverage can use",
        tags=("coverage",),
    ),
    Operation(
        "GET",
        "/statistics/provinces",
        "One national table, one row per province: sites, freshness, beds, survey progress",
        (Param("format", "choice", "File format.", ("json", "csv", "xlsx")),),
        media=("application/json", "text/csv", _XLSX),
        tags=("statistics",),
    ),
    Operation(
        "GET",
        "/villages",
        "DOPA villages of one subdistrict whose number or name matches q",
        (
            Param("subdistrict", "area", "Subdistrict code (TH500101).", level=3, required=True),
            Param("q", "text", "Village number or name, Thai or English.", high=100),
            Param("limit", "integer", "How many.", low=1, high=200),
        ),
    ),
    Operation(
        "GET",
        "/openapi.json",
        "This document",
        media=("application/vnd.oai.openapi+json",),
        tags=("documentation",),
    ),
    Operation(
        "GET",
        "/reference",
        "This document as a readable page",
        (Param("lang", "choice", "Page language.", ("th", "en")),),
        media=("text/html",),
        tags=("documentation",),
    ),
)
_BY_RULE = {(op.method, "/api/v1" + op.path): op for op in OPERATIONS}


def operation_for(method: str, rule: str) -> Operation | None:
    if method == "HEAD":
        method = "GET"
    return _BY_RULE.get((method, rule))


def check_request() -> None:
    """Before a view: unknown parameters and bad values are 400s naming the parameter."""
    # The request proxy resolved once: this runs before every API answer.
    current = request._get_current_object()
    rule = current.url_rule
    if rule is None or current.method == "OPTIONS":
        return
    operation = operation_for(current.method, rule.rule)
    if operation is None:
        return
    for declared in operation.extra.get("path", []):
        value = (current.view_args or {}).get(declared["name"])
        highest = declared["schema"].get("maximum")
        if isinstance(value, int) and highest is not None and not 1 <= value <= highest:
            # No row has such an id; the databases cannot even compare with it.
            raise NotFoundError(f"there is no facility with id {value}", field=declared["name"])
    allowed = operation.names
    args = current.args
    for name, value in args.items(multi=True):
        if "\x00" in value:
            raise ValidationError(f"parameter '{name}': contains a NUL character", field=name)
    for name in args:
        if name not in allowed:
            raise ValidationError(
                f"unknown query parameter '{name}'; this endpoint takes: "
                f"{', '.join(sorted(allowed)) or 'no parameters'}",
                field=name,
            )
    for parameter in operation.parameters:
        # Only what was given is checked: most of an endpoint's parameters are absent.
        if parameter.required or parameter.name in args:
            parameter.check(args)
