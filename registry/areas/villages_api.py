"""DOPA's villages (หมู่บ้าน) of a subdistrict, searched by number or name."""

from __future__ import annotations

from flask import jsonify, request

from registry.api import bp, params
from registry.areas.villages import VILLAGE_SOURCE, search_villages
from registry.coverage.population_measured import DOPA_ATTRIBUTION
from registry.db import db
from registry.errors import ValidationError

MAX_QUERY = 100


@bp.get("/villages")
def list_villages():
    """Villages of one subdistrict whose number or Thai or English name matches ``q``."""
    params.reject_unknown(("subdistrict", "q", "limit"))
    code = params.area_code("subdistrict", level=3)
    if code is None:
        raise ValidationError(
            "parameter 'subdistrict' is missing: give a subdistrict code such as TH500101",
            field="subdistrict",
        )
    query = request.args.get("q", "")
    if len(query) > MAX_QUERY:
        raise ValidationError(
            f"parameter 'q' is {len(query)} characters long; search with at most {MAX_QUERY}",
            field="q",
        )
    limit = params.integer("limit", 50, 1, 200)
    items = [v.as_dict() for v in search_villages(db.session, code, query, limit)]
    return jsonify(
        {
            "subdistrict": code,
            "q": query,
            "items": items,
            "numberReturned": len(items),
            "source": VILLAGE_SOURCE,
            "attribution": DOPA_ATTRIBUTION,
            "licence": "CC BY",
        }
    )
