from __future__ import annotations

import datetime as dt

import pytest

from importers.values import (
    is_empty,
    parse_bool,
    parse_datetime,
    parse_facility_type,
    parse_hcode,
    parse_int,
    parse_list,
    parse_phones,
    parse_status,
)
from importers.vocabulary import FACILITY_TYPES, STATUS_LABELS, STATUSES, TYPE_LABELS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("โรงพยาบาล", "hospital"),
        ("Hospital", "hospital"),
        ("รพ.", "hospital"),
        ("โรงพยาบาลสนาม", "field_hospital"),
        ("Field Hospital", "field_hospital"),
        ("field_hospital", "field_hospital"),
        ("จุดพักคอย", "waiting_centre"),
        ("ศูนย์พักคอย", "waiting_centre"),
        ("Community Isolation", "waiting_centre"),
        ("จุดตรวจ", "covid_test_point"),
        ("จุดตรวจโควิด-19", "covid_test_point"),
        ("Test point", "covid_test_point"),
        ("swab", "covid_test_point"),
        ("จุดฉีดวัคซีน", "vaccination_site"),
        ("Vaccination", "vaccination_site"),
        ("  จุดฉีด  วัคซีน ", "vaccination_site"),
    ],
)
def test_facility_types_from_words(text, expected) -> None:
    assert parse_facility_type(text) == expected


def test_every_registry_type_and_label_is_accepted() -> None:
    for value in FACILITY_TYPES:
        assert parse_facility_type(value) == value
        thai, english = TYPE_LABELS[value]
        assert parse_facility_type(thai) == value
        assert parse_facility_type(english) == value


def test_unknown_type_lists_accepted_words() -> None:
    with pytest.raises(ValueError) as caught:
        parse_facility_type("ร้านขายยา")
    message = str(caught.value)
    assert message.startswith("is not a facility type; accepted:")
    assert "โรงพยาบาลสนาม" in message and "จุดพักคอย" in message and "hospital" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("เปิด", "open"),
        ("Open", "open"),
        ("เปิดให้บริการ", "open"),
        ("เต็ม", "full"),
        ("ปิดชั่วคราว", "temporarily_closed"),
        ("temporarily closed", "temporarily_closed"),
        ("ปิด", "closed"),
        ("CLOSED", "closed"),
    ],
)
def test_statuses_from_words(text, expected) -> None:
    assert parse_status(text) == expected


def test_every_status_label_is_accepted() -> None:
    for value in STATUSES:
        assert parse_status(value) == value
        for label in STATUS_LABELS[value]:
            assert parse_status(label) == value


def test_unknown_status() -> None:
    with pytest.raises(ValueError, match="is not a status; accepted: open: เปิด"):
        parse_status("รอเปิด")


UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/06/2564", dt.datetime(2021, 6, 14, 17, 0, tzinfo=UTC)),
        ("2021-06-15", dt.datetime(2021, 6, 14, 17, 0, tzinfo=UTC)),
        ("2564-06-15", dt.datetime(2021, 6, 14, 17, 0, tzinfo=UTC)),
        ("15 มิ.ย. 64", dt.datetime(2021, 6, 14, 17, 0, tzinfo=UTC)),
        ("15 มิย 64", dt.datetime(2021, 6, 14, 17, 0, tzinfo=UTC)),
        ("15 มิถุนายน 2564", dt.datetime(2021, 6, 14, 17, 0, tzinfo=UTC)),
        ("วันอังคารที่ 15 มิถุนายน พ.ศ. 2564", dt.datetime(2021, 6, 14, 17, 0, tzinfo=UTC)),
        ("๑๕/๐๖/๒๕๖๔", dt.datetime(2021, 6, 14, 17, 0, tzinfo=UTC)),
        ("๑๕ มิ.ย. ๖๔ 10.30 น.", dt.datetime(2021, 6, 15, 3, 30, tzinfo=UTC)),
        ("15 มิ.ย. 2564 เวลา 10:30 น.", dt.datetime(2021, 6, 15, 3, 30, tzinfo=UTC)),
        ("15-6-64", dt.datetime(2021, 6, 14, 17, 0, tzinfo=UTC)),
        ("15/06/21", dt.datetime(2021, 6, 14, 17, 0, tzinfo=UTC)),
        ("15.06.2021 10.30", dt.datetime(2021, 6, 15, 3, 30, tzinfo=UTC)),
        ("2021/06/15", dt.datetime(2021, 6, 14, 17, 0, tzinfo=UTC)),
        ("15 June 2021", dt.datetime(2021, 6, 14, 17, 0, tzinfo=UTC)),
        ("June 15, 2021", dt.datetime(2021, 6, 14, 17, 0, tzinfo=UTC)),
        ("1 ก.พ. 2565", dt.datetime(2022, 1, 31, 17, 0, tzinfo=UTC)),
        ("2021-06-15T10:30:00+07:00", dt.datetime(2021, 6, 15, 3, 30, tzinfo=UTC)),
        ("2021-06-15T03:30:00Z", dt.datetime(2021, 6, 15, 3, 30, tzinfo=UTC)),
        ("2021-06-15 10:30:15", dt.datetime(2021, 6, 15, 3, 30, 15, tzinfo=UTC)),
    ],
)
def test_dates_buddhist_and_gregorian(text, expected) -> None:
    result = parse_datetime(text)
    assert result == expected
    assert result.tzinfo is not None and result.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("31/02/2564", "is not a valid date"),
        ("06/15/2021", "is not a valid date"),
        ("15 มีนา 64", "has no month called"),
        ("เมื่อวาน", "is not a date"),
        ("15/06/1800", "cannot be right"),
    ],
)
def test_bad_dates(text, rule) -> None:
    with pytest.raises(ValueError, match=rule):
        parse_datetime(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("081-234-5678", ("0812345678", ())),
        ("๐๘๑ ๒๓๔ ๕๖๗๘", ("0812345678", ())),
        ("+66 81 234 5678", ("0812345678", ())),
        ("+66-2-123-4567", ("021234567", ())),
        ("(053) 999-200", ("053999200", ())),
        ("02-123-4567, 081-234-5678", ("021234567, 0812345678", ())),
        ("02-123-4567/081-234-5678", ("021234567, 0812345678", ())),
        ("02-123-4567-9", ("021234567", ())),
        ("โทร. 053-123456 ต่อ 12", ("053123456 ต่อ 12", ())),
        ("1669", ("1669", ())),
        ("0812345678 หรือ 021234567", ("0812345678, 021234567", ())),
        ("12345", (None, ("12345",))),
        ("02-123-4567 / 555", ("021234567", ("555",))),
        ("081-234-5678, 081-234-5678", ("0812345678", ())),
    ],
)
def test_phones(text, expected) -> None:
    assert parse_phones(text) == expected


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("ใช่", None, True),
        ("Yes", None, True),
        ("มี", None, True),
        ("✓", None, True),
        ("ไม่", None, False),
        ("ไม่มี", None, False),
        ("no", None, False),
        ("0", None, False),
        ("walk-in", "walk_in", True),
        ("ไม่ต้องนัด", "walk_in", True),
        ("ต้องนัด", "walk_in", False),
        ("walk-in", "appointment", False),
        ("นัดหมาย", "appointment", True),
    ],
)
def test_booleans(text, field, expected) -> None:
    assert parse_bool(text, field) is expected


