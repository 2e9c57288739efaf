"""The registry's controlled vocabulary: facility types, statuses and the fields each type carries.

Everything that validates or displays a facility (models, services, importers, API, pages)
takes its field names and allowed values from here, so a new field is added in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FacilityType = Literal[
    "covid_test_point", "vaccination_site", "hospital", "field_hospital", "waiting_centre"
]
FACILITY_TYPES: tuple[str, ...] = (
    "covid_test_point",
    "vaccination_site",
    "hospital",
    "field_hospital",
    "waiting_centre",
)

STATUSES: tuple[str, ...] = ("open", "full", "temporarily_closed", "closed")

TEST_METHODS: tuple[str, ...] = ("rt_pcr", "atk")
VACCINE_BRANDS: tuple[str, ...] = (
    "sinovac",
    "sinopharm",
    "astrazeneca",
    "pfizer",
    "moderna",
    "johnson",
)
DOSES: tuple[str, ...] = ("1", "2", "booster")
AGE_GROUPS: tuple[str, ...] = ("5-11", "12-18", "adult", "elderly")

# Where a facility's record came from when the change log records a write.
CHANGE_SOURCES: tuple[str, ...] = ("web", "api", "import", "cli", "demo", "revert")


@dataclass(frozen=True)
class FieldSpec:
    """One editable facility field: its name, value kind and, for lists, allowed values."""

    name: str
    kind: Literal["text", "int", "bool", "list", "choice", "datetime"]
    choices: tuple[str, ...] = ()


COMMON_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name_th", "text"),
    FieldSpec("name_en", "text"),
    FieldSpec("address", "text"),
    FieldSpec("phone", "text"),
    FieldSpec("opening_hours", "text"),
    FieldSpec("status", "choice", STATUSES),
    FieldSpec("status_confirmed_by", "text"),
    FieldSpec("status_confirmed_at", "datetime"),
    FieldSpec("source", "text"),
    FieldSpec("source_id", "text"),
    FieldSpec("hcode", "text"),
)

_BOOKING = (FieldSpec("walk_in", "bool"), FieldSpec("appointment", "bool"))
_BEDS_BY_SEVERITY = tuple(
    FieldSpec(f"beds_{severity}_{measure}", "int")
    for severity in ("green", "yellow", "red")
    for measure in ("total", "available")
)

TYPE_FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "covid_test_point": (
        FieldSpec("test_methods", "list", TEST_METHODS),
        *_BOOKING,
        FieldSpec("daily_capacity", "int"),
    ),
    "vaccination_site": (
        FieldSpec("vaccine_brands", "list", VACCINE_BRANDS),
        FieldSpec("doses", "list", DOSES),
        FieldSpec("age_groups", "list", AGE_GROUPS),
        *_BOOKING,
        FieldSpec("daily_capacity", "int"),
    ),
    "hospital": (
        FieldSpec("beds_total", "int"),
        FieldSpec("covid_beds_total", "int"),
        FieldSpec("covid_beds_occupied", "int"),
    ),
    "field_hospital": (
        FieldSpec("beds_total", "int"),
        *_BEDS_BY_SEVERITY,
        FieldSpec("oxygen", "bool"),
        FieldSpec("admission_rules", "text"),
    ),
    "waiting_centre": (
        FieldSpec("beds_total", "int"),
        *_BEDS_BY_SEVERITY,
        FieldSpec("oxygen", "bool"),
        FieldSpec("admission_rules", "text"),
    ),
}

# Every type-specific field name, whatever type carries it.
ALL_TYPE_FIELD_NAMES: tuple[str, ...] = tuple(
    dict.fromkeys(spec.name for specs in TYPE_FIELDS.values() for spec in specs)
)


def fields_for(facility_type: str) -> tuple[FieldSpec, ...]:
    """Common plus type-specific fields of one facility type."""
    return COMMON_FIELDS + TYPE_FIELDS[facility_type]


# Names shown to people, Thai first.
TYPE_LABELS: dict[str, tuple[str, str]] = {
    "covid_test_point": ("จุดตรวจโควิด", "COVID test point"),
    "vaccination_site": ("จุดฉีดวัคซีน", "Vaccination site"),
    "hospital": ("โรงพยาบาล", "Hospital"),
    "field_hospital": ("โรงพยาบาลสนาม", "Field hospital"),
    "waiting_centre": ("จุดพักคอย", "Waiting centre"),
}
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "open": ("เปิด", "Open"),
    "full": ("เต็ม", "Full"),
    "temporarily_closed": ("ปิดชั่วคราว", "Temporarily closed"),
    "closed": ("ปิด", "Closed"),
}

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "test_methods": ("วิธีตรวจ", "Test methods"),
    "walk_in": ("รับวอล์กอิน", "Walk-in"),
    "appointment": ("ต้องนัดหมาย", "Appointment"),
    "daily_capacity": ("รับได้ต่อวัน", "Daily capacity"),
    "vaccine_brands": ("วัคซีนที่มี", "Vaccines in stock"),
    "doses": ("เข็มที่ให้บริการ", "Doses offered"),
    "age_groups": ("กลุ่มอายุ", "Age groups"),
    "beds_total": ("จำนวนเตียง", "Beds"),
    "covid_beds_total": ("เตียงโควิด", "COVID beds"),
    "covid_beds_occupied": ("เตียงโควิดที่มีผู้ป่วย", "COVID beds occupied"),
    "beds_green_total": ("เตียงสีเขียว", "Green beds"),
    "beds_green_available": ("เตียงสีเขียวว่าง", "Green beds free"),
    "beds_yellow_total": ("เตียงสีเหลือง", "Yellow beds"),
    "beds_yellow_available": ("เตียงสีเหลืองว่าง", "Yellow beds free"),
    "beds_red_total": ("เตียงสีแดง", "Red beds"),
    "beds_red_available": ("เตียงสีแดงว่าง", "Red beds free"),
    "oxygen": ("มีออกซิเจน", "Oxygen"),
    "admission_rules": ("เงื่อนไขการรับ", "Admission rules"),
}

# The common fields and the change log's pseudo-fields, for history tables.
COMMON_FIELD_LABELS: dict[str, tuple[str, str]] = {
    "name_th": ("ชื่อภาษาไทย", "Thai name"),
    "name_en": ("ชื่อภาษาอังกฤษ", "English name"),
    "address": ("ที่อยู่", "Address"),
    "phone": ("โทรศัพท์", "Phone"),
    "opening_hours": ("เวลาทำการ", "Opening hours"),
    "status": ("สถานะ", "Status"),
    "status_confirmed_at": ("เวลาที่ยืนยัน", "Confirmed at"),
    "status_confirmed_by": ("ผู้ยืนยัน", "Confirmed by"),
    "hcode": ("รหัสหน่วยบริการ (สธ.)", "MOPH code"),
    "source": ("แหล่งข้อมูล", "Source"),
    "source_id": ("รหัสในแหล่งข้อมูล", "Source id"),
    "location": ("ตำแหน่ง", "Location"),
    "lat": ("ละติจูด", "Latitude"),
    "lon": ("ลองจิจูด", "Longitude"),
    "created": ("(สร้างใหม่)", "(created)"),
    "deleted_at": ("ปิดการใช้งานเมื่อ", "Deactivated"),
    "deleted_reason": ("เหตุผล", "Reason"),
}
# Where a change came from (CHANGE_SOURCES), as the history tables say it.
SOURCE_LABELS: dict[str, tuple[str, str]] = {
    "web": ("หน้าเว็บ", "web"),
    "api": ("API", "API"),
    "import": ("นำเข้าไฟล์", "import"),
    "cli": ("คำสั่งของระบบ", "command line"),
    "demo": ("ข้อมูลตัวอย่าง", "demo"),
    "revert": ("ย้อนการแก้ไข", "revert"),
}

# The values of the list fields and search filters (vaccine brands keep their trade names).
CHOICE_LABELS: dict[str, tuple[str, str]] = {
    "sinovac": ("ซิโนแวค", "Sinovac"),
    "sinopharm": ("ซิโนฟาร์ม", "Sinopharm"),
    "astrazeneca": ("แอสตร้าเซนเนก้า", "AstraZeneca"),
    "pfizer": ("ไฟเซอร์", "Pfizer"),
    "moderna": ("โมเดอร์นา", "Moderna"),
    "johnson": ("จอห์นสันแอนด์จอห์นสัน", "Johnson & Johnson"),
    "1": ("เข็ม 1", "Dose 1"),
    "2": ("เข็ม 2", "Dose 2"),
    "booster": ("เข็มกระตุ้น", "Booster"),
    "5-11": ("เด็ก 5-11 ปี", "Children 5-11"),
    "12-18": ("อายุ 12-18 ปี", "Ages 12-18"),
    "adult": ("ผู้ใหญ่", "Adults"),
    "elderly": ("ผู้สูงอายุ", "Elderly"),
    "rt_pcr": ("RT-PCR", "RT-PCR"),
    "atk": ("ATK (ชุดตรวจเร็ว)", "ATK (rapid test)"),
}

# Target groups of the unvaccinated-residents survey. Each resident is counted in
# exactly one group, so the groups add up to the residents counted: a bedridden elderly person
# is "bedridden" (they need a home visit), a migrant worker's child is "migrant".
SURVEY_GROUPS: tuple[str, ...] = (
    "general",
    "elderly",
    "bedridden",
    "migrant",
    "children_5_11",
    "students_12_18",
)
SURVEY_GROUP_LABELS: dict[str, tuple[str, str]] = {
    "general": ("ประชาชนทั่วไป", "General public"),
    "elderly": ("ผู้สูงอายุ (60 ปีขึ้นไป)", "Elderly (60+)"),
    "bedridden": ("ผู้ป่วยติดเตียง", "Bedridden"),
    "migrant": ("แรงงานต่างด้าวและครอบครัว", "Migrant workers and families"),
    "children_5_11": ("เด็ก 5-11 ปี", "Children 5-11"),
    "students_12_18": ("นักเรียน 12-18 ปี", "Students 12-18"),
}
# The counted fields of one survey record, in form and file order.
SURVEY_COUNT_FIELDS: tuple[str, ...] = (
    *(f"residents_{group}" for group in SURVEY_GROUPS),
    *(f"unvaccinated_{group}" for group in SURVEY_GROUPS),
    "referred_site",
    "referred_home_visit",
)
