"""The API's declaration: every route declared, the OpenAPI documents valid, and a
property-based run (schemathesis) over every operation of both documents on both databases:
no 5xx, no answer outside its declared status codes, media types and schemas."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from registry.api.spec import OPERATIONS, operation_for
from tests.registry.helpers import make_facility

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_every_api_route_is_declared_and_every_declaration_routed(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    undeclared = {route for route in routes if operation_for(*route) is None}
    assert not undeclared
    declared = {(op.method, "/api/v1" + op.path) for op in OPERATIONS}
    assert declared == routes


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/ogc/api"])
def test_the_openapi_documents_validate(client, path):
    answer = client.get(path)
    assert answer.status_code == 200
    validate(answer.get_json())


def test_parameters_are_read_alike_everywhere(client):
    # One rule for true/false: 'on' is accepted wherever a flag is.
    for url in (
        "/api/v1/facilities?include_deleted=on",
        "/api/v1/areas?level=province&geometry=on",
        "/api/v1/nearest?lat=18.79&lon=98.98&open_now=off",
    ):
        assert client.get(url).status_code == 200, url
    for url in (
        "/api/v1/facilities?include_deleted=maybe",
        "/api/v1/areas?geometry=maybe",
        "/api/v1/nearest?lat=18.79&lon=98.98&open_now=maybe",
    ):
        answer = client.get(url)
        assert (
            answer.status_code == 400
            and "'maybe' is not true or false" in answer.get_json()["message"]
        )
    repeated = client.get("/api/v1/facilities?limit=1&limit=2")
    assert repeated.status_code == 400 and "given 2 times" in repeated.get_json()["message"]


def test_reference_page_is_served_with_its_own_script(client):
    page = client.get("/api/v1/reference?lang=en").get_data(as_text=True)
    assert "/static/js/api-reference.js" in page and "/api/v1/openapi.json" in page
    assert "http" not in page.split("api-reference.js")[0].split("<script")[-1]  # no CDN
    with client.get("/static/js/api-reference.js") as script:
        assert script.status_code == 200


_FUZZ = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def _fuzz(app, document: str) -> None:
    """Every operation of a document, with generated requests; the checks raise on failure."""
    schema = schemathesis.openapi.from_wsgi(document, app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 10
    for operation in operations:

        @_FUZZ
        @given(case=operation.as_strategy())
        def run(case):
            # The WSGI client does not undo gzip the way HTTP clients do.
            case.call_and_validate(checks=CHECKS, headers={"Accept-Encoding": "identity"})

        run()


# The WSGI client reads the sent files without closing them (a real server closes them).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.slow
def test_api_operations_keep_to_their_declaration(app):
    _fuzz(app, "/api/v1/openapi.json")


@pytest.mark.slow
def test_ogc_operations_keep_to_their_declaration(app):
    _fuzz(app, "/api/ogc/api")


def test_the_api_document_declares_the_statuses_http_answers_with(client, session):
    """Each read declares what its validators and Range answer (304, 412, 206, 416)."""
    make_facility(session)
    session.commit()
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    reads = {
        "/facilities": "/facilities",
        "/nearest?lat=18.79&lon=98.99": "/nearest",
        "/areas?level=province": "/areas",
        "/facilities/download?format=csv": "/facilities/download",
        "/statistics/provinces?format=csv": "/statistics/provinces",
    }
    seen = set()
    for url, path in reads.items():
        declared = paths[path]["get"]["responses"]
        first = client.get(f"/api/v1{url}")
        assert first.status_code == 200, (url, first.get_data(as_text=True)[:300])
        etag = first.headers["ETag"]
        first.close()
        for headers in (
            {},
            {"If-None-Match": etag},
            {"If-Match": '"nope"'},
            {"Range": "bytes=0-9"},
            {"Range": "bytes=99999999-"},
        ):
            answer = client.get(f"/api/v1{url}", headers=headers)
            answer.close()
            assert str(answer.status_code) in declared, (url, headers, answer.status_code)
            seen.add(answer.status_code)
    assert seen == {200, 206, 304, 412, 416}


FORMAT_MEDIA = {
    "json": "application/json",
    "geojson": "application/geo+json",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "gpkg": "application/geopackage+sqlite3",
    "shp": "application/zip",
}


def test_every_format_an_operation_offers_has_its_media_type_declared():
    for operation in OPERATIONS:
        for param in operation.parameters:
            if param.name == "format":
                missing = {f for f in param.enum if FORMAT_MEDIA[f] not in operation.media}
                assert not missing, (operation.path, missing)


def test_documents_and_required_parameters_answer_as_declared(client):
    document = client.get("/api/v1/openapi.json")
    paths = document.get_json()["paths"]
    declared = paths["/openapi.json"]["get"]["responses"]["200"]["content"]
    assert document.mimetype in declared
    places = paths["/places"]["get"]["parameters"]
    assert next(p for p in places if p["name"] == "q")["required"]
    refused = client.get("/api/v1/places")
    assert refused.status_code == 400 and refused.get_json()["field"] == "q"
    empty = client.get("/api/v1/places", query_string={"q": " "})
    assert empty.status_code == 400 and empty.get_json()["field"] == "q"
    coverage = paths["/coverage"]["get"]["parameters"]
    assert next(p for p in coverage if p["name"] == "type")["required"]