def test_bad_boolean() -> None:
    with pytest.raises(ValueError, match="is not yes or no"):
        parse_bool("บางวัน")


@pytest.mark.parametrize(
    ("text", "field", "items", "unknown"),
    [
        ("RT-PCR, ATK", "test_methods", ["rt_pcr", "atk"], []),
        ("PCR/Antigen", "test_methods", ["rt_pcr", "atk"], []),
        ("ซิโนแวค/แอสตร้าเซนเนก้า", "vaccine_brands", ["sinovac", "astrazeneca"], []),
        ("Pfizer; Moderna", "vaccine_brands", ["pfizer", "moderna"], []),
        ("Johnson & Johnson", "vaccine_brands", ["johnson"], []),
        ("ไฟเซอร์ และ โมเดอร์นา", "vaccine_brands", ["pfizer", "moderna"], []),
        ("Sinovac, Novavax", "vaccine_brands", ["sinovac"], ["Novavax"]),
        ("เข็ม 1, 2, เข็มกระตุ้น", "doses", ["1", "2", "booster"], []),
        ("1/2/3", "doses", ["1", "2", "booster"], []),
        ("5-11 ปี, 12-18 ปี, ผู้สูงอายุ", "age_groups", ["5-11", "12-18", "elderly"], []),
        ("ผู้ใหญ่; 60+", "age_groups", ["adult", "elderly"], []),
    ],
)
def test_lists(text, field, items, unknown) -> None:
    assert parse_list(text, field) == (items, unknown)


@pytest.mark.parametrize(
    ("text", "expected"), [("12", 12), ("๑,๒๐๐ เตียง", 1200), ("300 คน/วัน", 300), ("12.0", 12)]
)
def test_ints(text, expected) -> None:
    assert parse_int(text) == expected


@pytest.mark.parametrize(
    ("text", "rule"), [("12.5", "whole number"), ("-3", "negative"), ("หลายเตียง", "whole number")]
)
def test_bad_ints(text, rule) -> None:
    with pytest.raises(ValueError, match=rule):
        parse_int(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10697", ("10697", None)),
        ("10697.0", ("10697", None)),
        ("04007", ("04007", None)),
        ("f1002", ("F1002", None)),
        ("๑๐๖๙๗", ("10697", None)),
        ("4007", ("04007", "was read as '04007' (leading zeros restored)")),
        ("4007.0", ("04007", "was read as '04007' (leading zeros restored)")),
    ],
)
def test_hcodes(text, expected) -> None:
    code, note = parse_hcode(text)
    assert (code, None if note is None else note.english) == expected
    if note is not None:
        assert (note.code, dict(note.params)) == ("value.hcode_padded", {"code": code})


@pytest.mark.parametrize("text", ["0", "00000", "24531(245", "274471", "ABC"])
def test_bad_hcodes(text) -> None:
    with pytest.raises(ValueError, match="is not an MOPH hcode"):
        parse_hcode(text)


@pytest.mark.parametrize(
    ("text", "empty"),
    [
        (None, True),
        ("", True),
        ("  ", True),
        ("-", True),
        ("N/A", True),
        ("ไม่ระบุ", True),
        ("0", False),
    ],
)
def test_empty_markers(text, empty) -> None:
    assert is_empty(text) is empty
