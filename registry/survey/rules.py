"""The rules a survey record must keep, checked the same way for the form, files and the CLI.

A record counts the residents of one subdistrict, or of one village in it, on one date: per
target group the people actually living there and those still unvaccinated, plus how many
were referred to a vaccination site or to a home visit. Values may come as typed by a person
(Thai digits, ``1,200``, Buddhist-era dates such as ``15/11/2564``) or as Python values.

Every broken rule is collected, not only the first, so a form can mark each field at once.
A problem names the field, quotes the value and states the rule; its rule text is an
English template with named parameters that pages translate (registry/translations/.../
survey.po), so the Thai page and the English CLI say the same thing.

Rules
-----
- subdistrict: a level-3 code of the registry (``TH500101`` or the DOPA ``500101``);
- village number (หมู่ที่): optional, 1-99; village name: optional, at most 200 characters;
- village code: optional, a village on DOPA's list in the chosen subdistrict, whose number
  the village number (if given) must equal; without a code, a number or name matching one
  listed village of the subdistrict gives the record its code, and a name matching none is
  accepted with no code (a new village, flagged for an official: see services.villages);
- date: required, not after today in Bangkok and not before 28 February 2021, when COVID-19
  vaccination began in Thailand (a year typed in the wrong era lands outside that range);
- counts: whole numbers 0-500,000, blank means 0; at least one resident counted;
- per group, the unvaccinated cannot exceed the residents (they are among them);
- optional totals (``residents_total``, ``unvaccinated_total``) must equal the sum of the
  groups: each resident is counted in exactly one group;
- referrals to a site and to a home visit together cannot exceed the unvaccinated counted;
- optional point (village centre): both latitude and longitude, in degrees, inside the chosen
  subdistrict (or, off the coast, nearest to it within the coast tolerance).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from importers.coords import parse_coordinate, to_ascii_digits
from importers.report import quote
from importers.values import BANGKOK, clean_text, is_empty, parse_datetime, parse_int
from importers.vocabulary import SURVEY_COUNT_FIELDS, SURVEY_GROUP_LABELS, SURVEY_GROUPS
from registry.accounts.access import area_name
from registry.areas.service import locators
from registry.areas.villages import match_village, village_by_code
from registry.cache import PerDatabase
from registry.config import COAST_TOLERANCE_M
from registry.errors import ValidationError
from registry.models import Area

EARLIEST_SURVEY_DATE = dt.date(2021, 2, 28)
MAX_COUNT = 500_000
MAX_VILLAGE_NO = 99
MAX_VILLAGE_NAME = 200
TOTAL_FIELDS = ("residents_total", "unvaccinated_total")
PLACE_FIELDS = ("area_code", "village_code", "village_no", "village_name", "survey_date")
LOCATION_FIELDS = ("lat", "lon")
# Every field a form or file may carry, in form order.
INPUT_FIELDS = (*PLACE_FIELDS, *SURVEY_COUNT_FIELDS, *TOTAL_FIELDS, *LOCATION_FIELDS)
# The stored fields of a record (what a correction may change and the change log records).
STORED_FIELDS = (*PLACE_FIELDS, *SURVEY_COUNT_FIELDS, "location")

# Rule texts: English templates, translated on pages. They follow the quoted value.
MISSING_AREA = "is missing: choose the subdistrict"
UNKNOWN_AREA = "is not a subdistrict code of the registry (for example TH500101)"
BAD_VILLAGE_NO = "is not a village number (หมู่ที่) from 1 to %(max)s"
TOO_LONG = "is longer than %(max)s characters"
MISSING_DATE = "is missing: give the date of the survey"
BAD_DATE = "is not a date; write it like 15/11/2564, 2021-11-15 or 15 พ.ย. 64"
FUTURE_DATE = "is after today (%(today)s): a survey date cannot be in the future"
OLD_DATE = (
    "is before %(earliest)s, when COVID-19 vaccination began in Thailand; check the year "
    "(2564 BE is 2021)"
)
NOT_A_COUNT = "is not a whole number of people (0 or more)"
TOO_MANY = "is more than %(max)s people; check the number"
NOBODY = "no resident is counted: enter the residents of at least one group"
OVER_RESIDENTS = (
    "is more than the %(residents)s residents counted in the group “%(group)s”: the "
    "unvaccinated are among the residents"
)
BAD_TOTAL = "is not the sum of the groups (%(sum)s): each resident is counted in exactly one group"
OVER_REFERRED = (
    "plus %(other)s referred to %(other_kind)s makes %(sum)s, more than the %(unvaccinated)s "
    "unvaccinated residents counted: only unvaccinated people are referred"
)
BAD_COORDINATE = "is not a %(kind)s in degrees"
HALF_LOCATION = "give both latitude and longitude of the village centre, or neither"
OUTSIDE_THAILAND = "puts the point outside Thailand"
OTHER_SUBDISTRICT = "puts the point in %(where)s, not in the chosen subdistrict %(chosen)s"
NOT_A_VILLAGE = "is not a village code on DOPA's list (8 digits, e.g. 50010203)"
VILLAGE_ELSEWHERE = "is a village of %(where)s, not of the chosen subdistrict %(chosen)s"
VILLAGE_NUMBER_DIFFERS = "is not the number of the village chosen from the list (Moo %(number)s)"

_LIMITS = {"lat": (-90.0, 90.0, "latitude"), "lon": (-180.0, 180.0, "longitude")}


@dataclass(frozen=True)
class SurveyProblem:
    """One broken rule: the field, the value as given, the rule and its parameters."""

    field: str
    value: Any
    rule: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The rule in English with its parameters filled in (groups by English label)."""
        params = dict(self.params)
        if "group" in params:
            params["group"] = SURVEY_GROUP_LABELS[params["group"]][1]
        if "other_kind" in params:
            params["other_kind"] = {"site": "a site", "home_visit": "a home visit"}[
                params["other_kind"]
            ]
        return self.rule % params if params else self.rule

    @property
    def message(self) -> str:
        """``field 'unvaccinated_elderly': '12' is more than the 10 residents ...``."""
        if self.value is None or self.value == "":
            return f"field '{self.field}': {self.text}"
        return f"field '{self.field}': {quote(self.value)} {self.text}"


