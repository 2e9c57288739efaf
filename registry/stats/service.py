"""Statistics of the country, a province or a district: every table of the statistics pages.

One call, :func:`area_statistics`, builds the exact tables for an area; the view shows them to
administrators of the area as they are and to everyone else through the public view of
:mod:`registry.stats.tables` (small counts of people hidden, others rounded). The
same tables are written to CSV, XLSX and JSON (:mod:`registry.stats.export`).

Tables: facilities by type and status, freshness, beds and occupancy
(:mod:`~registry.stats.facilities`); survey summary, groups and weekly trend
(:mod:`~registry.stats.survey`); coverage (share of people within the chosen
distance of an open vaccination site, from :mod:`registry.coverage.service` and its default
population layer); a ranking of the area's provinces, districts or subdistricts; the DDC's
published provincial figures (:mod:`registry.stats.reference`). Administrators also get
the oldest unconfirmed facilities and the survey per subdistrict.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from importers.messages import Text
from importers.messages import area as message_area
from registry.coverage import query as coverage_query
from registry.coverage import service as coverage_service
from registry.errors import NotFoundError, RegistryError, ValidationError
from registry.models import Area, SurveyRecord, utcnow
from registry.query_args import area_code
from registry.stats import (
    facilities as stats_facilities,
)
from registry.stats import (
    reference,
)
from registry.stats import (
    survey as stats_survey,
)
from registry.stats import (
    villages as stats_villages,
)
from registry.stats.messages import A_SUBDISTRICT, NO_SUCH_AREA, NOT_A_RANKING, NOT_AN_AREA_CODE
from registry.stats.tables import SURVEY_PROGRESS_COLUMNS, Column, Suppression, Table, sort_value

COUNTRY = "TH"
DEFAULT_THRESHOLD_KM = 10.0
RANKINGS = {
    # name: (column, largest first)
    "coverage": ("share_covered", True),
    "survey": ("share_reported", True),
    "freshness": ("share_in_time", True),
    "unvaccinated": ("unvaccinated", True),
    "facilities": ("facilities", True),
}
DEFAULT_RANKING = "coverage"
# Reference measures shown (the downloads of the series hold these; the database keeps all).
REFERENCE_MEASURES = (
    "dose1",
    "dose2",
    "dose3",
    "over_60_dose1",
    "over_60_dose2",
    "over_60_dose3",
    "population",
    "population_over_60s",
)


@dataclass(frozen=True)
class Scope:
    """The area the statistics are about: the country (code None), a province or a district."""

    code: str | None
    level: int  # 0 country, 1 province, 2 district
    name_th: str
    name_en: str
    parents: tuple[tuple[str, str, str], ...]  # (code, name_th, name_en), country first
    children: pd.DataFrame  # index code; name_th, name_en
    subdistricts: pd.DataFrame  # index code; name_th, name_en (every subdistrict in scope)

    @property
    def url_code(self) -> str:
        return self.code or COUNTRY

    @property
    def province(self) -> str | None:
        return None if self.code is None else self.code[:4]


def normalise_code(raw: str | None) -> str | None:
    """'th50', '50', 'TH' -> 'TH50', 'TH50', None (the country); a bad code is a 404."""
    if (raw or "").strip().upper() in ("", COUNTRY):
        return None
    code = area_code(raw)
    if code is None:
        raise NotFoundError(NOT_AN_AREA_CODE(value=repr(raw)))
    return code


def find_scope(session: Session, code: str | None) -> Scope:
    """The area of a normalised code, its parents, children and subdistricts."""
    if code is None:
        name_th, name_en, parents = "ประเทศไทย", "Thailand", ()
        level = 0
    else:
        area = session.get(Area, code)
        if area is None:
            raise NotFoundError(NO_SUCH_AREA(value=repr(code)))
        if area.level == 3:
            subdistrict = message_area(code, f"{area.name_en} ({code})")
            district = message_area(area.parent_code, area.parent_code)
            raise NotFoundError(A_SUBDISTRICT(area=subdistrict, district=district))
        name_th, name_en, level = area.name_th, area.name_en, area.level
        parents = tuple(
            (parent.code, parent.name_th, parent.name_en)
            for parent in (session.get(Area, code[:n]) for n in range(4, len(code), 2))
        )
    children = _areas(session, level + 1, code)
    subdistricts = _areas(session, 3, code)
    return Scope(code, level, name_th, name_en, parents, children, subdistricts)


def _areas(session: Session, level: int, prefix: str | None) -> pd.DataFrame:
    statement = select(Area.code, Area.name_th, Area.name_en).where(Area.level == level)
    if prefix is not None:
        statement = statement.where(Area.code.startswith(prefix, autoescape=True))
    rows = session.execute(statement.order_by(Area.code)).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["code", "name_th", "name_en"])
    return frame.set_index("code")


def parse_threshold(raw: str | None) -> float:
    """The coverage distance in km (the coverage service's rule: 0 to 200)."""
    text = (raw or "").strip()
    if not text:
        return DEFAULT_THRESHOLD_KM
    query = coverage_query.parse_coverage_query({"type": "vaccination_site", "threshold_km": text})
    return query.threshold_m / 1000


def parse_ranking(raw: str | None) -> str:
    text = (raw or "").strip() or DEFAULT_RANKING
    if text not in RANKINGS:
        raise ValidationError(
            NOT_A_RANKING(value=repr(text), choices=", ".join(RANKINGS)), field="rank"
        )
    return text


@dataclass
class AreaStatistics:
    """Every table of one area's page, exact or public, with what the page says about them."""

    scope: Scope
    tables: dict[str, Table]
    threshold_km: float
    ranking: str
    view: str  # exact | public
    suppression: Suppression
    generated_at: datetime
    coverage_layer: dict | None = None
    coverage_error: str | None = None
    coverage_text: Text | None = None  # the same, coded: a page says it in its language
    reference: dict | None = None

    def public(self) -> AreaStatistics:
        tables = {
            name: table.public(self.suppression)
            for name, table in self.tables.items()
            if not table.admin_only
        }
        tables["ranking"] = rank(tables["ranking"], self.ranking)
        return replace(self, tables=tables, view="public")


def area_statistics(
    session: Session,
    scope: Scope,
    config: Mapping,
    *,
    threshold_km: float = DEFAULT_THRESHOLD_KM,
    ranking: str = DEFAULT_RANKING,
    now: datetime | None = None,
    link: Callable[[int], str] | None = None,
    admin_tables: bool = True,
    official_tables: bool = True,
) -> AreaStatistics:
    """The exact tables of an area (call ``.public()`` on the result for everyone else).

    ``admin_tables=False`` leaves out the administrators' lists (the public view drops them);
    ``official_tables=False`` the officials' village lists (villages not yet surveyed, typed
    villages not on DOPA's list), which name villages, not people, and stay in either view.
    """
    now = now or utcnow()
    facilities = stats_facilities.facility_frame(session, scope.code)
    survey = survey_part(session, scope)
    tables = {
        "facilities": stats_facilities.by_type_and_status(facilities),
        "freshness": stats_facilities.freshness(facilities, config, now),
        "capacity": stats_facilities.capacity(facilities),
        "survey_summary": survey.summary,
        "survey_groups": survey.groups,
        "survey_trend": survey.trend,
        "village_progress": survey.village_progress,
    }
    result = AreaStatistics(
        scope,
        tables,
        threshold_km,
        ranking,
        "exact",
        Suppression.from_config(config),
        now,
    )
    coverage_rows = _coverage(session, scope, config, threshold_km, result)
    tables["coverage"] = _coverage_table(scope, coverage_rows, result.coverage_layer)
    tables["ranking"] = rank(
        _ranking(scope, facilities, survey.by_child, coverage_rows, config, now), ranking
    )
    tables["reference"] = _reference(session, scope, result)
    if official_tables:
        tables["villages_not_surveyed"] = survey.villages_not_surveyed
        tables["unlisted_villages"] = survey.unlisted_villages
    if admin_tables:
        tables["stale_facilities"] = stats_facilities.stale_list(facilities, config, now, link=link)
        tables["survey_subdistricts"] = survey.subdistricts
    return result


# -- survey -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyPart:
    """The survey tables of an area and its per-child sums (for the ranking)."""

    summary: Table
    groups: Table
    trend: Table
    subdistricts: Table
    by_child: pd.DataFrame
    village_progress: Table
    villages_not_surveyed: Table
    unlisted_villages: Table


def _build_survey_part(session: Session, scope: Scope) -> SurveyPart:
    records = stats_survey.survey_frame(session, scope.code)
    standing = stats_survey.latest(records)
    subdistricts = len(scope.subdistricts)
    return SurveyPart(
        stats_survey.summary(standing, records, subdistricts),
        stats_survey.by_group(standing),
        stats_survey.trend(records, subdistricts),
        stats_survey.by_subdistrict(standing, scope.subdistricts),
        stats_survey.by_child(standing, 4 + 2 * scope.level),
        *stats_villages.village_progress(
            session, scope.code, scope.children, scope.subdistricts, scope.level
        ),
    )


def survey_stamp(session: Session) -> tuple:
    """Changes with every survey write: added, corrected (version, time) or withdrawn."""
    table = SurveyRecord.__table__.c
    return tuple(
        session.execute(
            select(
                func.count(table.id),
                func.coalesce(func.sum(table.version), 0),
                func.max(table.id),
                func.max(table.entered_at),
                func.max(table.updated_at),
                func.max(table.deleted_at),
            )
        ).one()
    )


class SurveyCache:
    """Survey parts by database, area and survey stamp: a bounded LRU.

    Reading and summing a country's records takes seconds; they change far less often than
    the page is read. Facilities and freshness are not cached (freshness moves with time).
    """

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, SurveyPart] = OrderedDict()

    def get(self, session: Session, scope: Scope) -> SurveyPart:
        key = (
            str(session.get_bind().engine.url),
            scope.code,
            len(scope.subdistricts),
            survey_stamp(session),
            stats_villages.village_count(session),
        )
        with self._lock:
            part = self._entries.get(key)
            if part is not None:
                self._entries.move_to_end(key)
                return part
        part = _build_survey_part(session, scope)
        with self._lock:
            self._entries[key] = part
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return part

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


