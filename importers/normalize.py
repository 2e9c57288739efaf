"""File in, one validated and normalised frame plus a problem report out. No database.

:func:`read_facilities` is the importer's single entry point. It reads any supported format,
maps columns to registry fields, parses every value the way Thai lists write it, places every
point in WGS 84 inside Thailand, and reports each problem with its row, column, value and rule.
Rows with an error are left out of the frame and listed in ``rejected_rows``; warnings never
reject a row. The upsert takes the frame as its input and writes nothing when the report has
errors (see :attr:`NormalisedImport.ok`).

Decisions
---------
- Rows are numbered as the person sees them in their file (see
  :class:`~importers.formats.base.RawTable`).
- A name is required. A row with only an English name gets it as its Thai name, with a
  warning (the registry needs ``name_th``).
- Type comes from the type column, else ``facility_type=``; an unknown word is an error.
- ``-``, ``N/A``, ``ไม่ระบุ`` and blank cells are empty.
- hcode: 5 letters or digits, or the 9-character MOPH code (kept as given, upper case),
  leading zeros kept; ``10697.0`` is ``10697``; numeric codes of
  1-4 digits get their leading zeros back with a warning (``4007`` -> ``04007``, as in the
  MOPH list); anything else is dropped with a warning (the facility itself is still valid).
- ``source_id`` comes from an id column, else from the hcode. A repeated hcode, or a repeated
  id from an id column, is an error on each later row, naming the first row.
- An unknown or unreadable stated province is a warning (the area is derived from the point
  later and checked against what was stated); a close misspelling is accepted with a warning.
- Phones that are not Thai numbers and unknown list items (a vaccine brand the registry does
  not know) are dropped with a warning; unreadable numbers, yes/no values, dates, types and
  statuses are errors.
- A value in a type-specific column for a row whose type does not carry that field (beds on
  a test point) is ignored with one warning per column.
- ``source`` comes from a source column, else ``source=``, else the file name.

Work is column-wise: whole columns are stripped, converted and compared with pandas/NumPy,
and the per-value parsers run once per distinct value, so messy cells cost time and clean
ones do not.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from importers import coords, rules, values
from importers.columns import MappingSource, plan_columns
from importers.columns import load_mapping as _load_mapping
from importers.errors import ImportFormatError, ImportOptionError
from importers.formats import RawTable, reader_for
from importers.formats.base import load_source
from importers.limits import WEB_LIMITS, Budget, ImportLimits
from importers.messages import text_of
from importers.provinces import match_province, province_in_address
from importers.report import ERROR, WARNING, ImportReport, Problem, quote
from importers.vocabulary import COMMON_FIELDS, FACILITY_TYPES, TYPE_FIELDS, FieldSpec

BASE_COLUMNS: tuple[str, ...] = (
    "row",
    "type",
    "lon",
    "lat",
    "province_code_stated",
    "district_stated",
    "subdistrict_stated",
)
_ALWAYS = ("name_th", "source", "source_id")
_SPECS: dict[str, FieldSpec] = {s.name: s for s in COMMON_FIELDS}
for _specs in TYPE_FIELDS.values():
    for _spec in _specs:
        _SPECS.setdefault(_spec.name, _spec)
_TYPE_SPECIFIC = {s.name for specs in TYPE_FIELDS.values() for s in specs}
_CARRIED_BY = {
    name: {t for t, specs in TYPE_FIELDS.items() if name in {s.name for s in specs}}
    for name in _TYPE_SPECIFIC
}
_HANDLED = {"name_th", "name_en", "phone", "hcode", "source_id", "source"}
_PLAIN_PHONE = re.compile(r"0[689][0-9]{8}|0[2-7][0-9]{7}")
# "081-234-5678", "02 123 4567": values.parse_phones's own fast case, taken a column at a time.
_SPACED_PHONE = re.compile(r"0[0-9]{1,2}[- ]?[0-9]{3}[- ]?[0-9]{3,4}")
_MARKERS = frozenset(
    {v for m in values.EMPTY_MARKERS for v in (m, m.upper(), m.title(), m.capitalize())}
)


@dataclass
class NormalisedImport:
    """What :func:`read_facilities` returns.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per valid input row: ``row`` (source row number), ``type``, ``lon``, ``lat``
        (WGS 84), ``province_code_stated`` (``TH50`` or None), ``district_stated``,
        ``subdistrict_stated`` (raw names), ``name_th``, ``source``, ``source_id``, and every
        other registry field the file had (``importers.vocabulary`` names). Text and list
        columns are object dtype with None for missing values; counts are ``Int64``, yes/no
        ``boolean``, datetimes ``datetime64[UTC]``.
    report : ImportReport
        Errors and warnings, rejected rows' and valid rows' alike.
    rejected_rows : list of int
        Row numbers with at least one error.
    file_sha256, file_name, format : str
        Identity of the file and the reader used.
    crs : str
        The CRS the coordinates were read in (declared, guessed, or EPSG:4326).
    layer : str or None
        The sheet or layer read.
    columns : dict
        Target -> source column, as mapped.
    """

    frame: pd.DataFrame
    report: ImportReport
    rejected_rows: list[int]
    file_sha256: str
    file_name: str
    format: str
    crs: str = coords.WGS84
    layer: str | None = None
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong enough to stop the upsert (no error at all)."""
        return not self.report.has_errors

    @property
    def rows_read(self) -> int:
        return self.report.rows_read


