"""Survey rules: every rule refuses what it should, with a message naming field, value and rule."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.survey import rules
from registry.survey.rules import SurveyRules, SurveyValidationError

TODAY = dt.date(2021, 11, 30)
# Si Phum, Mueang Chiang Mai, and a point inside it (old city, north-west).
SI_PHUM = "TH500101"
IN_SI_PHUM = {"lat": "18.795", "lon": "98.985"}


def valid(**changes) -> dict:
    values = {
        "area_code": SI_PHUM,
        "village_no": "3",
        "village_name": "บ้านทดสอบ",
        "survey_date": "15/11/2564",
        "residents_general": "100",
        "unvaccinated_general": "10",
        "residents_elderly": "20",
        "unvaccinated_elderly": "5",
        "residents_bedridden": "2",
        "unvaccinated_bedridden": "1",
    }
    values.update(changes)
    return values


def problems_of(session, values) -> list:
    _clean, problems = SurveyRules(session, today=TODAY).check(values)
    return problems


def test_a_valid_record_is_normalised(session):
    clean = SurveyRules(session, today=TODAY).clean(
        valid(
            area_code="๕๐๐๑๐๑",
            village_no="๓",
            survey_date="๑๕ พ.ย. ๖๔",
            residents_general="๑,๒๐๐",
            residents_total="1,222",
            unvaccinated_total="16",
            referred_site="10",
            referred_home_visit="1",
            **IN_SI_PHUM,
        )
    )
    assert clean["area_code"] == SI_PHUM
    assert clean["village_no"] == 3
    assert clean["survey_date"] == dt.date(2021, 11, 15)
    assert clean["residents_general"] == 1200
    assert clean["residents_migrant"] == 0  # blank is 0
    assert clean["location"] == (98.985, 18.795)
    assert "residents_total" not in clean  # a check, not a stored value


@pytest.mark.parametrize(
    "text, expected",
    [
        ("15/11/2564", dt.date(2021, 11, 15)),
        ("15/11/64", dt.date(2021, 11, 15)),
        ("2021-11-15", dt.date(2021, 11, 15)),
        ("15 พฤศจิกายน พ.ศ. 2564", dt.date(2021, 11, 15)),
        ("๑๕/๑๑/๒๕๖๔", dt.date(2021, 11, 15)),
        (dt.date(2021, 11, 15), dt.date(2021, 11, 15)),
    ],
)
def test_dates_buddhist_era_and_thai_digits(text, expected):
    assert rules.parse_survey_date(text) == expected


@pytest.mark.parametrize(
    "changes, field, rule, fragments",
    [
        ({"area_code": ""}, "area_code", rules.MISSING_AREA, ["choose the subdistrict"]),
        ({"area_code": "TH5001"}, "area_code", rules.UNKNOWN_AREA, ["'TH5001'", "subdistrict"]),
        ({"village_no": "0"}, "village_no", rules.BAD_VILLAGE_NO, ["'0'", "1 to 99"]),
        ({"village_no": "สาม"}, "village_no", rules.BAD_VILLAGE_NO, ["'สาม'"]),
        ({"village_name": "ก" * 201}, "village_name", rules.TOO_LONG, ["200 characters"]),
        ({"survey_date": ""}, "survey_date", rules.MISSING_DATE, ["date of the survey"]),
        ({"survey_date": "31/02/2564"}, "survey_date", rules.BAD_DATE, ["'31/02/2564'"]),
        ({"survey_date": "1/12/2564"}, "survey_date", rules.FUTURE_DATE, ["30/11/2564"]),
        ({"survey_date": "1/1/2021"}, "survey_date", rules.OLD_DATE, ["'1/1/2021'", "2564 BE"]),
        # 2464 BE (a typing slip for 2564) is 1921: refused, not stored a century back.
        ({"survey_date": "15/11/2464"}, "survey_date", rules.OLD_DATE, ["'15/11/2464'"]),
        ({"residents_general": "ten"}, "residents_general", rules.NOT_A_COUNT, ["'ten'"]),
        ({"residents_general": "-5"}, "residents_general", rules.NOT_A_COUNT, ["'-5'"]),
        ({"residents_general": "12.5"}, "residents_general", rules.NOT_A_COUNT, ["'12.5'"]),
        ({"residents_general": "600000"}, "residents_general", rules.TOO_MANY, ["500,000"]),
        (
            {"unvaccinated_elderly": "21"},
            "unvaccinated_elderly",
            rules.OVER_RESIDENTS,
            ["'21'", "20 residents", "Elderly (60+)"],
        ),
        (
            {"residents_total": "100"},
            "residents_total",
            rules.BAD_TOTAL,
            ["'100'", "sum of the groups (122)"],
        ),
        (
            {"unvaccinated_total": "17"},
            "unvaccinated_total",
            rules.BAD_TOTAL,
            ["'17'", "(16)"],
        ),
        (
            {"referred_site": "10", "referred_home_visit": "7"},
            "referred_site",
            rules.OVER_REFERRED,
            ["'10'", "plus 7", "makes 17", "16 unvaccinated"],
        ),
        (
            {
                "residents_general": "",
                "unvaccinated_general": "",
                "residents_elderly": "",
                "unvaccinated_elderly": "",
                "residents_bedridden": "",
                "unvaccinated_bedridden": "",
            },
            "residents_general",
            rules.NOBODY,
            ["no resident is counted"],
        ),
        ({"lat": "18.7877"}, "lon", rules.HALF_LOCATION, ["both latitude and longitude"]),
        ({"lat": "95", "lon": "98.99"}, "lat", rules.BAD_COORDINATE, ["'95'", "latitude"]),
        ({"lat": "1.3", "lon": "103.8"}, "lat", rules.OUTSIDE_THAILAND, ["outside Thailand"]),
        # Bangkok's Grand Palace: in Phra Borom Maha Ratchawang, not in Si Phum.
        (
            {"lat": "13.75", "lon": "100.4913"},
            "lat",
            rules.OTHER_SUBDISTRICT,
            ["'13.75'", "TH100101", "chosen subdistrict TH500101"],
        ),
    ],
)
def test_each_rule_names_field_value_and_rule(session, changes, field, rule, fragments):
    problems = problems_of(session, valid(**changes))
    assert [(p.field, p.rule) for p in problems] == [(field, rule)]
    message = problems[0].message
    assert message.startswith(f"field '{field}'")
    for fragment in fragments:
        assert fragment in message, message


def test_every_problem_is_reported_at_once(session):
    values = valid(village_no="x", survey_date="tomorrow", residents_migrant="-1")
    with pytest.raises(SurveyValidationError) as caught:
        SurveyRules(session, today=TODAY).clean(values)
    fields = [p.field for p in caught.value.problems]
    assert fields == ["village_no", "survey_date", "residents_migrant"]
    assert caught.value.status_code == 400
    assert "field 'village_no': 'x'" in caught.value.message


def test_unknown_field_is_refused(session):
    with pytest.raises(rules.ValidationError, match="'citizen_id' is not a survey field"):
        SurveyRules(session, today=TODAY).check(valid(citizen_id="1234567890123"))


def test_today_is_accepted_and_counts_may_be_python_ints(session):
    clean = SurveyRules(session, today=TODAY).clean(
        valid(survey_date=TODAY, residents_general=100, unvaccinated_general=0)
    )
    assert clean["survey_date"] == TODAY and clean["unvaccinated_general"] == 0


def test_every_rule_reads_in_thai():
    from pathlib import Path

    from babel.messages.pofile import read_po

    from registry.survey import service as survey
    from registry.survey import sheets as survey_import

    # The app merges every catalogue of the folder (the village rules are in villages.po).
    folder = Path(rules.__file__).parents[1] / "translations" / "th" / "LC_MESSAGES"
    catalogue = {}
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as handle:
            catalogue |= {m.id: m for m in read_po(handle) if m.id}
    # Rule texts: upper-case constants holding a lower-case English sentence.
    templates = {
        value
        for module in (rules, survey_import, survey)
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, str) and " " in value and value[0].islower()
    }
    assert len(templates) > 20
    untranslated = [t for t in templates if t not in catalogue or not catalogue[t].string]
    assert untranslated == []
