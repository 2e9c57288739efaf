"""The OpenAPI 3.0 description of the OGC API, generated from the same declarations the
endpoints validate with (request_args' parameter names, the collections, the page limits)."""

from __future__ import annotations

from typing import Any

from registry.api.openapi import http_answers
from registry.ogcapi.collections import COLLECTIONS
from registry.ogcapi.cql import FILTER_LANGUAGES
from registry.ogcapi.crs import SUPPORTED
from registry.ogcapi.documents import DEFAULT_LIMIT, MAX_LIMIT
from registry.ogcapi.request_args import COMMON, FORMATS, ITEMS

_CRS = {"type": "string", "enum": list(SUPPORTED)}
_LANG = {"type": "string", "enum": ["th", "en"]}
# Every query parameter of the items endpoint; a test checks these are request_args.ITEMS.
ITEM_PARAMETERS: dict[str, dict[str, Any]] = {
    "f": {"type": "string", "enum": list(FORMATS)},
    "crs": _CRS,
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    "offset": {"type": "integer", "minimum": 0, "maximum": 10**9, "default": 0},
    "after": {"type": "string", "maxLength": 20},
    "bbox": {
        "type": "array",
        "minItems": 4,
        "maxItems": 6,
        "items": {"type": "number"},
    },
    "bbox-crs": _CRS,
    "datetime": {"type": "string"},
    "filter": {"type": "string"},
    "filter-lang": {"type": "string", "enum": list(FILTER_LANGUAGES)},
    "filter-crs": _CRS,
    "include_deleted": {"type": "boolean", "default": False},
    "lang": _LANG,
}
_DESCRIPTIONS = {
    "f": "Answer format: json (GeoJSON for features) or html.",
    "crs": "CRS of the answer's coordinates (Part 2).",
    "limit": f"Features per page, at most {MAX_LIMIT}; follow the next link for more.",
    "offset": "Features to skip.",
    "after": "Only features after this id (next links set it: keyset paging, fast at any depth).",
    "bbox": "west,south,east,north in bbox-crs (CRS84 by default).",
    "bbox-crs": "CRS of bbox.",
    "datetime": (
        "The update time (RFC 3339): an instant, a date (its whole day, UTC) or an interval "
        "like 2021-08-01/.. ; facility collections only (the areas have no time: 400)."
    ),
    "filter": "A CQL2 filter on the queryables, e.g. status = 'open' AND beds_total > 10.",
    "filter-lang": "cql2-text (default) or cql2-json.",
    "filter-crs": "CRS of the geometries in filter.",
    "include_deleted": "Also deactivated sites (sync clients), marked by deleted_at.",
    "lang": "Language of the HTML pages: th or en.",
}

_LINK = {
    "type": "object",
    "required": ["href", "rel"],
    "properties": {
        "href": {"type": "string"},
        "rel": {"type": "string"},
        "type": {"type": "string"},
        "title": {"type": "string"},
    },
}
_LINKS = {"type": "array", "items": {"$ref": "#/components/schemas/link"}}
_FEATURE = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "geometry": {"type": "object", "nullable": True},
        "properties": {"type": "object", "nullable": True},
    },
}
_FEATURE_COLLECTION = {
    "type": "object",
    "required": ["type", "features", "numberReturned", "links"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": {"$ref": "#/components/schemas/feature"}},
        "numberMatched": {"type": "integer", "minimum": 0},
        "numberReturned": {"type": "integer", "minimum": 0},
        "timeStamp": {"type": "string", "format": "date-time"},
        "links": _LINKS,
    },
}
_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}


_ERROR_ANSWER = {
    "description": "The request cannot be answered; the message says why.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}},
}


def _parameter(name: str, where: str = "query", **extra) -> dict[str, Any]:
    schema = ITEM_PARAMETERS[name]
    parameter = {
        "name": name,
        "in": where,
        "required": False,
        "description": _DESCRIPTIONS[name],
        "schema": schema,
    }
    if schema.get("type") == "array":
        parameter.update(style="form", explode=False)
    parameter.update(extra)
    return parameter


def _answer(
    schema_ref: str,
    media: str = "application/json",
    *,
    not_found: bool = False,
    ranges: bool = False,
):
    """Every status the operation answers with (OGC API Features /req/oas30/completeness):
    conditional requests (304, 412) on every read, Range (206, 416) on features, and the
    errors."""
    answers: dict[str, Any] = {
        "200": {
            "description": "OK",
            "content": {
                media: {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}},
                "text/html": {"schema": {"type": "string"}},
            },
        },
        "304": {"$ref": "#/components/responses/notModified"},
        "400": {"$ref": "#/components/responses/error"},
        "412": {"$ref": "#/components/responses/preconditionFailed"},
        "500": {"$ref": "#/components/responses/error"},
        "503": {"$ref": "#/components/responses/unavailable"},
    }
    if not_found:
        answers["404"] = {"$ref": "#/components/responses/error"}
    if ranges:
        answers["206"] = {"$ref": "#/components/responses/partialContent"}
        answers["416"] = {"$ref": "#/components/responses/rangeNotSatisfiable"}
    return dict(sorted(answers.items()))


