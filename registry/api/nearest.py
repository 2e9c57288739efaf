"""Nearest open sites and place search."""

from __future__ import annotations

import json

from flask import Response, jsonify, request

from ..db import db
from ..services.catalog_rows import features_json
from ..services.places import search_places
from ..services.search import find, parse_query
from . import bp, params

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@bp.get("/nearest")
def nearest():
    """The k nearest matching sites, exact by geodesic distance, as GeoJSON nearest first."""
    # A session only to look up a place name: the catalog answers without one.
    session = db.session if "place" in request.args else None
    hits = find(db.bind, parse_query(session, request.args))
    query, snapshot = hits.query, hits.snapshot
    # Each feature is the catalog's stored GeoJSON of the site (serialize.facility_feature),
    # closed with what this question adds: no row is read and nothing is encoded twice.
    features = features_json(
        [snapshot.features[position] for position in hits.positions],
        hits.distance_m,
        hits.bearing_deg,
        hits.statuses,
    )
    search = {
        "point": {"type": "Point", "coordinates": [query.lon, query.lat]},
        "k": query.k,
        "widened": hits.widened,
        "unconfirmed_included": hits.unconfirmed_included,
        "farthest_m": round(hits.distance_m[-1], 1) if hits.distance_m else None,
    }
    if query.place:
        search["place"] = {
            "code": query.place.code,
            "name_th": query.place.name_th,
            "name_en": query.place.name_en,
        }
    body = b'{"type":"FeatureCollection","features":[%s],"search":%s}' % (
        features,
        _ENCODE(search).encode(),
    )
    return Response(body, mimetype="application/geo+json")


@bp.get("/places")
def places():
    """Provinces, districts and subdistricts whose names match q, best first."""
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
