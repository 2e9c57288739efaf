"""Nearest open sites and place search."""

from __future__ import annotations

import json

from flask import Response, jsonify, request

from registry.api import bp, params
from registry.db import db
from registry.nearest.by_road import find_by, parse_by
from registry.nearest.catalog_rows import features_json
from registry.nearest.places import place_record, search_places
from registry.nearest.search import parse_query
from registry.nearest.village_search import village_record
from registry.serialize import iso

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@bp.get("/nearest")
def nearest():
    """The k nearest matching sites, exact by geodesic distance, as GeoJSON nearest first."""
    by, profile = parse_by(request.args)
    # A session only to look up a place name or a road layer: the catalog answers without one.
    wants_session = by != "distance" or {"place", "area", "village"} & set(request.args)
    session = db.session if wants_session else None
    query = parse_query(session, request.args)
    answer = find_by(session if by != "distance" else db.bind, query, by, profile)
    hits = answer.hits
    snapshot = hits.snapshot
    # Each feature is the catalog's stored GeoJSON of the site (serialize.facility_feature),
    # closed with what this question adds: no row is read and nothing is encoded twice.
    features = features_json(
        [snapshot.features[position] for position in hits.positions],
        hits.distance_m,
        hits.bearing_deg,
        hits.statuses,
        _travel_members(answer),
    )
    search = {
        "point": {"type": "Point", "coordinates": [query.lon, query.lat]},
        "k": query.k,
        "widened": hits.widened,
        "unconfirmed_included": hits.unconfirmed_included,
        "farthest_m": round(hits.distance_m[-1], 1) if hits.distance_m else None,
        **answer.search_info(),
    }
    headers = {}
    if hits.stale_since is not None:
        # The database cannot be reached: the answer is the catalog this process holds.
        search["stale"] = True
        search["data_as_of"] = iso(hits.stale_since)
        headers["Cache-Control"] = "no-store"
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
    return Response(body, mimetype="application/geo+json", headers=headers)


def _travel_members(answer) -> list[bytes] | None:
    """Per feature, the travel time, its minutes and the route length (travel time only)."""
    if answer.by != "travel_time":
        return None
    return [
        b',"travel_time_s":%r,"travel_time_min":%r,"route_m":%r'
        % (round(seconds, 1), round(seconds / 60.0, 1), round(metres, 1))
        for seconds, metres in zip(answer.travel_time_s, answer.route_m, strict=True)
    ]


@bp.get("/places")
def places():
    """Provinces, districts and subdistricts whose names match q, best first."""
    limit = params.integer("limit", 10, 1, 50)
    matches = search_places(db.session, request.args.get("q", ""), limit=limit, field="q")
    return jsonify({"places": [place_record(m) for m in matches]})
