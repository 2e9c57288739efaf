"""Likely duplicates among facilities, found for a person to decide on; never merged here.

Likely means: the same type and a similar name (SequenceMatcher ratio >= 0.8 after folding
case, spaces and punctuation) within 100 m geodesic, or the same MOPH hcode and type. Each
pair is named lower id first, and the names are compared in that order. Near pairs come from
KD-trees on ECEF coordinates: a chord is never longer than its geodesic, so no pair within
the distance is missed; the distance reported is the geodesic one (WGS 84).

The pairs among a bulk write's new facilities need nothing from the database, so they can be
found while the database takes the write; those between new and stored facilities, and the
hcode groups (whose first member may be a stored facility), are found afterwards.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

import numpy as np
import pandas as pd
from pyproj import Geod
from scipy.spatial import cKDTree

from geo.nearest import ecef

DUPLICATE_DISTANCE_M = 100.0
DUPLICATE_NAME_SIMILARITY = 0.8
_GEOD = Geod(ellps="WGS84")
# What the duplicate checks need of a facility.
CANDIDATE_COLUMNS = ("id", "type", "name_th", "hcode", "lon", "lat")
Flags = dict[tuple[int, int], tuple[str, float | None]]


def _folded(name: str) -> str:
    return re.sub(r"[\s\W_]+", "", name.casefold())


def _same_type(frame: pd.DataFrame, low: np.ndarray, high: np.ndarray):
    types = frame["type"].to_numpy(dtype=object)
    same = types[low] == types[high]
    return low[same], high[same]


def _similar(frame: pd.DataFrame, low: np.ndarray, high: np.ndarray) -> Flags:
    """Flags for the pairs of positions (lower id first) whose names are similar enough.

    Pairs are taken grouped by their second name, so SequenceMatcher indexes it once; its
    cheap upper bounds rule most pairs out before the exact ratio.
    """
    names = frame["name_th"].to_numpy(dtype=object)
    involved = np.unique(np.concatenate([low, high]))
    folded = dict(zip(involved.tolist(), map(_folded, names[involved]), strict=True))
    order = np.lexsort((low, high))
    matcher = SequenceMatcher(None, "", "")
    current = None
    similar: list[tuple[int, int, float]] = []
    for a, b in zip(low[order].tolist(), high[order].tolist(), strict=True):
        if b != current:
            matcher.set_seq2(folded[b])
            current = b
        matcher.set_seq1(folded[a])
        if (
            matcher.real_quick_ratio() >= DUPLICATE_NAME_SIMILARITY
            and matcher.quick_ratio() >= DUPLICATE_NAME_SIMILARITY
        ):
            ratio = matcher.ratio()
            if ratio >= DUPLICATE_NAME_SIMILARITY:
                similar.append((a, b, ratio))
    if not similar:
        return {}
    a, b, ratio = (np.array(column) for column in zip(*similar, strict=True))
    ids = frame["id"].to_numpy()
    lon, lat = frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float)
    distance = _GEOD.inv(lon[a], lat[a], lon[b], lat[b])[2]
    return {
        (int(ids[i]), int(ids[j])): (f"same type, similar names ({r:.0%}) {d:.0f} m apart", d)
        for i, j, r, d in zip(
            a.tolist(), b.tolist(), ratio.tolist(), distance.tolist(), strict=True
        )
    }


def _points(frame: pd.DataFrame) -> np.ndarray:
    return ecef(frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float))


def similar_among(created: pd.DataFrame | None) -> Flags:
    """Similar names of the same type within the distance, both of them new."""
    if created is None or len(created) < 2:
        return {}
    created = created.sort_values("id", ignore_index=True)
    pairs = cKDTree(_points(created)).query_pairs(DUPLICATE_DISTANCE_M, output_type="ndarray")
    low, high = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    return _similar(created, *_same_type(created, low, high))


def similar_across(created: pd.DataFrame, stored: pd.DataFrame) -> Flags:
    """Similar names of the same type within the distance, one new and one stored."""
    if not len(created) or not len(stored):
        return {}
    both = pd.concat([stored, created], ignore_index=True)
    near = cKDTree(_points(created)).sparse_distance_matrix(
        cKDTree(_points(stored)), DUPLICATE_DISTANCE_M, output_type="ndarray"
    )
    new, old = near["i"].astype(np.int64) + len(stored), near["j"].astype(np.int64)
    ids = both["id"].to_numpy()
    low = np.where(ids[new] < ids[old], new, old)
    high = np.where(ids[new] < ids[old], old, new)
    return _similar(both, *_same_type(both, low, high))


def same_codes(active: pd.DataFrame, new: np.ndarray) -> Flags:
    """Facilities of one type sharing an hcode, at least one of them new: each paired with
    the group's lowest id."""
    coded = active[active["hcode"].notna() & (active["hcode"] != "")]
    coded = coded[coded.duplicated(["type", "hcode"], keep=False)]
    flags: Flags = {}
    for (facility_type, code), group in coded.groupby(["type", "hcode"], sort=True):
        members = group["id"].tolist()
        if np.isin(members, new).any():
            first = min(members)
            for other in members:
                if other != first:
                    flags[(first, other)] = (f"same {facility_type} hcode {code}", None)
    return flags
