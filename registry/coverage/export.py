"""Coverage answers as JSON, GeoJSON, CSV and XLSX: one set of columns for every format.

Every format says whether the population is measured or modelled: JSON and GeoJSON in their
``layer`` member, CSV and XLSX in a ``population_kind`` column on every row (a file copied
into a GIS keeps the label with the numbers), XLSX also on an "about" sheet.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from shapely.geometry import mapping

from registry.coverage.population import LEVEL_NAMES
from registry.coverage.service import CoverageAnswer
from registry.coverage.suggestions import SuggestionAnswer
from registry.spreadsheets import Workbook, csv_bytes

FORMATS = ("json", "geojson", "csv", "xlsx")
MEDIA_TYPES = {
    "json": "application/json",
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_BASE_COLUMNS = (
    "code",
    "name_th",
    "name_en",
    "population",
    "covered",
    "uncovered",
    "share_covered",
    "median_m",
    "p90_m",
)
_CAPACITY_COLUMNS = ("facilities_serving", "beds_allocated", "beds_per_10k")


def area_columns(answer: CoverageAnswer) -> list[str]:
    columns = list(_BASE_COLUMNS)
    if answer.query.by_time:
        columns[-2:] = ["median_min", "p90_min"]
    for group in answer.layer.group_columns:
        columns += [f"{group}_{part}" for part in ("population", "covered", "uncovered")]
        columns.append(f"{group}_share_covered")
    if answer.query.capacity:
        columns += _CAPACITY_COLUMNS
    return columns


def _plain(name: str, value: Any) -> Any:
    """A JSON-ready value: NaN and infinity become None, shares and metres are rounded."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if "share" in name:
            return round(value, 6)
        return round(value, 1)
    return value


def area_records(answer: CoverageAnswer) -> list[dict[str, Any]]:
    """One dict per area, values as :func:`_plain` makes them, built column by column."""
    columns = area_columns(answer)
    values = []
    for name in columns:
        column = answer.areas[name].to_numpy()
        if column.dtype.kind == "f":
            digits = 6 if "share" in name else 1
            values.append([round(v, digits) if math.isfinite(v) else None for v in column.tolist()])
        else:
            values.append(column.tolist())
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def query_dict(answer: CoverageAnswer | SuggestionAnswer) -> dict[str, Any]:
    query = answer.query
    return {
        "types": list(query.types),
        "threshold_km": query.threshold_m / 1000,
        "level": LEVEL_NAMES[query.level],
        "province": query.province,
        "layer": answer.layer.name,
        "open_now": query.open_now,
        "confirmed_only": query.confirmed_only,
        "walk_in": query.walk_in,
        "vaccine_brand": query.vaccine_brand,
        "dose": query.dose,
        "age_group": query.age_group,
        "test_method": query.test_method,
    } | (
        {"threshold_km": None, "threshold_min": query.threshold_min, "profile": query.profile}
        if query.by_time
        else {}
    )


_BY_DISTANCE = (
    "WGS 84 geodesic distance from each population unit to its nearest eligible "
    "facility; a unit exactly at the threshold is covered"
)
_BY_TIME = (
    "travel time by road with the profile: a straight walk (5 km/h unless configured) "
    "from the unit to the nearest node of a usable road, the fastest path on the road "
    "network (Dijkstra, one multi-source pass from every eligible site), and the walk "
    "from the network to the site; a unit exactly at the threshold is covered; units "
    "no road layer reaches are left out and counted in outside_roads_population"
)


def _header(answer: CoverageAnswer | SuggestionAnswer) -> dict[str, Any]:
    """What every format says about the answer: the question, layer, data and method."""
    header = {
        "query": query_dict(answer),
        "layer": answer.layer.as_dict(),
        "data_version": answer.facilities.data_version,
        "facilities": len(answer.facilities),
        "method": _BY_TIME if answer.query.by_time else _BY_DISTANCE,
    }
    if answer.query.by_time:
        roads = answer.roads if answer.roads is not None else []
        header["roads"] = roads
        header["attribution"] = "; ".join(dict.fromkeys(r["attribution"] for r in roads))
    return header


def coverage_json(answer: CoverageAnswer) -> dict[str, Any]:
    body = _header(answer)
    body["totals"] = {name: _plain(name, value) for name, value in answer.totals.items()}
    body["items"] = area_records(answer)
    if answer.load is not None:
        body["capacity"] = {
            "facilities_without_beds": answer.facilities_without_beds,
            "facilities": [
                {name: _plain(name, value) for name, value in row.items()}
                for row in answer.load.to_dict("records")
            ],
        }
    return body


