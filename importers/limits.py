"""How much one import may read: expanded bytes, rows and work, checked while the file is read.

A small upload can stand for a lot: a 0.26 MB zip of 256 MB of blank lines, a shapefile with
a 1 GB ``.dbf``, a spreadsheet row whose one cell sits in column XFD. Readers count what they
read as they read it and stop at the first limit passed, with a message naming the limit and
the value; nothing is decompressed, parsed or stored past that point, so the memory an
import needs stays bounded whatever is uploaded.

Limits
------
expanded_bytes
    Bytes of file data read in all: the file, or what its zip members expand to. A zip
    member's declared size is a hard ceiling (Python's zipfile never yields more than it), so
    members are refused on it before anything is decompressed, and counted while read too.
rows
    Data rows (non-blank rows, features, placemarks). Blank lines and rows are dropped while
    reading and do not count here.
rows_read
    Lines and sheet rows read, blank ones included: bounds the time of a file that is all
    padding (a sheet formatted down to row 1,048,576 holds a million blank rows).
cells
    Work: cells read (blank ones included), JSON objects and arrays, XML elements.
members
    Entries in a zip archive.
duplicate_pairs
    Likely-duplicate pairs flagged per batch; more are counted and left unflagged, with a
    warning.
name_comparisons
    Pairs of nearby facilities whose names the duplicate check compares per batch.

The web's limits are the defaults; the command line passes larger ones (registry/config.py
holds both, ``IMPORT_LIMITS`` and ``CLI_IMPORT_LIMITS``).
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import BinaryIO

from importers import file_rules
from importers.errors import ImportFormatError
from importers.messages import Text

_MB = 1 << 20


class ImportLimitError(ImportFormatError):
    """The file passes one of the import limits; nothing of it was imported.

    The message names the file, the limit and the value found (``"more than 100,000 rows"``).
    """

    status_code = 413
    code = "import_limit"


@dataclass(frozen=True)
class ImportLimits:
    """The most one import may read; see the module docstring for what each counts."""

    expanded_bytes: int = 64 * _MB
    rows: int = 100_000
    rows_read: int = 150_000
    cells: int = 5_000_000
    members: int = 1_000
    duplicate_pairs: int = 2_000
    name_comparisons: int = 2_000_000
    # Said after a refusal: where a bigger file can go. Left out of the hash (a Text is not
    # hashable), as it changes nothing about what is counted.
    advice: str | Text = field(default_factory=file_rules.ADVICE, hash=False)

    @classmethod
    def from_config(cls, values: Mapping[str, object] | None) -> ImportLimits:
        """Limits from a configuration mapping (``expanded_mb``, ``rows``, ``cells``...).

        Examples
        --------
        >>> ImportLimits.from_config({"expanded_mb": 8, "rows": 10}).expanded_bytes
        8388608
        """
        values = dict(values or {})
        if "expanded_mb" in values:
            values["expanded_bytes"] = int(float(values.pop("expanded_mb")) * _MB)
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown import limits: {', '.join(sorted(unknown))}")
        return replace(cls(), **values)

    def refuse(self, file_name: str, what: Text) -> ImportLimitError:
        """The refusal for ``what`` (e.g. "has more than 100,000 rows, the limit per file")."""
        return ImportLimitError(
            file_rules.REFUSED(what=what, advice=self.advice), file_name=file_name
        )


WEB_LIMITS = ImportLimits()


def megabytes(size: int) -> str | Text:
    """A byte count as people read it: '64 MB', '1.5 MB', '20 KB', '100 bytes' (a Text)."""
    if size < 1024:
        return file_rules.BYTES(count=f"{size:,}")
    if size < _MB:
        return f"{size / 1024:,.0f} KB"
    value = size / _MB
    text = f"{value:,.0f}" if value >= 10 or value.is_integer() else f"{value:,.1f}"
    return f"{text} MB"


class Budget:
    """What one import has read so far, against its limits; raises at the first one passed."""

    def __init__(self, limits: ImportLimits, file_name: str) -> None:
        self.limits = limits
        self.file_name = file_name
        self.bytes = 0
        self.rows = 0
        self.lines = 0
        self.cells = 0

    def add_bytes(self, count: int, name: str | None = None) -> None:
        self.bytes += count
        if self.bytes > self.limits.expanded_bytes:
            self._over_bytes(name)

    def check_declared(self, size: int, name: str | None = None) -> None:
        """Refuse now if ``size`` more bytes (a zip member's declared size) would pass the limit."""
        if self.bytes + size > self.limits.expanded_bytes:
            limit = megabytes(self.limits.expanded_bytes)
            if name:
                what = file_rules.MEMBER_EXPANDS_TO(member=name, size=megabytes(size), limit=limit)
            else:
                what = file_rules.EXPANDS_TO(size=megabytes(size), limit=limit)
            raise self.limits.refuse(self.file_name, what)

    def _over_bytes(self, name: str | None) -> None:
        limit = megabytes(self.limits.expanded_bytes)
        if name:
            what = file_rules.MEMBER_EXPANDS_BEYOND(member=name, limit=limit)
        else:
            what = file_rules.EXPANDS_BEYOND(limit=limit)
        raise self.limits.refuse(self.file_name, what)

    def add_rows(self, count: int = 1, *, slack: int = 0) -> None:
        """Count data rows; ``slack`` allows for header and title rows not yet told apart."""
        self.rows += count
        if self.rows > self.limits.rows + slack:
            raise self.limits.refuse(
                self.file_name, file_rules.TOO_MANY_ROWS(limit=f"{self.limits.rows:,}")
            )

    def check_rows(self, total: int) -> None:
        """The exact count of data rows, once header and title rows are told apart."""
        self.rows = 0
        self.add_rows(total)

    def read_rows(self, count: int = 1) -> None:
        """Count lines or sheet rows read, blank ones included."""
        self.lines += count
        if self.lines > self.limits.rows_read:
            raise self.limits.refuse(
                self.file_name, file_rules.TOO_MANY_LINES(limit=f"{self.limits.rows_read:,}")
            )

    def add_cells(self, count: int) -> None:
        self.cells += count
        if self.cells > self.limits.cells:
            raise self.limits.refuse(
                self.file_name, file_rules.TOO_MANY_CELLS(limit=f"{self.limits.cells:,}")
            )

    def read(self, stream: BinaryIO, name: str | None = None, chunk: int = _MB) -> bytes:
        """All of ``stream``, counted chunk by chunk: stops reading at the limit."""
        parts = []
        while piece := stream.read(chunk):
            self.add_bytes(len(piece), name)
            parts.append(piece)
        return b"".join(parts)

    def open_zip(self, archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
        """The archive's entries, refused when there are more than the limit."""
        entries = archive.infolist()
        if len(entries) > self.limits.members:
            raise self.limits.refuse(
                self.file_name,
                file_rules.TOO_MANY_MEMBERS(
                    count=f"{len(entries):,}", limit=f"{self.limits.members:,}"
                ),
            )
        return entries

    def read_member(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
        """One zip member's bytes: refused on its declared size, then counted while read."""
        self.check_declared(info.file_size, info.filename)
        with archive.open(info) as stream:
            return self.read(stream, info.filename)

    def copy_member(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: BinaryIO):
        """One zip member written to ``target`` a chunk at a time, counted like read_member."""
        self.check_declared(info.file_size, info.filename)
        with archive.open(info) as stream:
            while piece := stream.read(_MB):
                self.add_bytes(len(piece), info.filename)
                target.write(piece)
