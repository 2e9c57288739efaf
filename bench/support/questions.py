"""The requests a load benchmark sends to the bench app, as paths for wrk and plain clients:
nearest sites, PostGIS KNN, place names typed by residents, and map views."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import select

from registry.db import make_engine
from registry.models import Area


def nearest_path(lon: float, lat: float, k: int) -> str:
    return "/api/v1/nearest?" + urlencode({"lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "k": k})


def kdtree_path(lon: float, lat: float, k: int) -> str:
    """/bench/kdtree (bench/nearest_wsgi.py): a bare cKDTree query, on either database."""
    return "/bench/kdtree?" + urlencode({"lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "k": k})


def knn_path(lon: float, lat: float, k: int, oversample: int = 0) -> str:
    """/bench/postgis-knn (bench/nearest_wsgi.py), on PostGIS only."""
    params = {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "k": k}
    if oversample:
        params["oversample"] = oversample
    return "/bench/postgis-knn?" + urlencode(params)


def place_paths(url: str) -> list[str]:
    """/api/v1/places for the Thai names of the provinces and districts, typed by residents."""
    engine = make_engine(url)
    with engine.connect() as conn:
        names = conn.scalars(select(Area.name_th).where(Area.level <= 2).order_by(Area.code)).all()
    engine.dispose()
    return ["/api/v1/places?" + urlencode({"q": name}) for name in names]


def map_features_path(lon: float, lat: float) -> str:
    """/api/v1/map/features for a small view around a point, at a street-level zoom."""
    bbox = f"{lon - 0.1:.4f},{lat - 0.08:.4f},{lon + 0.1:.4f},{lat + 0.08:.4f}"
    return "/api/v1/map/features?" + urlencode({"bbox": bbox, "zoom": 12})
