"""Nearest open sites and place search."""

from __future__ import annotations

import json

from flask import Response, jsonify, request

from ..db import db
from ..services.catalog_rows import features_json
from ..services.places import place_record, search_places
from ..services.search import PARAMETERS, find, parse_query
from ..services.village_search import village_record
from . import bp, params

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@bp.get("/nearest")
def nearest():
    """The k nearest matching sites, exact by geodesic distance, as GeoJSON nearest first."""
    params.reject_unknown(PARAMETERS)
    # A session only to look up a place name: the catalog answers without one.
    session = db.session if {"place", "area", "village"} & set(request.args) else None
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
        search["place"] = {**place_record(query.place), "match": query.resolution.match}
        search["alternatives"] = [
            place_record(m) for m in query.resolution.alternatives if m != query.place
        ]
        if query.resolution.village:
            search["village"] = village_record(query.resolution.village)
        if query.resolution.villages:
            search["villages"] = [village_record(v) for v in query.resolution.villages]
    body = b'{"type":"FeatureCollection","features":[%s],"search":%s}' % (
        features,
        _ENCODE(search).encode(),
    )
    return Response(body, mimetype="application/geo+json")


@bp.get("/places")
def places():
    """Provinces, districts and subdistricts whose names match q, best first."""
    params.reject_unknown(("q", "limit"))
    limit = params.integer("limit", 10, 1, 50)
    matches = search_places(db.session, request.args.get("q", ""), limit=limit)
    return jsonify({"places": [place_record(m) for m in matches]})
