"""Format readers and the registry that picks one by file extension or by name.

Adding a format: subclass :class:`~importers.formats.base.Reader`, then
:func:`register_reader` it. Readers know nothing about facilities; they return a
:class:`~importers.formats.base.RawTable`.

Examples
--------
>>> reader_for("sites.xlsx").name, reader_for("upload", format="geojson").name
('xlsx', 'geojson')
"""

from __future__ import annotations

from pathlib import PurePath

from importers import file_rules
from importers.errors import ImportFormatError
from importers.formats.archive import ZipReader
from importers.formats.base import RawTable, Reader, load_source
from importers.formats.delimited import DelimitedReader
from importers.formats.excel import ExcelReader
from importers.formats.geojson import GeoJSONReader
from importers.formats.kml import KMLReader
from importers.formats.ogr import GeoPackageReader, ShapefileReader
from importers.messages import Text, joined

__all__ = [
    "RawTable",
    "Reader",
    "known_formats",
    "load_source",
    "reader_for",
    "register_reader",
]

_READERS: dict[str, Reader] = {}
_EXTENSIONS: dict[str, str] = {}

# Extensions people try that deserve a specific answer.
_ADVICE = {
    ".xls": file_rules.XLS_ADVICE(),
    ".shp": file_rules.SHP_ADVICE(),
    ".ods": file_rules.ODS_ADVICE(),
}


def register_reader(reader: Reader, *, aliases: tuple[str, ...] = ()) -> Reader:
    """Make ``reader`` available under its name, its aliases and its extensions."""
    for key in (reader.name, *aliases):
        _READERS[key.casefold()] = reader
    for extension in reader.extensions:
        _EXTENSIONS[extension.casefold()] = reader.name
    return reader


def _by_extension(extension: str) -> Reader | None:
    name = _EXTENSIONS.get(extension.casefold())
    return _READERS[name] if name else None


def known_formats() -> dict[str, tuple[str, ...]]:
    """Reader name -> extensions, for help texts."""
    seen: dict[str, tuple[str, ...]] = {}
    for reader in _READERS.values():
        seen.setdefault(reader.name, reader.extensions)
    return seen


def _known_list() -> Text:
    known = [
        file_rules.KNOWN_FORMAT(extensions=", ".join(e), label=_READERS[n].label)
        for n, e in known_formats().items()
        if e
    ]
    return joined(known, file_rules.LIST_NEXT)


def reader_for(file_name: str | PurePath | None, format: str | None = None) -> Reader:
    """The reader for an explicit format name, else for the file's extension.

    Raises
    ------
    ImportFormatError
        Naming the extension (or format) and the known ones.
    """
    shown = PurePath(file_name).name if file_name else "upload"
    if format is not None:
        key = str(format).strip().casefold().lstrip(".")
        reader = _READERS.get(key) or _by_extension(f".{key}")
        if reader is None:
            names = ", ".join(sorted(known_formats()))
            raise ImportFormatError(
                file_rules.FORMAT_UNKNOWN(format=repr(format), names=names), file_name=shown
            )
        return reader
    suffix = PurePath(str(file_name or "")).suffix.casefold()
    if not suffix:
        raise ImportFormatError(file_rules.NO_EXTENSION(known=_known_list()), file_name=shown)
    reader = _by_extension(suffix)
    if reader is None:
        advice = _ADVICE.get(suffix) or file_rules.KNOWN_FORMATS(known=_known_list())
        raise ImportFormatError(
            file_rules.EXTENSION_REFUSED(suffix=suffix, advice=advice), file_name=shown
        )
    return reader


register_reader(DelimitedReader(), aliases=("tsv", "txt", "text"))
register_reader(ExcelReader(), aliases=("excel", "xlsm"))
register_reader(GeoJSONReader(), aliases=("json",))
register_reader(KMLReader())
register_reader(GeoPackageReader(), aliases=("geopackage",))
register_reader(ShapefileReader(), aliases=("shp", "esri shapefile"))
register_reader(ZipReader(_by_extension), aliases=("kmz",))
