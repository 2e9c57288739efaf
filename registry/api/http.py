"""HTTP the way GIS clients and browsers expect it, for the public read API and the OGC API.

- ETag and Last-Modified from the registry's data version, checked before any query is run,
  so a client that already has the answer gets a 304 for the price of one small read.
- Range requests (206) on whole answers and downloads: what GDAL's /vsicurl/ (pyogrio,
  geopandas.read_file on a URL) needs for anything above its one-shot size.
- gzip for JSON, GeoJSON and CSV when the client accepts it (never on a Range or HEAD
  request: /vsicurl/ sizes the file with HEAD and reads identity ranges of it).
- CORS for reads only: ``Access-Control-Allow-Origin: *`` on GET, HEAD and their preflights,
  never with credentials, and never on writes.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime

from flask import Blueprint, Response, g, request
from sqlalchemy import func, select
from werkzeug.http import generate_etag, http_date, parse_accept_header

from registry.db import db
from registry.models import Facility
from registry.nearest.catalog import committed_version

COMPRESSIBLE = {
    "application/json",
    "application/geo+json",
    "application/schema+json",
    "application/vnd.oai.openapi+json",
    "text/csv",
    "text/html",
}
MIN_COMPRESS = 1024
# zlib levels: 6 for ordinary answers; 1 (nginx's default) past LARGE_BODY and for files,
# about three times faster for ~40% more bytes: a 10,000-site page took 80 ms at level 6,
# longer than building it, and a GIS client pulling a layer page by page waits for each.
LEVEL = 6
LARGE_LEVEL = 1
LARGE_BODY = 1 << 20
READ_METHODS = ("GET", "HEAD")
EXPOSED = "ETag, Last-Modified, Content-Crs, Content-Range, Content-Disposition, Link"


def data_version() -> int:
    """The committed data version (version_watch: pushed to every worker, or read on SpatiaLite).

    Read once per request (the ETag and Last-Modified of one answer describe one version).
    """
    version = g.get("registry_data_version")
    if version is None:
        version = g.registry_data_version = committed_version(db.bind)
    return version


def use_data_version(version: int) -> None:
    """The version this request's answer is made at, when it was read already (the catalog)."""
    g.registry_data_version = version


_LAST_CHANGE: dict[tuple[int, int], datetime | None] = {}


def last_change() -> datetime | None:
    """When a facility last changed (the updated_at index answers it), once per data version."""
    key = (id(db.engine), data_version())
    if key not in _LAST_CHANGE:
        if len(_LAST_CHANGE) > 64:
            _LAST_CHANGE.clear()
        _LAST_CHANGE[key] = db.session.scalar(select(func.max(Facility.updated_at)))
    return _LAST_CHANGE[key]


def request_etag(*extra: object) -> str:
    """A strong validator for this URL's answer at the current data version."""
    key = "|".join(map(str, (data_version(), request.full_path, *extra)))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def unchanged(etag: str) -> Response | None:
    """A 304 when the client's copy carries this ETag; None otherwise."""
    if request.if_none_match and request.if_none_match.contains(etag):
        response = Response(status=304)
        response.set_etag(etag)
        return response
    return None


def whole(body: bytes, mimetype: str, etag: str, *, modified: datetime | None = None) -> Response:
    """A complete answer with its validators; Range and conditional headers are honoured."""
    response = Response(body, mimetype=mimetype)
    response.set_etag(etag)
    if modified is not None:
        response.last_modified = modified
    response.cache_control.no_cache = True  # revalidate each time: the ETag makes it cheap
    return response.make_conditional(request, accept_ranges=True, complete_length=len(body))


def _accepts_gzip(environ: dict) -> bool:
    """Whether Accept-Encoding gives gzip a quality above 0 (RFC 9110 §12.5.3): by name (or
    its alias x-gzip), else through ``*``."""
    qualities = {
        coding.lower(): quality
        for coding, quality in parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING"))
    }
    for coding in ("gzip", "x-gzip", "*"):
        if coding in qualities:
            return qualities[coding] > 0
    return False


def _compress_stream(chunks: Iterable[bytes], source) -> Iterator[bytes]:
    compressor = zlib.compressobj(LARGE_LEVEL, zlib.DEFLATED, 31)  # 31: gzip wrapper
    try:
        for chunk in chunks:
            data = compressor.compress(chunk)
            if data:
                yield data
        yield compressor.flush()
    finally:
        if hasattr(source, "close"):  # the file being sent
            source.close()


def _gzip_bytes(body: bytes, level: int) -> bytes:
    # One pass: zlib computes the CRC as it goes (gzip.compress makes a second pass for it).
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
    return compressor.compress(body) + compressor.flush()


def _gzip(response: Response, method: str, environ: dict) -> Response:
    if method not in READ_METHODS or response.mimetype not in COMPRESSIBLE:
        return response
    if response.status_code in (200, 206, 304):  # negotiated, whether this one is gzipped or not
        response.vary.add("Accept-Encoding")
    if (
        response.status_code != 200
        or method != "GET"
        or "HTTP_RANGE" in environ
        or not _accepts_gzip(environ)
        or "Content-Encoding" in response.headers
    ):
        return response
    etag, weak = response.get_etag()
    if response.is_streamed or response.direct_passthrough:
        response.direct_passthrough = False
        response.response = _compress_stream(response.iter_encoded(), response.response)
        response.headers.pop("Content-Length", None)
        response.headers.pop("Accept-Ranges", None)
    else:
        body = response.get_data()
        if len(body) < MIN_COMPRESS:
            return response
        response.set_data(_gzip_bytes(body, LARGE_LEVEL if len(body) > LARGE_BODY else LEVEL))
        response.headers.pop("Accept-Ranges", None)
    response.headers["Content-Encoding"] = "gzip"
    if etag:  # another representation, another validator
        response.set_etag(etag + "-gzip", weak)
    return response


def _cors(response: Response, method: str, environ: dict) -> Response:
    if method == "OPTIONS":
        method = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "").upper()
        if method in READ_METHODS:
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = (
                "Accept, Accept-Language, If-None-Match, If-Modified-Since, Range"
            )
            response.headers["Access-Control-Max-Age"] = "86400"
    if method in READ_METHODS:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = EXPOSED
    return response


# The request headers that make_conditional answers (304, 412); without them it only dates.
_CONDITIONS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
)


def _unchanged_reads(response: Response, method: str, environ: dict) -> Response:
    # Answers without a validator of their own (a nearest answer, a fixed document) get an
    # ETag from their bytes.
    if (
        response.status_code == 200
        and method in READ_METHODS
        and not response.is_streamed
        and not response.direct_passthrough
        and response.mimetype in COMPRESSIBLE
        and "ETag" not in response.headers
    ):
        response.set_etag(generate_etag(response.get_data()))
        if any(name in environ for name in _CONDITIONS):
            response.make_conditional(request)
        elif "Date" not in response.headers:
            # All that make_conditional would do to an unconditional request (the body
            # already has its length); the rest of it is most of this hook's cost.
            response.headers["Date"] = http_date()
    return response


def _public_read(response: Response) -> Response:
    """Validators from the body, then gzip (which renames the validator), then CORS.

    One hook for the three, with the request read once: it runs after every answer of the
    public read API, nearest-site answers included, where each hook and proxy lookup shows.
    """
    method = request.method
    environ = request.environ
    response = _unchanged_reads(response, method, environ)
    response = _gzip(response, method, environ)
    return _cors(response, method, environ)


def init_blueprint(bp: Blueprint) -> None:
    """Validators, gzip and read-only CORS on every answer of a public read blueprint."""
    bp.after_request(_public_read)
