"""Population files to arrays: counts per area (CSV), points with counts (CSV, GeoJSON), grids.

Each reader checks the whole file and returns plain arrays; the first bad value stops it with
a message naming the row, the column and the rule ("row 7, column 'population': '12.5' is
not a whole number of people"). Nothing here touches the database: placing the counts on the
map and storing them is :mod:`registry.coverage.population`.

Text files are read as the facility importers read them: UTF-8 with or without BOM, or
TIS-620 (cp874); Thai digits and thousands separators are accepted in numbers.
"""

from __future__ import annotations

import io
import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from importers.coords import in_thailand, parse_number, to_ascii_digits, to_lonlat
from importers.errors import ImportFormatError
from importers.formats.delimited import decode_text, sniff_delimiter
from registry.errors import ValidationError

# Headers recognised when the caller names no column (compared lower-case, stripped).
CODE_HEADERS = (
    "area_code",
    "code",
    "pcode",
    "dopa_code",
    "adm3_pcode",
    "adm2_pcode",
    "adm1_pcode",
    "รหัสพื้นที่",
    "รหัส",
)
POPULATION_HEADERS = (
    "population",
    "pop",
    "people",
    "total",
    "count",
    "ประชากร",
    "จำนวนประชากร",
    "จำนวน",
)
LON_HEADERS = ("lon", "lng", "long", "longitude", "x", "ลองจิจูด")
LAT_HEADERS = ("lat", "latitude", "y", "ละติจูด")

_DOPA_CODE = re.compile(r"(?:TH)?(\d{2}|\d{4}|\d{6})")
# Cells a raster window reads at once: bounds memory on country-scale grids.
_RASTER_WINDOW_CELLS = 4_000_000


@dataclass(frozen=True)
class AreaCounts:
    """People per administrative area, all areas of one level."""

    codes: np.ndarray  # HDX pcodes, e.g. 'TH50', 'TH5001', 'TH500101'
    population: np.ndarray  # int64
    groups: dict[str, np.ndarray]  # name -> int64 counts
    level: int  # 1 province, 2 district, 3 subdistrict


@dataclass(frozen=True)
class PointCounts:
    """People at points (villages, households, grid cells), WGS 84 degrees."""

    lon: np.ndarray
    lat: np.ndarray
    population: np.ndarray  # int64
    groups: dict[str, np.ndarray] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


# A population table is text: a gzipped one may unpack to this much and no more (zip bombs).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024


def read_upload(path: Path) -> bytes:
    """A file's bytes, unpacked when gzipped (DOPA tables travel as .csv.gz), within a limit."""
    data = path.read_bytes()
    if data[:2] != b"\x1f\x8b":
        return data
    unpacker = zlib.decompressobj(wbits=31)
    try:
        text = unpacker.decompress(data, MAX_UNPACKED_BYTES + 1)
    except zlib.error as error:
        raise ImportFormatError(
            f"is not a readable gzip file: {error}", file_name=path.name
        ) from None
    if len(text) > MAX_UNPACKED_BYTES or unpacker.unconsumed_tail:
        raise ImportFormatError(
            f"unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB; a population table is "
            "smaller: check the file",
            file_name=path.name,
        )
    return text


# -- counts per area --------------------------------------------------------------------------