survey_parts = SurveyCache()


def survey_part(session: Session, scope: Scope) -> SurveyPart:
    return survey_parts.get(session, scope)


# -- coverage ---------------------------------------------------------------------------------


def _coverage(session, scope: Scope, config, threshold_km: float, result) -> pd.DataFrame:
    """People and people covered per child area (empty, with the reason, when not computable)."""
    empty = pd.DataFrame(columns=["population", "covered"], index=pd.Index([], name="code"))
    args = {
        "type": "vaccination_site",
        "threshold_km": f"{threshold_km:g}",
        "level": {0: "province", 1: "district", 2: "subdistrict"}[scope.level],
    }
    if scope.province:
        args["province"] = scope.province
    try:
        query = coverage_query.parse_coverage_query(args)
        answer = coverage_service.coverage(session, query, config)
    except RegistryError as error:
        result.coverage_error, result.coverage_text = error.message, error.text
        return empty
    result.coverage_layer = answer.layer.as_dict()
    areas = answer.areas.set_index("code")
    if scope.level == 2:
        areas = areas[areas.index.str.startswith(scope.code)]
    return areas[["population", "covered"]].astype("int64")


# People of subdistricts newer than the boundaries, counted in their district.
NEWER_SUBDISTRICTS = (
    "ตำบล/แขวงที่ตั้งใหม่หลังขอบเขตปี 2562",
    "Subdistricts newer than the 2019 boundaries",
)


