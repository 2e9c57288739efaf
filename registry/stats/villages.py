"""Survey progress by village: villages reported out of DOPA's villages of the area.

A listed village is *reported* when at least one non-withdrawn survey record carries its DOPA
code (the volunteer picked it, or typed a number or name that matched it: see
:mod:`registry.areas.villages`). Records whose typed village matches no listed one are
counted apart as *unlisted* entries: a new village, or a typing slip for an official to check.
Records about a whole subdistrict report no village.

Villages are counted by the tambon DOPA lists them under, so the villages of a tambon newer
than the registry's 2019 boundaries (Tha Faek, Uttaradit) count in their district and
province, though no survey record can name them yet.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.models import SurveyRecord, Village
from registry.stats.tables import Column, Table

COUNTRY = "TH"

_PROGRESS_COLUMNS = (
    Column("code", "code"),
    Column("name_th", "text"),
    Column("name_en", "text"),
    Column("villages", "count"),
    Column("villages_reported", "count"),
    Column("share_villages_reported", "share", share_of=("villages_reported", "villages")),
    Column("villages_not_reported", "count"),
    Column("unlisted_village_entries", "count"),
)
_NOT_SURVEYED_COLUMNS = (
    Column("village_code", "code"),
    Column("village_no", "count"),
    Column("village_name_th", "text"),
    Column("village_name_en", "text"),
    Column("code", "code"),
    Column("name_th", "text"),
    Column("name_en", "text"),
)
_UNLISTED_COLUMNS = (
    Column("record_id", "count"),
    Column("code", "code"),
    Column("name_th", "text"),
    Column("village_no", "count"),
    Column("village_name", "text"),
    Column("survey_date", "date"),
    Column("entered_by", "text"),
)


def village_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Village)) or 0


def listed_villages(session: Session, code: str | None) -> pd.DataFrame:
    """DOPA's villages of the area: code, subdistrict_code, number, name_th, name_en."""
    statement = select(
        Village.code, Village.subdistrict_code, Village.number, Village.name_th, Village.name_en
    )
    if code:
        statement = statement.where(Village.subdistrict_code.startswith(code, autoescape=True))
    rows = [tuple(row) for row in session.execute(statement.order_by(Village.code))]
    return pd.DataFrame(rows, columns=["code", "subdistrict_code", "number", "name_th", "name_en"])


def reported_codes(session: Session, code: str | None) -> set[str]:
    """DOPA codes of the villages with at least one non-withdrawn record in the area."""
    statement = select(SurveyRecord.village_code).where(
        SurveyRecord.deleted_at.is_(None), SurveyRecord.village_code.is_not(None)
    )
    if code:
        statement = statement.where(SurveyRecord.area_code.startswith(code, autoescape=True))
    return set(session.scalars(statement.distinct()))


def unlisted_entries(session: Session, code: str | None) -> pd.DataFrame:
    """Non-withdrawn records naming a village that is not on DOPA's list (no code)."""
    table = SurveyRecord
    statement = select(
        table.id,
        table.area_code,
        table.village_no,
        table.village_name,
        table.survey_date,
        table.entered_by,
    ).where(
        table.deleted_at.is_(None),
        table.village_code.is_(None),
        (table.village_no.is_not(None)) | (table.village_name.is_not(None)),
    )
    if code:
        statement = statement.where(table.area_code.startswith(code, autoescape=True))
    rows = [tuple(row) for row in session.execute(statement.order_by(table.id))]
    return pd.DataFrame(
        rows,
        columns=["record_id", "code", "village_no", "village_name", "survey_date", "entered_by"],
    )


def village_progress(
    session: Session, code: str | None, children: pd.DataFrame, names: pd.DataFrame, level: int
) -> tuple[Table, Table, Table]:
    """Progress per child area with the area's total; villages not yet surveyed; unlisted.

    ``children`` are the page's child areas (index code; name_th, name_en) and ``names`` its
    subdistricts' names; ``level`` is the page's level (0 country, 1 province, 2 district).
    The two lists name villages, not people: they are for the area's officials.
    """
    villages = listed_villages(session, code)
    reported = reported_codes(session, code)
    unlisted = unlisted_entries(session, code)
    villages["reported"] = villages["code"].isin(reported)
    child_length = 4 + 2 * level
    villages["child"] = villages["subdistrict_code"].str.slice(0, child_length)
    unlisted_by_child = unlisted["code"].str.slice(0, child_length).value_counts()
    by_child = dict(iter(villages.groupby("child")))
    empty = villages.iloc[0:0]
    rows = [
        _progress_row(
            child, child_names, by_child.get(child, empty), int(unlisted_by_child.get(child, 0))
        )
        for child, child_names in children.iterrows()
    ]
    # Villages of a tambon newer than the boundaries: a row of their own, not lost.
    for child in sorted(set(by_child) - set(children.index)):
        rows.append(_progress_row(child, None, by_child[child], 0))
    total_names = {"name_th": "รวม", "name_en": "Total"}
    rows.append(_progress_row(code or COUNTRY, total_names, villages, len(unlisted)))
    progress = Table.build("village_progress", _PROGRESS_COLUMNS, rows)

    missing = villages[~villages["reported"]]
    subdistrict = names.reindex(missing["subdistrict_code"])
    not_surveyed = Table.build(
        "villages_not_surveyed",
        _NOT_SURVEYED_COLUMNS,
        [
            {
                "village_code": row.code,
                "village_no": int(row.number),
                "village_name_th": row.name_th,
                "village_name_en": row.name_en,
                "code": row.subdistrict_code,
                "name_th": _text(th),
                "name_en": _text(en),
            }
            for row, th, en in zip(
                missing.itertuples(),
                subdistrict["name_th"].tolist(),
                subdistrict["name_en"].tolist(),
                strict=True,
            )
        ],
    )
    unlisted_names = names["name_th"].reindex(unlisted["code"]).tolist()
    unlisted_table = Table.build(
        "unlisted_villages",
        _UNLISTED_COLUMNS,
        [
            {
                "record_id": int(row.record_id),
                "code": row.code,
                "name_th": _text(name),
                "village_no": None if pd.isna(row.village_no) else int(row.village_no),
                "village_name": row.village_name,
                "survey_date": row.survey_date,
                "entered_by": row.entered_by,
            }
            for row, name in zip(unlisted.itertuples(), unlisted_names, strict=True)
        ],
    )
    return progress, not_surveyed, unlisted_table


def _progress_row(code, names, villages: pd.DataFrame, unlisted: int) -> dict:
    reported = int(villages["reported"].sum())
    return {
        "code": code,
        "name_th": None if names is None else names["name_th"],
        "name_en": None if names is None else names["name_en"],
        "villages": len(villages),
        "villages_reported": reported,
        "villages_not_reported": len(villages) - reported,
        "unlisted_village_entries": unlisted,
    }


def _text(value):
    return value if isinstance(value, str) else None
