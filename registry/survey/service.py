"""The volunteer survey: enter, correct and withdraw records, audited, in one's own area.

Who may do what
---------------
Data volunteers, officials and administrators enter records for subdistricts of their area
(an account's area covers every code that starts with it); planners cannot. A volunteer may
correct or withdraw only their own entries, and only for ``SURVEY_CORRECTION_WINDOW_DAYS`` days
after entering them (``SURVEY_CORRECTION_WINDOW_DAYS`` in the app config): after that the
record is part of what others have read and planned with, and an official of the area
corrects it. Officials and administrators correct any record of their area, at any time.
The command line acts as a trusted system actor (no area, no window).

What is kept
------------
Counts only (see registry.models.SurveyRecord); every write logs, per changed field, the old
and new value, who, when and through what (web, import, cli) in ``survey_change``; the first
write logs one ``created`` entry holding every initial value. A withdrawn record keeps its
row (``deleted_at``) and leaves every answer.

Writes start with the registry's write lock (scoped.write_lock), so concurrent writers queue,
and end by bringing the survey population layer up to date for the subdistricts they touched
(see :func:`refresh_survey_layer`), inside the same transaction: the layer never disagrees
with the committed records, and coverage answers built on it refresh because its checksum
changes. Survey writes do not raise the registry's data version (no facility changed); a
cache over survey data can key on :func:`survey_stamp`. Services flush; callers commit.

Which records count
-------------------
:func:`latest_records` gives the latest record (by survey date, then entry) per village and
per subdistrict-wide entry. A village is identified by its number (หมู่ที่) when given, else by
its name. :func:`counted_records` then keeps, per subdistrict, either its subdistrict-wide
record or its villages' records, whichever is newer (the subdistrict-wide one on a tie), so
nobody is counted twice; the population layer and the outreach list use these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from geoalchemy2.shape import from_shape
from shapely import Point
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from importers.messages import Rule, Text, area
from importers.vocabulary import SURVEY_COUNT_FIELDS, SURVEY_GROUPS
from registry import audit
from registry.accounts.access import (
    NATIONAL_ADMIN,
    OFFICIAL,
    PROVINCIAL_ADMIN,
    ROLES,
    VOLUNTEER,
    area_param,
    role_param,
)
from registry.config import COAST_TOLERANCE_M, SURVEY_CORRECTION_WINDOW_DAYS
from registry.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from registry.facilities.messages import NOT_A_VERSION
from registry.facilities.scoped import write_lock
from registry.models import DB_INT_MAX, SurveyChange, SurveyRecord, User, utcnow
from registry.survey import layer as survey_layer
from registry.survey import messages as say
from registry.survey.layer import location_of
from registry.survey.records import counted_records, village_key
from registry.survey.rules import STORED_FIELDS, SurveyRules, area_label, thai_date

SURVEY_ROLES = frozenset({NATIONAL_ADMIN, PROVINCIAL_ADMIN, OFFICIAL, VOLUNTEER})
SOURCES = ("web", "api", "import", "cli", "demo")
WITHDRAWN = "deleted_at"
WITHDRAW_REASON = "withdraw_reason"


@dataclass(frozen=True)
class Surveyor:
    """Who writes survey records: an account (role and area) or a trusted system actor."""

    name: str
    source: str
    role: str | None = None  # None: the command line or a loader, no area or window rules
    area_code: str | None = None
    source_ref: str | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise ValidationError(say.NEEDS_A_NAME())
        if self.source not in SOURCES:
            raise ValidationError(
                say.UNKNOWN_SOURCE(source=repr(self.source), sources=", ".join(SOURCES))
            )

    @classmethod
    def account(cls, user: User, source: str = "web", source_ref: str | None = None) -> Surveyor:
        return cls(user.username, source, user.role, user.area_code, source_ref)

    @property
    def is_system(self) -> bool:
        return self.role is None


# -- who may do what --------------------------------------------------------------------------


def require_surveyor(surveyor: Surveyor) -> None:
    if surveyor.is_system or surveyor.role in SURVEY_ROLES:
        return
    label = role_param(surveyor.role) if surveyor.role in ROLES else f"a {surveyor.role}"
    raise ForbiddenError(say.NOT_A_SURVEYOR_ROLE(role=label))


def covers_area(surveyor: Surveyor, code: str | None) -> bool:
    if surveyor.is_system or surveyor.area_code is None:
        return True
    return code is not None and code.startswith(surveyor.area_code)


def require_in_area(session: Session, surveyor: Surveyor, code: str, action: str) -> None:
    """403 naming both areas when the subdistrict lies outside the surveyor's area."""
    if not covers_area(surveyor, code):
        raise ForbiddenError(
            say.OUT_OF_AREA(
                action=say.ACTIONS[action]() if action in say.ACTIONS else action,
                area=area_param(session, code),
                yours=area_param(session, surveyor.area_code),
            ),
            area=code,
            your_area=surveyor.area_code,
        )


