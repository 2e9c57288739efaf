"""Statistics tables and the public view of them: small counts of people never shown.

Every table on the statistics pages is a :class:`Table`: named columns of a kind, and rows of
plain values. The same table is rendered on the page and written to CSV, XLSX and JSON, so the
public view is made once, here, before any format sees it.

The public view (:meth:`Table.public`)
--------------------------------------
- ``people`` columns (survey counts, people counted in a coverage layer, COVID beds occupied,
  which are patients): zero stays 0; a count from 1 to ``below - 1`` becomes the text
  ``"<5"`` (``below`` is ``STATS_SUPPRESS_BELOW``, 5 by default); every other count is
  rounded to the nearest multiple of ``round_to`` (``STATS_ROUND_TO``, 5 by default), and
  never to less than ``below``. Rounding is what protects a suppressed cell: a total, the
  other rows, the same cell on a neighbouring page or last week's figure are all rounded
  too, so subtracting them from each other leaves an uncertainty of several people instead
  of the hidden count. Totals are rounded from the exact total, so rows need not add up to
  the total shown.
- ``share`` columns that are a ratio of other columns (``Column.share_of``) are recomputed
  from the public values of those columns, and left empty when either is suppressed: a share
  computed from exact counts would give the small count back (3 of 7 is 42.9%).
- ``published`` columns hold figures another body has already published (the DDC's doses per
  province): shown as published, except that 1 to ``below - 1`` still reads ``"<5"``.
- ``count`` columns count facilities or areas, not people, and are shown exactly.

Administrators of the area see the exact table (:meth:`Table.exact` is the table as built).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

KINDS = ("text", "code", "date", "datetime", "count", "people", "published", "share", "url")
DEFAULT_SUPPRESS_BELOW = 5
DEFAULT_ROUND_TO = 5


@dataclass(frozen=True)
class Suppression:
    """The public-view rule: counts below ``below`` hidden, the rest rounded to ``round_to``."""

    below: int = DEFAULT_SUPPRESS_BELOW
    round_to: int = DEFAULT_ROUND_TO

    @classmethod
    def from_config(cls, config) -> Suppression:
        below = config.get("STATS_SUPPRESS_BELOW", DEFAULT_SUPPRESS_BELOW)
        round_to = config.get("STATS_ROUND_TO", DEFAULT_ROUND_TO)
        for name, value in (("STATS_SUPPRESS_BELOW", below), ("STATS_ROUND_TO", round_to)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"setting {name}: {value!r} is not a whole number of at least 1")
        return cls(below, round_to)

    @property
    def marker(self) -> str:
        return f"<{self.below}"

    def people(self, value: int | None) -> int | str | None:
        """The public form of a count of people."""
        if value is None or value <= 0:
            return value
        if value < self.below:
            return self.marker
        base = self.round_to
        rounded = base * math.floor(value / base + 0.5)
        # The first multiple of the base at or above the threshold: never show less than it.
        floor = base * math.ceil(self.below / base)
        return int(max(rounded, floor))

    def published(self, value: int | None) -> int | str | None:
        if value is not None and 0 < value < self.below:
            return self.marker
        return value

    def as_dict(self) -> dict[str, Any]:
        return {
            "below": self.below,
            "round_to": self.round_to,
            "marker": self.marker,
            "rule": (
                f"people counts from 1 to {self.below - 1} are shown as '{self.marker}'; "
                f"other people counts are rounded to the nearest {self.round_to} "
                f"(never below {self.below}); shares are computed from the values shown"
            ),
        }


@dataclass(frozen=True)
class Column:
    """A column: its name in files, its kind, and for shares the columns it divides."""

    name: str
    kind: str
    share_of: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: kind {self.kind!r} is not one of {KINDS}")


@dataclass(frozen=True)
class Table:
    """Rows of one statistics table; ``view`` says whether its counts are exact or public."""

    name: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    admin_only: bool = False
    view: str = "exact"

    @classmethod
    def build(cls, name: str, columns, rows, **options) -> Table:
        """A table with its share columns computed from the exact values."""
        columns = tuple(columns)
        names = {column.name for column in columns}
        for row in rows:
            unknown = set(row) - names
            if unknown:
                raise ValueError(f"table {name!r}: row has unknown columns {sorted(unknown)}")
        rows = [_with_shares(columns, {c.name: row.get(c.name) for c in columns}) for row in rows]
        return cls(name, columns, rows, **options)

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def kind(self, name: str) -> str:
        return next(column.kind for column in self.columns if column.name == name)

    def public(self, rule: Suppression) -> Table:
        """The table as anyone may see it (see the module docstring)."""
        if self.view == "public":
            return self
        rows = []
        for row in self.rows:
            shown = dict(row)
            for column in self.columns:
                if column.kind == "people":
                    shown[column.name] = rule.people(row[column.name])
                elif column.kind == "published":
                    shown[column.name] = rule.published(row[column.name])
            rows.append(_with_shares(self.columns, shown, recompute=True))
        return replace(self, rows=rows, view="public")


# The survey's progress in an area, in the order every table that shows it uses.
SURVEY_PROGRESS_COLUMNS = (
    Column("subdistricts", "count"),
    Column("subdistricts_reported", "count"),
    Column("share_reported", "share", share_of=("subdistricts_reported", "subdistricts")),
    Column("residents", "people"),
    Column("unvaccinated", "people"),
    Column("share_unvaccinated", "share", share_of=("unvaccinated", "residents")),
)


def _with_shares(columns, row: dict, *, recompute: bool = False) -> dict:
    for column in columns:
        if column.share_of is None or (row.get(column.name) is not None and not recompute):
            continue
        numerator, denominator = (row.get(name) for name in column.share_of)
        row[column.name] = share(numerator, denominator)
    return row


def share(numerator, denominator) -> float | None:
    """numerator / denominator when both are known numbers and the denominator is positive."""
    if not _number(numerator) or not _number(denominator) or denominator <= 0:
        return None
    return numerator / denominator


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def sort_value(value) -> float:
    """A number to rank by: a suppressed count ranks just above zero, unknown last."""
    if isinstance(value, str):
        return 0.5
    if not _number(value):
        return -math.inf
    return float(value)
