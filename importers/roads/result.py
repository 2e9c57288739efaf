"""What a road reader returns."""

from __future__ import annotations

from dataclasses import dataclass

from geo.routing import RoadNetwork


@dataclass(frozen=True, eq=False)
class RoadFile:
    """A road network read from one file, with where it came from.

    ``licence`` and ``attribution`` are what every page showing results from the network
    must carry (for OpenStreetMap: ODbL 1.0, "© OpenStreetMap contributors").
    """

    network: RoadNetwork
    file_format: str
    licence: str
    attribution: str
    road_lines: int
    # Ways or lines left out, and why (e.g. 'footway closed to vehicles' is kept; 'no
    # highway tag' is left out), counted per reason.
    skipped: dict[str, int]
