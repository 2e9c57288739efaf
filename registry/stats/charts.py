"""What the statistics charts draw, from the tables of the page's view (never exact counts in
the public view: a suppressed count is drawn as no bar, labelled "<5").

The templates draw these as inline SVG (templates/stats/_charts.html): bars sized in percent
of the row, so they fit a phone and a desktop without scripts.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from importers.vocabulary import FACILITY_TYPES, STATUSES
from registry.presentation import status_label, type_label
from registry.stats.service import RANKINGS
from registry.stats.tables import Table


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    percent: float  # of the chart's width, 0-100
    href: str | None = None


@dataclass(frozen=True)
class StackedBar:
    label: str
    text: str
    segments: tuple[tuple[str, str, float, float], ...]  # (css class, title, x %, width %)


@dataclass(frozen=True)
class Column:
    title: str
    x: float
    height: float  # of the chart's height, 0-100


def _number(value) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _bars(items, largest: float | None = None) -> list[Bar]:
    """items: (label, value, text, href); widths relative to ``largest`` (else the maximum)."""
    items = list(items)
    if largest is None:
        largest = max((_number(value) for _l, value, _t, _h in items), default=0)
    top = largest
    return [
        Bar(label, text, 100 * _number(value) / top if top else 0.0, href)
        for label, value, text, href in items
    ]


def facilities_chart(table: Table) -> list[StackedBar]:
    rows = {row["type"]: row for row in table.rows}
    largest = max((rows[t]["total"] for t in FACILITY_TYPES), default=0) or 1
    bars = []
    for facility_type in FACILITY_TYPES:
        row, x, segments = rows[facility_type], 0.0, []
        for status in STATUSES:
            width = 100 * row[status] / largest
            if width:
                title = f"{status_label(status)}: {row[status]:,}"
                segments.append((f"status-{status}", title, x, width))
                x += width
        bars.append(StackedBar(type_label(facility_type), f"{row['total']:,}", tuple(segments)))
    return bars


def share_chart(table: Table, column: str, label, cell, key: str = "type") -> list[Bar]:
    rows = [row for row in table.rows if row.get(key) != "total"]
    return _bars(((label(row), row[column], cell("share", row[column]), None) for row in rows), 1.0)


def groups_chart(table: Table, label, cell) -> list[Bar]:
    rows = [row for row in table.rows if row["group"] != "total"]
    return _bars(
        (label(row, "group"), row["unvaccinated"], cell("people", row["unvaccinated"]), None)
        for row in rows
    )


def ranking_chart(table: Table, ranking: str, label, cell, link) -> list[Bar]:
    column, _largest_first = RANKINGS[ranking]
    kind = table.kind(column)
    largest = 1.0 if kind == "share" else None
    items = [
        (
            f"{row['rank']}. {label(row, 'name')}",
            row[column],
            cell(kind, row[column]),
            link(row["code"]),
        )
        for row in table.rows
    ]
    return _bars(items, largest)


def trend_chart(table: Table, cell, date_text) -> tuple[list[Column], str]:
    """Columns of the unvaccinated counted at each week's end; the top value's text."""
    rows = table.rows
    largest = max((_number(row["unvaccinated"]) for row in rows), default=0)
    width = 100 / len(rows) if rows else 0
    columns = [
        Column(
            _("Week from %(date)s: %(count)s unvaccinated, %(share)s of subdistricts surveyed")
            % {
                "date": date_text(row["week_start"]),
                "count": cell("people", row["unvaccinated"]),
                "share": cell("share", row["share_reported"]),
            },
            index * width,
            100 * _number(row["unvaccinated"]) / largest if largest else 0.0,
        )
        for index, row in enumerate(rows)
    ]
    return columns, cell("people", int(largest)) if rows else ""
