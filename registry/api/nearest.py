"""Nearest open sites and place search."""

from __future__ import annotations

from flask import jsonify, request

from ..db import db
from ..presentation import resident_status
from ..serialize import facility_feature
from ..services.places import search_places
from ..services.search import PARAMETERS, answer, parse_query
from . import bp, params


@bp.get("/nearest")
def nearest():
    """The k nearest matching sites, exact by geodesic distance, as GeoJSON nearest first."""
    params.reject_unknown(PARAMETERS)
    result = answer(db.session, parse_query(db.session, request.args))
    query = result.query
    features = []
    for facility, distance, bearing in zip(
        result.facilities, result.distance_m, result.bearing_deg, strict=True
    ):
        feature = facility_feature(facility)
        feature["properties"]["distance_m"] = round(distance, 1)
        feature["properties"]["bearing_deg"] = round(bearing, 1)
        feature["properties"]["resident_status"] = resident_status(facility)
        features.append(feature)
    search = {
        "point": {"type": "Point", "coordinates": [query.lon, query.lat]},
        "k": query.k,
        "widened": result.widened,
        "unconfirmed_included": result.unconfirmed_included,
        "farthest_m": round(result.distance_m[-1], 1) if result.distance_m else None,
    }
    if query.place:
        search["place"] = {
            "code": query.place.code,
            "name_th": query.place.name_th,
            "name_en": query.place.name_en,
        }
    response = jsonify({"type": "FeatureCollection", "features": features, "search": search})
    response.mimetype = "application/geo+json"
    return response


@bp.get("/places")
def places():
    """Provinces, districts and subdistricts whose names match q, best first."""
    params.reject_unknown(("q", "limit"))
    limit = params.integer("limit", 10, 1, 50)
    matches = search_places(db.session, request.args.get("q", ""), limit=limit)
    return jsonify(
        {
            "places": [
                {
                    "code": m.code,
                    "level": m.level,
                    "name_th": m.name_th,
                    "name_en": m.name_en,
                    "parents_th": list(m.parent_names_th),
                    "parents_en": list(m.parent_names_en),
                    "lon": m.lon,
                    "lat": m.lat,
                    "score": round(m.score, 3),
                }
                for m in matches
            ]
        }
    )