def read_facilities(
    path: str | PathLike[str] | bytes,
    *,
    facility_type: str | None = None,
    source: str | None = None,
    crs: str | int | None = None,
    mapping: MappingSource | None = None,
    sheet: str | None = None,
    format: str | None = None,
    file_name: str | None = None,
    limits: ImportLimits = WEB_LIMITS,
) -> NormalisedImport:
    """Read a facility list and return a validated, normalised frame and a problem report.

    Parameters
    ----------
    path : path or bytes
        The file: CSV/TSV, Excel (.xlsx), GeoJSON/JSON, KML/KMZ, GeoPackage, or a zip with a
        shapefile or one of those.
    facility_type : str, optional
        Type of rows whose type cell is empty or absent (a registry type or a Thai/English
        word for one, e.g. ``"vaccination_site"`` or ``"จุดฉีดวัคซีน"``).
    source : str, optional
        Where the list comes from (``"moph"``, ``"chiang-mai-pho"``); a source column wins.
        Default: the file name.
    crs : str or int, optional
        CRS of the coordinates (``"EPSG:32647"``, ``24047``, ``"UTM 48N"``). Overrides the
        file's own; without either, degrees are WGS 84 and metres are guessed as UTM 47N/48N.
    mapping : dict or path, optional
        Source header -> registry field, for headers that are not recognised.
    sheet : str, optional
        Excel sheet or GeoPackage/zip layer; default the first that looks like a list.
    format : str, optional
        Reader name (``"csv"``, ``"xlsx"``, ``"geojson"``...) when the name has no telling
        extension; required for bytes without ``file_name``.
    file_name : str, optional
        Name for messages and format detection when ``path`` is bytes.
    limits : ImportLimits
        The most the file may expand to, hold and cost (see :mod:`importers.limits`); the
        web's by default. Checked while the file is read.

    Returns
    -------
    NormalisedImport

    Raises
    ------
    ImportFormatError
        The file cannot be read at all: unknown format, damaged or cut off, undecodable text,
        no header, no data rows.
    ImportLimitError
        The file passes one of ``limits`` (an ImportFormatError, status 413).
    ImportOptionError
        ``facility_type``, ``crs`` or ``mapping`` is not valid.

    Examples
    --------
    >>> result = read_facilities(
    ...     "ชื่อ,lat,lon\\nรพ.สต.บ้านใหม่,18.79,98.98\\n".encode(), file_name="a.csv",
    ...     facility_type="hospital")
    >>> result.frame[["row", "type", "name_th", "lat"]].to_dict("records")
    [{'row': 2, 'type': 'hospital', 'name_th': 'รพ.สต.บ้านใหม่', 'lat': 18.79}]
    """
    default_type = _check_facility_type(facility_type)
    declared_crs = _check_crs(crs)
    explicit = _load_mapping(mapping) if mapping is not None else None
    if isinstance(path, bytes | bytearray | memoryview) and file_name is None and format is None:
        raise ImportOptionError("bytes need file_name= or format= to tell their format")

    data, name = load_source(path, file_name, max_bytes=limits.expanded_bytes)
    if not data.strip():
        raise ImportFormatError("the file is empty", file_name=name)
    reader = reader_for(name, format)
    budget = Budget(limits, name)
    raw = reader.read_bytes(
        data, name, sheet=sheet, extra_headers=tuple(explicit or ()), budget=budget
    )
    if len(raw) == 0:
        raise ImportFormatError("has a header but no data rows", file_name=name)
    result = _Normaliser(raw, name, default_type, declared_crs, explicit, source).run()
    result.file_sha256 = hashlib.sha256(data).hexdigest()
    return result


