"""The JSON API, versioned under /api/v1."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import http, spec  # noqa: E402

http.init_blueprint(bp)  # validators, gzip, read-only CORS
bp.before_request(spec.check_request)  # parameters checked by their declaration

from . import areas, downloads, facilities, map, nearest, openapi, villages, writes  # noqa: E402,F401  (routes register on bp)