def _coverage_table(scope: Scope, rows: pd.DataFrame, layer: dict | None = None) -> Table:
    """Coverage per child area and the total; every row names the layer it counts from."""
    columns = (
        Column("code", "code"),
        Column("name_th", "text"),
        Column("name_en", "text"),
        Column("population", "people"),
        Column("covered", "people"),
        Column("uncovered", "people"),
        Column("share_covered", "share", share_of=("covered", "population")),
        Column("population_layer", "text"),
        Column("population_measure", "text"),
        Column("population_year", "text"),
        Column("population_source", "text"),
    )
    about = (
        {
            "population_layer": layer.get("name"),
            "population_measure": layer.get("measure"),
            "population_year": str(layer["year"]) if layer.get("year") else None,
            "population_source": layer.get("source"),
        }
        if layer
        else {}
    )

    def row_of(code, name_th, name_en, population, covered) -> dict:
        return {
            "code": code,
            "name_th": name_th,
            "name_en": name_en,
            "population": population,
            "covered": covered,
            "uncovered": population - covered,
            **about,
        }

    out = [
        row_of(code, row["name_th"], row["name_en"], *rows.loc[code, ["population", "covered"]])
        for code, row in scope.children.iterrows()
        if code in rows.index
    ]
    # People known only by a coarser area (a district's subdistricts newer than the
    # boundaries) are shown in a row of their own rather than left out of the table.
    for code in rows.index.difference(scope.children.index):
        out.append(row_of(None, *NEWER_SUBDISTRICTS, *rows.loc[code, ["population", "covered"]]))
    if out:
        total = rows[["population", "covered"]].sum()
        out.append(row_of(scope.url_code, scope.name_th, scope.name_en, *total))
    for row in out:
        for name in ("population", "covered", "uncovered"):
            row[name] = int(row[name])
    return Table.build("coverage", columns, out)


