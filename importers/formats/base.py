"""The reader interface and the raw table every reader returns.

A reader turns one file into a :class:`RawTable`: column names as headed in the file, raw cell
values as text (or None), the row number a person would see for each row, and, for spatial
formats, an (x, y) point per row with the CRS the file declares. Readers interpret nothing:
what a column means and whether a value is valid is decided later, in one place.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import BinaryIO, ClassVar

import numpy as np
import pandas as pd

from importers import file_rules
from importers.columns import recognised_fields
from importers.errors import ImportFormatError
from importers.limits import WEB_LIMITS, Budget, ImportLimits, megabytes
from importers.messages import Text, joined
from importers.report import WARNING, Problem, quote

Source = str | PathLike[str] | bytes | bytearray | memoryview | BinaryIO

# The header is looked for in this many rows from the top (title rows, notes, logos above it).
HEADER_SEARCH_ROWS = 15
# A row is taken as the header when it names at least this many registry fields.
HEADER_MIN_FIELDS = 2


@dataclass
class RawTable:
    """One table of raw values, as read from a file.

    Attributes
    ----------
    columns : list of str
        Column names as headed in the file, unique, in file order.
    frame : pandas.DataFrame
        One row per data row, columns ``columns``, values stripped str or None (object dtype,
        never empty strings).
    row_numbers : numpy.ndarray
        For each frame row, its row number as a person sees it: the spreadsheet row (the header
        counts) for CSV and Excel, the 1-based feature number for GeoJSON, KML and OGR layers.
    geometry : numpy.ndarray or None
        ``(n, 2)`` float array of x, y per row (NaN where a row has no point), or None when the
        format has no geometry.
    crs : str or None
        The CRS the file declares (``"EPSG:32647"``, an OGC URN, WKT), or None.
    format : str
        Name of the reader that produced the table.
    layer : str or None
        The sheet or layer read, when the file has several.
    header_row : int or None
        Row number of the header in table formats.
    encoding : str or None
        Text encoding used to decode the file, for text formats.
    problems : list of Problem
        What the reader noticed: duplicated headers, ignored sheets, non-point geometry...
    """

    columns: list[str]
    frame: pd.DataFrame
    row_numbers: np.ndarray
    geometry: np.ndarray | None = None
    crs: str | None = None
    format: str = ""
    layer: str | None = None
    header_row: int | None = None
    encoding: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.frame)

    def rows(self) -> Iterator[tuple[int, list[str | None]]]:
        """Yield ``(row_number, values)`` in file order; values follow ``columns``."""
        values = self.frame.to_numpy(dtype=object)
        for number, row in zip(self.row_numbers.tolist(), values, strict=True):
            yield number, [None if v is None or v is np.nan else v for v in row]


class Reader:
    """Base class of format readers.

    Subclasses set ``name``, ``extensions`` and ``label`` and implement :meth:`read_bytes`.
    They raise :class:`~importers.errors.ImportFormatError` when the file cannot be read at all
    and record everything else as problems on the table. They count what they read on the
    :class:`~importers.limits.Budget` they are given (bytes, rows, cells) as they read it,
    drop blank rows as they go, and stop at the first limit passed.
    """

    name: ClassVar[str] = ""
    extensions: ClassVar[tuple[str, ...]] = ()
    label: ClassVar[str | Text] = ""

    def read(
        self,
        source: Source,
        *,
        sheet: str | None = None,
        name: str | None = None,
        extra_headers: Collection[str] = (),
        limits: ImportLimits = WEB_LIMITS,
    ) -> RawTable:
        """Read a file given as a path, bytes or a binary file object.

        Parameters
        ----------
        source : path, bytes or binary file
            The file.
        sheet : str, optional
            Sheet (Excel) or layer (GeoPackage, zipped shapefiles) to read; by default the
            first one that looks like a facility list.
        name : str, optional
            File name for messages when ``source`` is bytes.
        extra_headers : collection of str
            Header names that count as known when looking for the header row (the source
            columns of an explicit mapping).
        limits : ImportLimits
            The most the file may expand to, hold and cost (the web's by default).
        """
        data, file_name = load_source(source, name, max_bytes=limits.expanded_bytes)
        if not data.strip():
            raise ImportFormatError(file_rules.FILE_EMPTY(), file_name=file_name)
        budget = Budget(limits, file_name)
        return self.read_bytes(
            data, file_name, sheet=sheet, extra_headers=extra_headers, budget=budget
        )

    def read_bytes(
        self,
        data: bytes,
        file_name: str,
        *,
        sheet: str | None = None,
        extra_headers: Collection[str] = (),
        budget: Budget | None = None,
    ) -> RawTable:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {', '.join(self.extensions)}>"


def load_source(
    source: Source, name: str | None = None, *, max_bytes: int | None = None
) -> tuple[bytes, str]:
    """Return the file's bytes and a name to use in messages.

    A file on disk larger than ``max_bytes`` is refused before it is read.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), name or "upload"
    if isinstance(source, str | PathLike):
        path = Path(source)
        try:
            size = path.stat().st_size
            if max_bytes is not None and size > max_bytes:
                limits = ImportLimits(expanded_bytes=max_bytes)
                raise limits.refuse(
                    name or path.name,
                    file_rules.FILE_TOO_BIG(size=megabytes(size), limit=megabytes(max_bytes)),
                )
            return path.read_bytes(), name or path.name
        except FileNotFoundError:
            raise ImportFormatError(file_rules.FILE_MISSING(), file_name=str(path)) from None
        except IsADirectoryError:
            raise ImportFormatError(file_rules.FILE_IS_FOLDER(), file_name=str(path)) from None
        except OSError as exc:
            raise ImportFormatError(
                file_rules.FILE_CANNOT_OPEN(why=exc.strerror), file_name=str(path)
            ) from None
    if hasattr(source, "read"):
        data = source.read() if max_bytes is None else source.read(max_bytes + 1)
        if max_bytes is not None and len(data) > max_bytes:
            limits = ImportLimits(expanded_bytes=max_bytes)
            raise limits.refuse(
                name or str(getattr(source, "name", "upload")),
                file_rules.STREAM_TOO_BIG(limit=megabytes(max_bytes)),
            )
        if isinstance(data, str):
            data = data.encode("utf-8")
        return data, name or str(getattr(source, "name", "upload"))
    raise TypeError(f"cannot read a file from {type(source).__name__}")


