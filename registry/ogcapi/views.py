"""The OGC API - Features blueprint: adapts Flask requests to the framework-free modules.

Mounted under /api/ogc, so errors are JSON like the rest of the API. Add the registry to QGIS
or GDAL as ``OAPIF:https://host/api/ogc``.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request, url_for

from registry.api import http
from registry.db import db
from registry.errors import NotFoundError
from registry.nearest.catalog import catalogs
from registry.ogcapi import catalog_items, documents, items, request_args
from registry.ogcapi.collections import get_collection
from registry.ogcapi.openapi import openapi_document

bp = Blueprint("ogcapi", __name__, url_prefix="/api/ogc")
http.init_blueprint(bp)

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_GEOJSON = "application/geo+json"
OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"
_FACILITY_ID = re.compile(r"[1-9][0-9]{0,9}")


def _base() -> str:
    return url_for("ogcapi.landing", _external=True).rstrip("/")


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match(
        ["application/json", "application/geo+json", "text/html"]
    )
    return best == "text/html" and "f" not in request.args


def _format(allowed: tuple[str, ...] = request_args.COMMON) -> str:
    request_args.reject_unknown(request.args, allowed)
    return request_args.output_format(request.args, _wants_html())


def _document(body: dict, template: str, mimetype: str = "application/json", **context):
    if _format() == "html":
        return render_template(f"ogcapi/{template}", body=body, **context)
    return Response(_ENCODE(body), mimetype=mimetype)


# Also without the slash, as clients are given it ("OAPIF:https://host/api/ogc"): QGIS and
# GDAL ask for it that way first and would otherwise follow a redirect each time.
@bp.get("/", strict_slashes=False)
def landing():
    """The landing page: links to the API description, conformance and collections."""
    return _document(documents.landing(_base()), "landing.html")


@bp.get("/conformance")
def conformance():
    """The conformance classes the API implements."""
    return _document(documents.conformance(), "conformance.html")


@bp.get("/api")
def api_description():
    """The OpenAPI 3.0 description of this OGC API (HTML: the API reference page)."""
    if _format() == "html":
        return render_template("api/reference.html", spec_url=url_for("ogcapi.api_description"))
    response = Response(_ENCODE(openapi_document(_base())))
    # The media type OGC API Part 1 names (GDAL refuses the document without the version).
    response.headers["Content-Type"] = OPENAPI_MEDIA_TYPE
    return response


@bp.get("/collections")
def collections():
    """Every collection with its links, extent and CRSs."""
    return _document(documents.collections(_base()), "collections.html")


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    """One collection's description."""
    item = get_collection(collection_id)
    return _document(documents.collection(_base(), item), "collection.html", collection=item)


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str):
    """The properties a filter may use, as JSON Schema."""
    return _json_schema(collection_id, documents.queryables)


@bp.get("/collections/<collection_id>/schema")
def feature_schema(collection_id: str):
    """Every property of the collection's features, as JSON Schema (the layer's fields)."""
    return _json_schema(collection_id, documents.schema)


def _json_schema(collection_id: str, build):
    """A JSON Schema document of a collection, with the same HTML page for people."""
    item = get_collection(collection_id)
    return _document(
        build(_base(), item), "queryables.html", mimetype="application/schema+json", collection=item
    )