class SurveyValidationError(ValidationError):
    """A record broke one or more rules; ``problems`` lists every one of them."""

    def __init__(self, problems: list[SurveyProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems), field=problems[0].field)
        self.problems = problems


def bangkok_today() -> dt.date:
    return dt.datetime.now(BANGKOK).date()


def _subdistrict_codes(session: Session) -> frozenset[str]:
    return frozenset(session.scalars(select(Area.code).where(Area.level == 3)))


def _subdistrict_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Area).where(Area.level == 3))


subdistrict_codes = PerDatabase(_subdistrict_codes, _subdistrict_count)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and is_empty(value))


def parse_count(value: Any) -> int:
    """A count from a form cell or file: Thai digits and thousands separators; blank is 0."""
    if _blank(value):
        return 0
    if isinstance(value, bool):
        raise ValueError(NOT_A_COUNT)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        try:
            number = parse_int(str(value))
        except ValueError:
            raise ValueError(NOT_A_COUNT) from None
    if number < 0:
        raise ValueError(NOT_A_COUNT)
    return number


def parse_survey_date(value: Any) -> dt.date:
    """A date as typed in Thailand (``15/11/2564``, ``๑๕ พ.ย. ๖๔``, ``2021-11-15``)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(BANGKOK).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return parse_datetime(str(value)).astimezone(BANGKOK).date()
    except ValueError as error:
        # The importers refuse years outside 1990-2100 ("gives the year 1921"): a date, but a
        # wrong one (2464 for 2564); the range checks below say which way it is wrong.
        year = re.search(r"gives the year (-?\d+)", str(error))
        if year:
            return dt.date.min if int(year.group(1)) < 2000 else dt.date.max
        raise ValueError(BAD_DATE) from None


def normalise_area_code(value: Any) -> str:
    """``'500101'``, ``'th500101'`` or ``'๕๐๐๑๐๑'`` -> ``'TH500101'``."""
    text = to_ascii_digits(str(value)).strip().upper().replace(" ", "")
    return text if text.startswith("TH") else f"TH{text}"


def thai_date(day: dt.date) -> str:
    """``15/11/2564``: the day as Thai officials write it (Buddhist era)."""
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"


class SurveyRules:
    """Checks survey values against the rules; holds what the checks read from the database.

    ``today`` is the Bangkok date the future-date rule compares with; ``tolerance_m`` how far
    off the coast a village point may lie and still count as in its nearest subdistrict.
    """

    def __init__(
        self,
        session: Session,
        *,
        today: dt.date | None = None,
        tolerance_m: float = COAST_TOLERANCE_M,
    ) -> None:
        self.session = session
        self.today = today or bangkok_today()
        self.tolerance_m = tolerance_m
        self.codes = subdistrict_codes.get(session)

    def clean(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Normalised values (area_code, village_no, village_name, survey_date, the counts,
        location as (lon, lat) or None); raises SurveyValidationError listing every problem."""
        clean, problems = self.check(values)
        if problems:
            raise SurveyValidationError(problems)
        return clean

    def check(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[SurveyProblem]]:
        """The normalised values so far and every problem found (empty when valid)."""
        unknown = [name for name in values if name not in INPUT_FIELDS]
        if unknown:
            raise ValidationError(
                f"field '{unknown[0]}' is not a survey field; the fields are: "
                f"{', '.join(INPUT_FIELDS)}",
                field=unknown[0],
            )
        problems: list[SurveyProblem] = []
        clean: dict[str, Any] = {}
        self._place(values, clean, problems)
        self._counts(values, clean, problems)
        self._location(values, clean, problems)
        # Sums are checked as soon as every count reads, whatever else is wrong, so a form
        # shows all its problems at once.
        if all(name in clean for name in SURVEY_COUNT_FIELDS):
            self._consistency(values, clean, problems)
        if clean["location"] is not None and "area_code" in clean:
            self._point_in_area(values, clean, problems)
        for name in TOTAL_FIELDS:
            clean.pop(name, None)
        return clean, problems

    # -- single fields ---------------------------------------------------------------------

    def _place(self, values, clean, problems) -> None:
        raw = values.get("area_code")
        if _blank(raw):
            problems.append(SurveyProblem("area_code", None, MISSING_AREA))
        else:
            code = normalise_area_code(raw)
            if code in self.codes:
                clean["area_code"] = code
            else:
                problems.append(SurveyProblem("area_code", raw, UNKNOWN_AREA))
        raw = values.get("village_no")
        clean["village_no"] = None
        if not _blank(raw):
            try:
                number = parse_count(raw)
            except ValueError:
                number = -1
            if 1 <= number <= MAX_VILLAGE_NO:
                clean["village_no"] = number
            else:
                problems.append(
                    SurveyProblem("village_no", raw, BAD_VILLAGE_NO, {"max": MAX_VILLAGE_NO})
                )
        raw = values.get("village_name")
        name = None if _blank(raw) else clean_text(str(raw))
        if name is not None and len(name) > MAX_VILLAGE_NAME:
            problems.append(SurveyProblem("village_name", raw, TOO_LONG, {"max": MAX_VILLAGE_NAME}))
        clean["village_name"] = name
        self._village(values.get("village_code"), clean, problems)
        self._date(values.get("survey_date"), clean, problems)

    def _village(self, raw, clean, problems) -> None:
        """The DOPA village: the code picked, else the listed village the number or name is."""
        clean["village_code"] = None
        area = clean.get("area_code")
        if _blank(raw):
            if area is not None and (clean["village_no"] or clean["village_name"]):
                found = match_village(
                    self.session, area, clean["village_no"], clean["village_name"]
                )
                if found is not None:
                    self._take_village(found, clean)
            return
        code = to_ascii_digits(str(raw)).strip()
        village = village_by_code(self.session, code) if re.fullmatch(r"\d{8}", code) else None
        if village is None:
            problems.append(SurveyProblem("village_code", raw, NOT_A_VILLAGE))
        elif area is not None and "TH" + code[:6] != area:
            problems.append(
                SurveyProblem(
                    "village_code",
                    raw,
                    VILLAGE_ELSEWHERE,
                    {
                        "where": area_label(self.session, "TH" + code[:6]),
                        "chosen": area_label(self.session, area),
                    },
                )
            )
        elif clean["village_no"] is not None and clean["village_no"] != village.number:
            problems.append(
                SurveyProblem(
                    "village_no",
                    clean["village_no"],
                    VILLAGE_NUMBER_DIFFERS,
                    {"number": village.number},
                )
            )
        else:
            self._take_village(village, clean)

    @staticmethod
    def _take_village(village, clean) -> None:
        clean["village_code"] = village.code
        clean["village_no"] = village.number
        clean["village_name"] = clean["village_name"] or village.name_th

    def _date(self, raw, clean, problems) -> None:
        if _blank(raw):
            problems.append(SurveyProblem("survey_date", None, MISSING_DATE))
            return
        try:
            day = parse_survey_date(raw)
        except ValueError:
            problems.append(SurveyProblem("survey_date", raw, BAD_DATE))
            return
        if day > self.today:
            problems.append(
                SurveyProblem("survey_date", raw, FUTURE_DATE, {"today": thai_date(self.today)})
            )
        elif day < EARLIEST_SURVEY_DATE:
            problems.append(
                SurveyProblem(
                    "survey_date", raw, OLD_DATE, {"earliest": thai_date(EARLIEST_SURVEY_DATE)}
                )
            )
        else:
            clean["survey_date"] = day

    def _counts(self, values, clean, problems) -> None:
        for name in (*SURVEY_COUNT_FIELDS, *TOTAL_FIELDS):
            raw = values.get(name)
            if name in TOTAL_FIELDS and _blank(raw):
                continue
            try:
                number = parse_count(raw)
            except ValueError:
                problems.append(SurveyProblem(name, raw, NOT_A_COUNT))
                continue
            if number > MAX_COUNT:
                problems.append(SurveyProblem(name, raw, TOO_MANY, {"max": f"{MAX_COUNT:,}"}))
                continue
            clean[name] = number

    def _location(self, values, clean, problems) -> None:
        raw = {name: values.get(name) for name in LOCATION_FIELDS}
        clean["location"] = None
        given = [name for name in LOCATION_FIELDS if not _blank(raw[name])]
        if not given:
            return
        if len(given) == 1:
            missing = "lat" if given == ["lon"] else "lon"
            problems.append(SurveyProblem(missing, None, HALF_LOCATION))
            return
        numbers = {}
        for name in LOCATION_FIELDS:
            low, high, kind = _LIMITS[name]
            try:
                number = parse_coordinate(str(raw[name]))
            except ValueError:
                number = None
            if number is None or not np.isfinite(number) or not low <= number <= high:
                problems.append(SurveyProblem(name, raw[name], BAD_COORDINATE, {"kind": kind}))
                continue
            numbers[name] = number
        if len(numbers) == 2:
            clean["location"] = (numbers["lon"], numbers["lat"])

    # -- rules across fields ---------------------------------------------------------------

    def _consistency(self, values, clean, problems) -> None:
        residents = {g: clean[f"residents_{g}"] for g in SURVEY_GROUPS}
        unvaccinated = {g: clean[f"unvaccinated_{g}"] for g in SURVEY_GROUPS}
        if not any(residents.values()):
            problems.append(SurveyProblem("residents_general", None, NOBODY))
        for group in SURVEY_GROUPS:
            if unvaccinated[group] > residents[group]:
                name = f"unvaccinated_{group}"
                problems.append(
                    SurveyProblem(
                        name,
                        values.get(name),
                        OVER_RESIDENTS,
                        {"residents": residents[group], "group": group},
                    )
                )
        for name, counts in (("residents_total", residents), ("unvaccinated_total", unvaccinated)):
            if name in clean and clean[name] != sum(counts.values()):
                problems.append(
                    SurveyProblem(name, values.get(name), BAD_TOTAL, {"sum": sum(counts.values())})
                )
        referred = clean["referred_site"] + clean["referred_home_visit"]
        if referred > sum(unvaccinated.values()):
            problems.append(
                SurveyProblem(
                    "referred_site",
                    values.get("referred_site"),
                    OVER_REFERRED,
                    {
                        "other": clean["referred_home_visit"],
                        "other_kind": "home_visit",
                        "sum": referred,
                        "unvaccinated": sum(unvaccinated.values()),
                    },
                )
            )

    def _point_in_area(self, values, clean, problems) -> None:
        lon, lat = clean["location"]
        match = locators.get(self.session).locate([lon], [lat], tolerance_m=self.tolerance_m)
        found = match.codes[0]
        if found is None:
            problems.append(SurveyProblem("lat", values.get("lat"), OUTSIDE_THAILAND))
        elif found != clean["area_code"]:
            problems.append(
                SurveyProblem(
                    "lat",
                    values.get("lat"),
                    OTHER_SUBDISTRICT,
                    {"where": area_label(self.session, found), "chosen": clean["area_code"]},
                )
            )


def area_label(session: Session, code: str) -> str:
    """``ศรีภูมิ, เมืองเชียงใหม่, เชียงใหม่ (TH500101)``: Thai names, smallest first."""
    return area_name(session, code, "th")