def read_area_counts(
    data: bytes,
    file_name: str,
    *,
    code_column: str | None = None,
    population_column: str | None = None,
    group_columns: Sequence[str] = (),
) -> AreaCounts:
    """Counts per area from a CSV keyed by DOPA code (``50``, ``5001``, ``500101``, ``TH50``).

    Every row must be of the same level (mixing provinces and their districts would count
    people twice) and every code must appear once.
    """
    frame = read_csv_table(data, file_name)
    code_column = find_column(frame, code_column, CODE_HEADERS, "area code", file_name)
    population_column = find_column(
        frame, population_column, POPULATION_HEADERS, "population", file_name
    )
    codes = []
    for position, raw in enumerate(frame[code_column]):
        match = _DOPA_CODE.fullmatch(to_ascii_digits(raw).strip().upper())
        if not match:
            raise ValidationError(
                f"{_row(position)}, column '{code_column}': {raw!r} is not a DOPA area code "
                "(2 digits for a province, 4 for a district, 6 for a subdistrict, 'TH' optional)",
                field=code_column,
            )
        codes.append("TH" + match.group(1))
    if not codes:
        raise ValidationError(f"'{file_name}' has no rows of counts", field="file")
    lengths = {len(code) for code in codes}
    if len(lengths) > 1:
        first = next(i for i, code in enumerate(codes) if len(code) != len(codes[0]))
        raise ValidationError(
            f"{_row(first)}, column '{code_column}': {codes[first]} is of another level than "
            f"{codes[0]} in row 2; give the counts of one level only (mixing a province with "
            "its districts would count people twice)",
            field=code_column,
        )
    seen: dict[str, int] = {}
    for position, code in enumerate(codes):
        if code in seen:
            raise ValidationError(
                f"{_row(position)}, column '{code_column}': {code} already appears in "
                f"{_row(seen[code])}; give each area once",
                field=code_column,
            )
        seen[code] = position
    population = _counts(frame, population_column)
    groups = _group_counts(frame, group_columns, population, population_column)
    return AreaCounts(np.array(codes, dtype=object), population, groups, (len(codes[0]) - 2) // 2)


# -- points -----------------------------------------------------------------------------------


def read_point_counts(
    data: bytes,
    file_name: str,
    *,
    population_column: str | None = None,
    group_columns: Sequence[str] = (),
    lon_column: str | None = None,
    lat_column: str | None = None,
    crs: str | None = None,
) -> PointCounts:
    """Points with counts from a CSV (longitude and latitude columns) or a GeoJSON of points.

    ``crs`` names the coordinate system of a CSV's columns (default degrees WGS 84), e.g.
    ``EPSG:32647`` for UTM zone 47N. GeoJSON is WGS 84 by definition (RFC 7946).
    """
    suffix = Path(file_name).suffix.lower()
    if suffix in (".geojson", ".json"):
        frame, lon, lat = _geojson_points(data, file_name)
        population_column = find_column(
            frame, population_column, POPULATION_HEADERS, "population", file_name
        )
    elif suffix in (".csv", ".txt", ".tsv"):
        frame = read_csv_table(data, file_name)
        population_column = find_column(
            frame, population_column, POPULATION_HEADERS, "population", file_name
        )
        lon_column = find_column(frame, lon_column, LON_HEADERS, "longitude", file_name)
        lat_column = find_column(frame, lat_column, LAT_HEADERS, "latitude", file_name)
        x = _numbers(frame, lon_column)
        y = _numbers(frame, lat_column)
        lon, lat = to_lonlat(x, y, crs) if crs else (x, y)
    else:
        raise ImportFormatError(
            f"population points are read from .csv or .geojson files, not {suffix or 'this'}",
            file_name=file_name,
        )
    _check_degrees(lon, lat, f"'{file_name}'")
    population = _counts(frame, population_column)
    groups = _group_counts(frame, group_columns, population, population_column)
    return PointCounts(lon, lat, population, groups)


def _geojson_points(data: bytes, file_name: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    try:
        collection = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ImportFormatError(f"is not GeoJSON: {error}", file_name=file_name) from None
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise ImportFormatError("is not a GeoJSON FeatureCollection", file_name=file_name)
    rows, lon, lat = [], [], []
    for number, feature in enumerate(features, start=1):
        geometry = (feature or {}).get("geometry") or {}
        coordinates = geometry.get("coordinates")
        if geometry.get("type") != "Point" or not (
            isinstance(coordinates, list)
            and len(coordinates) >= 2
            and all(isinstance(c, int | float) for c in coordinates[:2])
        ):
            raise ValidationError(
                f"feature {number}: the geometry is {geometry.get('type')!r}, not a Point with "
                "two numbers; population points must be points",
                field="geometry",
            )
        lon.append(float(coordinates[0]))
        lat.append(float(coordinates[1]))
        properties = feature.get("properties") or {}
        rows.append({key: "" if value is None else str(value) for key, value in properties.items()})
    frame = pd.DataFrame(rows).fillna("")
    # GeoJSON has no header row: rows are numbered as features.
    frame.attrs["first_row"] = 1
    frame.attrs["row_word"] = "feature"
    return frame, np.array(lon), np.array(lat)


def _check_degrees(lon: np.ndarray, lat: np.ndarray, file_name: str) -> None:
    with np.errstate(invalid="ignore"):
        inside = in_thailand(lon, lat)
        swapped = in_thailand(lat, lon)
    if lon.size and inside.mean() < 0.5 and swapped.mean() > 0.5:
        raise ValidationError(
            f"{file_name}: most points lie outside Thailand but inside it with longitude and "
            "latitude exchanged; the two columns look swapped",
            field="lon",
        )
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        position = int(np.argmax(bad))
        raise ValidationError(
            f"point {position + 1}: ({lon[position]!r}, {lat[position]!r}) is not a longitude "
            "and latitude in degrees; give the file's coordinate system (crs) if it is not "
            "WGS 84",
            field="crs",
        )


# -- raster grids -----------------------------------------------------------------------------


def read_raster_counts(source, *, band: int = 1, aggregate: int = 1) -> PointCounts:
    """One unit per non-empty cell of a population grid (GeoTIFF, as WorldPop publishes it).

    A cell is empty when it is nodata, masked, NaN or holds no more than 0 people. Each unit
    sits at its cell's centre, transformed to WGS 84 when the grid is in another CRS.
    ``aggregate`` sums blocks of ``aggregate`` x ``aggregate`` cells first (WorldPop's
    100 m grid of Thailand has some 50 million cells with people; at ``aggregate=10`` it
    becomes a 1 km grid), a block's unit sitting at the block's centre.

    Grid counts are fractional (WorldPop estimates 0.37 people in a cell); units hold whole
    people. The counts are rounded by cumulative rounding in reading order: unit i gets
    ``round(S_i) - round(S_(i-1))`` where S is the running sum, so every unit is within one
    person of its cell's estimate and the layer's total is the grid's total, rounded. Cells
    that round to nobody are left out.

    ``source`` is a path or the file's bytes.
    """
    import rasterio
    from rasterio.io import MemoryFile
    from rasterio.windows import Window

    if isinstance(band, bool) or not isinstance(band, int) or band < 1:
        raise ValidationError(f"band must be a positive integer, got {band!r}", field="band")
    if isinstance(aggregate, bool) or not isinstance(aggregate, int) or not 1 <= aggregate <= 100:
        raise ValidationError(
            f"aggregate must be a whole number of cells from 1 to 100, got {aggregate!r}",
            field="aggregate",
        )
    memory = MemoryFile(source) if isinstance(source, bytes | bytearray) else None
    name = "the grid" if memory is not None else f"'{Path(source).name}'"
    try:
        dataset = memory.open() if memory is not None else rasterio.open(source)
    except rasterio.errors.RasterioIOError as error:
        raise ImportFormatError(f"{name} is not a readable raster: {error}") from None
    with dataset:
        if band > dataset.count:
            raise ValidationError(
                f"{name} has {dataset.count} band(s); band {band} does not exist", field="band"
            )
        if dataset.crs is None:
            raise ValidationError(
                f"{name} has no coordinate reference system; WorldPop grids are in EPSG:4326",
                field="crs",
            )
        crs = dataset.crs.to_string()
        rows_per_window = max(aggregate, _RASTER_WINDOW_CELLS // max(dataset.width, 1))
        rows_per_window -= rows_per_window % aggregate
        lon_parts, lat_parts, value_parts = [], [], []
        for top in range(0, dataset.height, rows_per_window):
            height = min(rows_per_window, dataset.height - top)
            window = Window(0, top, dataset.width, height)
            cells = dataset.read(band, window=window, masked=True).astype(np.float64)
            values = np.where(np.ma.getmaskarray(cells), 0.0, cells.filled(0.0))
            values = np.where(np.isfinite(values) & (values > 0), values, 0.0)
            values, rows, cols = _blocks(values, aggregate)
            keep = values > 0
            # Centre of each (block of) cell(s) in the grid's own coordinates.
            row_centre = top + (rows[keep] + 0.5) * aggregate
            col_centre = (cols[keep] + 0.5) * aggregate
            t = dataset.transform
            x = t.a * col_centre + t.b * row_centre + t.c
            y = t.d * col_centre + t.e * row_centre + t.f
            lon_parts.append(np.asarray(x, dtype=np.float64))
            lat_parts.append(np.asarray(y, dtype=np.float64))
            value_parts.append(values[keep])
    x = np.concatenate(lon_parts) if lon_parts else np.empty(0)
    y = np.concatenate(lat_parts) if lat_parts else np.empty(0)
    values = np.concatenate(value_parts) if value_parts else np.empty(0)
    lon, lat = to_lonlat(x, y, crs)
    _check_degrees(lon, lat, name)
    running = np.rint(np.cumsum(values)).astype(np.int64)
    people = np.diff(np.concatenate(([0], running)))
    kept = people > 0
    notes = (
        f"{values.size:,} {'blocks' if aggregate > 1 else 'cells'} with people, "
        f"{values.sum():,.1f} people estimated; rounded to whole people by cumulative "
        f"rounding: {int(people.sum()):,} people in {int(kept.sum()):,} units",
    )
    return PointCounts(lon[kept], lat[kept], people[kept], {}, notes)


def _blocks(values: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sums of factor x factor blocks, flattened, with each block's row and column."""
    if factor > 1:
        height, width = values.shape
        padded = np.zeros((-(-height // factor) * factor, -(-width // factor) * factor))
        padded[:height, :width] = values
        values = padded.reshape(
            padded.shape[0] // factor, factor, padded.shape[1] // factor, factor
        ).sum(axis=(1, 3))
    rows, cols = np.indices(values.shape)
    return values.ravel(), rows.ravel(), cols.ravel()


# -- shared helpers ---------------------------------------------------------------------------


def read_csv_table(data: bytes, file_name: str) -> pd.DataFrame:
    text, _encoding = decode_text(data, file_name)
    if not text.strip():
        raise ImportFormatError("is empty", file_name=file_name)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sniff_delimiter(text),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ImportFormatError(f"cannot be read as CSV: {error}", file_name=file_name) from None
    frame.columns = [str(column).strip() for column in frame.columns]
    return frame


def find_column(
    frame: pd.DataFrame, given: str | None, known: Sequence[str], what: str, file_name: str
) -> str:
    if given is not None:
        if given not in frame.columns:
            raise ValidationError(
                f"'{file_name}' has no column {given!r} (the {what}); its columns are: "
                f"{', '.join(map(repr, frame.columns))}",
                field=what.replace(" ", "_"),
            )
        return given
    by_lower = {str(column).strip().lower(): column for column in frame.columns}
    for header in known:
        if header in by_lower:
            return by_lower[header]
    raise ValidationError(
        f"'{file_name}' has no {what} column: name it one of {', '.join(known)} or say which "
        f"column it is; its columns are: {', '.join(map(repr, frame.columns))}",
        field=what.replace(" ", "_"),
    )


def _row(position: int, frame: pd.DataFrame | None = None) -> str:
    if frame is not None and frame.attrs.get("row_word") == "feature":
        return f"feature {position + 1}"
    # The header is row 1 of the file, as a spreadsheet shows it.
    return f"row {position + 2}"


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = np.empty(len(frame))
    for position, raw in enumerate(frame[column]):
        try:
            values[position] = parse_number(raw)
        except ValueError as error:
            raise ValidationError(
                f"{_row(position, frame)}, column '{column}': {raw!r} {error}", field=column
            ) from None
    return values


def _counts(frame: pd.DataFrame, column: str) -> np.ndarray:
    counts = np.empty(len(frame), dtype=np.int64)
    for position, raw in enumerate(frame[column]):
        try:
            value = parse_number(raw)
        except ValueError:
            value = None
        if value is None or value < 0 or value != int(value):
            raise ValidationError(
                f"{_row(position, frame)}, column '{column}': {raw!r} is not a whole number of "
                "people (0 or more)",
                field=column,
            )
        counts[position] = int(value)
    return counts


def _group_counts(
    frame: pd.DataFrame, names: Sequence[str], population: np.ndarray, population_column: str
) -> dict[str, np.ndarray]:
    if isinstance(names, str):
        names = [names]
    groups = {}
    require_group_columns(frame, names)
    for name in names:
        counts = _counts(frame, name)
        over = counts > population
        if over.any():
            position = int(np.argmax(over))
            raise ValidationError(
                f"{_row(position, frame)}, column '{name}': {int(counts[position])} people in "
                f"the group, more than the {int(population[position])} of column "
                f"'{population_column}'",
                field=name,
            )
        groups[name] = counts
    return groups


def require_group_columns(frame: pd.DataFrame, names: Sequence[str]) -> None:
    """Refuse a group column the file does not have, listing the ones it has."""
    for name in names:
        if name not in frame.columns:
            raise ValidationError(
                f"there is no group column {name!r}; the columns are: "
                f"{', '.join(map(repr, frame.columns))}",
                field="groups",
            )
