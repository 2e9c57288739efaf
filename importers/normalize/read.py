"""The importer's single entry point: a file in, a :class:`NormalisedImport` out.

:func:`read_facilities` checks its options, reads the file with the reader its format needs
(within the import's limits), then runs the steps in :data:`STEPS` over the raw table, each
filling its columns and reporting its problems, and returns the rows without errors.
"""

from __future__ import annotations

import hashlib
from os import PathLike
from pathlib import Path

from importers import coords, file_rules, rules, values
from importers.columns import MappingSource
from importers.columns import load_mapping as _load_mapping
from importers.errors import ImportFormatError, ImportOptionError
from importers.formats import reader_for
from importers.formats.base import load_source
from importers.limits import WEB_LIMITS, Budget, ImportLimits
from importers.messages import text_of
from importers.normalize.codes import read_codes
from importers.normalize.fields import read_names, read_other_fields, read_province, read_types
from importers.normalize.locations import read_locations
from importers.normalize.result import NormalisedImport, normalised_import
from importers.normalize.state import Normaliser
from importers.report import quote
from importers.vocabulary import FACILITY_TYPES

# In this order: read_other_fields needs the types, and a row's problems are reported in it.
STEPS = (read_names, read_types, read_locations, read_codes, read_province, read_other_fields)


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
        raise ImportOptionError(rules.BYTES_NEED_NAME())

    data, name = load_source(path, file_name, max_bytes=limits.expanded_bytes)
    if not data.strip():
        raise ImportFormatError(file_rules.FILE_EMPTY(), file_name=name)
    reader = reader_for(name, format)
    budget = Budget(limits, name)
    raw = reader.read_bytes(
        data, name, sheet=sheet, extra_headers=tuple(explicit or ()), budget=budget
    )
    if len(raw) == 0:
        raise ImportFormatError(file_rules.NO_DATA_ROWS(), file_name=name)
    table = Normaliser(raw, name, default_type, declared_crs, explicit, source)
    for problem in (*raw.problems, *table.plan.problems):
        table.add(problem)
    for step in STEPS:
        step(table)
    result = normalised_import(table)
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
        raise ImportOptionError(
            rules.TYPE_OPTION(value=quote(facility_type), rule=text_of(exc) or str(exc))
        ) from None


def _check_crs(crs: object) -> str | None:
    if crs is None:
        return None
    resolved = coords.resolve_crs(crs)
    epsg = resolved.to_epsg()
    return f"EPSG:{epsg}" if epsg else resolved.to_wkt()


def file_sha256(path: str | PathLike[str]) -> str:
    """SHA-256 of a file, as recorded in :attr:`NormalisedImport.file_sha256`."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
