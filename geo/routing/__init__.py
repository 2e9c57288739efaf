"""Travel time on road networks: networks as arrays, travel profiles, shortest paths.

Pure computation (no Flask, registry or database): :mod:`.network` builds a
:class:`RoadNetwork` from polylines or an edge list, :mod:`.profiles` holds the travel
profiles, :mod:`.travel` answers nearest-site and coverage questions in travel time, and
:mod:`.bands` draws travel-time bands for maps.
"""

from geo.routing.network import (
    ROAD_CLASSES,
    RoadNetwork,
    network_from_edges,
    network_from_polylines,
    split_long_edges,
)
from geo.routing.profiles import DEFAULT_PROFILES, Profile, profiles_from_config
from geo.routing.travel import NearestByTime, Snap, TravelGraph

__all__ = [
    "DEFAULT_PROFILES",
    "ROAD_CLASSES",
    "NearestByTime",
    "Profile",
    "RoadNetwork",
    "Snap",
    "TravelGraph",
    "network_from_edges",
    "network_from_polylines",
    "profiles_from_config",
    "split_long_edges",
]
