"""The OpenAPI 3.0 document of /api/v1, generated from registry.api.spec, and the reference page."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, json, render_template, url_for

from registry.api import bp
from registry.api.spec import OPERATIONS, Operation

_FEATURE = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
        "geometry": {"type": "object", "nullable": True},
        "properties": {"type": "object"},
    },
}
_SCHEMAS = {
    "Feature": _FEATURE,
    "FeatureCollection": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"$ref": "#/components/schemas/Feature"}},
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0},
            "links": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "field": {"type": "string"},
        },
    },
    "object": {"type": "object"},
}
_RULE_VARIABLE = re.compile(r"<(?:[a-z]+:)?(\w+)>")


def _path(operation: Operation) -> str:
    return _RULE_VARIABLE.sub(r"{\1}", operation.path)


def http_answers(error: dict[str, Any], media: str) -> dict[str, dict[str, Any]]:
    """The answers HTTP itself gives on the read API (validators, Range, a busy database),
    as OpenAPI response components; ``error`` is the document's error answer and ``media`` the
    type of a partial answer. Both documents declare them (OGC API /req/oas30/completeness)."""
    return {
        "notModified": {
            "description": "The client's copy (If-None-Match, If-Modified-Since) is current."
        },
        "preconditionFailed": {
            **error,
            "description": "If-Match or If-Unmodified-Since does not hold.",
        },
        "unavailable": {
            **error,
            "description": "The database is busy or unreachable; try again after Retry-After "
            "seconds.",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        },
        "partialContent": {
            "description": "The bytes a Range header asked for.",
            "headers": {"Content-Range": {"schema": {"type": "string"}}},
            "content": {media: {"schema": {"type": "string"}}},
        },
        "rangeNotSatisfiable": {**error, "description": "The Range lies outside the answer."},
    }


def _http_refs(statuses: dict[str, str]) -> dict[str, Any]:
    return {code: {"$ref": f"#/components/responses/{name}"} for code, name in statuses.items()}


# Every operation may find the database busy; every read answers conditional requests and
# Range (the API hook validates whole answers from their bytes; downloads are files).
_EVERY = {"503": "unavailable"}
_READS = {"206": "partialContent", "304": "notModified", "412": "preconditionFailed"}
_READS |= {"416": "rangeNotSatisfiable"}
_ERROR_ANSWER = {
    "description": "The request cannot be answered; the message says why.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _answers(operation: Operation) -> dict[str, Any]:
    error = {"$ref": "#/components/responses/Error"}
    if operation.answer == "file":
        content = {
            media: {"schema": {"type": "string", "format": "binary"}} for media in operation.media
        }
    else:
        schema = {"$ref": f"#/components/schemas/{operation.answer}"}
        content = {
            media: {"schema": schema if "json" in media else {"type": "string"}}
            for media in operation.media
        }
    answers: dict[str, Any] = {"200": {"description": "OK", "content": content}, "400": error}
    if operation.extra.get("path"):
        answers["404"] = error
    if operation.token:
        answers.update({"401": error, "403": error, "409": error})
    if operation.tags == ("coverage",):
        # Private population layers need an account; a missing layer is not found.
        answers.update({"401": error, "403": error, "404": error})
    answers |= _http_refs(_EVERY)
    if operation.method == "GET":
        answers |= _http_refs(_READS)
    return dict(sorted(answers.items()))


def _operation(operation: Operation) -> dict[str, Any]:
    parameters = list(operation.extra.get("path", []))
    for param in operation.parameters:
        entry = {
            "name": param.name,
            "in": "query",
            "required": param.required,
            "description": param.description,
            "schema": param.schema(),
        }
        if entry["schema"]["type"] == "array":
            entry.update(style="form", explode=False)
        parameters.append(entry)
    body: dict[str, Any] = {
        "operationId": f"{operation.method.lower()}{_path(operation)}".replace("/", "_")
        .replace("{", "")
        .replace("}", "")
        .replace(".", "_"),
        "summary": operation.summary,
        "tags": list(operation.tags),
        "parameters": parameters,
        "responses": _answers(operation),
    }
    if operation.body is not None:
        body["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": operation.body}},
        }
    if operation.token:
        body["security"] = [{"token": []}]
    return body


def api_document(server: str) -> dict[str, Any]:
    """The whole OpenAPI 3.0.3 document for the API served at ``server``."""
    paths: dict[str, Any] = {}
    for operation in OPERATIONS:
        paths.setdefault(_path(operation), {})[operation.method.lower()] = _operation(operation)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Thai COVID-19 facility registry API",
            "version": "1",
            "description": "Facilities, nearest sites, areas, coverage and downloads. GIS "
            "clients: see the OGC API Features at /api/ogc.",
            "license": {"name": "Apache-2.0"},
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": _SCHEMAS,
            "responses": {
                "Error": _ERROR_ANSWER,
                **http_answers(_ERROR_ANSWER, "application/octet-stream"),
            },
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    """This API's OpenAPI 3.0 document."""
    server = url_for("api.openapi_json", _external=True).rsplit("/", 1)[0]
    body = json.dumps(api_document(server), ensure_ascii=False)
    return Response(body, mimetype="application/vnd.oai.openapi+json")


@bp.get("/reference")
def reference():
    """The API reference page: the OpenAPI document rendered by a small script of ours."""
    return render_template("api/reference.html", spec_url=url_for("api.openapi_json"))
