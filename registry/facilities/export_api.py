"""Whole-list downloads of facilities, filtered like the list.

``GET /api/v1/facilities/download?format=gpkg|csv|xlsx|geojson|shp&headers=en|th`` plus any
filter of ``/api/v1/facilities``. A file is written once per data version and filter set
into the instance folder, then served from disk: ETag, Last-Modified, 304 and Range (what
GDAL's /vsicurl/ needs) come with it, and a second download costs no query.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from flask import current_app, request, send_file

from registry.api import bp, http, params
from registry.db import db
from registry.facilities import api as facilities
from registry.facilities import export
from registry.i18n import BANGKOK
from registry.spreadsheets import Workbook

SEND_ATTEMPTS = 3


def _folder() -> Path:
    return Path(current_app.instance_path) / "downloads"


@bp.get("/facilities/download")
def download_facilities():
    """Every matching facility in one file (GeoPackage, CSV, XLSX, GeoJSON, Shapefile zip)."""
    fmt = params.choice("format", export.FORMATS, "gpkg")
    language = params.choice("headers", export.HEADER_LANGUAGES, "en")
    conditions = facilities.list_conditions()
    version = http.data_version()
    query = sorted((k, v) for k, v in request.args.items(multi=True) if k not in ("format",))
    digest = file_key(database_identity(), version, http.last_change(), fmt, language, query)
    cached = http.unchanged(digest, export.MEDIA_TYPES[fmt])
    if cached is not None:
        return cached
    target = _folder() / f"facilities-{version}-{digest}.{export.EXTENSIONS[fmt]}"
    for attempt in range(SEND_ATTEMPTS):
        if not target.exists():
            _forget_older_versions(version)
            export.export_facilities(db.session, conditions, fmt, language, target)
            _keep_within(current_app.config["DOWNLOAD_CACHE_MB"] * 1_000_000, target)
        try:
            response = send_file(
                target,
                mimetype=export.MEDIA_TYPES[fmt],
                as_attachment=True,
                download_name=f"facilities.{export.EXTENSIONS[fmt]}",
                conditional=False,  # http.conditional, below: Range and 412 as RFC 9110 says
                etag=digest,
                last_modified=http.last_change(),
            )
        except FileNotFoundError:
            # Another worker swept the file between the check and the opening (a newer
            # version's download, or the size bound): write it again.
            if attempt == SEND_ATTEMPTS - 1:
                raise
            continue
        # Served now: the size bound keeps the most recently served files. (The clock's own
        # nanoseconds: a file system stamps "now" only to the kernel's tick.)
        now = time.time_ns()
        os.utime(target, ns=(now, now))
        response.cache_control.no_cache = True
        return http.conditional(response, response.content_length)


def database_identity() -> str:
    """Which database the files come from (its URL without the password).

    Apps on different databases may share an instance folder (two deployments, tests), and a
    recreated database counts its data versions from the start again: a file keyed by the
    version alone would then be another database's, or the old one's.
    """
    return db.engine.url.render_as_string(hide_password=True)


def file_key(database: str, version: int, last_change, *request_key) -> str:
    """The file's name and ETag: the database, its data version and last change (which a
    recreated database at the same version does not share), and what was asked."""
    key = repr((database, version, last_change and last_change.isoformat(), request_key))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _keep_within(budget: int, written: Path) -> None:
    """Remove the least recently served files until the folder holds at most ``budget`` bytes
    (the file just written always stays, whatever its size)."""
    files = []
    for path in _folder().glob("facilities-*"):
        try:
            info = path.stat()
        except FileNotFoundError:
            continue  # another worker swept it first
        files.append((info.st_mtime, info.st_size, path))
    total = sum(size for _, size, _ in files)
    for _, size, path in sorted(files, key=lambda file: file[0]):
        if total <= budget:
            break
        if path != written:
            path.unlink(missing_ok=True)
            total -= size


def _forget_older_versions(version: int) -> None:
    """Files of older data versions are never served again."""
    folder = _folder()
    if not folder.is_dir():
        return
    for path in folder.glob("facilities-*"):
        stem = path.name.split("-")
        if len(stem) > 2 and stem[1].isdecimal() and int(stem[1]) < version:
            path.unlink(missing_ok=True)


STATISTICS_MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv",
    "xlsx": export.MEDIA_TYPES["xlsx"],
}


@bp.get("/statistics/provinces")
def province_statistics():
    """One row per province: sites by type and status, freshness, beds, survey progress.

    The numbers move with the clock as well as the data (a confirmed status goes stale), and
    each answer says when it was made: the ETag is weak, from the table, so a client whose
    table is still current gets a 304 whatever its copy's time stamp.
    """
    from registry.models import utcnow
    from registry.stats.export import table_csv, table_records
    from registry.stats.province_table import public_province_table

    fmt = params.choice("format", tuple(STATISTICS_MEDIA_TYPES), "json")
    mimetype = STATISTICS_MEDIA_TYPES[fmt]
    now = utcnow()
    table = public_province_table(db.session, current_app.config, now)
    records = table_records(table)
    contents = json.dumps([fmt, export.ATTRIBUTION, table.view, records], ensure_ascii=False)
    etag = hashlib.sha256(contents.encode()).hexdigest()[:32]
    cached = http.unchanged(etag, mimetype, weak=True)
    if cached is not None:
        return cached
    if fmt == "csv":
        body = table_csv(table)
    elif fmt == "xlsx":
        body = _province_xlsx(table, now)
    else:
        document = {
            "attribution": export.ATTRIBUTION,
            "generated_at": now.isoformat(),
            "view": table.view,
            "columns": [{"name": c.name, "kind": c.kind} for c in table.columns],
            "rows": records,
        }
        body = json.dumps(document, ensure_ascii=False).encode()
    response = http.whole(body, mimetype, etag, weak=True)
    if fmt != "json":
        response.headers["Content-Disposition"] = f'attachment; filename="provinces.{fmt}"'
    return response


def _province_xlsx(table, now) -> bytes:
    book = Workbook()  # text that would run as a formula is quoted
    sheet = book.sheet("provinces")
    sheet.append(table.column_names)
    for row in table.rows:
        sheet.append([row[name] for name in table.column_names])
    about = book.sheet("about")
    about.append(["attribution", export.ATTRIBUTION])
    about.append(["view", f"{table.view}: small counts of people shown as a range"])
    about.append(["generated_at", now.astimezone(BANGKOK).isoformat(timespec="seconds")])
    return book.to_bytes()
