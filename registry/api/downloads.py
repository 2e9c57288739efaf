"""Whole-list downloads of facilities, filtered like the list (issue 14).

``GET /api/v1/facilities/download?format=gpkg|csv|xlsx|geojson|shp&headers=en|th`` plus any
filter of ``/api/v1/facilities``. A file is written once per data version and filter set
into the instance folder, then served from disk: ETag, Last-Modified, 304 and Range (what
GDAL's /vsicurl/ needs) come with it, and a second download costs no query.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app, request, send_file

from ..db import db
from ..services import facility_export as export
from . import bp, facilities, http, params


def _folder() -> Path:
    return Path(current_app.instance_path) / "downloads"


@bp.get("/facilities/download")
def download_facilities():
    """Every matching facility in one file (GeoPackage, CSV, XLSX, GeoJSON, Shapefile zip)."""
    fmt = (params.choices("format", export.FORMATS) or ["gpkg"])[0]
    language = (params.choices("headers", export.HEADER_LANGUAGES) or ["en"])[0]
    conditions = facilities.list_conditions()
    version = http.data_version()
    query = sorted((k, v) for k, v in request.args.items(multi=True) if k not in ("format",))
    digest = hashlib.sha256(repr((version, fmt, language, query)).encode()).hexdigest()[:32]
    cached = http.unchanged(digest)
    if cached is not None:
        return cached
    target = _folder() / f"facilities-{version}-{digest}.{export.EXTENSIONS[fmt]}"
    if not target.exists():
        _forget_older_versions(version)
        export.export_facilities(db.session, conditions, fmt, language, target)
    response = send_file(
        target,
        mimetype=export.MEDIA_TYPES[fmt],
        as_attachment=True,
        download_name=f"facilities.{export.EXTENSIONS[fmt]}",
        conditional=True,
        etag=digest,
        max_age=0,
        last_modified=http.last_change(),
    )
    response.cache_control.no_cache = True
    return response


def _forget_older_versions(version: int) -> None:
    """Files of older data versions are never served again."""
    folder = _folder()
    if not folder.is_dir():
        return
    for path in folder.glob("facilities-*"):
        stem = path.name.split("-")
        if len(stem) > 2 and stem[1].isdigit() and int(stem[1]) < version:
            path.unlink(missing_ok=True)