def _operation(op_id: str, summary: str, parameters: list, responses: dict) -> dict:
    return {
        "get": {
            "operationId": op_id,
            "summary": summary,
            "tags": ["OGC API Features"],
            "parameters": parameters,
            "responses": responses,
        }
    }


def _queryable_parameter(prop) -> dict[str, Any]:
    schema = {k: v for k, v in prop.schema().items() if k != "title"}
    if prop.format == "date-time":
        schema = {"type": "string", "format": "date-time"}
    if prop.type == "integer":
        schema.update(minimum=-(2**31), maximum=2**31 - 1)
    return {
        "name": prop.name,
        "in": "query",
        "required": False,
        "description": f"Only features whose {prop.name} equals this value.",
        "schema": schema,
    }


def _collection_paths() -> dict[str, Any]:
    """Items and item paths per collection: each lists its own queryables (GDAL reads them
    to push ``-where`` equality filters to the server)."""
    paths: dict[str, Any] = {}
    feature_id = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}}
    for collection in COLLECTIONS.values():
        queryables = [_queryable_parameter(p) for p in collection.properties if p.queryable]
        standard = [_parameter(name) for name in ITEMS]
        paths[f"/collections/{collection.id}/items"] = _operation(
            f"getFeatures_{collection.id}",
            f"Features: {collection.title_en}",
            [*standard, *queryables],
            _answer("featureCollection", "application/geo+json", ranges=True),
        )
        paths[f"/collections/{collection.id}/items/{{featureId}}"] = _operation(
            f"getFeature_{collection.id}",
            f"One feature: {collection.title_en}",
            [feature_id, *(_parameter(name) for name in COMMON)],
            _answer("feature", "application/geo+json", not_found=True, ranges=True),
        )
    return paths


def openapi_document(base: str) -> dict[str, Any]:
    """The OpenAPI 3.0.3 document of the OGC API served at ``base``."""
    collection_id = {
        "name": "collectionId",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": list(COLLECTIONS)},
    }
    f_only = [_parameter("f"), _parameter("lang")]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Thai COVID-19 facility registry - OGC API Features",
            "version": "1.0.0",
            "license": {"name": "Apache-2.0"},
        },
        "servers": [{"url": base}],
        "paths": {
            "/": _operation("getLandingPage", "Landing page", f_only, _answer("landing")),
            "/conformance": _operation(
                "getConformance", "Conformance classes", f_only, _answer("conformance")
            ),
            "/collections": _operation(
                "getCollections", "Collections", f_only, _answer("collections")
            ),
            "/collections/{collectionId}": _operation(
                "describeCollection",
                "One collection",
                [collection_id, *f_only],
                _answer("collection", not_found=True),
            ),
            "/collections/{collectionId}/queryables": _operation(
                "getQueryables",
                "Queryables of a collection",
                [collection_id, *f_only],
                _answer("queryables", "application/schema+json", not_found=True),
            ),
            "/collections/{collectionId}/schema": _operation(
                "getSchema",
                "Every property of a collection's features",
                [collection_id, *f_only],
                _answer("queryables", "application/schema+json", not_found=True),
            ),
            **_collection_paths(),
        },
        "components": {
            "schemas": {
                "link": _LINK,
                "landing": {
                    "type": "object",
                    "required": ["links"],
                    "properties": {"links": _LINKS},
                },
                "conformance": {
                    "type": "object",
                    "required": ["conformsTo"],
                    "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
                },
                "collection": {
                    "type": "object",
                    "required": ["id", "links"],
                    "properties": {"id": {"type": "string"}, "links": _LINKS},
                },
                "collections": {
                    "type": "object",
                    "required": ["collections", "links"],
                    "properties": {
                        "collections": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/collection"},
                        },
                        "links": _LINKS,
                    },
                },
                "queryables": {
                    "type": "object",
                    "required": ["properties"],
                    "properties": {"properties": {"type": "object"}},
                },
                "feature": _FEATURE,
                "featureCollection": _FEATURE_COLLECTION,
                "error": _ERROR,
            },
            "responses": {
                "error": _ERROR_ANSWER,
                **http_answers(_ERROR_ANSWER, "application/geo+json"),
            },
        },
    }
