"""KML (Google My Maps, Google Earth exports), parsed as a stream by a hardened XML parser.

Each Placemark is a row: ``name``, ``description``, ``address`` and ``phoneNumber`` elements
and every ``ExtendedData`` value (``Data`` and ``SchemaData``) become columns; the first Point
gives x, y (KML is always WGS 84 longitude, latitude). Placemarks in nested Folders are read
too. Namespaces are ignored, so KML 2.0, 2.2 and Google's extensions all read the same.

The parser is defusedxml's: a document declaring a DTD or entities is refused wherever the
declaration sits and whatever the encoding (UTF-16, after a long comment), since KML never
needs one. Each Placemark is read when it closes and then dropped from the tree, and every
element counts on the import's budget, so a file of millions of elements stops at the limit
instead of growing a tree in memory.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Collection

import defusedxml
import numpy as np
from defusedxml.ElementTree import iterparse

from importers import file_rules
from importers.errors import ImportFormatError
from importers.formats.base import RawTable, Reader, table_from_records
from importers.limits import WEB_LIMITS, Budget
from importers.report import ERROR, Problem

_SIMPLE_ELEMENTS = {"name": "name", "description": "description", "address": "address"}
_SIMPLE_ELEMENTS["phoneNumber"] = "phone"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


class KMLReader(Reader):
    name = "kml"
    extensions = (".kml",)
    label = "KML"

    def read_bytes(
        self,
        data: bytes,
        file_name: str,
        *,
        sheet: str | None = None,
        extra_headers: Collection[str] = (),
        budget: Budget | None = None,
    ) -> RawTable:
        budget = budget or Budget(WEB_LIMITS, file_name)
        budget.add_bytes(len(data))
        columns: dict[str, None] = {}
        records: list[dict[str, object]] = []
        problems: list[Problem] = []
        points: list[tuple[float, float]] = []
        for number, placemark in enumerate(_placemarks(data, file_name, budget), start=1):
            budget.add_rows()
            record = _properties(placemark)
            columns.update(dict.fromkeys(record))
            records.append(record)
            point, problem = _point(placemark, number)
            if problem is not None:
                problems.append(problem)
            points.append((np.nan, np.nan) if point is None else point)
        if not records:
            raise ImportFormatError(file_rules.NO_PLACEMARKS(), file_name=file_name)
        return table_from_records(
            records,
            list(columns),
            format=self.name,
            geometry=np.array(points, dtype=float).reshape(-1, 2),
            crs="EPSG:4326",
            problems=problems,
        )


def _placemarks(data: bytes, file_name: str, budget: Budget):
    """Yield each Placemark once it is complete, then drop it (and anything else done with)."""
    open_elements: list[ET.Element] = []
    inside = 0  # Placemarks open around the current element
    try:
        for event, element in iterparse(io.BytesIO(data), ("start", "end"), forbid_dtd=True):
            tag = _local(element.tag)
            if event == "start":
                budget.add_cells(1)
                if not open_elements and tag != "kml":
                    raise ImportFormatError(file_rules.NOT_KML(tag=tag), file_name=file_name)
                open_elements.append(element)
                inside += tag == "Placemark"
                continue
            open_elements.pop()
            if tag == "Placemark":
                inside -= 1
                if not inside:
                    yield element
            if not inside and open_elements:
                # Finished, and no Placemark needs it: out of the tree (it is the last child).
                parent = open_elements[-1]
                if len(parent) and parent[-1] is element:
                    del parent[-1]
    except (defusedxml.DTDForbidden, defusedxml.EntitiesForbidden):
        # KML never needs a DTD; refusing one rules out entity-expansion attacks.
        raise ImportFormatError(file_rules.KML_DTD(), file_name=file_name) from None
    except defusedxml.ExternalReferenceForbidden:
        raise ImportFormatError(file_rules.KML_EXTERNAL(), file_name=file_name) from None
    except ET.ParseError as exc:
        line, column = exc.position
        raise ImportFormatError(
            file_rules.XML_INVALID(line=line, column=column), file_name=file_name
        ) from None


def _properties(placemark: ET.Element) -> dict[str, object]:
    record: dict[str, object] = {}
    for child in placemark:
        column = _SIMPLE_ELEMENTS.get(_local(child.tag))
        if column is not None:
            record[column] = _text(child)
    for element in placemark.iter():
        tag = _local(element.tag)
        if tag == "Data" and element.get("name"):
            value = next((c for c in element if _local(c.tag) == "value"), None)
            record[element.get("name")] = _text(value)
        elif tag == "SimpleData" and element.get("name"):
            record[element.get("name")] = _text(element)
    return record


def _point(placemark: ET.Element, number: int) -> tuple[tuple[float, float] | None, Problem | None]:
    geometries = [
        e
        for e in placemark.iter()
        if _local(e.tag) in ("Point", "LineString", "Polygon", "LinearRing", "Track")
    ]
    points = [g for g in geometries if _local(g.tag) == "Point"]
    if not points:
        if geometries:
            kind = _local(geometries[0].tag)
            return None, Problem(number, "geometry", kind, file_rules.NOT_A_POINT(), ERROR)
        return None, None
    coordinates = next((c for c in points[0].iter() if _local(c.tag) == "coordinates"), None)
    text = _text(coordinates)
    if text is None:
        return None, None
    first = text.split()[0]
    try:
        x, y = (float(v) for v in first.split(",")[:2])
    except ValueError:
        return None, Problem(number, "geometry", text, file_rules.NOT_LON_LAT(), ERROR)
    return (x, y), None