# -- ranking ----------------------------------------------------------------------------------

_RANKING_COLUMNS = (
    Column("rank", "count"),
    Column("code", "code"),
    Column("name_th", "text"),
    Column("name_en", "text"),
    Column("facilities", "count"),
    Column("open", "count"),
    Column("confirmed_in_time", "count"),
    Column("share_in_time", "share", share_of=("confirmed_in_time", "facilities")),
    *SURVEY_PROGRESS_COLUMNS,
    Column("population", "people"),
    Column("covered", "people"),
    Column("share_covered", "share", share_of=("covered", "population")),
)


def _ranking(scope: Scope, facilities, by_survey, coverage_rows, config, now) -> Table:
    child_level = scope.level + 1
    child_length = 2 + 2 * child_level
    by_facility = stats_facilities.by_child(facilities, child_level, config, now)
    subdistricts = pd.Series(scope.subdistricts.index.str.slice(0, child_length)).value_counts()
    rows = []
    for code, names in scope.children.iterrows():
        row = {"code": code, "name_th": names["name_th"], "name_en": names["name_en"]}
        for name in ("facilities", "open", "confirmed_in_time"):
            row[name] = int(by_facility.at[code, name]) if code in by_facility.index else 0
        row["subdistricts"] = int(subdistricts.get(code, 0))
        for name in ("subdistricts_reported", "residents", "unvaccinated"):
            row[name] = int(by_survey.at[code, name]) if code in by_survey.index else 0
        if code in coverage_rows.index:
            row["population"] = int(coverage_rows.at[code, "population"])
            row["covered"] = int(coverage_rows.at[code, "covered"])
        rows.append(row)
    return Table.build("ranking", _RANKING_COLUMNS, rows)


def rank(table: Table, ranking: str) -> Table:
    """Rows ordered by the ranking's column (on the values of the table's view), numbered."""
    column, largest_first = RANKINGS[ranking]

    def key(row):
        value = sort_value(row[column])
        known = math.isfinite(value)
        return (not known, -value if largest_first and known else value, row["code"])

    rows = [{**row, "rank": number} for number, row in enumerate(sorted(table.rows, key=key), 1)]
    return replace(table, rows=rows)


# -- reference figures ------------------------------------------------------------------------


def _reference(session, scope: Scope, result: AreaStatistics) -> Table:
    """The DDC's figures for the provinces of the page (a district page: its province)."""
    codes = list(scope.children.index) if scope.level == 0 else [scope.province]
    figures = reference.latest_figures(session, codes)
    columns = (
        Column("code", "code"),
        Column("name_th", "text"),
        Column("name_en", "text"),
        *(Column(measure, "published") for measure in REFERENCE_MEASURES),
        Column("share_dose1", "share", share_of=("dose1", "population")),
        Column("share_dose2", "share", share_of=("dose2", "population")),
        Column("share_over_60_dose1", "share", share_of=("over_60_dose1", "population_over_60s")),
    )
    rows = []
    if figures is not None:
        result.reference = {
            "series": figures.series,
            "source": figures.source,
            "as_of": figures.as_of.isoformat(),
        }
        names = scope.children if scope.level == 0 else _province_names(session, codes)
        for code in codes:
            values = figures.values.get(code)
            if not values:
                continue
            row = {"code": code, **names.loc[code, ["name_th", "name_en"]].to_dict()}
            row.update({measure: values.get(measure) for measure in REFERENCE_MEASURES})
            rows.append(row)
    if scope.level == 0 and rows:
        total = {"code": COUNTRY, "name_th": scope.name_th, "name_en": scope.name_en}
        for measure in REFERENCE_MEASURES:
            known = [row[measure] for row in rows if row[measure] is not None]
            total[measure] = sum(known) if len(known) == len(rows) else None
        rows.append(total)
    return Table.build("reference", columns, rows)


def _province_names(session, codes: list[str]) -> pd.DataFrame:
    rows = session.execute(
        select(Area.code, Area.name_th, Area.name_en).where(Area.code.in_(codes))
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["code", "name_th", "name_en"]).set_index(
        "code"
    )
