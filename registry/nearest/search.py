"""A resident's nearest-site question, parsed once for the API and the page alike.

``find`` answers from the live catalog alone (one data-version read); the API serialises the
catalog's stored features, the page loads the few facilities it shows (``answer``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.nearest import NearestList
from geo.places import PlaceMatch
from importers.coords.parse import to_ascii_digits
from importers.messages import Rule
from importers.vocabulary import AGE_GROUPS, DOSES, FACILITY_TYPES, TEST_METHODS, VACCINE_BRANDS
from registry.errors import PlaceNotFoundError, ValidationError
from registry.facilities.freshness import hide_after_hours
from registry.models import Facility, utcnow
from registry.nearest.catalog import CatalogSnapshot, SiteFilter, Source, catalogs, nearest_in
from registry.nearest.catalog_rows import features_json
from registry.nearest.place_choice import PlaceResolution, resolve_place
from registry.nearest.places import place_at, place_record
from registry.nearest.village_search import village_at, village_index
from registry.query_args import area_code, integer_in, number_in, parse_choice, parse_flag

PARAMETERS = frozenset(
    (
        "lat",
        "lon",
        "place",
        "area",
        "village",
        "type",
        "k",
        "open_now",
        "walk_in",
        "vaccine_brand",
        "dose",
        "age_group",
        "test_method",
        "max_km",
        "fallback",
    )
)
MAX_K = 100


@dataclass(frozen=True)
class NearestQuery:
    lon: float
    lat: float
    k: int
    site_filter: SiteFilter
    max_distance_m: float | None
    place: PlaceMatch | None = None
    # How a typed place was read: exact, ambiguous, weak... (see place_choice.PlaceResolution).
    resolution: PlaceResolution | None = None
    # Open now, but too few sites confirmed within their time: fill up with unconfirmed ones.
    fallback: bool = True


@dataclass(frozen=True, eq=False)
class NearestHits:
    """The answer as catalog positions, nearest first, with the snapshot they index."""

    query: NearestQuery
    snapshot: CatalogSnapshot
    positions: list[int]
    distance_m: list[float]
    bearing_deg: list[float]
    # Each site's status as residents see it (presentation.resident_status).
    statuses: list[str]
    widened: bool
    unconfirmed_included: bool
    # While the database cannot be reached: when the catalog was last known current.
    stale_since: datetime | None = None


@dataclass(frozen=True)
class NearestAnswer:
    query: NearestQuery
    facilities: list[Facility]
    distance_m: list[float]
    bearing_deg: list[float]
    widened: bool
    # Some answers are open but not confirmed within their time (see NearestQuery.fallback).
    unconfirmed_included: bool = False
    stale_since: datetime | None = None


VILLAGE_CODE = Rule("nearest.village_code", "the DOPA code of a village (8 digits, e.g. 50010101)")
AREA_CODE = Rule(
    "nearest.area_code",
    "the code of a province, district or subdistrict (TH50, TH5001, TH500101)",
)
NOT_A_CODE = Rule("nearest.not_a_code", "parameter '%(name)s': %(value)s is not %(what)s")
NO_PLACE = Rule(
    "nearest.no_place",
    "parameter 'place': no province, district or subdistrict matches %(place)s",
)
# With DOPA's village list loaded, villages are searched too: the refusal says so.
NO_PLACE_OR_VILLAGE = Rule(
    "nearest.no_place_or_village",
    "parameter 'place': no province, district, subdistrict or village matches %(place)s",
)
BOTH_COORDINATES = Rule(
    "nearest.both_coordinates", "give both 'lat' and 'lon'; '%(name)s' is missing"
)
PLACE_NOT_HERE = Rule("nearest.place_not_here", "parameter 'place': not accepted here")
SAY_WHERE = Rule("nearest.say_where", "say where: give 'lat' and 'lon', or a 'place' name")
NOT_A_TYPE = Rule("nearest.not_a_type", "parameter 'type': %(value)s is not one of %(choices)s")


def _by_code(session: Session, args: dict, name: str, find, what: Rule, normalise=None):
    """(code, what it names) for a code parameter, None when it is absent; 400 when unknown.
    ``normalise`` turns the other spellings of a code into the stored one."""
    code = to_ascii_digits((args.get(name) or "").strip())
    if not code:
        return None
    code = (normalise and normalise(code)) or code
    found = find(session, code)
    if found is None:
        raise ValidationError(NOT_A_CODE(name=name, value=repr(code), what=what()), field=name)
    return code, found


def _resolve(session: Session, args: dict, home_province: str | None) -> PlaceResolution:
    """The area of ``area`` or ``village`` (codes picked from candidates), else of ``place``."""
    found = _by_code(session, args, "village", village_at, VILLAGE_CODE)
    if found:
        code, village = found
        typed = args.get("place") or code
        return PlaceResolution(typed, "code", village.place, (), village=village)
    found = _by_code(session, args, "area", place_at, AREA_CODE, area_code)
    if found:
        code, place = found
        return PlaceResolution(args.get("place") or code, "code", place, ())
    resolution = resolve_place(session, args.get("place") or "", home_province=home_province)
    if resolution.chosen is None:
        refusal = NO_PLACE_OR_VILLAGE if village_index() is not None else NO_PLACE
        raise PlaceNotFoundError(
            refusal(place=repr(args["place"])),
            field="place",
            suggestions=[place_record(m) for m in resolution.alternatives],
        )
    return resolution


def parse_query(
    session: Session | None, args: Mapping[str, str], *, home_province: str | None = None
) -> NearestQuery:
    """Check every parameter and resolve a place name to its point. 400s name the parameter.

    The session is used only to look up a ``place``, ``area`` or ``village``; without one,
    none is accepted. ``home_province`` ranks equally good candidates of a place name.
    """
    # One plain dict, as a dozen look-ups follow. A repeated parameter (type=a&type=b, from a
    # form's boxes) counts every value, as if comma-separated; a repeated number is then no
    # number (a 400).
    args = (
        {key: ",".join(args.getlist(key)) for key in args}
        if hasattr(args, "getlist")
        else dict(args)
    )
    place = resolution = None
    if args.get("lat") or args.get("lon"):
        for name in ("lat", "lon"):
            if not args.get(name):
                raise ValidationError(BOTH_COORDINATES(name=name), field=name)
        lat = number_in(args, "lat", -90, 90, what="a latitude")
        lon = number_in(args, "lon", -180, 180, what="a longitude")
    elif any((args.get(name) or "").strip() for name in ("area", "village", "place")):
        if session is None:
            raise ValidationError(PLACE_NOT_HERE(), field="place")
        resolution = _resolve(session, args, home_province)
        place = resolution.chosen
        lon, lat = place.lon, place.lat
    else:
        raise ValidationError(SAY_WHERE(), field="lat")
    types = tuple(t.strip() for t in (args.get("type") or "").split(",") if t.strip())
    for facility_type in types:
        if facility_type not in FACILITY_TYPES:
            raise ValidationError(
                NOT_A_TYPE(value=repr(facility_type), choices=list(FACILITY_TYPES)), field="type"
            )
    k = integer_in(args, "k", 10, 1, MAX_K)
    max_km = number_in(args, "max_km", 0.1, 2000, what="a distance in km", default=None)
    site_filter = SiteFilter(
        types=types,
        open_now=bool(parse_flag(args, "open_now", True)),
        walk_in=parse_flag(args, "walk_in", None),
        vaccine_brand=parse_choice(args, "vaccine_brand", VACCINE_BRANDS),
        dose=parse_choice(args, "dose", DOSES),
        age_group=parse_choice(args, "age_group", AGE_GROUPS),
        test_method=parse_choice(args, "test_method", TEST_METHODS),
    )
    return NearestQuery(
        lon,
        lat,
        k,
        site_filter,
        max_km * 1000 if max_km else None,
        place,
        resolution,
        fallback=bool(parse_flag(args, "fallback", True)),
    )


def find(source: Source, query: NearestQuery) -> NearestHits:
    """Run the query against the live catalog: one data-version read, nothing else.

    Open now means confirmed open within the type's time. When fewer than k such sites match
    (within the distance, if one is given) and ``fallback`` is on, the answer is the k nearest
    open sites whatever their confirmation time, and says so: residents get useful answers
    from a registry whose lists were never confirmed, each site labelled "unconfirmed".
    Sites hidden by the long-unconfirmed rule are never returned.
    """
    config = current_app.config
    ttl_hours = config.get("FRESHNESS_TTL_HOURS")
    now = utcnow()
    snapshot, stale_since = catalogs.get(source).snapshot_or_last(source)
    common = {
        "k": query.k,
        "site_filter": query.site_filter,
        "now": now,
        "max_distance_m": query.max_distance_m,
        "hide_after_hours": hide_after_hours(config),
        "hide_never_confirmed": bool(config.get("FRESHNESS_HIDE_NEVER_CONFIRMED")),
    }
    result: NearestList | None = nearest_in(
        snapshot, query.lon, query.lat, ttl_hours=ttl_hours, **common
    )
    unconfirmed = False
    too_few = result is None or len(result) < query.k or bool(result.widened)
    if query.fallback and query.site_filter.open_now and ttl_hours and too_few:
        wider = nearest_in(snapshot, query.lon, query.lat, ttl_hours=None, **common)
        fresh = set() if result is None else set(result.ids)
        if wider is not None and any(i not in fresh for i in wider.ids):
            result, unconfirmed = wider, True
    if result is None or len(result) == 0:
        return NearestHits(query, snapshot, [], [], [], [], False, False, stale_since)
    positions = result.positions
    if query.site_filter.open_now and ttl_hours and not unconfirmed:
        # Open and confirmed within its time at `now`: the filter admitted nothing else.
        statuses = ["open"] * len(positions)
    else:
        statuses = snapshot.resident_statuses(positions, now, ttl_hours)
    return NearestHits(
        query,
        snapshot,
        positions,
        result.distance_m,
        result.bearing_deg,
        statuses,
        bool(result.widened),
        unconfirmed,
        stale_since,
    )


@dataclass(frozen=True)
class CachedSite:
    """A site as the catalog holds it, for pages drawn while the database is unreachable.

    It has the attributes of a Facility that the result list and map read.
    """

    id: int
    type: str
    name_th: str
    name_en: str | None
    status: str
    status_confirmed_at: datetime | None
    opening_hours: str | None
    phone: str | None
    lon: float
    lat: float

    @classmethod
    def of(cls, feature: dict) -> CachedSite:
        props = feature["properties"]
        confirmed = props.get("status_confirmed_at")
        lon, lat = feature["geometry"]["coordinates"]
        return cls(
            id=int(feature["id"]),
            type=props["type"],
            name_th=props["name_th"],
            name_en=props.get("name_en"),
            status=props["status"],
            status_confirmed_at=(
                datetime.fromisoformat(confirmed.replace("Z", "+00:00")) if confirmed else None
            ),
            opening_hours=props.get("opening_hours"),
            phone=props.get("phone"),
            lon=lon,
            lat=lat,
        )


def answer_of(session: Session, hits: NearestHits) -> NearestAnswer:
    """The facilities of ``hits`` in the hits' order, loaded from the database.

    While the database cannot be reached the sites come from the catalog (``CachedSite``)
    and the answer says since when its data may be old.
    """
    if hits.stale_since is not None:
        features = json.loads(
            b"[%s]"
            % features_json(
                [hits.snapshot.features[p] for p in hits.positions],
                hits.distance_m,
                hits.bearing_deg,
                hits.statuses,
            )
        )
        sites = [CachedSite.of(feature) for feature in features]
    else:
        ids = [int(hits.snapshot.ids[p]) for p in hits.positions]
        rows = {f.id: f for f in session.scalars(select(Facility).where(Facility.id.in_(ids)))}
        sites = [rows[i] for i in ids]
    return NearestAnswer(
        hits.query,
        sites,
        hits.distance_m,
        hits.bearing_deg,
        hits.widened,
        hits.unconfirmed_included,
        hits.stale_since,
    )
