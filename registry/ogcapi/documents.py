"""The JSON documents of the OGC API: landing page, conformance, collections, queryables.

Built from the collection declarations and a base URL only, so they never drift from what
the items endpoint does.
"""

from __future__ import annotations

from typing import Any

from registry.ogcapi.collections import COLLECTIONS, Collection
from registry.ogcapi.crs import CRS84, SUPPORTED

# Thailand with its islands, in lon/lat.
THAILAND_BBOX = [97.343396, 5.613037, 105.636812, 20.465143]
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
LICENCE = (
    "Open data of the Thai facility registry. Facility records: the registry's contributors "
    "and their sources (MOPH facility lists, provincial sheets, volunteers), Apache-2.0 where "
    "bundled; boundaries: HDX COD-AB Thailand (Royal Thai Survey Department 2019), CC BY-IGO."
)

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
]


def _link(href: str, rel: str, media: str, title: str | None = None) -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": media}
    if title:
        link["title"] = title
    return link


def landing(base: str) -> dict[str, Any]:
    return {
        "title": "Thai COVID-19 facility registry - OGC API Features",
        "description": "Test points, vaccination sites, hospitals, field hospitals and waiting "
        "centres of Thailand, and the provinces, districts and subdistricts, as layers for "
        "QGIS, GDAL and other systems.",
        "links": [
            _link(f"{base}?f=json", "self", "application/json", "This document"),
            _link(f"{base}?f=html", "alternate", "text/html", "This document as HTML"),
            _link(f"{base}/api", "service-desc", "application/vnd.oai.openapi+json;version=3.0"),
            _link(f"{base}/api?f=html", "service-doc", "text/html", "API reference"),
            _link(f"{base}/conformance", "conformance", "application/json"),
            _link(f"{base}/collections", "data", "application/json", "Collections"),
            _link(
                f"{base}/collections",
                "http://www.opengis.net/def/rel/ogc/1.0/data",
                "application/json",
            ),
        ],
    }


def conformance() -> dict[str, Any]:
    return {"conformsTo": CONFORMANCE}


def collection(base: str, item: Collection) -> dict[str, Any]:
    url = f"{base}/collections/{item.id}"
    body: dict[str, Any] = {
        "id": item.id,
        "title": f"{item.title_en} / {item.title_th}",
        "description": item.description,
        "itemType": "feature",
        "extent": {"spatial": {"bbox": [THAILAND_BBOX], "crs": CRS84}},
        "crs": list(SUPPORTED),
        "storageCrs": CRS84,
        "links": [
            _link(url, "self", "application/json"),
            _link(f"{url}?f=html", "alternate", "text/html"),
            _link(f"{url}/items", "items", "application/geo+json", "Features as GeoJSON"),
            _link(f"{url}/items?f=html", "items", "text/html", "Features as HTML"),
            _link(
                f"{url}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
            ),
            _link(f"{url}/schema", "describedby", "application/schema+json", "Feature schema"),
            _link(f"{url}/schema", "describedBy", "application/schema+json"),
            _link(LICENCE_URL, "license", "text/html", LICENCE),
        ],
    }
    if item.temporal is not None:
        body["extent"]["temporal"] = {
            "interval": [[None, None]],
            "trs": "http://www.opengis.net/def/uri/ISO-8601/0/Gregorian",
        }
    return body


LICENCE_URL = "https://www.apache.org/licenses/LICENSE-2.0"


def collections(base: str) -> dict[str, Any]:
    return {
        "links": [_link(f"{base}/collections", "self", "application/json")],
        "collections": [collection(base, c) for c in COLLECTIONS.values()],
        "crs": list(SUPPORTED),
    }


def queryables(base: str, item: Collection) -> dict[str, Any]:
    """The properties a filter may name (Part 3)."""
    return _schema(base, item, "queryables", [p for p in item.properties if p.queryable])


def schema(base: str, item: Collection) -> dict[str, Any]:
    """JSON Schema of one GeoJSON feature with every property, so clients know the layer's
    fields and their types before the first page (GDAL's describedBy)."""
    fields = _schema(base, item, "schema", list(item.properties))
    fields["properties"].pop("geometry")
    id_type = "integer" if item.is_facility else "string"
    return {
        "$schema": fields.pop("$schema"),
        "$id": fields.pop("$id"),
        "title": fields.pop("title"),
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": id_type},
            "geometry": {"$ref": f"https://geojson.org/schema/{item.geometry_type}.json"},
            "properties": fields,
        },
    }


def _schema(base: str, item: Collection, name: str, chosen: list) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "geometry": {
            "$ref": f"https://geojson.org/schema/{item.geometry_type}.json",
            "x-ogc-role": "primary-geometry",
        }
    }
    properties.update({p.name: p.schema() for p in chosen})
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": f"{base}/collections/{item.id}/{name}",
        "type": "object",
        "title": item.title_en,
        "properties": properties,
        "additionalProperties": name == "schema",
    }
