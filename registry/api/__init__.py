"""The JSON API, versioned under /api/v1."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from registry.api import http, spec  # noqa: E402

http.init_blueprint(bp)  # validators, gzip, read-only CORS
bp.before_request(spec.check_request)  # parameters checked by their declaration

# The route modules of each feature register on bp; this list is the API's table of contents.
from registry.api import openapi  # noqa: E402,F401
from registry.areas import api as areas_api  # noqa: E402,F401
from registry.areas import villages_api  # noqa: E402,F401
from registry.facilities import api as facilities_api  # noqa: E402,F401
from registry.facilities import api_writes, export_api  # noqa: E402,F401
from registry.nearest import api as nearest_api  # noqa: E402,F401
from registry.nearest import map_api  # noqa: E402,F401
