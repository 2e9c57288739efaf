"""Likely duplicates of one site about to be added by hand, by the importer's own rule.

The same rule as a bulk import's flags (services.bulk_duplicates): the same type and a similar
name within the duplicate distance, or the same type and MOPH hcode. Only the stored sites
that could match are read: those of the type in a box around the point (a little wider than
the distance, so the exact geodesic test decides) and those with the same hcode.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, func, or_
from sqlalchemy.orm import Session

from registry.imports.duplicates import (
    CANDIDATE_COLUMNS,
    DUPLICATE_DISTANCE_M,
    same_codes,
    similar_across,
)
from registry.imports.service import stored_facilities
from registry.models import Facility

_METRES_PER_DEGREE = 111_000.0
_NEW_ID = 0  # below every stored id, so the new site is always the first of a pair


@dataclass(frozen=True)
class LikelyDuplicate:
    facility_id: int
    name: str
    distance_m: float | None  # None: matched by its hcode


def _box(lon: float, lat: float):
    margin = 1.5 * DUPLICATE_DISTANCE_M / _METRES_PER_DEGREE
    lon_margin = margin / max(math.cos(math.radians(lat)), 0.01)
    x, y = func.ST_X(Facility.geom), func.ST_Y(Facility.geom)
    return and_(
        x.between(lon - lon_margin, lon + lon_margin), y.between(lat - margin, lat + margin)
    )


def likely_duplicates(session: Session, values: dict[str, Any]) -> list[LikelyDuplicate]:
    """Stored active sites that a new site with ``values`` (type, name_th, lon, lat and
    optionally hcode) would likely duplicate, nearest first; none when a value is unusable."""
    try:
        lon, lat = float(values["lon"]), float(values["lat"])
    except (KeyError, TypeError, ValueError):
        return []
    name, facility_type = (values.get("name_th") or "").strip(), values.get("type")
    if not name or not facility_type or not (math.isfinite(lon) and math.isfinite(lat)):
        return []
    hcode = (values.get("hcode") or "").strip() or None
    near = _box(lon, lat)
    stored = stored_facilities(
        session,
        Facility.type == facility_type,
        or_(near, Facility.hcode == hcode) if hcode else near,
    )
    if not len(stored):
        return []
    new = pd.DataFrame(
        [dict(zip(CANDIDATE_COLUMNS, (_NEW_ID, facility_type, name, hcode, lon, lat), strict=True))]
    ).astype({"id": np.int64, "lon": float, "lat": float})
    flags = similar_across(new, stored)
    active = pd.concat([stored, new], ignore_index=True)
    for pair, flag in same_codes(active, np.array([_NEW_ID])).items():
        flags.setdefault(pair, flag)
    names = dict(zip(stored["id"].tolist(), stored["name_th"].tolist(), strict=True))
    found = {}
    for pair, (_reason, distance) in flags.items():
        if _NEW_ID not in pair:
            continue
        other = pair[1] if pair[0] == _NEW_ID else pair[0]
        found[other] = LikelyDuplicate(other, names[other], distance)
    return sorted(found.values(), key=lambda d: (d.distance_m is None, d.distance_m or 0))
