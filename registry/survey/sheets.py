"""Survey sheets collected on paper, typed into Excel or CSV: preview, then all or nothing.

The file is read by the importers' format readers (CSV in UTF-8, UTF-8 with BOM or
TIS-620/cp874; Excel with title rows above the header), its headers matched by the
importers' header normalisation against the Thai and English names below, and every row
checked by the same rules as the form (survey_rules: Thai digits, Buddhist-era dates). The
place is a subdistrict code, or the province, district and subdistrict names (``จ.``,
``อ.``, ``ต.`` prefixes and "อ.เมือง" understood). Columns that look like personal data (names,
ID numbers) are never read; the report says so.

Each row becomes one record, or corrects the record of the same village and date (when the
person may correct it), or is left unchanged when it equals it. A row that breaks a rule, or
lies outside the person's area, or repeats an earlier row, is an error naming its row,
column, value and rule; with any error nothing is written. A commit writes every row in one
savepoint and brings the survey layer up to date once, for the subdistricts touched.

The file is read within the import limits (importers/limits.py), as a facility list is: the
web's by default, the command line's when it passes them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.columns import normalise_header
from importers.formats import reader_for
from importers.formats.base import load_source
from importers.limits import WEB_LIMITS, ImportLimits
from importers.messages import RULES, english_value
from importers.provinces import match_province
from importers.report import ERROR, WARNING, Problem
from importers.values import word_key
from importers.vocabulary import SURVEY_COUNT_FIELDS
from registry.cache import PerDatabase
from registry.config import COAST_TOLERANCE_M, SURVEY_CORRECTION_WINDOW_DAYS
from registry.errors import ValidationError
from registry.facilities.scoped import write_lock
from registry.models import Area, SurveyRecord
from registry.survey.messages import SHEET_ADVICE, UPLOAD_REJECTED, UPLOAD_REJECTED_ROWS
from registry.survey.rules import INPUT_FIELDS, SurveyProblem, SurveyRules, area_label
from registry.survey.service import (
    Surveyor,
    add_checked_records,
    correct_record,
    correction_refusal,
    covers_area,
    record_values,
    refresh_survey_layer,
    require_surveyor,
)
from registry.survey.sheet_columns import HEADER_TARGETS, PERSONAL_KEYS

# -- place names ------------------------------------------------------------------------------

_DISTRICT_PREFIX = re.compile(r"^(อำเภอ|กิ่งอำเภอ|อ\.|เขต|amphoe|khet|district)\s*", re.I)
_SUBDISTRICT_PREFIX = re.compile(r"^(ตำบล|แขวง|ต\.|tambon|khwaeng|subdistrict)\s*", re.I)


@dataclass(frozen=True)
class _AreaIndex:
    names: dict[str, str]  # code -> Thai name
    children: dict[str, dict[str, str]]  # parent code -> name key -> child code


def _build_area_index(session: Session) -> _AreaIndex:
    children: dict[str, dict[str, str]] = {}
    names = {}
    for code, level, parent, name_th, name_en in session.execute(
        select(Area.code, Area.level, Area.parent_code, Area.name_th, Area.name_en)
    ):
        names[code] = name_th
        if level > 1:
            keys = children.setdefault(parent, {})
            for name in (name_th, name_en):
                keys.setdefault(word_key(name), code)
    return _AreaIndex(names, children)


area_index = PerDatabase(_build_area_index, lambda s: s.scalar(select(Area.code).limit(1)))


def _child(index: _AreaIndex, parent: str, text: str, prefix: re.Pattern) -> str | None:
    key = word_key(prefix.sub("", text.strip()))
    options = index.children.get(parent, {})
    if key in options:
        return options[key]
    if len(parent) == 4 and key in (word_key("เมือง"), "mueang", "muang"):
        # "อ.เมือง": the province's capital district, named after the province.
        return options.get(word_key("เมือง" + index.names[parent]))
    return None


# -- the outcome ------------------------------------------------------------------------------


@dataclass
class SurveyImportOutcome:
    """What an upload would do (or did): per row its action, and every problem."""

    file_name: str
    file_sha256: str
    format: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    committed: bool = False

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [p for p in self.problems if p["severity"] == ERROR]

    @property
    def counts(self) -> dict[str, int]:
        counts = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
        for row in self.rows:
            counts[row["action"]] += 1
        return counts

    def summary(self) -> str:
        counts = ", ".join(f"{n} {action}" for action, n in self.counts.items())
        warnings = len(self.problems) - len(self.errors)
        return f"{self.file_name}: {counts}; {len(self.errors)} errors, {warnings} warnings"


class SurveyImportRejectedError(ValidationError):
    """All or nothing: some row has an error, so nothing was written."""

    code = "import_rejected"

    def __init__(self, outcome: SurveyImportOutcome) -> None:
        rows = sorted({p["row"] for p in outcome.errors if p["row"] is not None})
        shown = ", ".join(map(str, rows[:10])) + (" ..." if len(rows) > 10 else "")
        said = {"file": outcome.file_name, "errors": len(outcome.errors)}
        super().__init__(
            UPLOAD_REJECTED_ROWS(**said, count=len(rows), rows=shown)
            if rows
            else UPLOAD_REJECTED(**said)
        )
        self.outcome = outcome


def _problem(row, column, value, rule: str, params=None, severity=ERROR) -> dict[str, Any]:
    params = params or {}
    text = SurveyProblem("", None, rule, params).text
    return {
        "row": row,
        "column": column,
        "value": value,
        "rule": rule,
        "params": params,
        "severity": severity,
        "message": Problem(row, column, value, text, severity).message,
    }


OUTSIDE_AREA = "is outside your area %(area)s"
REPEATED_ROW = "repeats row %(row)s: the same village and date"
UNKNOWN_PROVINCE = "is not a province of Thailand"
UNKNOWN_DISTRICT = "is not a district of %(parent)s"
UNKNOWN_SUBDISTRICT = "is not a subdistrict of %(parent)s"
NO_PLACE = "no subdistrict: give a subdistrict code, or the province, district and subdistrict"
NO_PLACE_COLUMN = (
    "the file has no subdistrict column: add 'รหัสตำบล' (for example TH500101) or the "
    "columns 'จังหวัด', 'อำเภอ' and 'ตำบล'"
)
NO_DATE_COLUMN = "the file has no survey date column: add 'วันที่สำรวจ'"
NO_COUNT_COLUMN = "the file has no count column: download the template to see the columns"
MISSING_COUNTS = "the file has no column for %(fields)s: read as 0"
UNKNOWN_COLUMN = "is not a survey column; its values are not read"
PERSONAL_COLUMN = (
    "looks like personal data (names or ID numbers): the survey keeps counts only, so this "
    "column is not read or stored; remove it from the file"
)


# -- reading ----------------------------------------------------------------------------------


class _Reader:
    """One file's rows turned into survey values, with every problem found on the way."""

    def __init__(self, session: Session, table, rules: SurveyRules, surveyor: Surveyor) -> None:
        self.session = session
        self.table = table
        self.rules = rules
        self.surveyor = surveyor
        self.index = area_index.get(session)
        self.problems: list[dict[str, Any]] = [
            _problem(p.row, p.column, p.value, p.rule, severity=p.severity) for p in table.problems
        ]
        self.columns: dict[str, str] = {}

    def plan(self) -> bool:
        """Match the columns; False when the file cannot be read row by row."""
        for column in self.table.columns:
            key = normalise_header(column)
            target = HEADER_TARGETS.get(key)
            if key in PERSONAL_KEYS:
                self.problems.append(_problem(None, column, None, PERSONAL_COLUMN, None, WARNING))
            elif target is None:
                self.problems.append(_problem(None, column, None, UNKNOWN_COLUMN, None, WARNING))
            elif target not in self.columns:
                self.columns[target] = column
        fatal = []
        if "area_code" not in self.columns and "subdistrict" not in self.columns:
            fatal.append(NO_PLACE_COLUMN)
        if "survey_date" not in self.columns:
            fatal.append(NO_DATE_COLUMN)
        counts = [name for name in SURVEY_COUNT_FIELDS if name in self.columns]
        if not counts:
            fatal.append(NO_COUNT_COLUMN)
        for rule in fatal:
            self.problems.append(_problem(None, None, None, rule))
        missing = [name for name in SURVEY_COUNT_FIELDS if name not in self.columns]
        if counts and missing:
            self.problems.append(
                _problem(None, None, None, MISSING_COUNTS, {"fields": ", ".join(missing)}, WARNING)
            )
        return not fatal

    def rows(self):
        """(row number, raw values by target, clean values or None) for every data row."""
        positions = {target: self.table.columns.index(c) for target, c in self.columns.items()}
        for number, cells in self.table.rows():
            raw = {target: cells[i] for target, i in positions.items()}
            yield number, raw, self._row(number, raw)

    def _error(self, row, target, value, rule, params=None) -> None:
        self.problems.append(_problem(row, self.columns.get(target), value, rule, params))

    def _area(self, row: int, raw: dict) -> str | None:
        if raw.get("area_code"):
            return raw["area_code"]
        if not raw.get("subdistrict"):
            self._error(row, "subdistrict", None, NO_PLACE)
            return None
        match = match_province(raw.get("province") or "")
        if match is None:
            self._error(row, "province", raw.get("province"), UNKNOWN_PROVINCE)
            return None
        province = match.province.code
        district = _child(self.index, province, raw.get("district") or "", _DISTRICT_PREFIX)
        if district is None:
            parent = area_label(self.session, province)
            self._error(row, "district", raw.get("district"), UNKNOWN_DISTRICT, {"parent": parent})
            return None
        code = _child(self.index, district, raw["subdistrict"], _SUBDISTRICT_PREFIX)
        if code is None:
            parent = area_label(self.session, district)
            self._error(
                row, "subdistrict", raw["subdistrict"], UNKNOWN_SUBDISTRICT, {"parent": parent}
            )
        return code

    def _row(self, row: int, raw: dict) -> dict | None:
        before = len(self.problems)
        code = self._area(row, raw)
        values = {name: raw.get(name) for name in INPUT_FIELDS if name in raw}
        values["area_code"] = code
        clean, problems = self.rules.check(values)
        for problem in problems:
            if problem.field == "area_code" and code is None:
                continue  # already reported against the name columns
            target = problem.field
            if target == "area_code" and "area_code" not in self.columns:
                target = "subdistrict"
            self._error(row, target, raw.get(target), problem.rule, problem.params)
        if "area_code" in clean and not covers_area(self.surveyor, clean["area_code"]):
            self._error(
                row,
                "area_code" if "area_code" in self.columns else "subdistrict",
                raw.get("area_code") or raw.get("subdistrict"),
                OUTSIDE_AREA,
                {"area": area_label(self.session, self.surveyor.area_code)},
            )
        return None if len(self.problems) > before else clean


