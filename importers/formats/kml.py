"""KML (Google My Maps, Google Earth exports) parsed with the standard library.

Each Placemark is a row: ``name``, ``description``, ``address`` and ``phoneNumber`` elements
and every ``ExtendedData`` value (``Data`` and ``SchemaData``) become columns; the first Point
gives x, y (KML is always WGS 84 longitude, latitude). Placemarks in nested Folders are read
too. Namespaces are ignored, so KML 2.0, 2.2 and Google's extensions all read the same.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Collection

import numpy as np

from importers.errors import ImportFormatError
from importers.formats.base import RawTable, Reader, table_from_records
from importers.report import ERROR, Problem

_SIMPLE_ELEMENTS = {"name": "name", "description": "description", "address": "address"}
_SIMPLE_ELEMENTS["phoneNumber"] = "phone"
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


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
    ) -> RawTable:
        if _DOCTYPE.search(data[:4096]):
            # KML never needs a DTD; refusing one rules out entity-expansion attacks.
            raise ImportFormatError(
                "declares a DTD or entities, which KML does not use", file_name=file_name
            )
        try:
            root = ET.fromstring(data)
        except ET.ParseError as exc:
            line, column = exc.position
            raise ImportFormatError(
                f"is not valid XML (line {line}, column {column}); the file may be cut off",
                file_name=file_name,
            ) from None
        if _local(root.tag) != "kml":
            raise ImportFormatError(
                f"is XML but not KML (its root element is <{_local(root.tag)}>)",
                file_name=file_name,
            )
        placemarks = [e for e in root.iter() if _local(e.tag) == "Placemark"]
        if not placemarks:
            raise ImportFormatError("has no Placemarks", file_name=file_name)

        columns: dict[str, None] = {}
        records: list[dict[str, object]] = []
        problems: list[Problem] = []
        xy = np.full((len(placemarks), 2), np.nan)
        for number, placemark in enumerate(placemarks, start=1):
            record = _properties(placemark)
            columns.update(dict.fromkeys(record))
            records.append(record)
            point, problem = _point(placemark, number)
            if problem is not None:
                problems.append(problem)
            elif point is not None:
                xy[number - 1] = point
        return table_from_records(
            records,
            list(columns),
            format=self.name,
            geometry=xy,
            crs="EPSG:4326",
            problems=problems,
        )


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
            return None, Problem(
                number, "geometry", kind, "is not a point; a facility needs one point", ERROR
            )
        return None, None
    coordinates = next((c for c in points[0].iter() if _local(c.tag) == "coordinates"), None)
    text = _text(coordinates)
    if text is None:
        return None, None
    first = text.split()[0]
    try:
        x, y = (float(v) for v in first.split(",")[:2])
    except ValueError:
        return None, Problem(
            number, "geometry", text, "is not 'longitude,latitude' coordinates", ERROR
        )
    return (x, y), None