def _area_label(session: Session, code: str | None) -> dict:
    """An area as a parameter whose English is its Thai name (as the survey's refusals have
    always read); a page names it in its own language."""
    return area(code, area_label(session, code))


def correction_refusal(
    session: Session,
    surveyor: Surveyor,
    record: SurveyRecord,
    *,
    window_days: int = SURVEY_CORRECTION_WINDOW_DAYS,
    now: dt.datetime | None = None,
) -> Text | None:
    """Why the surveyor may not correct or withdraw the record, or None when they may."""
    if not surveyor.is_system and surveyor.role not in SURVEY_ROLES:
        return say.NOT_A_SURVEYOR()
    if not covers_area(surveyor, record.area_code):
        return say.OTHER_AREA(
            id=record.id,
            area=_area_label(session, record.area_code),
            yours=_area_label(session, surveyor.area_code),
        )
    if surveyor.role != VOLUNTEER:
        return None
    if record.entered_by != surveyor.name:
        return say.NOT_YOURS(id=record.id, who=record.entered_by)
    age = (now or utcnow()) - record.entered_at
    if age > dt.timedelta(days=window_days):
        return say.TOO_OLD(id=record.id, days=age.days, window=window_days)
    return None


def _require_correctable(session, surveyor, record, window_days, now) -> None:
    refusal = correction_refusal(session, surveyor, record, window_days=window_days, now=now)
    if refusal:
        raise ForbiddenError(say.CANNOT_CHANGE(why=refusal), record_id=record.id)


# -- values and the change log ----------------------------------------------------------------


def record_values(record: SurveyRecord) -> dict[str, Any]:
    """The record as input values (what a correction starts from)."""
    values: dict[str, Any] = {
        "area_code": record.area_code,
        "village_code": record.village_code,
        "village_no": record.village_no,
        "village_name": record.village_name,
        "survey_date": record.survey_date,
    }
    values.update({name: getattr(record, name) for name in SURVEY_COUNT_FIELDS})
    location = location_of(record)
    values["lon"], values["lat"] = location if location else (None, None)
    return values


def _logged(name: str, value: Any) -> Any:
    if name == "location" and value is not None:
        return [round(value[0], 7), round(value[1], 7)]
    return audit.logged(value)


def _stored(record: SurveyRecord) -> dict[str, Any]:
    stored = {name: getattr(record, name) for name in STORED_FIELDS if name != "location"}
    stored["location"] = location_of(record)
    return {name: _logged(name, value) for name, value in stored.items()}


def _apply(record: SurveyRecord, clean: Mapping[str, Any], names=STORED_FIELDS) -> None:
    for name in names:
        if name == "location":
            location = clean["location"]
            record.geom = from_shape(Point(*location), srid=4326) if location else None
        else:
            setattr(record, name, clean[name])


def _log(session, record, changes: dict[str, tuple], surveyor: Surveyor, at) -> list[SurveyChange]:
    rows = audit.entries(surveyor, at, changes, record_id=record.id)
    return audit.record(session, SurveyChange, rows)


def _flush(session: Session, record: SurveyRecord) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise ConflictError(say.CHANGED_JUST_NOW(id=record.id)) from None


def same_place_and_date(
    session: Session, clean: Mapping[str, Any], *, other_than: int | None = None
) -> SurveyRecord | None:
    """An active record of the same village (or subdistrict) and date, if there is one."""
    conditions = [
        SurveyRecord.deleted_at.is_(None),
        SurveyRecord.area_code == clean["area_code"],
        SurveyRecord.survey_date == clean["survey_date"],
    ]
    if clean["village_no"] is not None:
        conditions.append(SurveyRecord.village_no == clean["village_no"])
    else:
        conditions += [
            SurveyRecord.village_no.is_(None),
            SurveyRecord.village_name.is_(None)
            if clean["village_name"] is None
            else SurveyRecord.village_name == clean["village_name"],
        ]
    if other_than is not None:
        conditions.append(SurveyRecord.id != other_than)
    return session.scalar(select(SurveyRecord).where(*conditions).limit(1))