def _key(clean: dict) -> tuple:
    village = clean["village_no"] if clean["village_no"] is not None else clean["village_name"]
    return (clean["area_code"], village, clean["survey_date"])


def _existing(session: Session, cleans: list[dict]) -> dict[tuple, SurveyRecord]:
    """Active records of the same places and dates as the file's rows, by their key."""
    codes = sorted({c["area_code"] for c in cleans})
    found: dict[tuple, SurveyRecord] = {}
    for start in range(0, len(codes), 500):
        records = session.scalars(
            select(SurveyRecord).where(
                SurveyRecord.deleted_at.is_(None),
                SurveyRecord.area_code.in_(codes[start : start + 500]),
            )
        )
        for record in records:
            village = record.village_no if record.village_no is not None else record.village_name
            found.setdefault((record.area_code, village, record.survey_date), record)
    return found


def _same(record: SurveyRecord, clean: dict) -> bool:
    stored = record_values(record)
    location = (stored.pop("lon"), stored.pop("lat"))
    stored_location = None if location[0] is None else location
    same_location = (stored_location is None and clean["location"] is None) or (
        stored_location is not None
        and clean["location"] is not None
        and all(abs(a - b) < 1e-7 for a, b in zip(stored_location, clean["location"], strict=True))
    )
    return same_location and all(stored[name] == clean[name] for name in stored)


