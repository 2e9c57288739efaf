"""Excel workbooks (.xlsx, .xlsm) through openpyxl in read-only mode.

Real sheets carry title rows (often merged across the table) and notes above the header, and
workbooks hold several sheets (a summary, the list, a lookup table). The header is the first
row among the top 15 that names enough registry fields; the sheet is the one asked for, else
the first whose top rows contain such a header. Date cells come through as ISO text, numbers
without a spurious ``.0``. Formulas give their cached values.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Collection

import numpy as np
import pandas as pd

from importers import file_rules
from importers.errors import ImportFormatError
from importers.formats.base import (
    HEADER_MIN_FIELDS,
    HEADER_SEARCH_ROWS,
    RawTable,
    Reader,
    cell_text,
    choice_note,
    find_header,
    table_from_grid,
)
from importers.limits import WEB_LIMITS, Budget

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class ExcelReader(Reader):
    """Excel 2007+ workbooks."""

    name = "xlsx"
    extensions = (".xlsx", ".xlsm")
    label = "Excel"

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
        if data.startswith(_OLE2_MAGIC):
            raise ImportFormatError(file_rules.XLS_WORKBOOK(), file_name=file_name)
        _check_package(data, budget)
        # Imported lazily: openpyxl is slow to import and only Excel files need it.
        import openpyxl

        try:
            with warnings.catch_warnings():
                # openpyxl warns about styles and extensions it ignores; they do not matter here.
                warnings.simplefilter("ignore")
                workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except zipfile.BadZipFile:
            raise ImportFormatError(file_rules.XLSX_DAMAGED(), file_name=file_name) from None
        except Exception as exc:  # openpyxl raises many types for damaged packages
            raise ImportFormatError(
                file_rules.XLSX_UNREADABLE(why=f"{type(exc).__name__}: {exc}"),
                file_name=file_name,
            ) from None
        try:
            worksheet, problems = _choose_sheet(workbook, sheet, extra_headers, file_name)
            worksheet.reset_dimensions()
            try:
                rows, numbers = _non_blank_rows(worksheet, budget)
            except (zipfile.BadZipFile, KeyError, ValueError, EOFError, OSError) as exc:
                raise ImportFormatError(
                    file_rules.SHEET_DAMAGED(sheet=repr(worksheet.title), why=type(exc).__name__),
                    file_name=file_name,
                ) from None
        finally:
            workbook.close()
        width = max((len(r) for r in rows), default=0)
        if not width:
            raise ImportFormatError(
                file_rules.SHEET_EMPTY(sheet=repr(worksheet.title)), file_name=file_name
            )
        budget.add_cells(len(rows) * width - sum(map(len, rows)))  # the padding below
        grid = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)
        return table_from_grid(
            grid,
            format=self.name,
            file_name=file_name,
            extra_headers=extra_headers,
            layer=worksheet.title,
            problems=problems,
            numbers=np.asarray(numbers, dtype=np.int64),
            budget=budget,
        )


def _non_blank_rows(worksheet, budget: Budget) -> tuple[list[list[str | None]], list[int]]:
    """The sheet's rows with a value, without their trailing empty cells, and their numbers.

    Blank rows are dropped as they are read; every row and cell read counts on the budget.
    """
    rows, numbers = [], []
    for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
        budget.read_rows()
        budget.add_cells(len(row))
        cells = [cell_text(v) for v in row]
        while cells and (cells[-1] is None or not cells[-1].strip()):
            cells.pop()
        if not cells:
            continue
        budget.add_rows(slack=HEADER_SEARCH_ROWS)
        rows.append(cells)
        numbers.append(number)
    return rows, numbers


def _check_package(data: bytes, budget: Budget) -> None:
    """Refuse a workbook whose parts expand, or whose sheets hold rows, past the limits.

    The parts' declared sizes bound what they inflate to (zipfile yields no more), so this
    costs no decompression; the sheets' row elements are then counted in one streaming pass,
    a few megabytes at a time, before openpyxl spends its time on them.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return  # openpyxl names the damage
    with archive:
        entries = budget.open_zip(archive)
        budget.check_declared(sum(e.file_size for e in entries))
        budget.add_bytes(sum(e.file_size for e in entries))
        rows = 0
        for entry in entries:
            if entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml"):
                rows += _count_rows(archive, entry)
        Budget(budget.limits, budget.file_name).read_rows(rows)


def _count_rows(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> int:
    count, tail = 0, b""
    try:
        with archive.open(entry) as stream:
            while piece := stream.read(1 << 22):
                window = tail + piece
                count += window.count(b"<row ") + window.count(b"<row>")
                # A tag cut between two pieces is counted once, in the next window.
                tail = window[-5:]
                count -= tail.count(b"<row ") + tail.count(b"<row>")
    except (zipfile.BadZipFile, EOFError, OSError):
        pass  # openpyxl names the damage
    return count + tail.count(b"<row ") + tail.count(b"<row>")


def _top_rows(worksheet) -> list[list[str | None]]:
    # Some writers record wrong sheet dimensions (A1:A1); read-only mode would trust them.
    worksheet.reset_dimensions()
    rows = []
    for row in worksheet.iter_rows(max_row=HEADER_SEARCH_ROWS * 2, values_only=True):
        rows.append([cell_text(v) for v in row])
    return rows


def _choose_sheet(workbook, sheet: str | None, extra_headers: Collection[str], file_name: str):
    names = workbook.sheetnames
    if sheet is not None:
        wanted = str(sheet).strip()
        for name in names:
            if name == wanted or name.strip().casefold() == wanted.casefold():
                return workbook[name], []
        raise ImportFormatError(
            file_rules.NO_SUCH_SHEET(sheet=repr(wanted), sheets=", ".join(repr(n) for n in names)),
            file_name=file_name,
        )
    if len(names) == 1:
        return workbook[names[0]], []
    first_non_empty = None
    for name in names:
        worksheet = workbook[name]
        rows = [r for r in _top_rows(worksheet) if any(v not in (None, "") for v in r)]
        if not rows:
            continue
        if first_non_empty is None:
            first_non_empty = name
        _, count = find_header(rows, extra_headers)
        if count >= HEADER_MIN_FIELDS:
            others = [n for n in names if n != name]
            note = choice_note("sheet", name, others, file_rules.FIRST_WITH_HEADERS())
            return worksheet, [note]
    if first_non_empty is None:
        raise ImportFormatError(file_rules.EVERY_SHEET_EMPTY(), file_name=file_name)
    others = [n for n in names if n != first_non_empty]
    note = choice_note("sheet", first_non_empty, others, file_rules.NO_SHEET_WITH_HEADERS())
    return workbook[first_non_empty], [note]