def _check_facility_type(facility_type: str | None) -> str | None:
    if facility_type is None:
        return None
    if facility_type in FACILITY_TYPES:
        return facility_type
    try:
        return values.parse_facility_type(facility_type)
    except ValueError as exc:
        raise ImportOptionError(f"facility_type {quote(facility_type)} {exc}") from None


def _check_crs(crs: object) -> str | None:
    if crs is None:
        return None
    resolved = coords.resolve_crs(crs)
    epsg = resolved.to_epsg()
    return f"EPSG:{epsg}" if epsg else resolved.to_wkt()


class _Normaliser:
    """One import's state: the raw table, cleaned columns, problems and rejected rows."""

    def __init__(
        self,
        raw: RawTable,
        file_name: str,
        default_type: str | None,
        declared_crs: str | None,
        explicit: dict[str, str | None] | None,
        source: str | None,
    ) -> None:
        self.raw = raw
        self.file_name = file_name
        self.default_type = default_type
        self.declared_crs = declared_crs
        self.source = source
        self.n = len(raw)
        self.rows = raw.row_numbers
        self.bad = np.zeros(self.n, dtype=bool)
        self.report = ImportReport(file_name=file_name, rows_read=self.n)
        self.plan = plan_columns(raw.columns, explicit)
        self._cells: dict[str, np.ndarray] = {}
        self._position: dict[int, int] | None = None
        self.out: dict[str, object] = {}

    # ------------------------------------------------------------------ problems

    def _position_of(self, row: int) -> int:
        if self._position is None:
            self._position = {r: i for i, r in enumerate(self.rows.tolist())}
        return self._position[row]

    def add(self, problem: Problem) -> None:
        self.report.add(problem)
        if problem.severity == ERROR and problem.row is not None:
            self.bad[self._position_of(problem.row)] = True

    def at(self, i: int, column: str | None, value: object, rule: str, severity=ERROR) -> None:
        self.report.add(
            Problem(
                int(self.rows[i]), column, None if value is None else str(value), rule, severity
            )
        )
        if severity == ERROR:
            self.bad[i] = True

    def reject_all(self, column: str | None, rule: str) -> None:
        self.report.add(Problem(None, column, None, rule, ERROR))
        self.bad[:] = True

    # ------------------------------------------------------------------ cells

    def cells(self, target: str) -> np.ndarray | None:
        """The target's column stripped, with blanks and "-"/"N/A" markers as None."""
        column = self.plan.column(target)
        if column is None:
            return None
        if column not in self._cells:
            # Readers deliver stripped text or None; only the "nothing here" markers remain.
            cells = self.raw.frame[column].to_numpy(dtype=object, copy=True)
            cells[:] = [None if v in _MARKERS else v for v in cells]
            self._cells[column] = cells
        return self._cells[column]

    def parse_column(
        self, target: str, parse: Callable[[str], object], *, severity=ERROR
    ) -> np.ndarray | None:
        """Apply ``parse`` once per distinct value; ValueErrors become problems on their rows."""
        cells = self.cells(target)
        if cells is None:
            return None
        return self._parse_cells(cells, self.plan.column(target), parse, severity=severity)

    def _parse_cells(self, cells, column, parse, *, severity=ERROR) -> np.ndarray:
        present = np.flatnonzero(pd.notna(cells))
        parsed: dict[str, object] = {}
        failed: dict[str, str] = {}
        for value in pd.unique(cells[present]):
            try:
                parsed[value] = parse(value)
            except ValueError as exc:
                failed[value] = text_of(exc) or str(exc)
        result = np.full(self.n, None, dtype=object)
        # Through a Series so tuples and lists stay single objects (NumPy would unpack them).
        result[present] = pd.Series([parsed.get(v) for v in cells[present]], dtype=object)
        if failed:
            for i in present[pd.Series(cells[present]).isin(list(failed)).to_numpy()]:
                self.at(i, column, cells[i], failed[cells[i]], severity)
        return result

    # ------------------------------------------------------------------ steps

    def run(self) -> NormalisedImport:
        for problem in self.raw.problems:
            self.add(problem)
        for problem in self.plan.problems:
            self.add(problem)
        self._names()
        self._types()
        self._locations()
        self._codes()
        self._province()
        self._other_fields()
        return self._result()

    def _names(self) -> None:
        name_th = _clean_text(self.cells("name_th"))
        name_en = _clean_text(self.cells("name_en"))
        if name_th is None and name_en is None:
            self.reject_all(
                None,
                "no column holds the facility name (looked for headers like name, ชื่อ, "
                f"ชื่อหน่วยบริการ, h_name); columns found: {', '.join(map(quote, self.raw.columns))}",
            )
            name_th = np.full(self.n, None, dtype=object)
        else:
            if name_th is None:
                name_th = np.full(self.n, None, dtype=object)
            th_missing = pd.isna(name_th)
            if name_en is not None:
                en_present = pd.notna(name_en)
                borrow = th_missing & en_present
                for i in np.flatnonzero(borrow):
                    self.at(
                        i,
                        self.plan.column("name_en"),
                        name_en[i],
                        "is used as the Thai name too: the row has no Thai name",
                        WARNING,
                    )
                name_th = np.where(borrow, name_en, name_th)
                th_missing = pd.isna(name_th)
                self.out["name_en"] = name_en
            column = self.plan.column("name_th") or self.plan.column("name_en")
            for i in np.flatnonzero(th_missing):
                self.at(i, column, None, rules.NAME_EMPTY())
        self.out["name_th"] = name_th

    def _types(self) -> None:
        types = self.parse_column("type", values.parse_facility_type)
        if types is None:
            if self.default_type is None:
                self.reject_all(
                    None,
                    "no column holds the facility type (ประเภท, type) and no facility_type "
                    f"was given; pass one of {', '.join(FACILITY_TYPES)}",
                )
                types = np.full(self.n, None, dtype=object)
            else:
                types = np.full(self.n, self.default_type, dtype=object)
        else:
            empty = pd.isna(self.cells("type"))
            if self.default_type is not None:
                types[empty] = self.default_type
            else:
                column = self.plan.column("type")
                for i in np.flatnonzero(empty):
                    self.at(
                        i,
                        column,
                        None,
                        "the type is empty and no facility_type was given for such rows",
                    )
        self.out["type"] = types

    def _locations(self) -> None:
        lon = np.full(self.n, np.nan)
        lat = np.full(self.n, np.nan)
        done = np.zeros(self.n, dtype=bool)  # located, or already reported
        crs_used: list[str] = []
        geometry = self.raw.geometry
        if geometry is not None:
            has_point = np.isfinite(geometry).all(axis=1)
            file_crs = self.raw.crs
            if self.declared_crs and file_crs and not _same_crs(self.declared_crs, file_crs):
                self.add(
                    Problem(
                        None,
                        "geometry",
                        str(file_crs)[:80],
                        f"is the CRS the file declares; crs={self.declared_crs} was used instead",
                        WARNING,
                    )
                )
            self._place(
                has_point,
                geometry[:, 0],
                geometry[:, 1],
                None,
                None,
                "geometry",
                "geometry",
                self.declared_crs or file_crs,
                lon,
                lat,
                crs_used,
            )
            done |= has_point
            # Non-point geometries were reported by the reader.
            for problem in self.raw.problems:
                if problem.column == "geometry" and problem.is_error and problem.row is not None:
                    done[self._position_of(problem.row)] = True

        lat_cells, lon_cells = self.cells("lat"), self.cells("lon")
        if (lat_cells is None) != (lon_cells is None) and geometry is None:
            have, lack = ("lat", "longitude") if lon_cells is None else ("lon", "latitude")
            self.reject_all(
                self.plan.column(have),
                f"is the only coordinate column: no column holds the {lack} (map it with mapping=)",
            )
            lat_cells = lon_cells = None
            half_columns = True
        else:
            half_columns = False
        if lat_cells is not None and lon_cells is not None:
            self._from_columns(lat_cells, lon_cells, done, lon, lat, crs_used)
        pair_cells = self.cells("coordinates")
        if pair_cells is not None:
            self._from_pairs(pair_cells, done, lon, lat, crs_used)

        missing = ~done & ~np.isfinite(lon)
        if half_columns:
            pass  # reported once for the file above
        elif geometry is None and lat_cells is None and pair_cells is None:
            self.reject_all(
                None,
                "no column holds the location (looked for lat/latitude/ละติจูด and "
                "lon/longitude/ลองจิจูด, or พิกัด); map them with mapping=",
            )
        elif missing.any():
            column = (
                self.plan.column("lat")
                or self.plan.column("coordinates")
                or ("geometry" if geometry is not None else None)
            )
            for i in np.flatnonzero(missing):
                self.at(i, column, None, "the location is missing; every facility needs a point")
        self.out["lon"], self.out["lat"] = lon, lat
        self.crs = crs_used[0] if crs_used else (self.declared_crs or coords.WGS84)

    def _from_columns(self, lat_cells, lon_cells, done, lon, lat, crs_used) -> None:
        lat_column, lon_column = self.plan.column("lat"), self.plan.column("lon")
        todo = ~done
        y, bad_y = coords.parse_coordinate_column(pd.Series(lat_cells, dtype=object))
        x, bad_x = coords.parse_coordinate_column(pd.Series(lon_cells, dtype=object))
        for bad, column, cells in ((bad_y, lat_column, lat_cells), (bad_x, lon_column, lon_cells)):
            for i, rule in bad.items():
                if todo[i]:
                    self.at(i, column, cells[i], rule)
                    done[i] = True
        has_y, has_x = pd.notna(lat_cells), pd.notna(lon_cells)
        for i in np.flatnonzero(todo & ~done & (has_x != has_y)):
            if has_y[i]:
                self.at(
                    i,
                    lon_column or lat_column,
                    None,
                    rules.LONGITUDE_EMPTY(value=quote(lat_cells[i])),
                )
            else:
                self.at(
                    i,
                    lat_column or lon_column,
                    None,
                    rules.LATITUDE_EMPTY(value=quote(lon_cells[i])),
                )
            done[i] = True
        use = todo & ~done & np.isfinite(x) & np.isfinite(y)
        self._place(
            use,
            x,
            y,
            lon_cells,
            lat_cells,
            lon_column or "lon",
            lat_column or "lat",
            self.declared_crs,
            lon,
            lat,
            crs_used,
        )
        done |= use

    def _from_pairs(self, cells, done, lon, lat, crs_used) -> None:
        column = self.plan.column("coordinates")
        todo = ~done & pd.notna(cells)
        if not todo.any():
            return
        parsed = self._parse_cells(
            np.where(todo, cells, None), column, coords.parse_coordinate_pair
        )
        ok = np.array([p is not None for p in parsed])
        done |= todo & ~ok
        first = np.array([p[0] if p is not None else np.nan for p in parsed], dtype=float)
        second = np.array([p[1] if p is not None else np.nan for p in parsed], dtype=float)
        # Written "lat, lon" (as Google Maps copies it): y first. Swaps are detected anyway.
        self._place(
            ok, second, first, cells, cells, column, column, self.declared_crs, lon, lat, crs_used
        )
        done |= ok

    def _place(self, mask, x, y, x_text, y_text, x_column, y_column, crs, lon, lat, crs_used):
        if not mask.any():
            return
        index = np.flatnonzero(mask)
        located = coords.locate_points(
            x[index],
            y[index],
            rows=self.rows[index],
            x_column=x_column,
            y_column=y_column,
            x_text=None if x_text is None else np.asarray(x_text, dtype=object)[index],
            y_text=None if y_text is None else np.asarray(y_text, dtype=object)[index],
            crs=crs,
        )
        for problem in located.problems:
            self.add(problem)
        lon[index] = np.where(located.ok, located.lon, np.nan)
        lat[index] = np.where(located.ok, located.lat, np.nan)
        crs_used.append(located.crs)

    def _codes(self) -> None:
        hcode_column = self.plan.column("hcode")
        hcodes = None
        cells = self.cells("hcode")
        if cells is not None:
            hcodes = np.full(self.n, None, dtype=object)
            fast = pd.Series(cells, dtype=object).str.fullmatch(values.HCODE_PATTERN, na=False)
            fast = fast.to_numpy(dtype=bool) & (cells != "00000") & (cells != "000000000")
            hcodes[fast] = cells[fast]
            slow = pd.notna(cells) & ~fast
            if slow.any():
                parsed = self._parse_cells(
                    np.where(slow, cells, None), hcode_column, values.parse_hcode, severity=WARNING
                )
                for i in np.flatnonzero(slow):
                    if parsed[i] is None:
                        continue
                    code, note = parsed[i]
                    hcodes[i] = code
                    if note:
                        self.at(i, hcode_column, cells[i], note, WARNING)
            self.out["hcode"] = hcodes
            self._duplicates(hcodes, cells, hcode_column, "hcode")

        id_column = self.plan.column("source_id")
        ids = _clean_text(self.cells("source_id"))
        if ids is not None:
            ids = pd.Series(ids, dtype=object).str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
            ids = ids.astype(object).where(ids.notna(), None).to_numpy(dtype=object)
            self._duplicates(ids, self.cells("source_id"), id_column, "id")
        if hcodes is not None:
            ids = hcodes.copy() if ids is None else np.where(pd.notna(ids), ids, hcodes)
        self.out["source_id"] = ids if ids is not None else np.full(self.n, None, dtype=object)

        sources = _clean_text(self.cells("source"))
        # A source named after the file: at most the 100 characters a source may hold.
        fallback = self.source or self.file_name[:100]
        if sources is None:
            sources = np.full(self.n, fallback, dtype=object)
        else:
            sources = np.where(pd.notna(sources), sources, fallback)
        self.out["source"] = sources

        phones = self.cells("phone")
        if phones is not None:
            column = self.plan.column("phone")
            # Most cells are one well-formed number: take those without the full parser.
            result = np.array([_plain_phone(v) for v in phones], dtype=object)
            rest = np.where(pd.notna(result), None, phones)
            parsed = self._parse_cells(rest, column, values.parse_phones)
            for i in np.flatnonzero(pd.notna(rest)):
                number, invalid = parsed[i]
                result[i] = number
                for piece in invalid:
                    self.at(i, column, piece, values.PHONE_RULE, WARNING)
            self.out["phone"] = result

    def _duplicates(self, codes: np.ndarray, cells: np.ndarray, column: str, what: str) -> None:
        series = pd.Series(codes, dtype=object)
        present = series.notna()
        repeated = series.duplicated(keep="first") & present
        if not repeated.any():
            return
        firsts = series[present & ~repeated]
        first_row = dict(zip(firsts.to_numpy(), self.rows[firsts.index.to_numpy()], strict=True))
        for i in np.flatnonzero(repeated.to_numpy()):
            self.at(
                i,
                column,
                cells[i],
                f"repeats the {what} of row {first_row[codes[i]]}; each {what} may appear only "
                "once in a file",
            )

    def _province(self) -> None:
        cells = self.cells("province")
        codes = np.full(self.n, None, dtype=object)
        if cells is not None:
            column = self.plan.column("province")
            present = pd.notna(cells)
            matches = {value: match_province(value) for value in pd.unique(cells[present])}
            codes[present] = [
                m.code if (m := matches[v]) is not None else None for v in cells[present]
            ]
            doubtful = {v for v, m in matches.items() if m is None or not m.exact}
            if doubtful:
                rows = np.flatnonzero(present)
                rows = rows[pd.Series(cells[rows], dtype=object).isin(doubtful).to_numpy()]
                for i in rows:
                    match = matches[cells[i]]
                    if match is None:
                        rule = (
                            "is not a Thai province name or code; ignored (the province is "
                            "taken from the location)"
                        )
                    else:
                        rule = (
                            f"was read as {match.province.name_th} "
                            f"({match.province.name_en}, {match.code}), the closest spelling"
                        )
                    self.at(i, column, cells[i], rule, WARNING)
        address = self.cells("address") if cells is None else None
        if address is not None:
            # No province column: Thai addresses name the province before the postcode.
            found = {value: province_in_address(value) for value in pd.unique(address)}
            codes = np.array(
                [m.code if (m := found.get(v)) is not None else None for v in address],
                dtype=object,
            )
        self.out["province_code_stated"] = codes
        for target in ("district", "subdistrict"):
            cleaned = _clean_text(self.cells(target))
            self.out[f"{target}_stated"] = (
                cleaned if cleaned is not None else np.full(self.n, None, dtype=object)
            )

    def _other_fields(self) -> None:
        types = self.out["type"]
        for target in self.plan.fields:
            spec = _SPECS.get(target)
            if spec is None or target in _HANDLED:
                continue
            cells = self.cells(target)
            if target in _TYPE_SPECIFIC:
                cells = self._drop_not_carried(target, cells, types)
            parser = _parser_for(spec)
            if parser is None:
                self.out[target] = _clean_text(cells)
                continue
            column = self.plan.column(target)
            parsed = self._parse_cells(cells, column, parser)
            if spec.kind == "list":
                for i in np.flatnonzero(pd.notna(cells)):
                    items, unknown = parsed[i]
                    parsed[i] = items
                    for piece in unknown:
                        self.at(i, column, piece, values.list_rule(target), WARNING)
            self.out[target] = parsed

    def _drop_not_carried(self, target: str, cells: np.ndarray, types: np.ndarray) -> np.ndarray:
        carried = pd.Series(types, dtype=object).isin(list(_CARRIED_BY[target])).to_numpy()
        stray = pd.notna(cells) & ~carried & pd.notna(types)
        if stray.any():
            rows = self.rows[stray]
            listed = ", ".join(map(str, rows[:10].tolist())) + (" ..." if len(rows) > 10 else "")
            kinds = ", ".join(sorted(set(types[stray])))
            self.add(
                Problem(
                    None,
                    self.plan.column(target),
                    None,
                    f"has values in {_rows(len(rows))} whose type ({kinds}) has no field "
                    f"{target}; ignored (rows {listed})",
                    WARNING,
                )
            )
        return np.where(carried, cells, None)

    # ------------------------------------------------------------------ result

    def _result(self) -> NormalisedImport:
        keep = ~self.bad
        data: dict[str, object] = {"row": self.rows[keep]}
        order = list(BASE_COLUMNS[1:]) + list(_ALWAYS)
        order += [s.name for s in COMMON_FIELDS if s.name in self.out and s.name not in order]
        order += [n for n in _SPECS if n in _TYPE_SPECIFIC and n in self.out]
        for name in order:
            data[name] = _typed(name, np.asarray(self.out[name], dtype=object)[keep])
        frame = pd.DataFrame(data)
        frame.index = pd.RangeIndex(len(frame))
        rejected = sorted(set(self.rows[self.bad].tolist()))
        return NormalisedImport(
            frame=frame,
            report=self.report,
            rejected_rows=rejected,
            file_sha256="",
            file_name=self.file_name,
            format=self.raw.format,
            crs=self.crs,
            layer=self.raw.layer,
            columns=dict(self.plan.fields),
        )


