"""Published vaccination figures kept beside the survey: the DDC's provincial report.

The Department of Disease Control's report of 2021-11-17 (``data/vaccinations_by_province_
ddc_2021-11-17.csv``, via djay/covidthailand, CC BY 4.0) gives per province the doses given
(1st, 2nd, 3rd, cumulative), doses by target group, vaccine allocations and the populations
the percentages refer to. Each number becomes one ``reference_vaccination`` row: series
``ddc-<date>``, province code, date, measure, value. The percentage columns are left out:
they are the doses divided by the population, which are both kept.

Province names are matched by :func:`importers.provinces.match_province` (the same matching
as imports); a name that matches no province, or a second row for one province, stops the
load with the row and the value. Loading the same file again changes nothing; a changed file
replaces its series whole.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from importers.provinces import match_province
from registry.errors import ValidationError
from registry.models import Area, ReferenceVaccination

DEMO_REFERENCE_FILE = "vaccinations_by_province_ddc_2021-11-17.csv"
DDC_SOURCE = (
    "Department of Disease Control (DDC), Ministry of Public Health: provincial COVID-19 "
    "vaccination report, via djay/covidthailand @ 4f9c825403ca2307bde1699ff536ef4301dde3da "
    "(CC BY 4.0)"
)
# The measures of the DDC columns: 'Vac Given 2 Cum' -> dose2, 'Vac Group Over 60 1 Cum' ->
# over_60_dose1, 'Vac Allocated Sinovac' -> allocated_sinovac, 'Vac Population Over 60s' ->
# population_over_60s.
_GIVEN = re.compile(r"Vac Given (\d) Cum")
_GROUP = re.compile(r"Vac Group (.+) (\d) Cum")
_OTHER = re.compile(r"Vac (Allocated|Population)(?: (.+))?")
_PERCENT = re.compile(r"Vac Given \d %")
REQUIRED_COLUMNS = ("Date", "Province", "Vac Given 1 Cum")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def measure_name(column: str) -> str | None:
    """The measure a DDC column holds, or None for columns that are not kept."""
    column = column.strip()
    if _PERCENT.fullmatch(column):
        return None
    if match := _GIVEN.fullmatch(column):
        return f"dose{match[1]}"
    if match := _GROUP.fullmatch(column):
        return f"{_slug(match[1])}_dose{match[2]}"
    if match := _OTHER.fullmatch(column):
        return _slug(" ".join(part for part in match.groups() if part))
    return None


@dataclass
class ReferenceOutcome:
    series: str
    action: str  # created, replaced, unchanged
    provinces: int
    values: int
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"reference series {self.series!r}: {self.action}; {self.provinces} provinces, "
            f"{self.values} values"
        )
        return text + "".join(f"\n  warning: {w}" for w in self.warnings)


@dataclass(frozen=True)
class _Report:
    as_of: date
    rows: list[tuple[str, str, int]]  # (area code, measure, value)
    provinces: int
    warnings: list[str]


def read_ddc_report(data: bytes, name: str = "file") -> _Report:
    """Check and read a DDC provincial report (CSV, UTF-8 with or without a byte-order mark)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(
            f"{name}: not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [column.strip() for column in reader.fieldnames or []]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ValidationError(
            f"{name}: column(s) {', '.join(map(repr, missing))} missing; a DDC provincial report "
            f"has {', '.join(map(repr, REQUIRED_COLUMNS))} and the other 'Vac ...' columns"
        )
    measures = {column: measure_name(column) for column in reader.fieldnames or []}
    as_of, rows, seen, warnings = None, [], {}, []
    for number, record in enumerate(reader, start=2):
        record_date = _date(record, number, name)
        if as_of is None:
            as_of = record_date
        elif record_date != as_of:
            raise ValidationError(
                f"{name} row {number}, column 'Date': {record_date.isoformat()!r} differs from "
                f"the first row's {as_of.isoformat()}; load one report date per file"
            )
        code = _province(record, number, name, seen, warnings)
        for column, measure in measures.items():
            if measure is None:
                continue
            value = _count(record.get(column), number, column, name)
            if value is not None:
                rows.append((code, measure, value))
    if as_of is None:
        raise ValidationError(f"{name}: no rows; a DDC provincial report has one row per province")
    return _Report(as_of, rows, len(seen), warnings)


def _date(record: dict, number: int, name: str) -> date:
    raw = (record.get("Date") or "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            f"{name} row {number}, column 'Date': {raw!r} is not a date like 2021-11-17"
        ) from None


