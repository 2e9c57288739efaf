"""Whole-list downloads of facilities: GeoPackage, CSV, XLSX, GeoJSON and zipped Shapefile.

The rows are read from the database in chunks (a server-side cursor on PostGIS) and each
chunk is written to the file before the next is read, so 150,000 sites never sit in memory
at once, let alone twice. Every file says where its data came from and under which licence:
GeoPackage and GeoJSON in their metadata, XLSX on an "about" sheet, the Shapefile zip in a
LICENCE.txt, CSV in an ``attribution`` column of its first row (CSV has no place for a note
that readers keep).

Columns: the id, type, names, address, the areas by P-code (TH50), DOPA code (50) and name,
contact, status and its confirmation, source and MOPH hcode, every type's own fields (lists
joined with "; "), times and the coordinates. Headers in English or Thai; Shapefile field
names stay short ASCII (DBF allows 10 bytes: three Thai letters).
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Text, cast, func, select, type_coerce
from sqlalchemy.orm import Session

from importers.vocabulary import (
    ALL_TYPE_FIELD_NAMES,
    COMMON_FIELD_LABELS,
    FIELD_LABELS,
    STATUS_LABELS,
    TYPE_FIELDS,
    TYPE_LABELS,
)
from registry.i18n import BANGKOK
from registry.models import Area, Facility
from registry.spreadsheets import CsvWriter, Workbook

FORMATS = ("gpkg", "csv", "xlsx", "geojson", "shp")
MEDIA_TYPES = {
    "gpkg": "application/geopackage+sqlite3",
    "csv": "text/csv",  # served as UTF-8 (with a BOM, for Excel)
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
    "shp": "application/zip",
}
EXTENSIONS = {"gpkg": "gpkg", "csv": "csv", "xlsx": "xlsx", "geojson": "geojson", "shp": "shp.zip"}
HEADER_LANGUAGES = ("en", "th")
CHUNK = 5_000
ATTRIBUTION = (
    "Thai COVID-19 facility registry (open data). Facility records: the registry's officials "
    "and their sources (Ministry of Public Health facility lists, provincial lists, "
    "volunteers); boundaries and P-codes: HDX COD-AB Thailand, Royal Thai Survey Department "
    "2019 (CC BY-IGO); DOPA codes: Department of Provincial Administration. Licence: Apache-2.0 "
    "for the bundled sources; cite the registry and the sources above."
)
_LIST_FIELDS = {s.name for specs in TYPE_FIELDS.values() for s in specs if s.kind == "list"}
_INT_FIELDS = {s.name for specs in TYPE_FIELDS.values() for s in specs if s.kind == "int"}
_BOOL_FIELDS = {s.name for specs in TYPE_FIELDS.values() for s in specs if s.kind == "bool"}


@dataclass(frozen=True)
class Column:
    name: str
    thai: str
    short: str  # Shapefile (DBF) field name, at most 10 ASCII characters
    kind: str = "text"  # text, int, bool, float, datetime


def _type_column(name: str) -> Column:
    thai = FIELD_LABELS[name][0]
    short = {
        "test_methods": "test_meth",
        "daily_capacity": "daily_cap",
        "vaccine_brands": "vaccines",
        "age_groups": "age_groups",
        "appointment": "appointmnt",
        "covid_beds_total": "covid_beds",
        "covid_beds_occupied": "covid_occ",
        "beds_green_total": "green_tot",
        "beds_green_available": "green_free",
        "beds_yellow_total": "yellow_tot",
        "beds_yellow_available": "yellow_fre",
        "beds_red_total": "red_tot",
        "beds_red_available": "red_free",
        "admission_rules": "admission",
    }.get(name, name[:10])
    kind = "int" if name in _INT_FIELDS else "bool" if name in _BOOL_FIELDS else "text"
    return Column(name, thai, short, kind)


def _area_columns(level: str, thai: str) -> list[Column]:
    prefix = level[:4] if level != "subdistrict" else "subd"
    return [
        Column(f"{level}_code", f"รหัส{thai} (P-code)", f"{prefix}_pcode"),
        Column(f"{level}_dopa", f"รหัส{thai} (มท.)", f"{prefix}_dopa"),
        Column(f"{level}_name_th", f"{thai}", f"{prefix}_th"),
        Column(f"{level}_name_en", f"{thai} (อังกฤษ)", f"{prefix}_en"),
    ]


COLUMNS: tuple[Column, ...] = (
    Column("id", "รหัสในระบบ", "id", "int"),
    Column("type", "ประเภท (รหัส)", "type"),
    Column("type_name", "ประเภท", "type_name"),
    Column("name_th", COMMON_FIELD_LABELS["name_th"][0], "name_th"),
    Column("name_en", COMMON_FIELD_LABELS["name_en"][0], "name_en"),
    Column("address", COMMON_FIELD_LABELS["address"][0], "address"),
    *_area_columns("province", "จังหวัด"),
    *_area_columns("district", "อำเภอ"),
    *_area_columns("subdistrict", "ตำบล"),
    Column("phone", COMMON_FIELD_LABELS["phone"][0], "phone"),
    Column("opening_hours", COMMON_FIELD_LABELS["opening_hours"][0], "hours"),
    Column("status", "สถานะ (รหัส)", "status"),
    Column("status_name", COMMON_FIELD_LABELS["status"][0], "status_nm"),
    Column(
        "status_confirmed_at", COMMON_FIELD_LABELS["status_confirmed_at"][0], "conf_at", "datetime"
    ),
    Column("status_confirmed_by", COMMON_FIELD_LABELS["status_confirmed_by"][0], "conf_by"),
    Column("source", COMMON_FIELD_LABELS["source"][0], "source"),
    Column("source_id", COMMON_FIELD_LABELS["source_id"][0], "source_id"),
    Column("hcode", COMMON_FIELD_LABELS["hcode"][0], "hcode"),
    *(_type_column(name) for name in ALL_TYPE_FIELD_NAMES),
    Column("version", "ฉบับที่", "version", "int"),
    Column("created_at", "สร้างเมื่อ", "created_at", "datetime"),
    Column("updated_at", "แก้ไขล่าสุด", "updated_at", "datetime"),
    Column("lon", COMMON_FIELD_LABELS["lon"][0], "lon", "float"),
    Column("lat", COMMON_FIELD_LABELS["lat"][0], "lat", "float"),
)


def header(column: Column, language: str) -> str:
    return column.thai if language == "th" else column.name


_COMMON = (
    "id", "type", "name_th", "name_en", "address", "phone", "opening_hours", "status",
    "status_confirmed_at", "status_confirmed_by", "source", "source_id", "hcode", "version",
    "created_at", "updated_at", "province_code", "district_code", "subdistrict_code",
)  # fmt: skip
_TIMES = {c.name for c in COLUMNS if c.kind == "datetime"}


def _column(name: str) -> ColumnElement:
    column = Facility.__table__.c[name]
    if name in _LIST_FIELDS:
        # The stored JSON text, decoded once per distinct value (they are few) in _columns.
        return cast(column, Text).label(name)
    if name in _TIMES:
        # Without UTCDateTime's per-value call: _utc applies its rule once per distinct value.
        return type_coerce(column, DateTime(timezone=True)).label(name)
    return column


def _statement(conditions: list[ColumnElement[bool]]):
    columns = [_column(name) for name in (*_COMMON, *ALL_TYPE_FIELD_NAMES)]
    columns += [func.ST_X(Facility.geom).label("lon"), func.ST_Y(Facility.geom).label("lat")]
    return select(*columns).where(*conditions).order_by(Facility.id)


def _area_names(session: Session) -> tuple[dict[str, str], dict[str, str]]:
    """Thai and English names by area code: 8,430 rows read once, instead of three joins
    that sent the same few names again with every site."""
    rows = session.connection().execute(select(Area.code, Area.name_th, Area.name_en)).all()
    return {c: th for c, th, _ in rows}, {c: en for c, _, en in rows}


def _utc(value: datetime | None) -> datetime | None:
    # models.UTCDateTime's rule: SQLite gives naive UTC wall times.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _joined(text: str | None) -> str | None:
    values = None if text is None else json.loads(text)
    return None if values is None else "; ".join(map(str, values))


def _columns(names: list[str], rows: list, language: str, areas: tuple) -> dict[str, list]:
    """One chunk of rows as plain values by column name (lists joined, labels added).

    Column by column, each conversion once per distinct value: most columns hold few (types,
    statuses, codes, the time of one import), and a row-by-row dictionary cost more than
    reading the row.
    """
    data = dict(zip(names, map(list, zip(*rows, strict=True)), strict=True))
    pick = 0 if language == "th" else 1
    names_th, names_en = areas
    for level in ("province", "district", "subdistrict"):
        codes = data[f"{level}_code"]
        data[f"{level}_dopa"] = list(map(cache(lambda code: code[2:] if code else None), codes))
        data[f"{level}_name_th"] = list(map(names_th.get, codes))
        data[f"{level}_name_en"] = list(map(names_en.get, codes))
    type_name = cache(lambda code: TYPE_LABELS.get(code, (code, code))[pick])
    data["type_name"] = list(map(type_name, data["type"]))
    status_name = cache(lambda code: STATUS_LABELS.get(code, (code, code))[pick])
    data["status_name"] = list(map(status_name, data["status"]))
    joined = cache(_joined)
    for name in _LIST_FIELDS:
        data[name] = list(map(joined, data[name]))
    utc = cache(_utc)
    for name in _TIMES:
        data[name] = list(map(utc, data[name]))
    data["lon"] = [round(value, 7) for value in data["lon"]]
    data["lat"] = [round(value, 7) for value in data["lat"]]
    return data


def chunks(
    session: Session, conditions: list[ColumnElement[bool]], language: str
) -> Iterator[dict[str, list]]:
    """Chunks of facilities in id order, streamed from the database, as columns of values."""
    areas = _area_names(session)
    statement = _statement(conditions)
    names = [c.name for c in statement.selected_columns]
    # Core rows, not ORM ones: a server-side cursor on PostGIS, CHUNK rows at a time.
    result = session.connection().execute(statement.execution_options(yield_per=CHUNK))
    for rows in result.partitions(CHUNK):
        yield _columns(names, rows, language, areas)


def _records(chunk: dict[str, list]) -> list[dict[str, Any]]:
    """A chunk as one dictionary per facility."""
    names = list(chunk)
    return [dict(zip(names, values, strict=True)) for values in zip(*chunk.values(), strict=True)]


def _bangkok(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(BANGKOK).isoformat()


def write_csv(target: Path, chunks: Iterable[dict[str, list]], language: str) -> None:
    """UTF-8 with a BOM; the attribution in its own column of the first row (on every row it
    was 44% of the file)."""
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = CsvWriter(handle)  # text that would run as a formula is quoted
        writer.writerow([*(header(c, language) for c in COLUMNS), "attribution"])
        attribution = ATTRIBUTION
        for chunk in chunks:
            columns = []
            for column in COLUMNS:
                values = chunk[column.name]
                if column.kind == "datetime":
                    values = list(map(cache(_bangkok), values))
                columns.append(values)
            columns.append([attribution] + [None] * (len(chunk["id"]) - 1))
            attribution = None
            writer.write_columns(columns, text=[*_TEXT_POSITIONS, len(COLUMNS)])


_TEXT_POSITIONS = [i for i, c in enumerate(COLUMNS) if c.kind == "text"]


def write_geojson(target: Path, chunks: Iterable[dict[str, list]], language: str) -> None:
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    head = {"type": "FeatureCollection", "attribution": ATTRIBUTION, "license": "Apache-2.0"}
    with target.open("w", encoding="utf-8") as handle:
        handle.write(encode(head)[:-1] + ',"features":[')
        first = True
        for chunk in chunks:
            parts = []
            for record in _records(chunk):
                props = {}
                for column in COLUMNS:
                    if column.name in ("lon", "lat"):
                        continue
                    value = record[column.name]
                    props[header(column, language)] = (
                        _bangkok(value) if column.kind == "datetime" else value
                    )
                geometry = {"type": "Point", "coordinates": [record["lon"], record["lat"]]}
                parts.append(
                    encode({"type": "Feature", "id": record["id"], "geometry": geometry,
                            "properties": props})
                )  # fmt: skip
            if parts:
                handle.write(("" if first else ",") + ",".join(parts))
                first = False
        handle.write("]}")


def write_xlsx(target: Path, chunks: Iterable[dict[str, list]], language: str) -> None:
    book = Workbook()  # text that would run as a formula is quoted
    sheet = book.sheet("facilities")
    sheet.append([header(c, language) for c in COLUMNS])
    for chunk in chunks:
        columns = []
        for column in COLUMNS:
            values = chunk[column.name]
            if column.kind == "datetime":  # Excel has no time zones: Bangkok wall time
                values = [v and v.astimezone(BANGKOK).replace(tzinfo=None) for v in values]
            columns.append(values)
        for row in zip(*columns, strict=True):
            sheet.append(list(row))
    about = book.sheet("about")
    about.append(["attribution", ATTRIBUTION])
    about.append(["times", "Bangkok time (UTC+07:00)"])
    about.append(["generated_at", datetime.now(BANGKOK).isoformat(timespec="seconds")])
    for column in COLUMNS:
        about.append([column.name, column.thai])
    book.properties.title = "Thai COVID-19 facility registry"
    book.properties.description = ATTRIBUTION
    book.save(target)


def _frame(chunk: dict[str, list], names: dict[str, str]):
    import geopandas as gpd
    import pandas as pd
    import shapely

    data = {}
    for column in COLUMNS:
        values = chunk[column.name]
        if column.kind == "int":
            series = pd.array(values, dtype="Int64")
        elif column.kind == "bool":
            series = pd.array(values, dtype="boolean")
        elif column.kind == "float":
            series = pd.array(values, dtype="Float64")
        elif column.kind == "datetime":
            series = pd.to_datetime(pd.Series(values, dtype=object), utc=True)
        else:
            series = pd.array(values, dtype=object)
        data[names[column.name]] = series
    geometry = shapely.points(chunk["lon"], chunk["lat"])
    return gpd.GeoDataFrame(data, geometry=geometry, crs=4326)


def _arrow_schema(language: str):
    import pyarrow as pa

    kinds = {
        "int": pa.int64(),
        "bool": pa.bool_(),
        "float": pa.float64(),
        "datetime": pa.timestamp("us", tz="UTC"),
        "text": pa.string(),
    }
    fields = [pa.field(header(c, language), kinds[c.kind]) for c in COLUMNS]
    return pa.schema([*fields, pa.field("geometry", pa.binary())])


def _arrow_batches(chunks: Iterable[dict[str, list]], schema) -> Iterator:
    import pyarrow as pa
    import shapely

    for chunk in chunks:
        arrays = [
            pa.array(chunk[column.name], field.type)
            for column, field in zip(COLUMNS, schema, strict=False)
        ]
        points = shapely.points(chunk["lon"], chunk["lat"])
        arrays.append(pa.array(shapely.to_wkb(points), pa.binary()))
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def write_gpkg(target: Path, chunks: Iterable[dict[str, list]], language: str) -> None:
    """One GeoPackage layer written from a stream of Arrow batches: GDAL opens the file once
    and takes each chunk as columns (no data frame, no reopening per chunk)."""
    import pyarrow as pa
    import pyogrio

    schema = _arrow_schema(language)
    stream = pa.RecordBatchReader.from_batches(schema, _arrow_batches(chunks, schema))
    pyogrio.write_arrow(
        stream,
        target,
        layer="facilities",
        driver="GPKG",
        geometry_name="geometry",
        geometry_type="Point",
        crs="EPSG:4326",
        layer_metadata={"DESCRIPTION": ATTRIBUTION},
    )


def write_shapefile_zip(target: Path, chunks: Iterable[dict[str, list]], language: str) -> None:
    """A zip of facilities.shp/.shx/.dbf/.prj/.cpg (UTF-8) and LICENCE.txt.

    Times become ISO text (DBF dates have no time); text is cut at 254 bytes (the DBF limit;
    the other formats keep it whole); names are the short ASCII ones whatever the language
    asked for, and the zip's FIELDS.txt gives each its full English and Thai name.
    """
    import pyogrio

    names = {c.name: c.short for c in COLUMNS}
    with tempfile.TemporaryDirectory(dir=target.parent) as folder:
        shp = Path(folder) / "facilities.shp"
        written = False
        for chunk in chunks:
            frame = _frame(chunk, names)
            for column in COLUMNS:
                if column.kind == "datetime":
                    frame[column.short] = list(map(_bangkok, chunk[column.name]))
                elif column.kind == "text":
                    frame[column.short] = list(map(_dbf_text, chunk[column.name]))
            pyogrio.write_dataframe(
                frame, shp, driver="ESRI Shapefile", encoding="UTF-8", append=written
            )
            written = True
        if not written:
            empty = {c.name: [] for c in COLUMNS}
            pyogrio.write_dataframe(_frame(empty, names), shp, encoding="UTF-8")
        (Path(folder) / "LICENCE.txt").write_text(ATTRIBUTION + "\n", encoding="utf-8")
        fields = "\n".join(f"{c.short}\t{c.name}\t{c.thai}" for c in COLUMNS)
        (Path(folder) / "FIELDS.txt").write_text(fields + "\n", encoding="utf-8")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(folder).iterdir()):
                archive.write(path, path.name)


DBF_TEXT_BYTES = 254


def _dbf_text(value: str | None) -> str | None:
    """Text cut to what a DBF field holds (254 bytes of UTF-8), never inside a character."""
    if value is None:
        return None
    encoded = value.encode("utf-8")
    if len(encoded) <= DBF_TEXT_BYTES:
        return value
    return encoded[:DBF_TEXT_BYTES].decode("utf-8", errors="ignore")


WRITERS = {
    "csv": write_csv,
    "geojson": write_geojson,
    "xlsx": write_xlsx,
    "gpkg": write_gpkg,
    "shp": write_shapefile_zip,
}


def export_facilities(
    session: Session,
    conditions: list[ColumnElement[bool]],
    fmt: str,
    language: str,
    target: Path,
) -> Path:
    """Write the matching facilities to ``target`` in ``fmt``; atomic (tmp file, rename)."""
    if fmt not in WRITERS:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".part." + EXTENSIONS[fmt])
    os.close(handle)
    os.unlink(partial)  # the writers create their file (GDAL refuses an empty one)
    try:
        WRITERS[fmt](Path(partial), chunks(session, conditions, language), language)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target