def _typed(name: str, column: np.ndarray) -> pd.Series | np.ndarray:
    if name in ("lon", "lat"):
        return column.astype(float)
    spec = _SPECS.get(name)
    kind = spec.kind if spec else "text"
    if kind == "int":
        return pd.array(column, dtype="Int64")
    if kind == "bool":
        return pd.array(column, dtype="boolean")
    if kind == "datetime":
        return pd.to_datetime(pd.Series(column, dtype=object), utc=True)
    # object, not pandas' str dtype, so a missing value stays None rather than NaN.
    return pd.Series(column, dtype=object)


def _plain_phone(text: str | None) -> str | None:
    """One Thai number written plainly (digits, with or without dashes or spaces), else None."""
    if text is None:
        return None
    if _PLAIN_PHONE.fullmatch(text):
        return text
    if _SPACED_PHONE.fullmatch(text):
        digits = text.replace("-", "").replace(" ", "")
        if _PLAIN_PHONE.fullmatch(digits):
            return digits
    return None


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _clean_text(cells: np.ndarray | None) -> np.ndarray | None:
    """Cells with runs of whitespace as one space (stripping was done when reading cells)."""
    if cells is None:
        return None
    messy = [i for i, v in enumerate(cells) if v is not None and _is_messy(v)]
    if not messy:
        return cells
    result = cells.copy()
    for i in messy:
        result[i] = values.clean_text(cells[i])
    return result