def _refuse_duplicate(session: Session, clean, other_than: int | None = None) -> None:
    twin = same_place_and_date(session, clean, other_than=other_than)
    if twin is not None:
        place = area_param(session, twin.area_code)
        if village_key(twin):
            place = say.VILLAGE_OF(village=twin.village_no or twin.village_name, area=place)
        raise ConflictError(
            say.ALREADY_SURVEYED(
                place=place,
                date=thai_date(twin.survey_date),
                id=twin.id,
                who=twin.entered_by,
            ),
            field="survey_date",
            record_id=twin.id,
        )


# -- writes -----------------------------------------------------------------------------------


def create_record(
    session: Session,
    values: Mapping[str, Any],
    surveyor: Surveyor,
    *,
    rules: SurveyRules | None = None,
    tolerance_m: float = COAST_TOLERANCE_M,
    refresh_layer: bool = True,
) -> SurveyRecord:
    """Add a record after checking the rules, the area and that it is not entered twice.

    ``tolerance_m``: how far off the coast a village point may lie (see SurveyRules).
    """
    require_surveyor(surveyor)
    write_lock(session)
    clean = (rules or SurveyRules(session, tolerance_m=tolerance_m)).clean(values)
    require_in_area(session, surveyor, clean["area_code"], "enter")
    _refuse_duplicate(session, clean)
    [record] = add_checked_records(session, [clean], surveyor)
    if refresh_layer:
        refresh_survey_layer(session, [record.area_code], created_by=surveyor.name)
    return record


def add_checked_records(
    session: Session, cleans: list[Mapping[str, Any]], surveyor: Surveyor
) -> list[SurveyRecord]:
    """Insert records whose values, area and uniqueness the caller has already checked.

    For create_record and bulk uploads (which check a whole file first, then insert its rows
    in two statements rather than four per row). Each record gets its ``created`` log entry;
    the survey layer is left to the caller.
    """
    now = utcnow()
    records = []
    for clean in cleans:
        record = SurveyRecord(
            entered_by=surveyor.name,
            entered_at=now,
            source=surveyor.source,
            source_ref=surveyor.source_ref,
            version=1,
        )
        _apply(record, clean)
        records.append(record)
    session.add_all(records)
    session.flush()
    rows = [
        row
        for record, clean in zip(records, cleans, strict=True)
        for row in audit.entries(
            surveyor, now, audit.created(_stored_clean(clean)), record_id=record.id
        )
    ]
    audit.record(session, SurveyChange, rows)
    return records


def _stored_clean(clean: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _logged(name, clean[name]) for name in STORED_FIELDS}


def get_record(session: Session, record_id: int) -> SurveyRecord:
    record = session.get(SurveyRecord, record_id)
    if record is None:
        raise NotFoundError(say.NO_RECORD(id=record_id))
    return record


def _check_version(record: SurveyRecord, expected_version: Any) -> None:
    if (
        isinstance(expected_version, bool)
        or not isinstance(expected_version, int)
        or not 0 <= expected_version <= DB_INT_MAX
    ):
        raise ValidationError(NOT_A_VERSION(value=repr(expected_version)), field="version")
    if record.version != expected_version:
        seen = {"id": record.id, "version": record.version, "edited": expected_version}
        raise ConflictError(
            say.STALE_VERSION_BY(**seen, who=record.updated_by)
            if record.updated_by
            else say.STALE_VERSION(**seen),
            field="version",
            current_version=record.version,
        )


def _open_for_change(
    session: Session,
    surveyor: Surveyor,
    record_id: int,
    expected_version: Any,
    window_days: int,
    now: dt.datetime | None,
    *,
    withdrawn: Rule,
) -> tuple[SurveyRecord, dt.datetime]:
    """The record, locked for writing, once the surveyor may still change it at this version."""
    require_surveyor(surveyor)
    write_lock(session)
    record = get_record(session, record_id)
    if record.deleted_at is not None:
        raise ValidationError(withdrawn(id=record_id))
    now = now or utcnow()
    _require_correctable(session, surveyor, record, window_days, now)
    _check_version(record, expected_version)
    return record, now


