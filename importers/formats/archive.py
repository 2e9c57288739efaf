"""Zip archives: a zipped shapefile, or a single table or layer file zipped for sending.

``.kmz`` is a zipped KML and goes the same way.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Collection
from pathlib import PurePosixPath

from importers import file_rules
from importers.errors import ImportFormatError
from importers.formats.base import RawTable, Reader
from importers.formats.ogr import ShapefileReader
from importers.limits import WEB_LIMITS, Budget


class ZipReader(Reader):
    name = "zip"
    extensions = (".zip", ".kmz")
    label = file_rules.ZIP_LABEL()

    def __init__(self, reader_for_extension: Callable[[str], Reader | None]) -> None:
        self._reader_for_extension = reader_for_extension

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
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                entries = budget.open_zip(archive)
                names = [
                    e.filename
                    for e in entries
                    if not e.filename.endswith("/") and "__MACOSX" not in e.filename
                ]
                if any(n.lower().endswith(".shp") for n in names):
                    member = None
                else:
                    member = self._single_member(names, file_name)
                    # Refused on its declared size before a byte is inflated, else counted.
                    inner = budget.read_member(archive, archive.getinfo(member))
        except (zipfile.BadZipFile, EOFError):
            raise ImportFormatError(file_rules.ZIP_DAMAGED(), file_name=file_name) from None
        if member is None:
            return ShapefileReader().read_bytes(
                data, file_name, sheet=sheet, extra_headers=extra_headers, budget=budget
            )
        reader = self._reader_for_extension(PurePosixPath(member).suffix.lower())
        inner_name = f"{file_name}/{member}"
        budget.file_name = inner_name
        budget.bytes -= len(inner)  # the member's reader counts its bytes again
        return reader.read_bytes(
            inner, inner_name, sheet=sheet, extra_headers=extra_headers, budget=budget
        )

    def _single_member(self, names: list[str], file_name: str) -> str:
        readable = [
            n
            for n in names
            if self._reader_for_extension(PurePosixPath(n).suffix.lower()) not in (None, self)
        ]
        if len(readable) == 1:
            return readable[0]
        if not names:
            raise ImportFormatError(file_rules.ZIP_EMPTY(), file_name=file_name)
        if not readable:
            raise ImportFormatError(
                file_rules.ZIP_NOTHING_TO_READ(names=", ".join(names[:10])), file_name=file_name
            )
        raise ImportFormatError(
            file_rules.ZIP_SEVERAL(names=", ".join(readable[:10])), file_name=file_name
        )