def cell_text(value: object) -> str | None:
    """A cell or property value as the text a person would see, or None when empty.

    Integral floats lose their ``.0`` (``10697.0`` -> ``'10697'``): spreadsheet and DBF
    numbers are floats, and codes read as numbers must come back as the code.

    Examples
    --------
    >>> cell_text(10697.0), cell_text(13.75), cell_text(None), cell_text(True)
    ('10697', '13.75', None, 'true')
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isnan(number):
            return None
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return repr(number)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def column_letter(index: int) -> str:
    """Spreadsheet letter of a 0-based column index: 0 -> 'A', 27 -> 'AB'."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


_SPACES = re.compile(r"\s+")


def clean_header(value: object) -> str:
    """Header text with line breaks and runs of spaces made single spaces."""
    text = cell_text(value)
    if text is None:
        return ""
    return _SPACES.sub(" ", text.replace("\ufeff", "")).strip()


def stripped(values: Sequence[object]) -> np.ndarray:
    """Cells as an object array of stripped text, with empty and missing cells as None.

    A list comprehension: on object arrays it is several times faster than ``Series.str``.
    """
    out = np.empty(len(values), dtype=object)
    out[:] = [
        (v.strip() or None)
        if v.__class__ is str
        else (None if v is None or (isinstance(v, float) and v != v) else str(v).strip() or None)
        for v in values
    ]
    return out


def find_header(
    rows: Sequence[Sequence[object]], extra_headers: Collection[str] = ()
) -> tuple[int | None, int]:
    """Index of the header among the first rows, and how many fields it names.

    The header is the first row naming at least ``HEADER_MIN_FIELDS`` registry fields; failing
    that, the row naming most; failing that, the first non-empty row. Returns ``(None, 0)`` when
    all rows are empty.
    """
    first_non_empty = None
    best, best_count = None, 0
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [clean_header(v) for v in row]
        if not any(cells):
            continue
        if first_non_empty is None:
            first_non_empty = index
        count = len(recognised_fields(cells, extra_headers))
        if count >= HEADER_MIN_FIELDS:
            return index, count
        if count > best_count:
            best, best_count = index, count
    if best is not None:
        return best, best_count
    return first_non_empty, 0


