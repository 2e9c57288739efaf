"""The columns of a survey sheet: the header names officials write, in Thai and English, the
personal-data columns that are never read, and the template's headers.
"""

from __future__ import annotations

from importers.columns import normalise_header
from importers.vocabulary import SURVEY_COUNT_FIELDS, SURVEY_GROUP_LABELS, SURVEY_GROUPS
from registry.survey.rules import INPUT_FIELDS

# Header names by target; each target's own name and the labels below match too.
_PLACE_ALIASES: dict[str, tuple[str, ...]] = {
    "area_code": (
        "subdistrict code",
        "subdistrict_code",
        "tambon code",
        "adm3_pcode",
        "รหัสตำบล",
        "รหัสตำบล/แขวง",
        "รหัสพื้นที่",
    ),
    "province": ("province", "changwat", "จังหวัด", "จ."),
    "district": ("district", "amphoe", "อำเภอ", "อำเภอ/เขต", "เขต", "อ."),
    "subdistrict": ("subdistrict", "tambon", "ตำบล", "ตำบล/แขวง", "แขวง", "ต."),
    "village_code": ("village code", "muban code", "dopa village code", "รหัสหมู่บ้าน"),
    "village_no": ("village no", "village number", "moo", "หมู่ที่", "หมู่", "ม."),
    "village_name": ("village", "village name", "ชื่อหมู่บ้าน", "หมู่บ้าน"),
    "survey_date": ("date", "survey date", "วันที่สำรวจ", "วันที่", "วันสำรวจ"),
    "residents_total": ("total residents", "residents total", "รวมผู้อยู่จริง", "ผู้อยู่จริงรวม"),
    "unvaccinated_total": (
        "total unvaccinated",
        "unvaccinated total",
        "รวมยังไม่ได้รับวัคซีน",
        "รวมผู้ยังไม่ได้รับวัคซีน",
    ),
    "referred_site": ("referred to a site", "ส่งต่อไปจุดฉีด", "ส่งต่อไปจุดฉีดวัคซีน", "ส่งต่อจุดฉีด"),
    "referred_home_visit": (
        "referred to a home visit",
        "ส่งต่อเยี่ยมบ้าน",
        "ส่งต่อฉีดที่บ้าน",
        "เยี่ยมบ้าน",
    ),
    "lat": ("latitude", "ละติจูด", "ละติจูดกลางหมู่บ้าน"),
    "lon": ("longitude", "lng", "long", "ลองจิจูด", "ลองจิจูดกลางหมู่บ้าน"),
}
RESIDENTS_TH, UNVACCINATED_TH = "อยู่จริง", "ยังไม่ได้รับวัคซีน"
RESIDENTS_EN, UNVACCINATED_EN = "residents", "unvaccinated"
# Headers of personal data: such a column is never read.
_PERSONAL = (
    "ชื่อ",
    "ชื่อสกุล",
    "ชื่อ-สกุล",
    "ชื่อ-นามสกุล",
    "นามสกุล",
    "เลขบัตรประชาชน",
    "เลขประจำตัวประชาชน",
    "บัตรประชาชน",
    "name",
    "full name",
    "first name",
    "surname",
    "citizen id",
    "national id",
    "id card",
)


def _count_aliases() -> dict[str, tuple[str, ...]]:
    aliases: dict[str, tuple[str, ...]] = {}
    for group in SURVEY_GROUPS:
        thai, english = SURVEY_GROUP_LABELS[group]
        short = thai.split(" (")[0]
        aliases[f"residents_{group}"] = (
            f"{thai} {RESIDENTS_TH}",
            f"{short} {RESIDENTS_TH}",
            f"{short}ที่{RESIDENTS_TH}",
            f"{english} {RESIDENTS_EN}",
        )
        aliases[f"unvaccinated_{group}"] = (
            f"{thai} {UNVACCINATED_TH}",
            f"{short} {UNVACCINATED_TH}",
            f"{short}ที่{UNVACCINATED_TH}",
            f"{short} ยังไม่ฉีด",
            f"{english} {UNVACCINATED_EN}",
        )
    return aliases


SURVEY_HEADER_ALIASES = {**_PLACE_ALIASES, **_count_aliases()}
TARGETS = ("province", "district", "subdistrict", *INPUT_FIELDS)


def _header_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for target in TARGETS:
        for alias in (target, *SURVEY_HEADER_ALIASES.get(target, ())):
            key = normalise_header(alias)
            if index.get(key, target) != target:
                raise RuntimeError(f"survey header {alias!r} names {index[key]} and {target}")
            index[key] = target
    return index


HEADER_TARGETS = _header_index()
PERSONAL_KEYS = frozenset(normalise_header(h) for h in _PERSONAL)


def template_headers(language: str = "th") -> list[str]:
    """The header row of the blank sheet offices download: one column per input field."""
    names = {
        "th": {
            "area_code": "รหัสตำบล",
            "province": "จังหวัด",
            "district": "อำเภอ",
            "subdistrict": "ตำบล",
            "village_code": "รหัสหมู่บ้าน",
            "village_no": "หมู่ที่",
            "village_name": "ชื่อหมู่บ้าน",
            "survey_date": "วันที่สำรวจ",
            "residents_total": "รวมผู้อยู่จริง",
            "unvaccinated_total": "รวมยังไม่ได้รับวัคซีน",
            "referred_site": "ส่งต่อไปจุดฉีด",
            "referred_home_visit": "ส่งต่อเยี่ยมบ้าน",
            "lat": "ละติจูด",
            "lon": "ลองจิจูด",
        },
        "en": {name: name for name in TARGETS},
    }[language]
    counts = {
        f"{kind}_{group}": SURVEY_GROUP_LABELS[group][0 if language == "th" else 1]
        + " "
        + (words[0] if language == "th" else words[1])
        for group in SURVEY_GROUPS
        for kind, words in (
            ("residents", (RESIDENTS_TH, RESIDENTS_EN)),
            ("unvaccinated", (UNVACCINATED_TH, UNVACCINATED_EN)),
        )
    }
    order = (
        "area_code",
        "province",
        "district",
        "subdistrict",
        "village_no",
        "village_name",
        "survey_date",
        *SURVEY_COUNT_FIELDS,
        "residents_total",
        "unvaccinated_total",
        "lat",
        "lon",
        "village_code",
    )
    return [counts.get(name) or names[name] for name in order]
