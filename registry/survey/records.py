"""Reading survey records: the latest of each household, counted ones, an area's, outreach lists."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from registry.models import Area, SurveyRecord


def village_key(record: SurveyRecord) -> int | str | None:
    """The village a record is about: its number, else its name; None for a whole subdistrict."""
    return record.village_no if record.village_no is not None else record.village_name


def _area_filter(area_prefix: str | None, area_codes: Iterable[str] | None) -> list:
    conditions = [SurveyRecord.deleted_at.is_(None)]
    if area_prefix:
        conditions.append(SurveyRecord.area_code.startswith(area_prefix))
    if area_codes is not None:
        conditions.append(SurveyRecord.area_code.in_(sorted(set(area_codes))))
    return conditions


def latest_records(
    session: Session, area_prefix: str | None = None, *, area_codes: Iterable[str] | None = None
) -> list[SurveyRecord]:
    """The latest active record per (area_code, village), ordered by area and village.

    Latest means the newest survey date, then the last entered. ``area_prefix`` keeps the
    records of one province, district or subdistrict (``TH50``); ``area_codes`` of some
    subdistricts. Records of a village and a subdistrict-wide record of the same subdistrict
    are both returned: use :func:`counted_records` to sum people without counting twice.
    """
    village_no = func.coalesce(SurveyRecord.village_no, -1)
    village_name = case(
        (SurveyRecord.village_no.is_(None), func.coalesce(SurveyRecord.village_name, "")),
        else_="",
    )
    rank = (
        func.row_number()
        .over(
            partition_by=(SurveyRecord.area_code, village_no, village_name),
            order_by=(SurveyRecord.survey_date.desc(), SurveyRecord.id.desc()),
        )
        .label("rank")
    )
    ranked = select(SurveyRecord.id, rank).where(*_area_filter(area_prefix, area_codes)).subquery()
    return list(
        session.scalars(
            select(SurveyRecord)
            .join(ranked, ranked.c.id == SurveyRecord.id)
            .where(ranked.c.rank == 1)
            .order_by(
                SurveyRecord.area_code,
                SurveyRecord.village_no.is_(None),
                SurveyRecord.village_no,
                SurveyRecord.village_name,
            )
        )
    )


def counted_records(
    session: Session, area_prefix: str | None = None, *, area_codes: Iterable[str] | None = None
) -> list[SurveyRecord]:
    """The latest records whose counts stand for each subdistrict, nobody counted twice.

    Per subdistrict: its latest subdistrict-wide record when that is at least as new as its
    newest village record, else the latest record of each village.
    """
    by_area: dict[str, list[SurveyRecord]] = defaultdict(list)
    for record in latest_records(session, area_prefix, area_codes=area_codes):
        by_area[record.area_code].append(record)
    counted = []
    for records in by_area.values():
        whole = [r for r in records if village_key(r) is None]
        villages = [r for r in records if village_key(r) is not None]
        if whole and (not villages or whole[0].survey_date >= max(v.survey_date for v in villages)):
            counted += whole
        else:
            counted += villages
    return counted


def survey_stamp(session: Session) -> tuple[int, int, int]:
    """Changes with every survey write (records, their versions summed, the newest id)."""
    count, versions, newest = session.execute(
        select(
            func.count(SurveyRecord.id),
            func.coalesce(func.sum(SurveyRecord.version), 0),
            func.coalesce(func.max(SurveyRecord.id), 0),
        )
    ).one()
    return int(count), int(versions), int(newest)


def records_in_area(
    session: Session,
    area_prefix: str | None,
    *,
    entered_by: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[SurveyRecord], int]:
    """Active records of an area, most recently entered first, and how many there are."""
    conditions = _area_filter(area_prefix, None)
    if entered_by:
        conditions.append(SurveyRecord.entered_by == entered_by)
    total = session.scalar(select(func.count()).select_from(SurveyRecord).where(*conditions))
    rows = session.scalars(
        select(SurveyRecord)
        .where(*conditions)
        .order_by(SurveyRecord.entered_at.desc(), SurveyRecord.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total)


def last_area_of(session: Session, username: str) -> str | None:
    """The subdistrict of the person's last entry: the form starts there."""
    return session.scalar(
        select(SurveyRecord.area_code)
        .where(SurveyRecord.entered_by == username)
        .order_by(SurveyRecord.id.desc())
        .limit(1)
    )


def area_names(session: Session, codes: Iterable[str]) -> dict[str, Area]:
    """Areas by code for the codes and all their parents (for tables naming each level)."""
    wanted = set()
    for code in codes:
        wanted.update(code[:length] for length in (4, 6, 8) if len(code) >= length)
    names: dict[str, Area] = {}
    ordered = sorted(wanted)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        for area in session.scalars(select(Area).where(Area.code.in_(chunk))):
            names[area.code] = area
    return names


def outreach_records(session: Session, area_prefix: str | None) -> list[SurveyRecord]:
    """Counted records with unvaccinated bedridden residents: the home-visit list."""
    return [r for r in counted_records(session, area_prefix) if r.unvaccinated_bedridden > 0]
