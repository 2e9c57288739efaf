"""Items of the facility collections answered from the in-memory catalog, without a query.

Every worker already holds the catalog (services.catalog): each active site's id, location
and type in arrays, and its GeoJSON Feature encoded once. A page of a facility collection
asked for by ``bbox``, ``limit``, ``after``/``offset`` and ``crs`` alone is cut from those
arrays, and its ``numberMatched`` is a count of a mask, so neither the page nor the count
reads a row: a 0.1-degree box used to make PostgreSQL visit every matching row (~700 heap
pages) to count them and to find the 10 smallest ids, and each page of a whole-layer pull
built 10,000 dictionaries. Requests with a filter, a property or ``datetime`` condition, or
``include_deleted`` go to the database (items.py), which evaluates them there.

The stored features are the public list's (``serialize.facility_feature``); an OGC feature
has the same members less ``id`` among its properties, and in the all-facilities collection
the other types' fields as nulls, so the layer's fields are the same whatever the type.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import shapely

from importers.vocabulary import ALL_TYPE_FIELD_NAMES, FACILITY_TYPES, TYPE_FIELDS
from registry.ogcapi.crs import xy_from_lonlat
from registry.ogcapi.items import ItemsQuery

_PROPERTIES = b'"properties":{'
_PROPERTIES_ID = b'"properties":{"id":'
# Per type code: the all-facilities collection's fields that type does not carry, as nulls.
_OTHER_TYPES_NULLS = tuple(
    b"".join(
        b',"%s":null' % name.encode()
        for name in ALL_TYPE_FIELD_NAMES
        if name not in {spec.name for spec in TYPE_FIELDS[facility_type]}
    )
    for facility_type in FACILITY_TYPES
)


@dataclass(frozen=True)
class CatalogPage:
    features: list[bytes]  # GeoJSON Feature of each row of the page, in key order
    matched: int  # numberMatched: every feature of the request, whatever the page
    last_key: int | None  # the key the next page starts after


def answerable(query: ItemsQuery) -> bool:
    """Whether the catalog holds every condition of the request (else the database runs it)."""
    return (
        query.collection.is_facility
        and query.filter is None
        and not query.equals
        and query.interval is None
        and query.ids is None
        and not query.include_deleted
    )


def page(snapshot, query: ItemsQuery) -> CatalogPage:
    """The page of a request ``answerable`` says the catalog holds, from one snapshot.

    Matches are what the database path selects: active sites of the collection's type whose
    point lies in the bbox (edges included), ordered by id.
    """
    if query.bbox is not None:
        positions = _inside(snapshot, query.bbox)
        keep = snapshot.active[positions]
    else:
        positions = np.arange(len(snapshot))
        keep = snapshot.active
    if query.collection.facility_type:
        keep = keep & (
            snapshot.type_code[positions] == FACILITY_TYPES.index(query.collection.facility_type)
        )
    positions = positions[keep]
    matched = len(positions)
    ids = snapshot.ids[positions]
    if query.after is not None:
        later = ids > query.after
        positions, ids = positions[later], ids[later]
    end = query.offset + query.limit
    if len(ids) > end:  # the page's ids only, then those in order
        first = np.argpartition(ids, end - 1)[:end]
        positions, ids = positions[first], ids[first]
    order = np.argsort(ids, kind="stable")[query.offset : end]
    chosen = positions[order]
    features = _features(snapshot, chosen, query)
    last_key = int(ids[order[-1]]) if len(order) else None
    return CatalogPage(features, matched, last_key)


# Per snapshot: positions by longitude and the longitudes in that order (made on first use).
_BY_LON: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _inside(snapshot, lonlat: shapely.Geometry) -> np.ndarray:
    """Positions whose point lies in the geometry (edges included), in position order.

    The longitudes' sorted order narrows a box to its strip of the country (a 0.1-degree box:
    about 1/80 of the sites) before the latitudes are compared.
    """
    by_lon = _BY_LON.get(snapshot)
    if by_lon is None:  # racing threads may both make it; either is the same
        order = np.argsort(snapshot.lon, kind="stable")
        by_lon = _BY_LON[snapshot] = (order, snapshot.lon[order])
    order, sorted_lon = by_lon
    west, south, east, north = lonlat.bounds
    strip = order[np.searchsorted(sorted_lon, west) : np.searchsorted(sorted_lon, east, "right")]
    lat = snapshot.lat[strip]
    candidates = np.sort(strip[(lat >= south) & (lat <= north)])
    if lonlat.geom_type == "Polygon" and lonlat.equals(lonlat.envelope):
        return candidates
    # A bbox given in UTM is no rectangle in degrees: the envelope's points, tested exactly.
    inside = shapely.intersects_xy(lonlat, snapshot.lon[candidates], snapshot.lat[candidates])
    return candidates[inside]


def _features(snapshot, positions: np.ndarray, query: ItemsQuery) -> list[bytes]:
    store = snapshot.features
    all_types = query.collection.facility_type is None
    type_codes = snapshot.type_code[positions].tolist() if all_types else None
    crs = query.crs
    heads = None
    if not crs.is_lonlat:
        heads = _heads(snapshot, positions, crs)
    made = []
    for n, position in enumerate(positions.tolist()):
        fragment = store[position]
        cut = fragment.index(_PROPERTIES_ID)
        rest = fragment.index(b",", cut + len(_PROPERTIES_ID)) + 1
        head = fragment[: cut + len(_PROPERTIES)] if heads is None else heads[n]
        nulls = _OTHER_TYPES_NULLS[type_codes[n]] if all_types else b""
        made.append(b"".join((head, fragment[rest:], nulls, b"}}")))
    return made


def _heads(snapshot, positions: np.ndarray, crs) -> list[bytes]:
    """Each feature up to its properties, the point in ``crs`` (rounded as items.py does)."""
    x, y = xy_from_lonlat(crs, snapshot.lon[positions], snapshot.lat[positions])
    digits = 3 if crs.projected else 7
    return [
        b'{"type":"Feature","id":%d,"geometry":{"type":"Point","coordinates":[%s,%s]},'
        b'"properties":{' % (key, repr(round(a, digits)).encode(), repr(round(b, digits)).encode())
        for key, a, b in zip(
            snapshot.ids[positions].tolist(), np.asarray(x).tolist(), np.asarray(y).tolist(),
            strict=True,
        )
    ]  # fmt: skip