# -- preview and commit -----------------------------------------------------------------------


def _run(
    session: Session,
    data: bytes,
    file_name: str,
    surveyor: Surveyor,
    *,
    commit: bool,
    tolerance_m: float,
    window_days: int,
    progress: Callable[[int, int], None] | None,
    limits: ImportLimits,
) -> SurveyImportOutcome:
    require_surveyor(surveyor)
    limits = replace(limits, advice=SHEET_ADVICE())  # where a bigger sheet can go
    data, file_name = load_source(data, file_name, max_bytes=limits.expanded_bytes)
    table = reader_for(file_name).read(
        data, name=file_name, extra_headers=tuple(HEADER_TARGETS), limits=limits
    )
    sha256 = hashlib.sha256(data).hexdigest()
    outcome = SurveyImportOutcome(file_name, sha256, table.format)
    write_lock(session)
    reader = _Reader(session, table, SurveyRules(session, tolerance_m=tolerance_m), surveyor)
    if not reader.plan():
        outcome.problems = reader.problems
        raise SurveyImportRejectedError(outcome)
    seen: dict[tuple, int] = {}
    parsed = []
    for number, raw, clean in reader.rows():
        if clean is not None:
            key = _key(clean)
            if key in seen:
                reader._error(
                    number, "survey_date", raw.get("survey_date"), REPEATED_ROW, {"row": seen[key]}
                )
                clean = None
            else:
                seen[key] = number
        parsed.append((number, clean))
    existing = _existing(session, [c for _, c in parsed if c is not None])
    plan = []
    for number, clean in parsed:
        row = {"row": number, "action": "rejected", "record_id": None, "values": clean}
        if clean is not None:
            twin = existing.get(_key(clean))
            if twin is None:
                row["action"] = "created"
            elif _same(twin, clean):
                row.update(action="unchanged", record_id=twin.id)
            else:
                refusal = correction_refusal(session, surveyor, twin, window_days=window_days)
                if refusal:
                    params = {k: english_value(v) for k, v in refusal.params.items()}
                    reader._error(number, "survey_date", None, RULES[refusal.code], params)
                    row["action"] = "rejected"
                else:
                    row.update(action="updated", record_id=twin.id, version=twin.version)
        plan.append(row)
    outcome.rows = plan
    outcome.problems = sorted(reader.problems, key=lambda p: (p["row"] is not None, p["row"] or 0))
    if outcome.errors:
        raise SurveyImportRejectedError(outcome)
    if commit:
        _write(session, outcome, surveyor, window_days, reader.rules, progress)
    return outcome