def table_from_grid(
    grid: pd.DataFrame,
    *,
    format: str,
    file_name: str,
    extra_headers: Collection[str] = (),
    layer: str | None = None,
    encoding: str | None = None,
    problems: list[Problem] | None = None,
    first_row_number: int = 1,
    numbers: np.ndarray | None = None,
    budget: Budget | None = None,
) -> RawTable:
    """Build a table from a grid of cells that still contains its header and title rows.

    ``grid`` has positional columns and one row per file row, starting at row
    ``first_row_number``, or one row per non-blank file row numbered by ``numbers`` (readers
    that drop blank rows while reading). Finds the header, names unnamed columns that hold
    data, reports duplicated header names (only the first such column is read) and drops
    empty rows while keeping every other row's number as in the file.
    """
    problems = list(problems or [])
    if numbers is None:
        numbers = np.arange(first_row_number, first_row_number + len(grid), dtype=np.int64)
    cells = [stripped(grid[c].to_numpy(dtype=object)) for c in grid.columns]
    if not cells:
        raise ImportFormatError(file_rules.NO_COLUMNS(), file_name=file_name)
    blank = np.ones(len(grid), dtype=bool)
    for column in cells:
        blank &= column == None  # noqa: E711 (elementwise on an object array)
    if blank.all():
        raise ImportFormatError(file_rules.NO_ROWS(), file_name=file_name)
    non_blank = np.flatnonzero(~blank)
    top = [[column[i] for column in cells] for i in non_blank[:HEADER_SEARCH_ROWS]]
    header_pos, _ = find_header(top, extra_headers)
    if header_pos is None:
        raise ImportFormatError(file_rules.NO_HEADER(), file_name=file_name)
    header_index = int(non_blank[header_pos])
    header_number = int(numbers[header_index])
    header_cells = [clean_header(column[header_index]) for column in cells]

    body = np.flatnonzero(~blank[header_index + 1 :]) + header_index + 1
    if budget is not None:
        budget.check_rows(len(body))
    row_numbers = numbers[body].astype(np.int64)

    above = header_number - first_row_number
    if above > 0:
        problems.append(
            Problem(
                None, None, None, file_rules.HEADER_BELOW(row=header_number, count=above), WARNING
            )
        )

    data: dict[str, np.ndarray] = {}
    seen: dict[str, list[int]] = {}
    for position, header in enumerate(header_cells):
        column = cells[position][body]
        if not header:
            if (column == None).all():  # noqa: E711
                continue
            header = f"column {column_letter(position)}"
        seen.setdefault(header, []).append(position)
        if len(seen[header]) == 1:
            data[header] = column
    for header, positions in seen.items():
        if len(positions) > 1:
            letters = joined([column_letter(p) for p in positions], file_rules.LIST_AND)
            problems.append(
                Problem(
                    None,
                    header,
                    None,
                    file_rules.HEADER_REPEATED_COLUMN(count=len(positions), letters=letters),
                )
            )
    names = list(data)

    # Exports that paginate repeat the header row inside the data.
    repeats = np.ones(len(body), dtype=bool)
    for name in names:
        repeats &= data[name] == name
    if names and repeats.any():
        for number in row_numbers[repeats].tolist():
            problems.append(Problem(number, None, None, file_rules.HEADER_ROW_AGAIN(), WARNING))
        data = {name: column[~repeats] for name, column in data.items()}
        row_numbers = row_numbers[~repeats]
    frame = pd.DataFrame({name: pd.Series(column, dtype=object) for name, column in data.items()})

    return RawTable(
        columns=names,
        frame=frame,
        row_numbers=row_numbers,
        format=format,
        layer=layer,
        header_row=header_number,
        encoding=encoding,
        problems=problems,
    )


def table_from_records(
    records: list[dict[str, object]],
    columns: list[str],
    *,
    format: str,
    geometry: np.ndarray | None = None,
    crs: str | None = None,
    layer: str | None = None,
    problems: list[Problem] | None = None,
    row_numbers: list[int] | np.ndarray | None = None,
) -> RawTable:
    """Build a table from feature-like records (one dict of properties per feature).

    ``row_numbers`` are the features' numbers in the file when some were left out (blank
    features dropped while reading); by default 1, 2, 3...
    """
    frame = pd.DataFrame.from_records(records, columns=columns) if records else None
    if frame is None:
        frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    frame = frame_of_stripped(frame)
    if row_numbers is None:
        row_numbers = np.arange(1, len(frame) + 1, dtype=np.int64)
    return RawTable(
        columns=list(columns),
        frame=frame,
        row_numbers=np.asarray(row_numbers, dtype=np.int64),
        geometry=geometry,
        crs=crs,
        format=format,
        layer=layer,
        problems=list(problems or []),
    )


def frame_of_stripped(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every cell stripped text or None (object dtype), as RawTable promises."""
    return pd.DataFrame(
        {
            name: pd.Series(stripped(frame[name].to_numpy(dtype=object)), dtype=object)
            for name in frame.columns
        },
        columns=list(frame.columns),
    )


def choice_note(kind: str, chosen: str, others: Sequence[str], why: Text) -> Problem:
    """A warning that one sheet or layer of several was read (``kind``: sheet or layer)."""
    rule = {"sheet": file_rules.SHEET_READ, "layer": file_rules.LAYER_READ}[kind]
    rest = ", ".join(quote(o) for o in others)
    return Problem(None, None, chosen, rule(why=why, others=rest), WARNING)
