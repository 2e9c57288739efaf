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

from importers import file_rules
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
            raise ImportFormatError(file_rules.NO_FEATURES(), file_name=file_name)

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
                problems.append(Problem(number, None, None, file_rules.NOT_AN_OBJECT()))
                record, point = {}, (np.nan, np.nan)
            budget.add_rows()
            columns.update(dict.fromkeys(record))
            records.append(record)
            numbers.append(number)
            points.append(point)
        if not records:
            raise ImportFormatError(file_rules.NO_FEATURES(), file_name=file_name)

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
            file_rules.JSON_NOT_UTF8(byte=f"0x{data[exc.start]:02x}", position=exc.start),
            file_name=file_name,
        ) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ImportFormatError(file_rules.JSON_TOO_DEEP(), file_name=file_name) from None
    except json.JSONDecodeError as exc:
        cut = exc.pos >= len(text.rstrip()) - 1
        rule = file_rules.JSON_CUT if cut else file_rules.JSON_INVALID
        raise ImportFormatError(
            rule(why=exc.msg, line=exc.lineno, column=exc.colno), file_name=file_name
        ) from None


def _features(document: object, file_name: str) -> tuple[list, bool]:
    """The features, and whether they are GeoJSON features (True) or plain records."""
    if isinstance(document, dict):
        if document.get("type") == "Feature":
            return [document], True
        features = document.get("features")
        if isinstance(features, list):
            return features, True
        raise ImportFormatError(file_rules.NO_FEATURES_LIST(), file_name=file_name)
    if isinstance(document, list):
        if document and all(isinstance(f, dict) and f.get("type") == "Feature" for f in document):
            return document, True
        if all(isinstance(f, dict) for f in document):
            return document, False
    raise ImportFormatError(file_rules.NOT_GEOJSON(), file_name=file_name)


def _value_text(value: object) -> str | None:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return cell_text(value)


def _point(geometry: object, number: int) -> tuple[tuple[float, float] | None, Problem | None]:
    if geometry is None:
        return None, None
    if not isinstance(geometry, dict):
        return None, Problem(number, "geometry", str(geometry), file_rules.NOT_A_GEOMETRY())
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "MultiPoint" and isinstance(coordinates, list) and len(coordinates) == 1:
        kind, coordinates = "Point", coordinates[0]
    if kind != "Point":
        return None, Problem(number, "geometry", str(kind), file_rules.NOT_A_POINT(), ERROR)
    if coordinates in (None, []):
        return None, None
    try:
        x, y = float(coordinates[0]), float(coordinates[1])
    except (TypeError, ValueError, IndexError):
        return None, Problem(
            number, "geometry", json.dumps(coordinates), file_rules.NOT_A_NUMBER_PAIR(), ERROR
        )
    if not (math.isfinite(x) and math.isfinite(y)):
        return None, Problem(
            number, "geometry", json.dumps(coordinates), file_rules.NOT_FINITE(), ERROR
        )
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
            file_rules.CRS_MEMBER_IGNORED(),
            WARNING,
        )
    )
    return None