def _write(session, outcome, surveyor, window_days, rules, progress) -> None:
    ref = f"file:{outcome.file_sha256[:16]}"
    actor = Surveyor(surveyor.name, "import", surveyor.role, surveyor.area_code, ref)
    touched: set[str] = set()
    total = len(outcome.rows)
    with session.begin_nested():
        created = [row for row in outcome.rows if row["action"] == "created"]
        # Every row was checked above (rules, area, repeats, existing records) under the
        # write lock, so new rows go in together.
        for row, record in zip(
            created,
            add_checked_records(session, [row["values"] for row in created], actor),
            strict=True,
        ):
            row["record_id"] = record.id
            touched.add(record.area_code)
        done = len(created)
        if progress:
            progress(done, total)
        for row in outcome.rows:
            if row["action"] != "updated":
                continue
            correct_record(
                session,
                row["record_id"],
                _as_input(row["values"]),
                actor,
                expected_version=row.pop("version"),
                window_days=window_days,
                rules=rules,
                refresh_layer=False,
            )
            touched.add(row["values"]["area_code"])
            done += 1
            if progress:
                progress(done, total)
        if touched:
            refresh_survey_layer(session, touched, created_by=surveyor.name)
    for row in outcome.rows:
        row.pop("values", None)
    outcome.committed = True


def _as_input(clean: dict) -> dict:
    values = {k: v for k, v in clean.items() if k != "location"}
    location = clean["location"]
    values["lon"], values["lat"] = location if location else (None, None)
    return values


def preview_survey_upload(
    session: Session,
    data: bytes,
    file_name: str,
    surveyor: Surveyor,
    *,
    tolerance_m: float = COAST_TOLERANCE_M,
    window_days: int = SURVEY_CORRECTION_WINDOW_DAYS,
    limits: ImportLimits = WEB_LIMITS,
) -> SurveyImportOutcome:
    """What the upload would do, row by row; writes nothing. Errors are in the outcome."""
    try:
        with session.begin_nested() as savepoint:
            outcome = _run(
                session,
                data,
                file_name,
                surveyor,
                commit=False,
                tolerance_m=tolerance_m,
                window_days=window_days,
                progress=None,
                limits=limits,
            )
            savepoint.rollback()
    except SurveyImportRejectedError as error:
        return error.outcome
    for row in outcome.rows:
        row.pop("values", None)
    return outcome


def commit_survey_upload(
    session: Session,
    data: bytes,
    file_name: str,
    surveyor: Surveyor,
    *,
    tolerance_m: float = COAST_TOLERANCE_M,
    window_days: int = SURVEY_CORRECTION_WINDOW_DAYS,
    progress: Callable[[int, int], None] | None = None,
    limits: ImportLimits = WEB_LIMITS,
) -> SurveyImportOutcome:
    """Write every row, or nothing: raises SurveyImportRejectedError when a row has an error.

    The caller commits the session (and rolls back on any error).
    """
    return _run(
        session,
        data,
        file_name,
        surveyor,
        commit=True,
        tolerance_m=tolerance_m,
        window_days=window_days,
        progress=progress,
        limits=limits,
    )
