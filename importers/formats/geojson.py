"""GeoJSON (and plain JSON lists of records) read with the standard library.

Properties become columns; a feature's top-level ``id`` becomes an ``id`` column when the
properties have none (it is the feature's identifier in its source). Point geometries give
the row's x, y; a one-point MultiPoint counts as a point; other geometry types are reported
on their row. The old-style ``crs`` member (``urn:ogc:def:crs:EPSG::32647``), which GDAL
still writes for projected data, is passed on as the file's CRS. A JSON array of flat objects
(an API dump) is read as a table without geometry.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection

import numpy as np

from importers.errors import ImportFormatError
from importers.formats.base import RawTable, Reader, cell_text, table_from_records
from importers.limits import WEB_LIMITS, Budget
from importers.report import ERROR, WARNING, Problem


class GeoJSONReader(Reader):
    name = "geojson"
    extensions = (".geojson", ".json")
    label = "GeoJSON"

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
        # Every JSON object or array opens with one of these bytes (or sits in a string, which
        # only overcounts): the parse is refused before it builds millions of them.
        budget.add_cells(data.count(b"{") + data.count(b"["))
        document = _load_json(data, file_name)
        problems: list[Problem] = []
        features, has_geometry = _features(document, file_name)
        if not features:
            raise ImportFormatError("has no features", file_name=file_name)

        columns: dict[str, None] = {}
        records: list[dict[str, object]] = []
        numbers: list[int] = []
        points: list[tuple[float, float]] = []
        for number, feature in enumerate(features, start=1):
            if isinstance(feature, dict):
                row = _row(feature, number, has_geometry, problems)
                if row is None:
                    continue  # a blank feature, dropped like a blank line
                record, point = row
            else:  # kept as an empty row, so the problem has a row to stand on
                problems.append(Problem(number, None, None, "is not a JSON object; skipped"))
                record, point = {}, (np.nan, np.nan)
            budget.add_rows()
            columns.update(dict.fromkeys(record))
            records.append(record)
            numbers.append(number)
            points.append(point)
        if not records:
            raise ImportFormatError("has no features", file_name=file_name)

        crs = _declared_crs(document, problems) if isinstance(document, dict) else None
        return table_from_records(
            records,
            list(columns),
            format=self.name,
            geometry=np.array(points, dtype=float).reshape(-1, 2) if has_geometry else None,
            crs=crs,
            problems=problems,
            row_numbers=numbers,
        )


def _row(feature: dict, number: int, has_geometry: bool, problems: list[Problem]):
    """A feature's properties as text and its point; None for a blank feature."""
    properties = feature.get("properties") if has_geometry else feature
    if not isinstance(properties, dict):
        properties = {}
    if not properties and feature.get("geometry") is None and "id" not in feature:
        return None
    record = {key: _value_text(value) for key, value in properties.items()}
    if has_geometry and "id" in feature and "id" not in record:
        record["id"] = _value_text(feature["id"])
    point = (np.nan, np.nan)
    if has_geometry:
        found, problem = _point(feature.get("geometry"), number)
        if problem is not None:
            problems.append(problem)
        elif found is not None:
            point = found
    return record, point


def _load_json(data: bytes, file_name: str) -> object:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start}); "
            "GeoJSON must be UTF-8",
            file_name=file_name,
        ) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ImportFormatError(
            "nests lists or objects too deeply to be GeoJSON", file_name=file_name
        ) from None
    except json.JSONDecodeError as exc:
        cut = exc.pos >= len(text.rstrip()) - 1
        hint = "; the file is cut off" if cut else ""
        raise ImportFormatError(
            f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}){hint}",
            file_name=file_name,
        ) from None


def _features(document: object, file_name: str) -> tuple[list, bool]:
    """The features, and whether they are GeoJSON features (True) or plain records."""
    if isinstance(document, dict):
        if document.get("type") == "Feature":
            return [document], True
        features = document.get("features")
        if isinstance(features, list):
            return features, True
        raise ImportFormatError(
            "is JSON but not GeoJSON: it has no 'features' list", file_name=file_name
        )
    if isinstance(document, list):
        if document and all(isinstance(f, dict) and f.get("type") == "Feature" for f in document):
            return document, True
        if all(isinstance(f, dict) for f in document):
            return document, False
    raise ImportFormatError(
        "is JSON but neither GeoJSON nor a list of records", file_name=file_name
    )


def _value_text(value: object) -> str | None:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return cell_text(value)


def _point(geometry: object, number: int) -> tuple[tuple[float, float] | None, Problem | None]:
    if geometry is None:
        return None, None
    if not isinstance(geometry, dict):
        return None, Problem(number, "geometry", str(geometry), "is not a GeoJSON geometry")
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "MultiPoint" and isinstance(coordinates, list) and len(coordinates) == 1:
        kind, coordinates = "Point", coordinates[0]
    if kind != "Point":
        return None, Problem(
            number, "geometry", str(kind), "is not a point; a facility needs one point", ERROR
        )
    if coordinates in (None, []):
        return None, None
    try:
        x, y = float(coordinates[0]), float(coordinates[1])
    except (TypeError, ValueError, IndexError):
        return None, Problem(
            number, "geometry", json.dumps(coordinates), "is not a pair of numbers", ERROR
        )
    if not (math.isfinite(x) and math.isfinite(y)):
        return None, Problem(number, "geometry", json.dumps(coordinates), "is not finite", ERROR)
    return (x, y), None


def _declared_crs(document: dict, problems: list[Problem]) -> str | None:
    crs = document.get("crs")
    if not isinstance(crs, dict):
        return None
    properties = crs.get("properties") or {}
    if crs.get("type") == "name" and isinstance(properties.get("name"), str):
        return properties["name"]
    problems.append(
        Problem(
            None,
            None,
            json.dumps(crs)[:80],
            "is a 'crs' member this reader does not follow; coordinates are read as degrees "
            "unless they look like UTM metres",
            WARNING,
        )
    )
    return None
