"""QGIS adding the registry's OGC API as layers, run by Debian's Python (``python3-qgis``).

    /usr/bin/python3 tests/registry/qgis_client.py http://127.0.0.1:PORT LAYER [LAYER ...]

Not a test module: PyQGIS lives in Debian's own Python, not in the project's venv, so
test_ogcapi_clients.py runs this file in that interpreter and reads the one JSON object it
prints. Each layer is added the way QGIS's "Add WFS / OGC API - Features layer" dialog does
(provider ``OAPIF``, the landing page's URL and the collection id); for each, what QGIS made of
it: validity, feature count, fields and their types, CRS, the features read whole, and the
features in a rectangle asked through the provider (QGIS sends it to the server as ``bbox``).
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # headless: no display here

from qgis.core import (
    QgsApplication,
    QgsFeatureRequest,
    QgsRectangle,
    QgsVectorLayer,
)

# Around Bangkok: a rectangle with sites in and out of it.
RECTANGLE = (100.3, 13.6, 100.7, 14.0)


def _within(point) -> bool:
    west, south, east, north = RECTANGLE
    return west <= point.x() <= east and south <= point.y() <= north


def _layer(url: str, name: str, view_only: bool = False) -> QgsVectorLayer:
    uri = f"url='{url}/api/ogc' typename='{name}' pageSize='1000'"
    if view_only:  # the dialog's "Only request features overlapping the view extent"
        uri += " restrictToRequestBBOX='1'"
    return QgsVectorLayer(uri, name, "OAPIF")


def describe(url: str, name: str) -> dict:
    # A map view, on a layer of its own that asks only for what is in view: a layer that has
    # read everything answers later rectangles from its local cache without asking the server.
    view = _layer(url, name, view_only=True)
    if not view.isValid():
        return {"valid": False, "error": view.error().summary()}
    request = QgsFeatureRequest().setFilterRect(QgsRectangle(*RECTANGLE))
    inside = sum(1 for _ in view.getFeatures(request))
    layer = _layer(url, name)
    features = list(layer.getFeatures())
    names = layer.fields().names()
    return {
        "valid": True,
        "count": layer.featureCount(),
        "read": len(features),
        "with_geometry": sum(1 for f in features if f.hasGeometry()),
        "fields": {field.name(): field.typeName() for field in layer.fields()},
        "crs": layer.crs().authid(),
        "wkb_type": layer.wkbType(),
        "names": sorted({str(f.attribute("name_th")) for f in features})
        if "name_th" in names
        else [],
        "in_rectangle": inside,
        # The same rectangle applied here to the features read whole: what the server's bbox
        # answer must equal.
        "in_rectangle_by_hand": sum(
            1 for f in features if f.hasGeometry() and _within(f.geometry().asPoint())
        )
        if layer.wkbType() == 1  # Point
        else None,
    }


def main() -> None:
    url, names = sys.argv[1], sys.argv[2:]
    application = QgsApplication([], False)
    application.initQgis()
    try:
        print(json.dumps({name: describe(url, name) for name in names}, ensure_ascii=False))
    finally:
        application.exitQgis()


if __name__ == "__main__":
    main()