def _is_messy(text: str) -> bool:
    return "  " in text or "\n" in text or "\t" in text or "\r" in text or "\u200b" in text


def _parser_for(spec: FieldSpec) -> Callable[[str], object] | None:
    if spec.name == "status":
        return values.parse_status
    if spec.kind == "int":
        return values.parse_int
    if spec.kind == "bool":
        return lambda text: values.parse_bool(text, spec.name)
    if spec.kind == "list":
        return lambda text: values.parse_list(text, spec.name)
    if spec.kind == "datetime":
        return values.parse_datetime
    if spec.kind == "choice":
        return _choice_parser(spec)
    return None


def _choice_parser(spec: FieldSpec) -> Callable[[str], str]:
    index = {values.word_key(c): c for c in spec.choices}

    def parse(text: str) -> str:
        found = index.get(values.word_key(text))
        if found is None:
            raise ValueError(f"is not one of {', '.join(spec.choices)}")
        return found

    return parse


def _same_crs(a: str, b: str) -> bool:
    try:
        return coords.resolve_crs(a).equals(coords.resolve_crs(b))
    except ImportOptionError:
        return False


def file_sha256(path: str | PathLike[str]) -> str:
    """SHA-256 of a file, as recorded in :attr:`NormalisedImport.file_sha256`."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
