"""Nearest sites by travel time on a road layer, for the API and the resident page.

``by=travel_time`` with a ``profile`` ranks the eligible sites by minutes on the smallest road
layer that holds the point and has a usable road within ``ROUTING_MAX_ACCESS_M`` of it: one
Dijkstra from the point over the whole layer (:meth:`geo.routing.TravelGraph.nearest_sites`),
exact on the network, ties by the lower site id. Sites outside the layer are not reachable
by its roads and are not answers. Outside every road layer the answer is the straight-line
one, and says so (``search.by`` is then "distance", with the reason).

Which sites count follows :func:`registry.nearest.search.find`: open now means confirmed
open within the type's time; with ``fallback`` on and too few such sites reachable, sites
open but unconfirmed are ranked as well and the answer says so. ``max_km`` bounds the
straight-line distance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from flask import current_app
from pyproj import Geod
from sqlalchemy.orm import Session

from registry.errors import ValidationError
from registry.facilities.freshness import hide_after_hours
from registry.models import utcnow
from registry.nearest.catalog import catalogs, filter_mask
from registry.nearest.search import NearestHits, NearestQuery, answer_of, find
from registry.roads.service import RoadLayerInfo, graph_for_point, profile_named

BY_CHOICES = ("distance", "travel_time")
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True, eq=False)
class RoadHits:
    """A nearest answer with, by travel time, each site's minutes and route length."""

    hits: NearestHits
    by: str  # what the ranking used: "travel_time" or "distance"
    profile: str | None = None
    layer: RoadLayerInfo | None = None
    travel_time_s: tuple[float, ...] = ()
    route_m: tuple[float, ...] = ()
    note: str | None = None

    def search_info(self) -> dict:
        info = {"by": self.by}
        if self.profile:
            info["profile"] = self.profile
        if self.layer is not None:
            info["roads"] = self.layer.as_dict()
            info["attribution"] = self.layer.attribution
        if self.note:
            info["note"] = self.note
        return info


def parse_by(args: Mapping[str, str]) -> tuple[str, str | None]:
    """``by`` (distance or travel_time) and, for travel time, the checked profile name."""
    by = (args.get("by") or "").strip() or "distance"
    if by not in BY_CHOICES:
        raise ValidationError(
            f"parameter 'by': {by!r} is not one of {', '.join(BY_CHOICES)}", field="by"
        )
    raw_profile = (args.get("profile") or "").strip() or None
    if by == "distance":
        if raw_profile:
            raise ValidationError(
                "parameter 'profile': a travel profile needs by=travel_time", field="profile"
            )
        return by, None
    return by, profile_named(current_app.config, raw_profile).name


def find_by(session: Session, query: NearestQuery, by: str, profile: str | None) -> RoadHits:
    """The answer ranked as asked: straight-line distance, or travel time where roads are."""
    if by == "distance":
        return RoadHits(find(session, query), "distance")
    config = current_app.config
    chosen = profile_named(config, profile)
    found = graph_for_point(session, query.lon, query.lat, chosen, config)
    if found is None:
        note = (
            "the point is outside every road layer (or farther than "
            f"{float(config.get('ROUTING_MAX_ACCESS_M', 1000.0)):g} m from a road a "
            f"{chosen.name} can use), so sites are ranked by straight-line distance"
        )
        return RoadHits(find(session, query), "distance", chosen.name, note=note)
    layer, graph = found
    return _by_time(session, query, chosen.name, layer, graph, config)


def _by_time(session, query: NearestQuery, profile: str, layer, graph, config) -> RoadHits:
    now = utcnow()
    snapshot = catalogs.get(session).snapshot(session)
    ttl_hours = config.get("FRESHNESS_TTL_HOURS")
    limit = float(config.get("ROUTING_MAX_ACCESS_M", 1000.0))

    def ranked(ttl):
        mask = filter_mask(
            snapshot,
            query.site_filter,
            now=now,
            ttl_hours=ttl,
            hide_after_hours=hide_after_hours(config),
            hide_never_confirmed=bool(config.get("FRESHNESS_HIDE_NEVER_CONFIRMED")),
        )
        positions = np.flatnonzero(mask)
        lon, lat = snapshot.lon[positions], snapshot.lat[positions]
        west, south, east, north = layer.bounds
        inside = (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
        positions, lon, lat = positions[inside], lon[inside], lat[inside]
        on_roads = graph.snap(lon, lat).access_m <= limit
        positions, lon, lat = positions[on_roads], lon[on_roads], lat[on_roads]
        if query.max_distance_m is not None and positions.size:
            straight = _GEOD.inv(
                np.full(lon.size, query.lon), np.full(lon.size, query.lat), lon, lat
            )[2]
            near = straight <= query.max_distance_m
            positions, lon, lat = positions[near], lon[near], lat[near]
        result = graph.nearest_sites(
            query.lon, query.lat, lon, lat, snapshot.ids[positions], query.k
        )
        return positions[result.positions], result

    confirmed = query.site_filter.open_now and bool(ttl_hours)
    positions, result = ranked(ttl_hours if confirmed else None)
    unconfirmed = False
    if confirmed and query.fallback and positions.size < query.k:
        wider_positions, wider = ranked(None)
        if set(wider_positions.tolist()) - set(positions.tolist()):
            positions, result, unconfirmed = wider_positions, wider, True
    positions = [int(p) for p in positions]
    if confirmed and not unconfirmed:
        statuses = ["open"] * len(positions)
    else:
        statuses = snapshot.resident_statuses(positions, now, ttl_hours)
    bearing = []
    if positions:
        bearing = _GEOD.inv(
            np.full(len(positions), query.lon),
            np.full(len(positions), query.lat),
            snapshot.lon[positions],
            snapshot.lat[positions],
        )[0]
        bearing = [float(b) % 360.0 for b in bearing]
    hits = NearestHits(
        query,
        snapshot,
        positions,
        [float(d) for d in result.straight_m],
        bearing,
        statuses,
        False,
        unconfirmed,
    )
    return RoadHits(
        hits,
        "travel_time",
        profile,
        layer,
        tuple(float(t) for t in result.travel_time_s),
        tuple(float(r) for r in result.route_m),
    )


def answer_by(session: Session, query: NearestQuery, by: str, profile: str | None):
    """:func:`find_by` with the facilities loaded, for the resident page: (answer, road hits)."""
    road = find_by(session, query, by, profile)
    return answer_of(session, road.hits), road
