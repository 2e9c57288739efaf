"""Travel profiles: how fast a motorcycle, a car or a person on foot moves on each road class.

The defaults fit Thailand (urban and provincial roads, mixed traffic): typical travel speeds
rather than limits, since traffic in towns rarely reaches the limit. Motorcycles may not use
motorways in Thailand (Land Traffic Act, motorways 7 and 9), so they do not; nobody walks on
motorways or trunk links. Vehicles obey one-way rules; people on foot do not. Where
``maxspeed`` is mapped, a vehicle drives at ``maxspeed_share`` of it, capped at the profile's
``top_speed_kmh``, instead of its class speed.

Every profile also fixes how a trip gets onto the network (see :mod:`geo.routing.travel`):
from a point (a home, a site) straight to the nearest node of a road the profile may use, at
``access_speed_kmh`` (walking, 5 km/h, as AccessMod counts off-road travel on foot).

Operators change any number through configuration (``ROUTING_PROFILES`` in the registry):
a mapping of profile name to the fields to override, e.g.
``{"motorcycle": {"speeds_kmh": {"residential": 20}}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from geo.routing.network import ROAD_CLASSES, RoadNetwork


@dataclass(frozen=True)
class Profile:
    """Speeds per road class (km/h; a class absent from the mapping is not usable)."""

    name: str
    speeds_kmh: Mapping[str, float]
    obeys_oneway: bool = True
    maxspeed_share: float = 0.8
    top_speed_kmh: float = 90.0
    access_speed_kmh: float = 5.0
    # Labels for people: English and Thai.
    label_en: str = ""
    label_th: str = ""
    extra: Mapping[str, object] = field(default_factory=dict)

    def edge_speeds(self, network: RoadNetwork) -> np.ndarray:
        """Speed on every edge in m/s; 0 where this profile may not travel."""
        by_class = np.array([float(self.speeds_kmh.get(c, 0.0)) for c in ROAD_CLASSES])
        speed = by_class[network.road_class]
        if self.maxspeed_share > 0:
            limit = network.maxspeed_kmh.astype(np.float64) * self.maxspeed_share
            mapped = np.isfinite(limit) & (limit > 0) & (speed > 0)
            speed = np.where(mapped, np.minimum(limit, self.top_speed_kmh), speed)
        return speed / 3.6


_CITY = {
    "trunk": 60.0,
    "trunk_link": 40.0,
    "primary": 50.0,
    "primary_link": 35.0,
    "secondary": 45.0,
    "secondary_link": 30.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 25.0,
    "road": 25.0,
    "living_street": 10.0,
    "service": 15.0,
    "track": 15.0,
    # Lines without a class (derived graphs, GIS files): a minor road.
    "unknown": 30.0,
}
_WALK = 5.0

DEFAULT_PROFILES: dict[str, Profile] = {
    "motorcycle": Profile(
        "motorcycle",
        {**_CITY},
        top_speed_kmh=80.0,
        label_en="motorcycle",
        label_th="รถจักรยานยนต์",
    ),
    "car": Profile(
        "car",
        {**_CITY, "motorway": 90.0, "motorway_link": 50.0, "trunk": 70.0, "primary": 55.0},
        top_speed_kmh=110.0,
        label_en="car",
        label_th="รถยนต์",
    ),
    "walking": Profile(
        "walking",
        {
            **{name: _WALK for name in _CITY},
            "busway": 0.0,
            "pedestrian": _WALK,
            "footway": _WALK,
            "path": _WALK,
            "cycleway": _WALK,
            "bridleway": _WALK,
            "corridor": _WALK,
            "steps": 2.5,
            "trunk": _WALK,
        },
        obeys_oneway=False,
        maxspeed_share=0.0,
        top_speed_kmh=_WALK,
        label_en="walking",
        label_th="เดินเท้า",
    ),
}


def profiles_from_config(overrides: Mapping[str, Mapping] | None) -> dict[str, Profile]:
    """The default profiles with an operator's overrides applied (new profiles allowed).

    Examples
    --------
    >>> p = profiles_from_config({"motorcycle": {"speeds_kmh": {"residential": 20}}})
    >>> p["motorcycle"].speeds_kmh["residential"], p["motorcycle"].speeds_kmh["primary"]
    (20, 50.0)
    """
    profiles = dict(DEFAULT_PROFILES)
    for name, changes in (overrides or {}).items():
        if not isinstance(changes, Mapping):
            raise ValueError(f"ROUTING_PROFILES[{name!r}] must be a mapping of fields")
        base = profiles.get(name) or Profile(name, {}, label_en=name, label_th=name)
        changes = dict(changes)
        if "speeds_kmh" in changes:
            speeds = {**base.speeds_kmh, **changes.pop("speeds_kmh")}
            for road_class, speed in speeds.items():
                if road_class not in ROAD_CLASSES:
                    raise ValueError(
                        f"ROUTING_PROFILES[{name!r}]: unknown road class {road_class!r}"
                    )
                if not isinstance(speed, int | float) or speed < 0:
                    raise ValueError(
                        f"ROUTING_PROFILES[{name!r}]: speed for {road_class!r} must be a "
                        f"number of km/h >= 0, got {speed!r}"
                    )
            changes["speeds_kmh"] = speeds
        unknown = set(changes) - {f for f in Profile.__dataclass_fields__ if f != "name"}
        if unknown:
            raise ValueError(f"ROUTING_PROFILES[{name!r}]: unknown fields {sorted(unknown)}")
        profiles[name] = replace(base, **changes)
    return profiles
