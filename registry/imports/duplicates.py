"""Likely duplicates among facilities, found for a person to decide on; never merged here.

Likely means: the same type and a similar name (SequenceMatcher ratio >= 0.8 after folding
case, spaces and punctuation) within 100 m geodesic, or the same MOPH hcode and type. Each
pair is named lower id first, and the names are compared in that order. Near pairs come from
KD-trees on ECEF coordinates: a chord is never longer than its geodesic, so no pair within
the distance is missed; the distance reported is the geodesic one (WGS 84).

The pairs among a bulk write's new facilities need nothing from the database, so they can be
found while the database takes the write; those between new and stored facilities, and the
hcode groups (whose first member may be a stored facility), are found afterwards.

The work stays linear in the rows whatever the file: new facilities of one type with the same
name at the same point are grouped first (each paired with the group's lowest id, as hcode
groups are), and only one of each group goes to the name comparison. The pairs within the
distance are counted (a dual-tree count, cheap even when thousands share one point) before
any is listed, and the names are not compared when there are more than ``max_comparisons``
pairs; ``notes`` then says so.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

import numpy as np
import pandas as pd
from pyproj import Geod
from scipy.spatial import cKDTree

from geo.nearest import ecef
from importers.messages import Rule, Text
from registry.imports.messages import AMONG_NEW, NEW_AND_STORED, NOT_COMPARED

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


MAX_NAME_COMPARISONS = 2_000_000


def _same_place_and_name(created: pd.DataFrame) -> tuple[Flags, pd.DataFrame]:
    """Group facilities (sorted by id) of one type with the same folded name at the same point.

    Returns each later member paired with its group's first, and one facility per group.
    """
    folded = created["name_th"].map(lambda name: _folded(name or ""))
    keys = [created["type"], folded, created["lon"].round(7), created["lat"].round(7)]
    first = created.groupby(keys, sort=False, dropna=False)["id"].transform("first")
    later = created["id"] != first
    flags: Flags = {
        (int(a), int(b)): ("same type, similar names (100%) 0 m apart", 0.0)
        for a, b in zip(first[later].tolist(), created["id"][later].tolist(), strict=True)
    }
    return flags, created[~later.to_numpy()].reset_index(drop=True)


def _too_many(pairs: int, limit: int, between: Rule, notes: list[Text] | None) -> bool:
    if pairs <= limit:
        return False
    if notes is not None:
        notes.append(
            NOT_COMPARED(
                between=between(),
                count=f"{pairs:,}",
                metres=f"{DUPLICATE_DISTANCE_M:.0f}",
                limit=f"{limit:,}",
            )
        )
    return True


def similar_among(
    created: pd.DataFrame | None,
    *,
    max_comparisons: int = MAX_NAME_COMPARISONS,
    notes: list[Text] | None = None,
) -> Flags:
    """Similar names of the same type within the distance, both of them new."""
    if created is None or len(created) < 2:
        return {}
    created = created.sort_values("id", ignore_index=True)
    flags, created = _same_place_and_name(created)
    if len(created) < 2:
        return flags
    tree = cKDTree(_points(created))
    # Ordered pairs, each point with itself included: counted without listing them.
    pairs = (int(tree.count_neighbors(tree, DUPLICATE_DISTANCE_M)) - len(created)) // 2
    if _too_many(pairs, max_comparisons, AMONG_NEW, notes):
        return flags
    pairs = tree.query_pairs(DUPLICATE_DISTANCE_M, output_type="ndarray")
    low, high = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    flags.update(_similar(created, *_same_type(created, low, high)))
    return flags


def similar_across(
    created: pd.DataFrame,
    stored: pd.DataFrame,
    *,
    max_comparisons: int = MAX_NAME_COMPARISONS,
    notes: list[Text] | None = None,
) -> Flags:
    """Similar names of the same type within the distance, one new and one stored.

    New facilities grouped with an identical one (see similar_among) are compared through
    their group's first.
    """
    if not len(created) or not len(stored):
        return {}
    _, created = _same_place_and_name(created.sort_values("id", ignore_index=True))
    both = pd.concat([stored, created], ignore_index=True)
    new_tree, stored_tree = cKDTree(_points(created)), cKDTree(_points(stored))
    pairs = int(new_tree.count_neighbors(stored_tree, DUPLICATE_DISTANCE_M))
    if _too_many(pairs, max_comparisons, NEW_AND_STORED, notes):
        return {}
    near = new_tree.sparse_distance_matrix(stored_tree, DUPLICATE_DISTANCE_M, output_type="ndarray")
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