def coverage_geojson(answer: CoverageAnswer, geometry: dict[str, Any]) -> dict[str, Any]:
    body = {"type": "FeatureCollection", **_header(answer)}
    body["totals"] = {name: _plain(name, value) for name, value in answer.totals.items()}
    features = []
    for record in area_records(answer):
        shape = geometry.get(record["code"])
        properties = {**record, **_layer_columns(answer.layer)}
        features.append(
            {
                "type": "Feature",
                "id": record["code"],
                "geometry": mapping(shape) if shape is not None else None,
                "properties": properties,
            }
        )
    body["features"] = features
    return body


def _table_rows(answer: CoverageAnswer) -> tuple[list[str], list[list[Any]]]:
    columns = area_columns(answer)
    about = _layer_columns(answer.layer)
    header = [*columns, "layer", *about]
    tail = [answer.layer.name, *about.values()]
    if answer.query.by_time:
        # A file copied into a GIS keeps the roads' attribution (ODbL) with the numbers.
        header.append("roads_attribution")
        tail.append(_header(answer)["attribution"])
    rows = [[*(record[c] for c in columns), *tail] for record in area_records(answer)]
    return header, rows


def _layer_columns(layer) -> dict[str, Any]:
    """What every row of a file says about its people: kind, what is measured and placed,
    the year and the source (a row copied out of the file still carries them)."""
    return {
        "population_kind": layer.kind,
        "population_measure": layer.measure,
        "population_year": layer.year,
        "population_source": layer.source,
    }


def coverage_csv(answer: CoverageAnswer) -> bytes:
    return csv_bytes(*_table_rows(answer))


def coverage_xlsx(answer: CoverageAnswer) -> bytes:
    book = Workbook()
    sheet = book.sheet("coverage")
    header, rows = _table_rows(answer)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    about = book.sheet("about")
    info = _header(answer)
    layer = info.pop("layer")
    query = info.pop("query")
    about.append(["population", f"{layer['title']} ({layer['measure']})"])
    for name, value in layer.items():
        about.append([f"layer {name}", _cell(value)])
    for name, value in query.items():
        about.append([f"query {name}", _cell(value)])
    for name, value in info.items():
        about.append([name, _cell(value)])
    for name, value in answer.totals.items():
        about.append([f"total {name}", _cell(_plain(name, value))])
    return book.to_bytes()


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return value


# -- suggestions ------------------------------------------------------------------------------

_PICK_COLUMNS = (
    "rank",
    "candidate_id",
    "name_th",
    "name_en",
    "area_code",
    "lon",
    "lat",
    "gain",
    "covered",
    "share_covered",
)


def pick_records(answer: SuggestionAnswer) -> list[dict[str, Any]]:
    picks = answer.picks
    records = []
    for row in picks[list(_PICK_COLUMNS)].itertuples(index=False, name=None):
        record = dict(zip(_PICK_COLUMNS, row, strict=True))
        record = {
            name: (round(float(v), 7) if name in ("lon", "lat") else _plain(name, v))
            for name, v in record.items()
        }
        records.append(record)
    return records


def suggestions_json(answer: SuggestionAnswer) -> dict[str, Any]:
    body = _header(answer)
    body.update(
        {
            "k": answer.k,
            "candidates": answer.candidates,
            "candidate_count": answer.candidate_count,
            "total_population": answer.total,
            "covered_before": answer.covered_before,
            "covered_after": answer.covered_after,
            "share_before": _plain("share", answer.share_before),
            "share_after": _plain("share", answer.share_after),
            "picks": pick_records(answer),
        }
    )
    return body


def suggestions_geojson(answer: SuggestionAnswer) -> dict[str, Any]:
    body = suggestions_json(answer)
    picks = body.pop("picks")
    body["type"] = "FeatureCollection"
    body["features"] = [
        {
            "type": "Feature",
            "id": pick["candidate_id"],
            "geometry": {"type": "Point", "coordinates": [pick["lon"], pick["lat"]]},
            "properties": {**pick, **_layer_columns(answer.layer)},
        }
        for pick in picks
    ]
    return body


def suggestions_csv(answer: SuggestionAnswer) -> bytes:
    about = _layer_columns(answer.layer)
    header = [*_PICK_COLUMNS, "layer", *about]
    rows = [
        [*(record[c] for c in _PICK_COLUMNS), answer.layer.name, *about.values()]
        for record in pick_records(answer)
    ]
    return csv_bytes(header, rows)


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {name: _plain(name, value) for name, value in row.items()}
        for row in frame.to_dict("records")
    ]
