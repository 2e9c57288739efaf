"""Population tables by administrative area, as DOPA publishes them: levels mixed in one file.

DOPA's registration statistics list every province, then its districts, then their
subdistricts, each with its total, in one table keyed by DOPA code (``50``, ``5001``,
``500101``; or the HDX pcode ``TH500101``), often with Thai names and a level column. A real
user brings that table as it is, so :func:`read_admin_counts`:

* recognises the columns by their headers (``geocode``/``pcode``/``รหัส``, ``total``/
  ``ประชากร``, ``level``/``ระดับ``, ``name_th``/``ชื่อ``) or takes the ones named;
* uses the finest rows (those with no finer row under them) as the counts, so nobody is
  counted twice, and checks that every coarser row is the sum of the finest rows under it
  (a warning naming both numbers when not: the finer counts are used);
* joins the finest rows on the registry's boundaries by code, never by name. A subdistrict
  the boundaries do not have (DOPA creates tambons and khwaeng after the 2019 boundaries were
  drawn) keeps its people: they are assigned to its district, and the report names it. A
  subdistrict of the boundaries without a row gets no people, and the report names it too.

Every problem is reported as the facility importers report theirs (row as the file shows it,
column as headed, the value and the rule): :class:`importers.report.ImportReport`. Errors
(a bad code or count, a code twice, a level that contradicts the code) reject the file
unless ``valid_rows_only`` leaves those rows out.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np

from importers.coords import parse_number, to_ascii_digits
from importers.report import ImportReport
from registry.coverage.population_files import (
    CODE_HEADERS,
    POPULATION_HEADERS,
    find_column,
    read_csv_table,
    require_group_columns,
)
from registry.errors import ValidationError

LEVEL_HEADERS = ("level", "admin_level", "ระดับ", "ประเภท")
NAME_HEADERS = ("name_th", "name", "ชื่อ", "ชื่อพื้นที่", "name_en")
# Words for the levels as DOPA and people write them (compared lower-case, stripped).
LEVEL_WORDS = {
    "1": 1,
    "province": 1,
    "changwat": 1,
    "จังหวัด": 1,
    "2": 2,
    "district": 2,
    "amphoe": 2,
    "khet": 2,
    "อำเภอ": 2,
    "เขต": 2,
    "3": 3,
    "subdistrict": 3,
    "tambon": 3,
    "khwaeng": 3,
    "ตำบล": 3,
    "แขวง": 3,
}
LEVEL_NAMES = {1: "province", 2: "district", 3: "subdistrict"}
_CODE = re.compile(r"(?:TH)?(\d{2}|\d{4}|\d{6})")


@dataclass(frozen=True)
class Reassigned:
    """A finest row whose area the boundaries lack, and the coarser area its people went to."""

    row: int
    code: str
    name: str
    population: int
    assigned_to: str


@dataclass(frozen=True)
class AdminCounts:
    """Counts per area from a mixed-level table, ready to place on the map.

    ``codes`` are the registry areas the people are counted in: the finest rows' own codes,
    or a coarser area for the rows in ``reassigned``. ``level`` is the finest level of the
    file (3 for DOPA's tables).
    """

    codes: np.ndarray
    population: np.ndarray
    level: int
    report: ImportReport
    file_total: int
    reassigned: tuple[Reassigned, ...] = ()
    without_row: tuple[str, ...] = ()
    groups: dict[str, np.ndarray] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        """The import report and what was joined, for the terminal."""
        used = ", ".join(f"{what} {name!r}" for what, name in self.columns.items())
        lines = [
            self.report.summary(),
            f"columns used: {used}",
            f"{self.population.size:,} areas at the finest level, "
            f"{int(self.population.sum()):,} people (the file's total is {self.file_total:,})",
        ]
        if self.reassigned:
            lines.append(
                f"{len(self.reassigned)} {LEVEL_NAMES[self.level]}(s) not in the boundaries, "
                "their people assigned to the area above:"
            )
            lines += [
                f"  row {r.row}: {r.code} {r.name} ({r.population:,} people) -> {r.assigned_to}"
                for r in self.reassigned
            ]
        if self.without_row:
            lines.append(
                f"{len(self.without_row)} area(s) of the boundaries without a row (no people "
                f"placed there): {', '.join(self.without_row)}"
            )
        return "\n".join(lines)


def read_admin_counts(
    data: bytes,
    file_name: str,
    known_codes: Collection[str],
    *,
    code_column: str | None = None,
    population_column: str | None = None,
    level_column: str | None = None,
    name_column: str | None = None,
    group_columns: Sequence[str] = (),
    valid_rows_only: bool = False,
) -> AdminCounts:
    """Read a table of counts by area (levels may be mixed) and join it on ``known_codes``.

    ``known_codes`` are the registry's area codes (HDX pcodes of every level). Raises
    :class:`ValidationError` carrying the whole report when the file has errors (or, with
    ``valid_rows_only``, when no row is left).
    """
    frame = read_csv_table(data, file_name)
    code_column = find_column(
        frame, code_column, ("geocode", *CODE_HEADERS), "area code", file_name
    )
    population_column = find_column(
        frame, population_column, POPULATION_HEADERS, "population", file_name
    )
    level_column = _optional_column(frame, level_column, LEVEL_HEADERS, "level", file_name)
    name_column = _optional_column(frame, name_column, NAME_HEADERS, "name", file_name)
    report = ImportReport(file_name=file_name, rows_read=len(frame))
    columns = {"code": code_column, "population": population_column}
    columns |= {"level": level_column} if level_column else {}
    columns |= {"name": name_column} if name_column else {}
    require_group_columns(frame, group_columns)

    rows: dict[str, dict] = {}
    used = list(dict.fromkeys(c for c in (*columns.values(), *group_columns)))
    # Only the columns used, as plain dicts: DOPA's table has 15 columns and 8,441 rows.
    records = (
        dict(zip(used, values, strict=True)) for values in zip(*map(frame.get, used), strict=True)
    )
    for position, record in enumerate(records):
        row = position + 2  # the header is row 1, as a spreadsheet shows it
        parsed = _parse_row(record, row, report, code_column, population_column, level_column)
        groups = {name: _count(record[name], row, name, report) for name in group_columns}
        if parsed is None or None in groups.values():
            continue
        code, people = parsed
        if code in rows:
            report.error(
                row,
                code_column,
                record[code_column],
                f"repeats the area of row {rows[code]['row']}",
            )
            rows[code]["duplicate"] = True
            continue
        over = [name for name, value in groups.items() if value > people]
        if over:
            report.error(
                row, over[0], record[over[0]], f"is more than the {people:,} people of the row"
            )
            continue
        name = str(record.get(name_column, "")).strip() if name_column else ""
        rows[code] = {"row": row, "people": people, "name": name, "groups": groups}
    bad_rows = set(report.rows_with_errors)
    rows = {c: r for c, r in rows.items() if r["row"] not in bad_rows and not r.get("duplicate")}
    if report.has_errors and not valid_rows_only:
        raise ValidationError(
            f"{report.summary()}\nnothing was loaded: correct these rows, or load the valid "
            "rows only",
            field=code_column,
        )
    if not rows:
        raise ValidationError(f"{report.summary()}\n'{file_name}' has no valid rows of counts")
    return _join(rows, report, set(known_codes), columns, tuple(group_columns))


def _optional_column(frame, given, known, what, file_name) -> str | None:
    if given is not None:
        return find_column(frame, given, known, what, file_name)
    by_lower = {str(column).strip().lower(): column for column in frame.columns}
    return next((by_lower[header] for header in known if header in by_lower), None)


def _parse_row(record, row, report, code_column, population_column, level_column):
    raw = record[code_column]
    match = _CODE.fullmatch(to_ascii_digits(str(raw)).strip().upper())
    if not match:
        report.error(
            row,
            code_column,
            raw,
            "is not a DOPA area code (2 digits for a province, 4 for a district, 6 for a "
            "subdistrict, 'TH' optional)",
        )
        return None
    code = "TH" + match.group(1)
    if level_column:
        word = str(record[level_column]).strip()
        level = LEVEL_WORDS.get(word.lower())
        code_level = (len(code) - 2) // 2
        if word and level is None:
            report.error(
                row, level_column, word, "is not a level (province, district or subdistrict)"
            )
            return None
        if level is not None and level != code_level:
            report.error(
                row,
                level_column,
                word,
                f"contradicts the code {code}, which has {len(code) - 2} digits (a "
                f"{LEVEL_NAMES[code_level]} code); the row is not used",
            )
            return None
    people = _count(record[population_column], row, population_column, report)
    return None if people is None else (code, people)


def _count(raw, row: int, column: str, report: ImportReport) -> int | None:
    try:
        value = parse_number(raw)
    except ValueError:
        value = None
    if value is None or value < 0 or value != int(value):
        report.error(row, column, raw, "is not a whole number of people (0 or more)")
        return None
    return int(value)


def _join(rows: dict, report, known: set[str], columns: dict, groups: tuple) -> AdminCounts:
    codes = sorted(rows)
    # A row is finest when no other row of the file lies under it (its code a prefix).
    parents = {code[:length] for code in codes for length in (6, 4) if length < len(code)}
    finest = [code for code in codes if code not in parents]
    level = max((len(code) - 2) // 2 for code in finest)
    people_col = columns["population"]
    under_counts: dict[str, list[int]] = {}
    for code in finest:
        for length in (4, 6):
            if length < len(code):
                under_counts.setdefault(code[:length], []).append(rows[code]["people"])
    for code in codes:
        if code in parents:
            under = under_counts[code]
            total = sum(under)
            if total != rows[code]["people"]:
                report.warning(
                    rows[code]["row"],
                    people_col,
                    f"{rows[code]['people']:,}",
                    f"is not the sum of the {len(under)} finer rows under {code} "
                    f"({total:,}); the finer counts are used",
                )
    # The file's own total: its top rows, those with no coarser row above them.
    top = [c for c in codes if not any(c[:n] in rows for n in (2 + 2, 2 + 4) if n < len(c))]
    file_total = sum(rows[c]["people"] for c in top)
    assigned_codes, reassigned = [], []
    for code in finest:
        target = code
        while target not in known and len(target) > 4:
            target = target[:-2]
        if target not in known:
            report.error(
                rows[code]["row"],
                columns["code"],
                code,
                "is not an area of the registry's boundaries, nor is any area above it",
            )
            raise ValidationError(
                f"{report.summary()}\nnothing was loaded: the boundaries have no area for "
                f"{code}; load the boundaries first (registry load-areas)",
                field=columns["code"],
            )
        if target != code:
            item = Reassigned(
                rows[code]["row"], code, rows[code]["name"], rows[code]["people"], target
            )
            reassigned.append(item)
            report.warning(
                item.row,
                columns["code"],
                code,
                f"({item.name}, {item.population:,} people) is not a "
                f"{LEVEL_NAMES[(len(code) - 2) // 2]} of the registry's boundaries (drawn "
                f"2019); its people are assigned to {target}, the area it belongs to",
            )
        assigned_codes.append(target)
    without = _areas_without_row(finest, known, level)
    for code in without:
        report.warning(
            None, None, code, "is an area of the boundaries without a row in the file: no people"
        )
    # Several new subdistricts of one district are assigned to the same district: one count.
    merged: dict[str, list] = {}
    for code, target in zip(finest, assigned_codes, strict=True):
        entry = merged.setdefault(target, [0, {name: 0 for name in groups}])
        entry[0] += rows[code]["people"]
        for name in groups:
            entry[1][name] += rows[code]["groups"][name]
    targets = sorted(merged)
    return AdminCounts(
        codes=np.array(targets, dtype=object),
        population=np.array([merged[c][0] for c in targets], dtype=np.int64),
        level=level,
        report=report,
        file_total=file_total,
        reassigned=tuple(reassigned),
        without_row=tuple(without),
        groups={
            name: np.array([merged[c][1][name] for c in targets], dtype=np.int64) for name in groups
        },
        columns=columns,
    )


def _areas_without_row(finest: list[str], known: set[str], level: int) -> list[str]:
    """Areas of the boundaries at the file's finest level, in its provinces, with no row."""
    length = 2 + 2 * level
    covered = set(finest)
    coarse = tuple(code for code in finest if len(code) < length)
    provinces = {code[:4] for code in finest}
    return sorted(
        code
        for code in known
        if len(code) == length
        and code[:4] in provinces
        and code not in covered
        and not code.startswith(coarse)
    )
