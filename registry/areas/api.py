"""Administrative areas: provinces, districts, subdistricts."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from registry.api import bp, params
from registry.areas.service import LEVEL_BY_NAME
from registry.db import db
from registry.errors import NotFoundError
from registry.models import Area
from registry.serialize import area_feature


@bp.get("/areas")
def list_areas():
    """Areas of one level or under one parent, ordered by code; geometry on request."""
    levels = params.choices("level", LEVEL_BY_NAME)
    parent = params.area_code("parent")
    with_geometry = params.boolean("geometry")
    query = select(Area).order_by(Area.code)
    if levels:
        query = query.where(Area.level.in_([LEVEL_BY_NAME[name] for name in levels]))
    if parent:
        query = query.where(Area.parent_code == parent)
    areas = db.session.scalars(query).all()
    response = jsonify(
        {
            "type": "FeatureCollection",
            "features": [area_feature(a, with_geometry=with_geometry) for a in areas],
            "numberMatched": len(areas),
            "numberReturned": len(areas),
        }
    )
    response.mimetype = "application/geo+json"
    return response


@bp.get("/areas/<code>")
def show_area(code: str):
    """One area with its boundary."""
    normalised = code.upper() if code.upper().startswith("TH") else "TH" + code
    area = db.session.get(Area, normalised)
    if area is None:
        raise NotFoundError(f"there is no area with code {code!r}", field="code")
    response = jsonify(area_feature(area, with_geometry=True))
    response.mimetype = "application/geo+json"
    return response
