"""Facilities: list with filters and paging, one facility, its history."""

from __future__ import annotations

from flask import current_app, jsonify, request, url_for
from sqlalchemy import func, select

from importers.vocabulary import FACILITY_TYPES, STATUSES
from registry.api import bp, params
from registry.db import db
from registry.facilities.service import get_facility, history_page
from registry.models import DB_INT_MAX, Facility
from registry.serialize import change_dict, facility_feature


def list_conditions():
    """The WHERE conditions of the list's filters (shared with the downloads)."""
    return _filters()


def _filters():
    conditions = []
    types = params.choices("type", FACILITY_TYPES)
    if types:
        conditions.append(Facility.type.in_(types))
    statuses = params.choices("status", STATUSES)
    if statuses:
        conditions.append(Facility.status.in_(statuses))
    for name, level, column in (
        ("province", 1, Facility.province_code),
        ("district", 2, Facility.district_code),
        ("subdistrict", 3, Facility.subdistrict_code),
    ):
        code = params.area_code(name, level)
        if code:
            conditions.append(column == code)
    box = params.bbox()
    if box:
        spatial = db.state().spatial
        conditions.append(spatial.bbox_filter(Facility.geom, "facility", Facility.id, box))
    hcode = params.hcode()
    if hcode:
        conditions.append(Facility.hcode == hcode)
    since = params.timestamp("updated_since")
    if since:
        conditions.append(Facility.updated_at >= since)
    if not params.boolean("include_deleted"):
        conditions.append(Facility.deleted_at.is_(None))
    return conditions


@bp.get("/facilities")
def list_facilities():
    """Facilities as a GeoJSON FeatureCollection, ordered by id, with a next link."""
    limit = params.integer(
        "limit", current_app.config["API_DEFAULT_LIMIT"], 1, current_app.config["API_MAX_LIMIT"]
    )
    after = params.integer("after", 0, 0, DB_INT_MAX)
    conditions = _filters()
    session = db.session
    total = session.scalar(select(func.count()).select_from(Facility).where(*conditions))
    rows = session.scalars(
        select(Facility)
        .where(*conditions, Facility.id > after)
        .order_by(Facility.id)
        .limit(limit + 1)
    ).all()
    page, more = rows[:limit], len(rows) > limit
    links = [{"rel": "self", "href": request.url, "type": "application/geo+json"}]
    if more:
        query = {k: v for k, v in request.args.items() if k != "after"}
        links.append(
            {
                "rel": "next",
                "href": url_for("api.list_facilities", _external=True, **query, after=page[-1].id),
                "type": "application/geo+json",
            }
        )
    body = {
        "type": "FeatureCollection",
        "features": [facility_feature(f) for f in page],
        "numberMatched": total,
        "numberReturned": len(page),
        "links": links,
    }
    response = jsonify(body)
    response.mimetype = "application/geo+json"
    return response


@bp.get("/facilities/<int:facility_id>")
def show_facility(facility_id: int):
    """One facility as a GeoJSON Feature (deactivated ones too, marked by deleted_at)."""
    response = jsonify(facility_feature(get_facility(db.session, facility_id)))
    response.mimetype = "application/geo+json"
    return response


@bp.get("/facilities/<int:facility_id>/history")
def show_history(facility_id: int):
    """The logged changes of one facility, newest first, a page at a time (``limit``, and
    ``before``: the id of the last change of the previous page, as the next link gives).
    A creation logged in a bulk import's created block comes last with the id null."""
    params.reject_unknown(("limit", "before"))
    limit = params.integer(
        "limit", current_app.config["API_DEFAULT_LIMIT"], 1, current_app.config["API_MAX_LIMIT"]
    )
    before = params.integer("before", DB_INT_MAX, 1, DB_INT_MAX)
    changes, older, total = history_page(db.session, facility_id, limit=limit, before=before)
    links = [{"rel": "self", "href": request.url, "type": "application/json"}]
    if older is not None:
        href = url_for(
            "api.show_history", facility_id=facility_id, limit=limit, before=older, _external=True
        )
        links.append({"rel": "next", "href": href, "type": "application/json"})
    return jsonify(
        {
            "facility_id": facility_id,
            "changes": [change_dict(c) for c in changes],
            "numberMatched": total,
            "numberReturned": len(changes),
            "links": links,
        }
    )
