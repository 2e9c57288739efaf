"""Facility types, statuses and yes/no, in the Thai and English words lists use for them."""

from __future__ import annotations

from importers import rules
from importers.messages import RuleError
from importers.values.words import accepted_words, word_index, word_key
from importers.vocabulary import FACILITY_TYPES, STATUSES

# --------------------------------------------------------------------------- facility types

FACILITY_TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "covid_test_point": (
        "จุดตรวจ",
        "จุดตรวจโควิด",
        "test point",
        "covid test point",
        "จุดตรวจโควิด-19",
        "จุดตรวจหาเชื้อ",
        "จุดตรวจหาเชื้อโควิด",
        "ศูนย์ตรวจ",
        "ศูนย์ตรวจโควิด",
        "จุดswab",
        "จุด swab",
        "swab",
        "testing",
        "testing site",
        "test site",
        "test centre",
        "test center",
        "covid-19 test point",
    ),
    "vaccination_site": (
        "จุดฉีดวัคซีน",
        "vaccination",
        "vaccination site",
        "จุดฉีด",
        "ศูนย์ฉีดวัคซีน",
        "ฉีดวัคซีน",
        "จุดบริการฉีดวัคซีน",
        "หน่วยฉีดวัคซีน",
        "vaccination centre",
        "vaccination center",
        "vaccine site",
        "covid-19 vaccination site",
    ),
    "hospital": (
        "โรงพยาบาล",
        "hospital",
        "รพ",
        "รพ.",
        "ร.พ.",
        "โรงพยาบาลชุมชน",
        "โรงพยาบาลทั่วไป",
        "โรงพยาบาลศูนย์",
        "โรงพยาบาลเอกชน",
        "โรงพยาบาลรัฐ",
        "รพช.",
        "รพท.",
        "รพศ.",
    ),
    "field_hospital": (
        "โรงพยาบาลสนาม",
        "field hospital",
        "รพ.สนาม",
        "ร.พ.สนาม",
        "hospitel",
        "ฮอสพิเทล",
        "ฮอสปิเทล",
    ),
    "waiting_centre": (
        "จุดพักคอย",
        "ศูนย์พักคอย",
        "community isolation",
        "waiting centre",
        "waiting center",
        "ศูนย์พักคอยก่อนส่งต่อ",
        "ศูนย์แยกกักในชุมชน",
        "community isolation centre",
        "community isolation center",
        "ci",
        "ศูนย์ดูแลโควิดชุมชน",
    ),
}
_TYPE_INDEX = word_index(FACILITY_TYPE_WORDS)


def parse_facility_type(text: str) -> str:
    """A facility type from Thai or English words.

    Examples
    --------
    >>> parse_facility_type("โรงพยาบาลสนาม"), parse_facility_type("Community isolation")
    ('field_hospital', 'waiting_centre')
    """
    found = _TYPE_INDEX.get(word_key(text))
    if found is None:
        raise RuleError(
            rules.NOT_A_TYPE(
                accepted=accepted_words(FACILITY_TYPE_WORDS), codes=", ".join(FACILITY_TYPES)
            )
        )
    return found


# --------------------------------------------------------------------------- statuses

STATUS_WORDS: dict[str, tuple[str, ...]] = {
    "open": (
        "เปิด",
        "open",
        "เปิดบริการ",
        "เปิดให้บริการ",
        "เปิดทำการ",
        "ให้บริการ",
        "ให้บริการปกติ",
        "ว่าง",
        "available",
        "active",
    ),
    "full": ("เต็ม", "full", "เตียงเต็ม", "คิวเต็ม", "เต็มแล้ว", "เต็มชั่วคราว"),
    "temporarily_closed": (
        "ปิดชั่วคราว",
        "temporarily closed",
        "closed temporarily",
        "ปิดปรับปรุง",
        "หยุดชั่วคราว",
        "งดให้บริการชั่วคราว",
        "ปิดบริการชั่วคราว",
        "paused",
        "suspended",
    ),
    "closed": (
        "ปิด",
        "closed",
        "ปิดบริการ",
        "ปิดแล้ว",
        "ปิดถาวร",
        "ยกเลิก",
        "ไม่เปิดให้บริการ",
        "งดให้บริการ",
        "inactive",
        "permanently closed",
    ),
}
_STATUS_INDEX = word_index(STATUS_WORDS)
if set(STATUS_WORDS) != set(STATUSES):
    raise RuntimeError("STATUS_WORDS and importers.vocabulary.STATUSES differ")


def parse_status(text: str) -> str:
    """A status from Thai or English words.

    Examples
    --------
    >>> parse_status("เปิด"), parse_status("ปิดชั่วคราว"), parse_status("Full")
    ('open', 'temporarily_closed', 'full')
    """
    found = _STATUS_INDEX.get(word_key(text))
    if found is None:
        raise RuleError(
            rules.NOT_A_STATUS(accepted=accepted_words(STATUS_WORDS), codes=", ".join(STATUSES))
        )
    return found


# --------------------------------------------------------------------------- booleans

_TRUE = ("yes", "y", "true", "t", "1", "ใช่", "มี", "ได้", "✓", "✔", "/", "☑", "รับ")
_FALSE = ("no", "n", "false", "f", "0", "ไม่", "ไม่ใช่", "ไม่มี", "ไม่ได้", "✗", "✘", "×", "ไม่รับ")
# Words that answer "walk-in?" (True) or "appointment?" (True) the other way round.
_WALK_IN = (
    "walk-in",
    "walk in",
    "walkin",
    "ไม่ต้องนัด",
    "ไม่ต้องนัดหมาย",
    "ไม่ต้องจอง",
    "วอล์กอิน",
    "วอล์คอิน",
)
_APPOINTMENT = (
    "appointment",
    "appointment only",
    "ต้องนัด",
    "นัดหมาย",
    "ต้องนัดหมาย",
    "นัดล่วงหน้า",
    "ต้องจอง",
    "จองคิว",
    "booking",
)
_BOOL_INDEX: dict[str | None, dict[str, bool]] = {
    None: {
        **dict.fromkeys(map(word_key, _TRUE), True),
        **dict.fromkeys(map(word_key, _FALSE), False),
    }
}
_BOOL_INDEX["walk_in"] = {
    **_BOOL_INDEX[None],
    **dict.fromkeys(map(word_key, _WALK_IN), True),
    **dict.fromkeys(map(word_key, _APPOINTMENT), False),
}
_BOOL_INDEX["appointment"] = {
    **_BOOL_INDEX[None],
    **dict.fromkeys(map(word_key, _WALK_IN), False),
    **dict.fromkeys(map(word_key, _APPOINTMENT), True),
}


def parse_bool(text: str, field: str | None = None) -> bool:
    """Yes or no from Thai or English words; ``field`` adds words like walk-in / ต้องนัด.

    Examples
    --------
    >>> parse_bool("ใช่"), parse_bool("ไม่มี"), parse_bool("ไม่ต้องนัด", "walk_in")
    (True, False, True)
    >>> parse_bool("walk-in", "appointment")
    False
    """
    index = _BOOL_INDEX.get(field, _BOOL_INDEX[None])
    found = index.get(word_key(text))
    if found is None:
        extra = ", walk-in, ต้องนัด" if field in ("walk_in", "appointment") else ""
        raise RuleError(rules.NOT_YES_NO(accepted=f"ใช่, ไม่, มี, ไม่มี, yes, no, 1, 0{extra}"))
    return found