@bp.get("/collections/<collection_id>/items")
def collection_items(collection_id: str):
    """Features of a collection, filtered in the database or the catalog, with next links."""
    collection = get_collection(collection_id)
    query = request_args.items_query(collection, request.args)
    fmt = request_args.output_format(request.args, _wants_html())
    snapshot = None
    if catalog_items.answerable(query):
        snapshot = catalogs.get(db.bind).snapshot(db.bind)
        http.use_data_version(snapshot.data_version)
    etag = http.request_etag(fmt, request.accept_mimetypes)
    cached = http.unchanged(etag, _GEOJSON)
    if cached is not None:
        return cached
    if snapshot is not None:
        found = catalog_items.page(snapshot, query)
        texts, matched, last_key = found.features, found.matched, found.last_key
    else:
        page, matched = items.page_and_count(db.session, query, db.state().spatial)
        texts = [t.encode() for t in items.feature_texts(collection, page, query.crs)]
        last_key = page[-1]._key if page else None
    links = _item_links(query, len(texts), last_key)
    if fmt == "html":
        return render_template(
            "ogcapi/items.html",
            collection=collection,
            features=[json.loads(t) for t in texts],
            links=links,
            matched=matched,
            query=query,
        )
    head = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": len(texts),
        "links": links,
    }
    body = b'%s,"features":[%s]}' % (_ENCODE(head)[:-1].encode(), b",".join(texts))
    response = http.whole(body, _GEOJSON, etag, modified=_modified(collection))
    response.headers["Content-Crs"] = f"<{query.crs.uri}>"
    return response


def _modified(collection):
    return http.last_change() if collection.is_facility else None


def _item_links(query, returned: int, last_key) -> list[dict]:
    """self, alternate and next (keyset: after the last key of this page) links."""
    # The path is one of the collections' own (ASCII): no IRI decoding of the whole URL.
    base = f"{request.scheme}://{request.host}{request.root_path}{request.path}"
    args = {k: v for k, v in request.args.items() if k != "f"}
    same = f"{base}?{urlencode(args)}{'&' if args else ''}f="
    links = [
        {"href": same + "json", "rel": "self", "type": _GEOJSON},
        {"href": same + "html", "rel": "alternate", "type": "text/html"},
    ]
    if returned == query.limit:
        following = {k: v for k, v in args.items() if k not in ("offset", "after")}
        following["after"] = str(last_key)
        following["f"] = "json"
        links.append({"href": f"{base}?{urlencode(following)}", "rel": "next", "type": _GEOJSON})
    return links


@bp.get("/collections/<collection_id>/items/<feature_id>")
def collection_item(collection_id: str, feature_id: str):
    """One feature; deactivated sites too (marked by deleted_at) so links keep working."""
    collection = get_collection(collection_id)
    request_args.reject_unknown(request.args, request_args.COMMON)
    crs = request_args.parse_crs(request.args.get("crs"), "crs")
    fmt = request_args.output_format(request.args, _wants_html())
    key = _feature_key(collection, feature_id)
    query = items.ItemsQuery(collection, limit=1, crs=crs, include_deleted=True, ids=(key,))
    etag = http.request_etag(fmt, request.accept_mimetypes)
    cached = http.unchanged(etag, _GEOJSON)
    if cached is not None:
        return cached
    page = items.rows(db.session, query, db.state().spatial)
    if not page:
        raise NotFoundError(f"collection '{collection.id}' has no feature {feature_id!r}")
    text = items.feature_texts(collection, page, crs)[0]
    if fmt == "html":
        return render_template("ogcapi/item.html", collection=collection, feature=json.loads(text))
    feature = json.loads(text)
    items_url = url_for("ogcapi.collection_items", collection_id=collection.id, _external=True)
    feature["links"] = [
        {"href": request.base_url, "rel": "self", "type": _GEOJSON},
        {"href": items_url.rsplit("/", 1)[0], "rel": "collection", "type": "application/json"},
    ]
    response = http.whole(_ENCODE(feature).encode(), _GEOJSON, etag)
    response.headers["Content-Crs"] = f"<{crs.uri}>"
    return response


def _feature_key(collection, feature_id: str):
    """The key of a feature id in the one spelling its links use, so each feature has one
    URL (01, a fullwidth or Thai 1, th50 are no ids: str.isdigit takes any decimal digit)."""
    if not collection.is_facility:
        return feature_id
    if not _FACILITY_ID.fullmatch(feature_id) or int(feature_id) >= 2**31:
        raise NotFoundError(f"collection '{collection.id}' has no feature {feature_id!r}")
    return int(feature_id)
