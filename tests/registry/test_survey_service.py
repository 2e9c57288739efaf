"""Survey writes: scope, the volunteer's correction window, the audit, and which records count."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from registry.errors import ConflictError, ForbiddenError, ValidationError
from registry.models import SurveyChange, SurveyRecord, utcnow
from registry.survey import records as survey_records
from registry.survey import service as survey
from registry.survey.service import Surveyor
from tests.registry.conftest import add_user

SI_PHUM = "TH500101"  # Mueang Chiang Mai (TH5001)
SUTHEP = "TH500108"  # Mueang Chiang Mai
CHOENG_DOI = "TH500501"  # Doi Saket district (TH5005): Chiang Mai, not Mueang
BANGKOK_SUBDISTRICT = "TH100101"


def counts(**values) -> dict:
    base = {
        "survey_date": "2021-11-15",
        "residents_general": 100,
        "unvaccinated_general": 10,
        "residents_elderly": 20,
        "unvaccinated_elderly": 5,
        "residents_bedridden": 2,
        "unvaccinated_bedridden": 2,
    }
    base.update(values)
    return base


@pytest.fixture
def people(session):
    made = {
        "vol": add_user(session, "vol", "volunteer", "TH5001"),
        "vol2": add_user(session, "vol2", "volunteer", "TH5001"),
        "tambon_vol": add_user(session, "tambon_vol", "volunteer", SI_PHUM),
        "official": add_user(session, "cm_official", "official", "TH50"),
        "bkk": add_user(session, "bkk_official", "official", "TH10"),
        "planner": add_user(session, "a_planner", "planner", None),
    }
    session.commit()
    return {name: Surveyor.account(user) for name, user in made.items()}


def enter(session, surveyor, area=SI_PHUM, **values):
    record = survey.create_record(session, {"area_code": area, **counts(**values)}, surveyor)
    session.commit()
    return record


def test_create_logs_one_created_entry_with_every_value(session, people):
    record = enter(session, people["vol"], village_no=3, lat="18.795", lon="98.985")
    assert record.entered_by == "vol" and record.source == "web" and record.version == 1
    [change] = survey.record_history(session, record.id)
    assert change.field == "created" and change.changed_by == "vol" and change.old_value is None
    assert change.new_value["unvaccinated_elderly"] == 5
    assert change.new_value["survey_date"] == "2021-11-15"
    assert change.new_value["location"] == [98.985, 18.795]


@pytest.mark.parametrize(
    "who, area, expected",
    [
        ("vol", CHOENG_DOI, "outside your area"),
        ("tambon_vol", SUTHEP, "outside your area"),
        ("bkk", SI_PHUM, "outside your area"),
        ("planner", SI_PHUM, "cannot enter or correct survey records"),
    ],
)
def test_nobody_enters_outside_their_area_and_planners_not_at_all(
    session, people, who, area, expected
):
    with pytest.raises(ForbiddenError, match=expected) as caught:
        survey.create_record(session, {"area_code": area, **counts()}, people[who])
    assert caught.value.status_code == 403
    session.rollback()
    assert session.scalar(select(func.count()).select_from(SurveyRecord)) == 0


def test_outside_message_names_both_areas(session, people):
    with pytest.raises(ForbiddenError) as caught:
        survey.create_record(session, {"area_code": CHOENG_DOI, **counts()}, people["vol"])
    assert CHOENG_DOI in caught.value.message and "TH5001" in caught.value.message


def test_the_same_village_and_date_twice_is_refused(session, people):
    first = enter(session, people["vol"], village_no=3)
    with pytest.raises(ConflictError, match=f"record {first.id}"):
        survey.create_record(
            session, {"area_code": SI_PHUM, "village_no": "๓", **counts()}, people["vol2"]
        )
    session.rollback()
    enter(session, people["vol2"], village_no=4)  # another village the same day is fine


def test_correction_is_audited_field_by_field(session, people):
    record = enter(session, people["vol"])
    changes = survey.correct_record(
        session,
        record.id,
        {"unvaccinated_elderly": "๔", "residents_migrant": "7"},
        people["vol"],
        expected_version=1,
    )
    session.commit()
    logged = {c.field: (c.old_value, c.new_value, c.changed_by) for c in changes}
    assert logged == {
        "unvaccinated_elderly": (5, 4, "vol"),
        "residents_migrant": (0, 7, "vol"),
    }
    assert all((utcnow() - c.changed_at).total_seconds() < 60 for c in changes)
    session.refresh(record)
    assert record.version == 2 and record.updated_by == "vol"
    history = survey.record_history(session, record.id)
    assert [c.field for c in history][-1] == "created"


def test_correction_that_changes_nothing_logs_nothing(session, people):
    record = enter(session, people["vol"])
    assert (
        survey.correct_record(
            session, record.id, {"unvaccinated_elderly": "5"}, people["vol"], expected_version=1
        )
        == []
    )
    session.commit()
    session.refresh(record)
    assert record.version == 1


def test_correction_breaking_a_rule_changes_nothing(session, people):
    record = enter(session, people["vol"])
    with pytest.raises(ValidationError, match="unvaccinated_elderly"):
        survey.correct_record(
            session, record.id, {"unvaccinated_elderly": 50}, people["vol"], expected_version=1
        )
    session.rollback()
    assert session.get(SurveyRecord, record.id).unvaccinated_elderly == 5
    assert session.scalar(select(func.count()).select_from(SurveyChange)) == 1


def test_a_volunteer_cannot_correct_another_volunteers_entry(session, people):
    record = enter(session, people["vol"])
    with pytest.raises(ForbiddenError, match="entered by vol; a volunteer corrects only"):
        survey.correct_record(
            session, record.id, {"unvaccinated_elderly": 4}, people["vol2"], expected_version=1
        )


def test_a_volunteer_cannot_correct_after_the_window(session, people):
    record = enter(session, people["vol"])
    eight_days_later = record.entered_at + dt.timedelta(days=8)
    with pytest.raises(ForbiddenError, match=r"entered 8 days ago.*for 7 days"):
        survey.correct_record(
            session,
            record.id,
            {"unvaccinated_elderly": 4},
            people["vol"],
            expected_version=1,
            now=eight_days_later,
        )
    session.rollback()
    # Within a longer configured window, the same correction goes through.
    survey.correct_record(
        session,
        record.id,
        {"unvaccinated_elderly": 4},
        people["vol"],
        expected_version=1,
        window_days=10,
        now=eight_days_later,
    )


def test_officials_of_the_area_correct_any_entry_any_time(session, people):
    record = enter(session, people["vol"])
    later = record.entered_at + dt.timedelta(days=60)
    survey.correct_record(
        session,
        record.id,
        {"unvaccinated_elderly": 4},
        people["official"],
        expected_version=1,
        now=later,
    )
    with pytest.raises(ForbiddenError, match="outside your area"):
        survey.correct_record(
            session, record.id, {"unvaccinated_elderly": 3}, people["bkk"], expected_version=2
        )


def test_a_volunteer_cannot_move_a_record_out_of_their_area(session, people):
    record = enter(session, people["vol"])
    with pytest.raises(ForbiddenError, match="move a record to"):
        survey.correct_record(
            session, record.id, {"area_code": CHOENG_DOI}, people["vol"], expected_version=1
        )


def test_a_stale_version_is_a_conflict_naming_who_changed_it(session, people):
    record = enter(session, people["vol"])
    survey.correct_record(
        session, record.id, {"unvaccinated_elderly": 4}, people["official"], expected_version=1
    )
    session.commit()
    with pytest.raises(ConflictError, match=r"version 2.*version 1.*by cm_official"):
        survey.correct_record(
            session, record.id, {"unvaccinated_general": 9}, people["vol"], expected_version=1
        )


def test_withdraw_keeps_the_row_and_logs_why(session, people):
    record = enter(session, people["vol"])
    with pytest.raises(ValidationError, match="say why"):
        survey.withdraw_record(session, record.id, people["vol"], reason=" ", expected_version=1)
    survey.withdraw_record(
        session, record.id, people["vol"], reason="ซ้ำกับแบบฟอร์มอื่น", expected_version=1
    )
    session.commit()
    assert session.get(SurveyRecord, record.id).deleted_at is not None
    fields = {c.field: c.new_value for c in survey.record_history(session, record.id)}
    assert fields["withdraw_reason"] == "ซ้ำกับแบบฟอร์มอื่น" and fields["deleted_at"]
    assert survey_records.latest_records(session) == []
    with pytest.raises(ValidationError, match="withdrawn"):
        survey.correct_record(
            session, record.id, {"unvaccinated_elderly": 4}, people["vol"], expected_version=2
        )


def test_latest_records_per_village_and_counted_records_never_double(session, people):
    vol = people["official"]
    old = enter(session, vol, village_no=1, survey_date="2021-11-01")
    new = enter(session, vol, village_no=1, survey_date="2021-11-10")
    named = enter(session, vol, village_name="บ้านป่า", survey_date="2021-11-02")
    whole_old = enter(session, vol, survey_date="2021-11-05")  # subdistrict-wide
    other = enter(session, vol, area=SUTHEP, survey_date="2021-11-03")
    bangkok = survey.create_record(
        session,
        {"area_code": BANGKOK_SUBDISTRICT, **counts()},
        Surveyor("loader", "cli"),
    )
    session.commit()
    latest = survey_records.latest_records(session, "TH50")
    assert {r.id for r in latest} == {new.id, named.id, whole_old.id, other.id}
    assert old.id not in {r.id for r in latest} and bangkok.id not in {r.id for r in latest}
    # Si Phum's villages are newer than its subdistrict-wide record: they count, it does not.
    assert {r.id for r in survey_records.counted_records(session, "TH50")} == {
        new.id,
        named.id,
        other.id,
    }
    whole_new = enter(session, vol, survey_date="2021-11-20")
    assert {r.id for r in survey_records.counted_records(session, SI_PHUM)} == {whole_new.id}
    assert [r.id for r in survey_records.latest_records(session, area_codes=[SUTHEP])] == [other.id]


def test_survey_stamp_moves_with_every_write(session, people):
    before = survey_records.survey_stamp(session)
    record = enter(session, people["vol"])
    after_create = survey_records.survey_stamp(session)
    survey.correct_record(
        session, record.id, {"unvaccinated_elderly": 4}, people["vol"], expected_version=1
    )
    after_correct = survey_records.survey_stamp(session)
    assert len({before, after_create, after_correct}) == 3


def test_surveyor_needs_a_name_and_a_known_source():
    with pytest.raises(ValidationError, match="name"):
        Surveyor(" ", "web")
    with pytest.raises(ValidationError, match="source 'email'"):
        Surveyor("x", "email")
