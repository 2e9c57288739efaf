"""Survey statistics of an area, from the survey records as they stand.

Which records count follows :mod:`registry.survey.service` (the survey pages and the survey
population layer count the same way): a village is identified by its number (หมู่ที่) when
given, else by its name; a record naming neither is about its whole subdistrict. Each village
and each subdistrict-wide entry counts with its latest non-withdrawn record (latest survey
date, then the last entered). Then, per subdistrict, either its subdistrict-wide record or its
villages' records count, whichever is newer (the subdistrict-wide one on a tie), so nobody is
counted twice. A subdistrict is reported when any record of it counts.

Every count here is exact; the public view (:mod:`registry.stats.tables`) hides the
small ones. Residents are the sum of the six target groups (each resident is in exactly one).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.vocabulary import SURVEY_COUNT_FIELDS, SURVEY_GROUP_LABELS, SURVEY_GROUPS
from registry.models import SurveyRecord
from registry.stats.tables import Column, Table

RESIDENT_COLUMNS = [f"residents_{g}" for g in SURVEY_GROUPS]
UNVACCINATED_COLUMNS = [f"unvaccinated_{g}" for g in SURVEY_GROUPS]
TOTAL_LABELS = ("รวม", "Total")


def survey_frame(session: Session, code: str | None) -> pd.DataFrame:
    """Every non-withdrawn record of the area, with its totals, sorted by date and entry."""
    fields = ["id", "area_code", "village_no", "village_name", "survey_date", *SURVEY_COUNT_FIELDS]
    table = SurveyRecord.__table__
    statement = select(*(table.c[name] for name in fields)).where(table.c.deleted_at.is_(None))
    if code is not None:
        statement = statement.where(table.c.area_code.startswith(code, autoescape=True))
    # Plain rows (no ORM objects): a country holds hundreds of thousands of records.
    rows = [tuple(row) for row in session.connection().execute(statement)]
    frame = pd.DataFrame(rows, columns=fields)
    for name in SURVEY_COUNT_FIELDS:
        frame[name] = frame[name].astype("int64")
    frame["residents"] = frame[RESIDENT_COLUMNS].sum(axis=1).astype("int64")
    frame["unvaccinated"] = frame[UNVACCINATED_COLUMNS].sum(axis=1).astype("int64")
    # The village: its number, else its name; "" for a record about the whole subdistrict.
    number, name = frame["village_no"], frame["village_name"].astype(object)
    named = name.map(_text).astype(bool)
    village = pd.Series("", index=frame.index, dtype=object)
    village[named] = "name:" + name[named].astype(str)
    village[number.notna()] = "no:" + number[number.notna()].astype("int64").astype(str)
    frame["whole"] = village == ""
    # Small integers for the groupings done again for every week of the trend.
    frame["area"] = pd.factorize(frame["area_code"])[0]
    frame["key"] = pd.factorize(village + "|" + frame["area_code"].astype(object))[0]
    # The date as a NumPy datetime, for comparing whole columns at once.
    frame["day"] = pd.to_datetime(pd.Series(frame["survey_date"], dtype=object))
    return frame.sort_values(["day", "id"], kind="stable")


def _text(value) -> bool:
    return isinstance(value, str) and value != ""


def latest(frame: pd.DataFrame, until: date | None = None) -> pd.DataFrame:
    """The records that count, of those dated on or before ``until`` (None: all).

    The latest record per village and per subdistrict-wide entry; then per subdistrict the
    subdistrict-wide record when it is at least as new as its newest village record, else
    the villages' records. ``frame`` is :func:`survey_frame`'s, sorted by date and entry.
    """
    if until is not None:
        frame = frame[frame["day"] <= pd.Timestamp(until)]
    newest = frame.drop_duplicates("key", keep="last")
    whole = newest["whole"]
    areas = newest["area"]
    whole_day = newest["day"].where(whole).groupby(areas).transform("max")
    village_day = newest["day"].where(~whole).groupby(areas).transform("max")
    whole_wins = whole_day.notna() & (village_day.isna() | (whole_day >= village_day))
    return newest[whole == whole_wins]


def summary(latest_records: pd.DataFrame, frame: pd.DataFrame, subdistricts: int) -> Table:
    """One row: areas reported of all areas, people counted, unvaccinated, referrals, dates."""
    columns = (
        Column("subdistricts", "count"),
        Column("subdistricts_reported", "count"),
        Column("share_reported", "share", share_of=("subdistricts_reported", "subdistricts")),
        Column("villages_reported", "count"),
        Column("records", "count"),
        Column("residents", "people"),
        Column("unvaccinated", "people"),
        Column("share_unvaccinated", "share", share_of=("unvaccinated", "residents")),
        Column("referred_site", "people"),
        Column("referred_home_visit", "people"),
        Column("first_survey_date", "date"),
        Column("last_survey_date", "date"),
    )
    dates = latest_records["survey_date"]
    row = {
        "subdistricts": subdistricts,
        "subdistricts_reported": int(latest_records["area_code"].nunique()),
        "villages_reported": len(latest_records),
        "records": len(frame),
        "residents": int(latest_records["residents"].sum()),
        "unvaccinated": int(latest_records["unvaccinated"].sum()),
        "referred_site": int(latest_records["referred_site"].sum()),
        "referred_home_visit": int(latest_records["referred_home_visit"].sum()),
        "first_survey_date": min(dates) if len(dates) else None,
        "last_survey_date": max(dates) if len(dates) else None,
    }
    return Table.build("survey_summary", columns, [row])


def by_group(latest_records: pd.DataFrame) -> Table:
    """Residents and unvaccinated per target group, with the total."""
    columns = (
        Column("group", "code"),
        Column("group_th", "text"),
        Column("group_en", "text"),
        Column("residents", "people"),
        Column("unvaccinated", "people"),
        Column("share_unvaccinated", "share", share_of=("unvaccinated", "residents")),
    )
    rows = []
    for group in SURVEY_GROUPS:
        label_th, label_en = SURVEY_GROUP_LABELS[group]
        rows.append(
            {
                "group": group,
                "group_th": label_th,
                "group_en": label_en,
                "residents": int(latest_records[f"residents_{group}"].sum()),
                "unvaccinated": int(latest_records[f"unvaccinated_{group}"].sum()),
            }
        )
    rows.append(
        {
            "group": "total",
            "group_th": TOTAL_LABELS[0],
            "group_en": TOTAL_LABELS[1],
            "residents": int(latest_records["residents"].sum()),
            "unvaccinated": int(latest_records["unvaccinated"].sum()),
        }
    )
    return Table.build("survey_groups", columns, rows)


def trend(frame: pd.DataFrame, subdistricts: int) -> Table:
    """Week by week (Monday to Sunday): the standing at the week's end, and surveys that week.

    The standing counts the records that would count if the survey had stopped that Sunday
    (the rule of :func:`latest`), so a village surveyed again replaces its earlier count
    instead of adding to it. Computed in one pass over the records in date order, so a
    campaign of many weeks costs no more than one of a few.
    """
    columns = (
        Column("week_start", "date"),
        Column("week_end", "date"),
        Column("records_in_week", "count"),
        Column("subdistricts_reported", "count"),
        Column("share_reported", "share", share_of=("subdistricts_reported", "subdistricts")),
        Column("subdistricts", "count"),
        Column("residents", "people"),
        Column("unvaccinated", "people"),
        Column("share_unvaccinated", "share", share_of=("unvaccinated", "residents")),
    )
    rows = []
    if len(frame):
        standing = _Standing()
        names = ("survey_date", "key", "area", "whole", "residents", "unvaccinated")
        # Plain Python values: this loop runs once per record.
        records = zip(*(frame[name].tolist() for name in names), strict=True)
        pending = next(records, None)
        first, last = frame["survey_date"].iloc[0], frame["survey_date"].iloc[-1]
        week = first - timedelta(days=first.weekday())
        while week <= last:
            end = week + timedelta(days=6)
            in_week = 0
            while pending is not None and pending[0] <= end:
                standing.add(*pending)
                in_week += 1
                pending = next(records, None)
            rows.append(
                {
                    "week_start": week,
                    "week_end": end,
                    "records_in_week": in_week,
                    "subdistricts_reported": len(standing.counted),
                    "subdistricts": subdistricts,
                    "residents": standing.total[0],
                    "unvaccinated": standing.total[1],
                }
            )
            week += timedelta(days=7)
    return Table.build("survey_trend", columns, rows)


class _Standing:
    """What counts so far, kept up to date one record at a time (records in date order)."""

    def __init__(self) -> None:
        self.villages: dict[int, tuple[int, int]] = {}  # key -> (residents, unvaccinated)
        self.village_sums: dict[int, list[int]] = {}  # area -> sums of its villages
        self.village_day: dict[int, date] = {}  # area -> its newest village record's date
        self.whole: dict[int, tuple[date, int, int]] = {}  # area -> subdistrict-wide record
        self.counted: dict[int, tuple[int, int]] = {}  # area -> what it adds to the total
        self.total = [0, 0]

    def add(self, day, key, area, whole, residents, unvaccinated) -> None:
        counts = (residents, unvaccinated)
        if whole:
            self.whole[area] = (day, *counts)
        else:
            sums = self.village_sums.setdefault(area, [0, 0])
            old = self.villages.get(key, (0, 0))
            sums[0] += counts[0] - old[0]
            sums[1] += counts[1] - old[1]
            self.villages[key] = counts
            self.village_day[area] = day
        entry, village_day = self.whole.get(area), self.village_day.get(area)
        if entry is not None and (village_day is None or entry[0] >= village_day):
            now = entry[1:]
        else:
            now = tuple(self.village_sums[area])
        before = self.counted.get(area, (0, 0))
        self.total = [self.total[0] + now[0] - before[0], self.total[1] + now[1] - before[1]]
        self.counted[area] = now


def by_subdistrict(latest_records: pd.DataFrame, names: pd.DataFrame) -> Table:
    """Administrators' detail: every reported subdistrict with its groups and referrals.

    ``names`` is indexed by area code with name_th and name_en columns.
    """
    columns = (
        Column("code", "code"),
        Column("name_th", "text"),
        Column("name_en", "text"),
        Column("villages_reported", "count"),
        Column("last_survey_date", "date"),
        Column("residents", "people"),
        Column("unvaccinated", "people"),
        *(Column(name, "people") for name in UNVACCINATED_COLUMNS),
        Column("residents_bedridden", "people"),
        Column("referred_site", "people"),
        Column("referred_home_visit", "people"),
    )
    sums = ["residents", "unvaccinated", *UNVACCINATED_COLUMNS, "residents_bedridden"]
    sums += ["referred_site", "referred_home_visit"]
    grouped = latest_records.groupby("area_code")
    table = grouped[sums].sum().astype("int64")
    table["villages_reported"] = grouped.size()
    table["last_survey_date"] = grouped["day"].max().dt.date
    table = table.join(names[["name_th", "name_en"]], how="left").sort_index()
    table.index.name = "code"
    rows = [
        {name: _plain(value) for name, value in row.items()}
        for row in table.reset_index().to_dict("records")
    ]
    return Table.build("survey_subdistricts", columns, rows, admin_only=True)


def _plain(value):
    """NumPy scalars as Python ones, missing names as None."""
    if hasattr(value, "item"):
        return value.item()
    return None if isinstance(value, float) and value != value else value


def by_child(latest_records: pd.DataFrame, child_length: int) -> pd.DataFrame:
    """Per child area (codes of ``child_length`` characters): reported, residents, unvaccinated."""
    child = latest_records["area_code"].str.slice(0, child_length)
    grouped = latest_records.assign(child=child).groupby("child")
    result = grouped[["residents", "unvaccinated"]].sum()
    result["subdistricts_reported"] = grouped["area_code"].nunique()
    return result
