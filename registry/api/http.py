"""HTTP the way GIS clients and browsers expect it, for the public read API and the OGC API.

- ETag and Last-Modified from the registry's data version, checked before any query is run,
  so a client that already has the answer gets a 304 for the price of one small read
  (whether the ETag it holds is the gzipped answer's or the plain one's).
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

from flask import Blueprint, Response, current_app, g, make_response, request
from sqlalchemy import func, select
from werkzeug.datastructures import ETags
from werkzeug.exceptions import PreconditionFailed, RequestedRangeNotSatisfiable
from werkzeug.http import generate_etag, http_date, parse_accept_header, parse_etags

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
GZIP_TAG = "-gzip"  # the gzipped answer's ETag is the plain one with this suffix
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


def unchanged(etag: str, mimetype: str, *, weak: bool = False) -> Response | None:
    """A 304 when the client's copy, gzipped or not, carries this ETag; None otherwise.

    It has the headers the 200 would have (RFC 9110 §15.4.5): the ETag the client holds,
    Cache-Control and (from the gzip hook, which reads the 200's media type, a type werkzeug
    never sends on a 304) Vary.
    """
    held = _held_tag(etag)
    if held is None:
        return None
    response = Response(status=304, mimetype=mimetype)
    response.set_etag(held, weak)
    response.cache_control.no_cache = True
    return response


def whole(
    body: bytes, mimetype: str, etag: str, *, modified: datetime | None = None, weak: bool = False
) -> Response:
    """A complete answer with its validators; conditional headers are honoured, and Range
    under a strong ETag (a weak one cannot vouch that two requests' bytes fit together)."""
    response = Response(body, mimetype=mimetype)
    response.set_etag(etag, weak)
    if modified is not None:
        response.last_modified = modified
    response.cache_control.no_cache = True  # revalidate each time: the ETag makes it cheap
    return conditional(response, None if weak else len(body))


def conditional(response: Response, length: int | None = None) -> Response:
    """``response`` answered as the request's conditions and Range ask (RFC 9110 §13, §14).

    werkzeug's make_conditional does the work, given the request as RFC 9110 reads it: see
    :func:`_as_answered`. ``length`` enables Range. A failed If-Match is the usual short
    error, not the file with a 412 status.
    """
    try:
        response.make_conditional(
            _as_answered(request.environ, length),
            accept_ranges=length is not None,
            complete_length=length,
        )
    except RequestedRangeNotSatisfiable:
        response.close()  # a file being sent
        raise
    if response.status_code == 412:
        response.close()
        return make_response(current_app.handle_http_exception(PreconditionFailed()))
    if response.status_code == 304:
        etag, weak = response.get_etag()
        response.set_etag(_held_tag(etag) or etag, weak)
    return response


def _held_tag(etag: str) -> str | None:
    """Which of ``etag`` and its gzip variant the client's If-None-Match names, if either.

    Weak comparison (RFC 9110 §13.1.2); the gzipped answer is the same data in another coding.
    """
    tags = request.if_none_match
    if not tags:
        return None
    gzipped = etag + GZIP_TAG
    # Both match "*" (and a cache may send both): the one this request would be answered with.
    candidates = (gzipped, etag) if _accepts_gzip(request.environ) else (etag, gzipped)
    for candidate in candidates:
        if tags.contains_weak(candidate):
            return candidate
    return None


def _as_answered(environ: dict, length: int | None) -> dict:
    """The request's headers as werkzeug should answer them, where it departs from RFC 9110.

    - If-None-Match: a gzip ETag names the same data as the plain one.
    - If-Match and If-Unmodified-Since name the gzip ETag alike; ``If-Match: *`` holds, since
      the answer exists (§13.1.1).
    - Range is ignored (the whole answer, 200) for a unit other than bytes (§14.2), for several
      ranges (§14.2 lets a server ignore them), and under an If-Range with a weak ETag (which
      never matches, §13.1.5). A suffix longer than the answer asks for all of it (§14.1.3).
    """
    answered = dict(environ)
    for header in ("HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH"):
        if header in environ:
            answered[header] = _plain_tags(parse_etags(environ[header])).to_header()
    if answered.get("HTTP_IF_MATCH") == "*":
        del answered["HTTP_IF_MATCH"]
    if "HTTP_RANGE" in environ:
        ranges = _honoured_range(environ["HTTP_RANGE"], environ.get("HTTP_IF_RANGE", ""), length)
        if ranges is None:
            del answered["HTTP_RANGE"]
        else:
            answered["HTTP_RANGE"] = ranges
    return answered


def _plain_tags(tags: ETags) -> ETags:
    """``tags`` with each gzip ETag named as the plain one, weak ones kept weak (werkzeug
    compares If-Match strongly, §13.1.1, and If-None-Match weakly)."""
    strong = tags.as_set()
    weak = tags.as_set(include_weak=True) - strong
    return ETags(
        [tag.removesuffix(GZIP_TAG) for tag in strong],
        [tag.removesuffix(GZIP_TAG) for tag in weak],
        star_tag=tags.star_tag,
    )


def _honoured_range(header: str, if_range: str, length: int | None) -> str | None:
    """The Range header to answer, or None to answer the whole."""
    unit, _, ranges = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in ranges or if_range.lstrip().startswith("W/"):
        return None
    spec = ranges.strip()
    if spec.startswith("-") and spec[1:].isdecimal() and length and int(spec[1:]) > length:
        return "bytes=0-"
    return header


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


# The request headers that conditional answers (304, 412); without them it only dates.
_CONDITIONS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
)


def _unchanged_reads(response: Response, method: str, environ: dict) -> Response:
    # Answers without a validator of their own (a nearest answer, a coverage table) get an
    # ETag from their bytes, and Range on them (GDAL reads a large GeoJSON answer by ranges).
    if (
        response.status_code == 200
        and method in READ_METHODS
        and not response.is_streamed
        and not response.direct_passthrough
        and response.mimetype in COMPRESSIBLE
        and "ETag" not in response.headers
    ):
        body = response.get_data()
        response.set_etag(generate_etag(body))
        if "HTTP_RANGE" in environ or any(name in environ for name in _CONDITIONS):
            try:
                response = conditional(response, len(body))
            except RequestedRangeNotSatisfiable as refused:  # after the view: answer it here
                response = make_response(current_app.handle_http_exception(refused))
        else:
            # All that make_conditional would do to an unconditional request (the body
            # already has its length); the rest of it is most of this hook's cost.
            response.headers["Accept-Ranges"] = "bytes"  # GDAL's /vsicurl/ needs ranges
            if "Date" not in response.headers:
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