def _province(record: dict, number: int, name: str, seen: dict, warnings: list) -> str:
    raw = (record.get("Province") or "").strip()
    match = match_province(raw) if raw else None
    if match is None:
        raise ValidationError(
            f"{name} row {number}, column 'Province': {raw!r} is not a province of Thailand"
        )
    if match.code in seen:
        raise ValidationError(
            f"{name} row {number}, column 'Province': {raw!r} is {match.province.name_en} "
            f"({match.code}) again; row {seen[match.code]} already gave it"
        )
    if not match.exact:
        warnings.append(
            f"row {number}: province {raw!r} read as {match.province.name_en} ({match.code})"
        )
    seen[match.code] = number
    return match.code


def _count(raw: str | None, number: int, column: str, name: str) -> int | None:
    text = (raw or "").strip().replace(",", "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or value != int(value):
        raise ValidationError(
            f"{name} row {number}, column {column!r}: {raw!r} is not a whole number of 0 or more"
        )
    return int(value)


def store_reference(session: Session, series: str, source: str, report: _Report):
    """Write a report as one series; unchanged when the same values are already stored."""
    codes = sorted({code for code, _m, _v in report.rows})
    known = set(session.scalars(select(Area.code).where(Area.code.in_(codes))))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationError(
            f"province(s) {', '.join(unknown)} are not in the area table; load the areas first "
            "(registry load-areas)"
        )
    wanted = {(code, measure): value for code, measure, value in report.rows}
    stored = {
        (row.area_code, row.measure): row.value
        for row in session.execute(
            select(
                ReferenceVaccination.area_code,
                ReferenceVaccination.measure,
                ReferenceVaccination.value,
                ReferenceVaccination.as_of,
                ReferenceVaccination.source,
            ).where(ReferenceVaccination.series == series)
        )
        if row.as_of == report.as_of and row.source == source
    }
    existing = session.scalar(
        select(func.count())
        .select_from(ReferenceVaccination)
        .where(ReferenceVaccination.series == series)
    )
    outcome = ReferenceOutcome(series, "unchanged", report.provinces, len(wanted), report.warnings)
    if stored == wanted and existing == len(wanted):
        return outcome
    outcome.action = "replaced" if existing else "created"
    session.execute(delete(ReferenceVaccination).where(ReferenceVaccination.series == series))
    session.execute(
        insert(ReferenceVaccination),
        [
            {
                "series": series,
                "source": source,
                "area_code": code,
                "as_of": report.as_of,
                "measure": measure,
                "value": value,
            }
            for (code, measure), value in wanted.items()
        ],
    )
    return outcome


def load_ddc_report(session: Session, path: Path, *, source: str = DDC_SOURCE) -> ReferenceOutcome:
    """Read and store a DDC provincial report as the series ``ddc-<date>``."""
    report = read_ddc_report(path.read_bytes(), path.name)
    return store_reference(session, f"ddc-{report.as_of.isoformat()}", source, report)


def load_demo_reference(session: Session, data_dir: Path) -> ReferenceOutcome:
    """The bundled DDC report (``registry demo``); the caller commits."""
    return load_ddc_report(session, data_dir / DEMO_REFERENCE_FILE)


@dataclass(frozen=True)
class ReferenceFigures:
    """The latest figures of one series for some provinces."""

    series: str
    source: str
    as_of: date
    values: dict[str, dict[str, int]]  # province code -> measure -> value


def latest_figures(session: Session, codes: list[str] | None = None) -> ReferenceFigures | None:
    """The newest series' figures for these provinces (None: all); None when none is loaded."""
    newest = session.execute(
        select(ReferenceVaccination.series, ReferenceVaccination.source, ReferenceVaccination.as_of)
        .order_by(ReferenceVaccination.as_of.desc(), ReferenceVaccination.series.desc())
        .limit(1)
    ).first()
    if newest is None:
        return None
    statement = select(
        ReferenceVaccination.area_code, ReferenceVaccination.measure, ReferenceVaccination.value
    ).where(
        ReferenceVaccination.series == newest.series,
        ReferenceVaccination.as_of == newest.as_of,
    )
    if codes is not None:
        statement = statement.where(ReferenceVaccination.area_code.in_(codes))
    values: dict[str, dict[str, int]] = {}
    for row in session.execute(statement):
        values.setdefault(row.area_code, {})[row.measure] = int(row.value)
    return ReferenceFigures(newest.series, newest.source, newest.as_of, values)