def correct_record(
    session: Session,
    record_id: int,
    changes: Mapping[str, Any],
    surveyor: Surveyor,
    *,
    expected_version: Any,
    window_days: int = SURVEY_CORRECTION_WINDOW_DAYS,
    rules: SurveyRules | None = None,
    tolerance_m: float = COAST_TOLERANCE_M,
    refresh_layer: bool = True,
    now: dt.datetime | None = None,
) -> list[SurveyChange]:
    """Change some values of a record; every changed field is logged (old, new, who, when).

    ``changes`` holds input fields (see survey_rules.INPUT_FIELDS); fields left out keep
    their values, and the whole record is checked again. Returns the logged changes (none
    when nothing differs).
    """
    record, now = _open_for_change(
        session,
        surveyor,
        record_id,
        expected_version,
        window_days,
        now,
        withdrawn=say.WITHDRAWN,
    )
    rules = rules or SurveyRules(session, tolerance_m=tolerance_m)
    clean = rules.clean({**record_values(record), **changes})
    require_in_area(session, surveyor, clean["area_code"], "move a record to")
    _refuse_duplicate(session, clean, other_than=record.id)
    before = _stored(record)
    after = _stored_clean(clean)
    changed = {n: (before[n], after[n]) for n in STORED_FIELDS if before[n] != after[n]}
    if not changed:
        return []
    old_area = record.area_code
    _apply(record, clean, tuple(changed))
    record.updated_by = surveyor.name
    record.updated_at = now
    _flush(session, record)
    logged = _log(session, record, changed, surveyor, now)
    if refresh_layer:
        refresh_survey_layer(session, {old_area, record.area_code}, created_by=surveyor.name)
    return logged


def withdraw_record(
    session: Session,
    record_id: int,
    surveyor: Surveyor,
    *,
    reason: str,
    expected_version: Any,
    window_days: int = SURVEY_CORRECTION_WINDOW_DAYS,
    now: dt.datetime | None = None,
) -> SurveyRecord:
    """Withdraw a record entered by mistake: it leaves every answer and keeps its history."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError(say.NEEDS_REASON(), field="reason")
    record, now = _open_for_change(
        session,
        surveyor,
        record_id,
        expected_version,
        window_days,
        now,
        withdrawn=say.ALREADY_WITHDRAWN,
    )
    record.deleted_at = now
    record.updated_by = surveyor.name
    record.updated_at = now
    _flush(session, record)
    changes = {WITHDRAWN: (None, now.isoformat()), WITHDRAW_REASON: (None, reason.strip())}
    _log(session, record, changes, surveyor, now)
    refresh_survey_layer(session, [record.area_code], created_by=surveyor.name)
    return record


def record_history(session: Session, record_id: int) -> list[SurveyChange]:
    """Every logged change of one record, newest first."""
    get_record(session, record_id)
    return list(
        session.scalars(
            select(SurveyChange)
            .where(SurveyChange.record_id == record_id)
            .order_by(SurveyChange.id.desc())
        )
    )


# -- the survey population layer --------------------------------------------------------------


def _newest_date(session: Session) -> str | None:
    newest = session.scalar(
        select(func.max(SurveyRecord.survey_date)).where(SurveyRecord.deleted_at.is_(None))
    )
    if isinstance(newest, str):  # SQLite hands back aggregate dates as text
        return newest
    return newest.isoformat() if newest else None


def rebuild_survey_layer(session: Session, *, created_by: str):
    """Build the whole survey layer from the counted records (the CLI; the first write).

    Returns the store outcome, or None when there is neither a record nor a layer.
    """
    records = counted_records(session)
    if not records and survey_layer.find(session) is None:
        return None
    return survey_layer.store(session, records, created_by=created_by, as_of=_newest_date(session))


def refresh_survey_layer(session: Session, area_codes: Iterable[str], *, created_by: str):
    """Bring the survey layer up to date for some subdistricts, after writes to them."""
    codes = sorted(set(area_codes))
    if survey_layer.find(session) is None:
        return rebuild_survey_layer(session, created_by=created_by)
    records = counted_records(session, area_codes=codes)
    return survey_layer.replace(session, records, codes, as_of=_newest_date(session))


def groups_total(record: SurveyRecord, kind: str) -> int:
    """Residents or unvaccinated of a record, all groups together."""
    return sum(getattr(record, f"{kind}_{group}") for group in SURVEY_GROUPS)
