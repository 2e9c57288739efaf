"""What the all-sites map needs for one view: clusters when zoomed out, sites when zoomed in.

Answers come from the live in-memory catalog, so a page never receives the whole registry:
a view of all Thailand is a few hundred cluster cells whatever the registry's size.
"""

from __future__ import annotations

import numpy as np
from flask import current_app, jsonify

from importers.vocabulary import FACILITY_TYPES, STATUSES
from registry.api import bp, params
from registry.db import db
from registry.errors import ValidationError
from registry.facilities.freshness import hide_after_hours
from registry.models import utcnow
from registry.nearest.catalog import SiteFilter, catalogs

# Below this many sites in view, send the sites themselves.
MAX_POINTS = 1_500
# Cluster cells are about a quarter of a 256-pixel tile wide: ~64 px on screen.
CELLS_PER_TILE = 4
STATUS_NAMES = (*STATUSES, "unconfirmed")


@bp.get("/map/features")
def map_features():
    """Sites or cluster cells inside bbox at a zoom level; status as residents see it."""
    box = params.bbox()
    if box is None:
        raise ValidationError("parameter 'bbox': give west,south,east,north", field="bbox")
    zoom = params.integer("zoom", 6, 0, 22)
    types = params.choices("type", FACILITY_TYPES) or []
    # The catalog's cached masks: what residents see, and which open sites are confirmed.
    snapshot = catalogs.get(db.bind).snapshot(db.bind)
    config = current_app.config
    now = utcnow()
    shown = snapshot.eligible(
        SiteFilter(types=tuple(types)),
        now=now,
        hide_after_hours=hide_after_hours(config),
        hide_never_confirmed=bool(config.get("FRESHNESS_HIDE_NEVER_CONFIRMED")),
    ).mask
    fresh_open = snapshot.eligible(
        SiteFilter(open_now=True), now=now, ttl_hours=config.get("FRESHNESS_TTL_HOURS")
    ).mask
    west, south, east, north = box
    mask = shown & (snapshot.lon >= west) & (snapshot.lon <= east)
    mask &= (snapshot.lat >= south) & (snapshot.lat <= north)
    positions = np.flatnonzero(mask)
    status = snapshot.status_code[positions].astype(np.int16)
    stale = (status == STATUSES.index("open")) & ~fresh_open[positions]
    status[stale] = len(STATUSES)
    body = {"statuses": STATUS_NAMES, "types": FACILITY_TYPES, "total": len(positions)}
    if len(positions) <= MAX_POINTS or zoom >= 14:
        positions, status = positions[: MAX_POINTS * 4], status[: MAX_POINTS * 4]
        body["mode"] = "points"
        body["points"] = [
            [int(i), round(float(x), 6), round(float(y), 6), int(t), int(s)]
            for i, x, y, t, s in zip(
                snapshot.ids[positions],
                snapshot.lon[positions],
                snapshot.lat[positions],
                snapshot.type_code[positions],
                status,
                strict=True,
            )
        ]
    else:
        body["mode"] = "clusters"
        body["clusters"] = _clusters(snapshot.lon[positions], snapshot.lat[positions], status, zoom)
    return jsonify(body)


def _clusters(lon: np.ndarray, lat: np.ndarray, status: np.ndarray, zoom: int) -> list[list]:
    """Grid cells with their count, mean position and how many are open."""
    cell = 360.0 / (2**zoom) / CELLS_PER_TILE
    column = np.floor(lon / cell).astype(np.int64)
    row = np.floor(lat / cell).astype(np.int64)
    _, inverse, counts = np.unique(
        column * 1_000_003 + row, return_inverse=True, return_counts=True
    )
    mean_lon = np.bincount(inverse, weights=lon) / counts
    mean_lat = np.bincount(inverse, weights=lat) / counts
    open_count = np.bincount(inverse, weights=(status == 0).astype(float)).astype(int)
    return [
        [round(float(x), 5), round(float(y), 5), int(n), int(o)]
        for x, y, n, o in zip(mean_lon, mean_lat, counts, open_count, strict=True)
    ]
