"""Default configuration. Override with instance/config.py or REGISTRY_* environment variables."""

from __future__ import annotations

# Empty means: a SpatiaLite file `registry.sqlite` in the Flask instance folder.
DATABASE_URL = ""
# Leaflet tile URL template; pages must still work when these tiles cannot be fetched.
TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_ATTRIBUTION = "&copy; OpenStreetMap contributors"
# A point outside every area is given the nearest area when within this distance (coast, islands).
COAST_TOLERANCE_M = 5_000.0
# API paging.
API_DEFAULT_LIMIT = 100
API_MAX_LIMIT = 1_000
JSON_SORT_KEYS = False
