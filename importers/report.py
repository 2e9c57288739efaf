"""What an import found wrong, row by row, in words a person can act on.

Every problem names the row as the person sees it in their file, the column as it is headed
there, quotes the raw value and states the rule it broke::

    row 17, column 'lat': '1375.5' is not a latitude between 5.61 and 20.47
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from importers.messages import Text

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"

# Quoted values are cut so one long cell (an HTML description, say) cannot flood a report.
_MAX_QUOTED = 80


def quote(value: object) -> str:
    """Quote a raw value for a message, shortened if it is long."""
    text = str(value)
    if len(text) > _MAX_QUOTED:
        text = text[: _MAX_QUOTED - 1] + "…"
    return f"'{text}'"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file, a row or a value.

    Parameters
    ----------
    row : int or None
        Row number as a person sees it in the file (spreadsheet row, feature number), or None
        for a problem with the whole file or a whole column.
    column : str or None
        The column as headed in the file (not the registry field), or None.
    value : str or None
        The raw value as text, or None when there is no value to quote (a missing cell).
    rule : str or Text
        What is wrong, phrased to follow the quoted value: ``"is not a latitude ..."``. A
        :class:`~importers.messages.Text` gives the English here and its ``code`` and
        ``params``, which a page translates.
    severity : {'error', 'warning'}
        Errors reject the row (or, with no row, the file); warnings are information.
    code, params
        The rule's message code and parameters (None and empty for a rule without a code).

    Examples
    --------
    >>> Problem(17, "lat", "1375.5", "is not a latitude between 5.61 and 20.47").message
    "row 17, column 'lat': '1375.5' is not a latitude between 5.61 and 20.47"
    """

    row: int | None
    column: str | None
    value: str | None
    rule: str
    severity: Severity = ERROR
    code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.rule, Text):
            text = self.rule
            object.__setattr__(self, "rule", text.english)
            object.__setattr__(self, "code", text.code)
            object.__setattr__(self, "params", text.as_dict()["params"])
        if self.severity not in (ERROR, WARNING):
            raise ValueError(f"severity {self.severity!r} is not 'error' or 'warning'")

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def where(self) -> str:
        """``"row 17, column 'lat'"``, ``"column 'lat'"``, ``"row 17"`` or ``"file"``."""
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {quote(self.column)}")
        return ", ".join(parts) if parts else "file"

    @property
    def message(self) -> str:
        if self.value is None:
            return f"{self.where}: {self.rule}"
        return f"{self.where}: {quote(self.value)} {self.rule}"

    def __str__(self) -> str:
        return self.message


@dataclass
class ImportReport:
    """Problems found while reading one file.

    Examples
    --------
    >>> report = ImportReport(file_name="sites.csv", rows_read=2)
    >>> report.error(2, "lat", "1375.5", "is not a latitude between 5.61 and 20.47")
    >>> report.warning(None, "remarks", None, "is not a registry field; its values are ignored")
    >>> report.rows_with_errors
    [2]
    """

    file_name: str | None = None
    rows_read: int = 0
    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def error(self, row: int | None, column: str | None, value: str | None, rule) -> None:
        self.problems.append(Problem(row, column, value, rule, ERROR))

    def warning(self, row: int | None, column: str | None, value: str | None, rule) -> None:
        self.problems.append(Problem(row, column, value, rule, WARNING))

    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)

    @property
    def file_errors(self) -> list[Problem]:
        """Errors that concern the whole file or a column rather than one row."""
        return [p for p in self.problems if p.severity == ERROR and p.row is None]

    @property
    def rows_with_errors(self) -> list[int]:
        return sorted({p.row for p in self.problems if p.severity == ERROR and p.row is not None})

    def for_row(self, row: int) -> list[Problem]:
        return [p for p in self.problems if p.row == row]

    def as_dicts(self) -> list[dict[str, object]]:
        """Problems as plain dicts (row, column, value, rule, severity, code, params, message)
        for JSON."""
        return [{**asdict(p), "message": p.message} for p in self.sorted()]

    def sorted(self) -> list[Problem]:
        """File-level problems first, then by row; the order found is kept within a row."""
        return sorted(self.problems, key=lambda p: -1 if p.row is None else p.row)

    def summary(self, max_lines: int = 40) -> str:
        """A readable text: counts, then errors, then warnings, at most ``max_lines`` each."""
        name = quote(self.file_name) if self.file_name else "the file"
        errors = [p for p in self.sorted() if p.severity == ERROR]
        warnings = [p for p in self.sorted() if p.severity == WARNING]
        bad_rows = len(self.rows_with_errors)
        lines = [
            f"{name}: {self.rows_read} rows read, {bad_rows} rejected, "
            f"{len(errors)} errors, {len(warnings)} warnings"
        ]
        for title, group in (("Errors", errors), ("Warnings", warnings)):
            if not group:
                continue
            lines.append(f"{title}:")
            lines.extend(f"  {p.message}" for p in group[:max_lines])
            if len(group) > max_lines:
                lines.append(f"  ... and {len(group) - max_lines} more")
        return "\n".join(lines)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)
