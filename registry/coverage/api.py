"""Coverage gaps and suggested new sites, computed live from the registry.

A blueprint of its own under /api/v1, so that JSON errors apply as for the rest of the API.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from registry.api import http
from registry.auth import signed_in
from registry.coverage import export, service
from registry.coverage import query as coverage_query
from registry.coverage import suggestions as suggesting
from registry.coverage.population import (
    LEVEL_NAMES,
    check_layer_access,
    configured_layer,
    visible_layers,
)
from registry.db import db
from registry.errors import ValidationError

bp = Blueprint("coverage_api", __name__, url_prefix="/api/v1")
http.init_blueprint(bp)  # validators, gzip, read-only CORS


@bp.before_request
def _declared_parameters() -> None:
    from registry.api.spec import check_request

    check_request()


@bp.before_request
def _private_layers_need_an_account() -> None:
    if request.endpoint != "coverage_api.population_layers":
        layer = request.args.get("layer") or None
        check_layer_access(db.session, layer, current_app.config, signed_in=signed_in())


def _args() -> dict[str, str]:
    """Query parameters as one string each; a repeated type is a comma-separated list."""
    args = {name: request.args.get(name, "") for name in request.args}
    if "type" in request.args:
        args["type"] = ",".join(request.args.getlist("type"))
    return args


def _format(allowed: tuple[str, ...]) -> str:
    raw = request.args.get("format", "json").strip().lower()
    if raw not in allowed:
        raise ValidationError(
            f"parameter 'format': {raw!r} is not one of {', '.join(allowed)}", field="format"
        )
    return raw


def _file(body: bytes, fmt: str, stem: str) -> Response:
    response = Response(body, mimetype=export.MEDIA_TYPES[fmt].split(";")[0])
    if fmt == "csv":
        response.headers["Content-Type"] = export.MEDIA_TYPES["csv"]
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


def _json(body: dict, fmt: str) -> Response:
    response = jsonify(body)
    if fmt == "geojson":
        response.mimetype = "application/geo+json"
    return response


def _stem(answer, what: str) -> str:
    query = answer.query
    where = query.province or "TH"
    reach = (
        f"{query.threshold_min:g}min-{query.profile}"
        if query.by_time
        else f"{query.threshold_m / 1000:g}km"
    )
    return (
        f"{what}_{'-'.join(query.types)}_{reach}_"
        f"{LEVEL_NAMES[query.level]}_{where}_{answer.layer.kind}"
    )


@bp.get("/coverage")
def coverage():
    """People within and beyond threshold_km of the nearest eligible site, one item per area."""
    fmt = _format(export.FORMATS)
    query = coverage_query.parse_coverage_query(_args())
    answer = service.coverage(db.session, query, current_app.config)
    if fmt == "json":
        return _json(export.coverage_json(answer), fmt)
    if fmt == "geojson":
        geometry = service.area_tables.get(db.session).geometry
        return _json(export.coverage_geojson(answer, geometry), fmt)
    body = export.coverage_csv(answer) if fmt == "csv" else export.coverage_xlsx(answer)
    return _file(body, fmt, _stem(answer, "coverage"))


@bp.get("/coverage/suggestions")
def coverage_suggestions():
    """Up to k new sites (greedy maximal covering) with each one's gain and the coverage after."""
    fmt = _format(("json", "geojson", "csv"))
    args = _args()
    query = coverage_query.parse_coverage_query(args)
    k, candidates = coverage_query.parse_suggestion_args(args)
    answer = suggesting.suggestions(
        db.session, query, current_app.config, k=k, candidates=candidates
    )
    if fmt == "json":
        return _json(export.suggestions_json(answer), fmt)
    if fmt == "geojson":
        return _json(export.suggestions_geojson(answer), fmt)
    return _file(export.suggestions_csv(answer), fmt, _stem(answer, "suggestions"))


@bp.get("/coverage/curve")
def coverage_curve():
    """Share of the people covered at every whole km from 1 to 30."""
    query = coverage_query.parse_coverage_query(_args())
    table = service.curve(db.session, query, current_app.config)
    layer = configured_layer(db.session, query.layer, current_app.config)
    return jsonify({"layer": layer.as_dict(), "items": export.frame_records(table)})


@bp.get("/population/layers")
def population_layers():
    """The population layers coverage can use, with source, date and measured or modelled."""
    layers = visible_layers(db.session, current_app.config, signed_in=signed_in())
    return jsonify({"layers": [layer.as_dict() for layer in layers]})
