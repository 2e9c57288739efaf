"""One import while it is normalised: the raw table, its cleaned columns, problems, bad rows.

Each step of :mod:`importers.normalize.read` (names, types, locations, codes, province, other
fields) takes a :class:`Normaliser`, reads cells through it, reports through it and leaves its
column in :attr:`Normaliser.out`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from importers import values
from importers.columns import plan_columns
from importers.formats import RawTable
from importers.messages import Text, text_of
from importers.report import ERROR, ImportReport, Problem

_MARKERS = frozenset(
    {v for m in values.EMPTY_MARKERS for v in (m, m.upper(), m.title(), m.capitalize())}
)


class Normaliser:
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
        self.crs: str | None = None

    # ------------------------------------------------------------------ problems

    def position_of(self, row: int) -> int:
        """The position in the table of the row a person numbers ``row``."""
        if self._position is None:
            self._position = {r: i for i, r in enumerate(self.rows.tolist())}
        return self._position[row]

    def add(self, problem: Problem) -> None:
        self.report.add(problem)
        if problem.severity == ERROR and problem.row is not None:
            self.bad[self.position_of(problem.row)] = True

    def at(
        self, i: int, column: str | None, value: object, rule: str | Text, severity=ERROR
    ) -> None:
        self.report.add(
            Problem(
                int(self.rows[i]), column, None if value is None else str(value), rule, severity
            )
        )
        if severity == ERROR:
            self.bad[i] = True

    def reject_all(self, column: str | None, rule: str | Text) -> None:
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
        return self.parse_cells(cells, self.plan.column(target), parse, severity=severity)

    def parse_cells(self, cells, column, parse, *, severity=ERROR) -> np.ndarray:
        """``parse`` once per distinct value of ``cells``; failures reported on their rows."""
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

    def none_column(self) -> np.ndarray:
        """A column of None, one per row."""
        return np.full(self.n, None, dtype=object)


def clean_text(cells: np.ndarray | None) -> np.ndarray | None:
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
