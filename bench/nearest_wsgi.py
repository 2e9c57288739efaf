"""The registry app for load benchmarks, plus two bench-only routes on the same app object.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/registry_bench_nearest \
        .venv/bin/gunicorn --chdir /work/main -w 2 -k gthread --threads 4 'bench.nearest_wsgi:app'

* ``/bench/trivial``: a small constant JSON answer, the ceiling of this app on this server
  (routing, one request context, jsonify; no database).
* ``/bench/kdtree?lat=&lon=&k=``: the floor of any in-memory search on this server, a bare
  SciPy cKDTree over the open, active sites' ECEF points (built on the first request of each
  worker): k ids and chords, no filters, no freshness, no geodesic, no GeoJSON.
* ``/bench/find?lat=&lon=&k=``: the registry's own parsing and exact search
  (``registry.nearest.search.parse_query`` and ``find``) answering only the positions found,
  and ``/bench/nearest-view?...``: the whole ``/api/v1/nearest`` view on an app route, i.e.
  without the API blueprint's declared-parameter check and its validators/gzip/CORS hook.
  Between them and ``/api/v1/nearest`` they split an answer's cost into its steps.
* ``/bench/postgis-knn?lat=&lon=&k=[&oversample=N]``: the natural alternative to the
  in-memory catalog, PostGIS KNN over open, active facilities. Without ``oversample`` it is
  plain ``ORDER BY geom <-> point LIMIT k`` on geometry(4326), i.e. nearest in degrees, which
  is not nearest in metres. With ``oversample=N`` it takes the N nearest by ``<->`` and
  re-ranks them by ``ST_Distance`` on geography (WGS 84 spheroid), ties by id.

Every answer carries ``X-Bench-Worker: <pid>`` so a client can tell the workers apart (cold
starts and catch-ups are per worker). Nothing here is used by the application itself.
"""

from __future__ import annotations

import os
import threading

import numpy as np
from flask import jsonify, request
from scipy.spatial import cKDTree
from sqlalchemy import text

from geo.nearest.geometry import ecef, ecef_point
from registry.app import create_app
from registry.db import db
from registry.nearest import api as nearest_api
from registry.nearest import search

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/registry_bench_nearest"

# Open and active: the sites /api/v1/nearest answers with its default open_now=true as long as
# every open site's status was confirmed within its type's FRESHNESS_TTL_HOURS (the bench data
# is confirmed in the 24 hours before loading; nearest_load.py checks this before comparing).
_PLAIN_KNN = text(
    """
    SELECT id,
           ST_Distance(geom::geography,
                       ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) AS distance_m
    FROM facility
    WHERE status = 'open' AND deleted_at IS NULL
    ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)
    LIMIT :k
    """
)
_OVERSAMPLED_KNN = text(
    """
    SELECT id,
           ST_Distance(geom::geography,
                       ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) AS distance_m
    FROM (
        SELECT id, geom
        FROM facility
        WHERE status = 'open' AND deleted_at IS NULL
        ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)
        LIMIT :n
    ) AS candidates
    ORDER BY distance_m, id
    LIMIT :k
    """
)
_OPEN_POINTS = text(
    "SELECT id, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM facility "
    "WHERE status = 'open' AND deleted_at IS NULL"
)

_bare: dict = {}  # the bare KD-tree and its ids, built on a worker's first /bench/kdtree
_bare_lock = threading.Lock()


def _bare_tree() -> tuple[cKDTree, list[int]]:
    with _bare_lock:
        if "tree" not in _bare:
            rows = db.session.execute(_OPEN_POINTS).all()
            ids = [row.id for row in rows]
            points = ecef(np.array([r.lon for r in rows]), np.array([r.lat for r in rows]))
            _bare["tree"], _bare["ids"] = cKDTree(points), ids
        return _bare["tree"], _bare["ids"]


def _number(name: str, low: float, high: float) -> float:
    value = float(request.args[name])
    if not low <= value <= high:
        raise ValueError(name)
    return value


def _point_and_k() -> tuple[float, float, int]:
    """lon, lat and k of a bench query; KeyError or ValueError when they are missing or bad."""
    return _number("lon", -180, 180), _number("lat", -90, 90), int(request.args.get("k", 10))


def build_app():
    app = create_app(
        {
            "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL),
            # Only signed cookies need it; no bench request signs in.
            "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or os.urandom(16).hex(),
        }
    )

    @app.get("/bench/trivial")
    def bench_trivial():
        return jsonify({"ok": True, "service": "registry", "bench": "trivial"})

    @app.get("/bench/kdtree")
    def bench_kdtree():
        try:
            lon, lat, k = _point_and_k()
        except (KeyError, ValueError):
            return jsonify({"error": "give lat, lon and optional k"}), 400
        tree, ids = _bare_tree()
        chords, positions = tree.query(ecef_point(lon, lat), k=k)
        return jsonify(
            {
                "ids": [ids[p] for p in positions.tolist()],
                "chord_m": [round(c, 1) for c in chords.tolist()],
            }
        )

    @app.get("/bench/find")
    def bench_find():
        hits = search.find(db.bind, search.parse_query(None, request.args))
        return jsonify({"positions": hits.positions})

    @app.get("/bench/nearest-view")
    def bench_nearest_view():
        return nearest_api.nearest()

    @app.get("/bench/postgis-knn")
    def bench_postgis_knn():
        try:
            lon, lat, k = _point_and_k()
            oversample = int(request.args.get("oversample", 0))
        except (KeyError, ValueError):
            return jsonify({"error": "give lat, lon, optional k and oversample"}), 400
        params = {"lon": lon, "lat": lat, "k": k}
        if oversample:
            params["n"] = max(oversample, k)
            rows = db.session.execute(_OVERSAMPLED_KNN, params).all()
        else:
            rows = db.session.execute(_PLAIN_KNN, params).all()
        return jsonify(
            {
                "ids": [row.id for row in rows],
                "distance_m": [round(float(row.distance_m), 1) for row in rows],
            }
        )

    @app.after_request
    def bench_worker_header(response):
        # Read per answer: with --preload the app is built before gunicorn forks its workers.
        response.headers["X-Bench-Worker"] = str(os.getpid())
        return response

    return app


app = build_app()
