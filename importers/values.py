"""Cell values in the words Thai officials and volunteers write, read into registry values.

Each parser takes one raw cell (already known not to be empty) and returns the registry value,
or raises :class:`ValueError` whose message is a rule phrased to follow the quoted value
(``"is not a facility type; accepted: ..."``), so the caller can report
``row 5, column 'ประเภท': 'xyz' is not a facility type; accepted: ...``.

Dates: Buddhist-era years (2564 = 2021) are recognised by size (a four-digit year from 2400)
or by ``พ.ศ.``; two-digit years from 40 are Buddhist era (64 -> 2564 -> 2021), below 40 they are
Gregorian (21 -> 2021). Numeric dates are day first (Thai and British usage). Thailand keeps
UTC+7 all year, so local times are read at a fixed +07:00 and returned in UTC; a date without a
time is local midnight.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from importers import rules
from importers.coords import to_ascii_digits
from importers.messages import RuleError, Text
from importers.vocabulary import (
    AGE_GROUPS,
    DOSES,
    FACILITY_TYPES,
    STATUSES,
    TEST_METHODS,
    VACCINE_BRANDS,
)

BANGKOK = dt.timezone(dt.timedelta(hours=7), "Asia/Bangkok")
BUDDHIST_ERA_OFFSET = 543

# Cells that mean "nothing here" in Thai spreadsheets.
EMPTY_MARKERS = frozenset({"-", "--", "–", "—", "n/a", "na", "#n/a", "null", "none", "ไม่ระบุ"})


def word_key(text: str) -> str:
    """Text reduced for word lookups: NFKC, Thai digits, lower case, no spaces or punctuation."""
    text = unicodedata.normalize("NFKC", to_ascii_digits(str(text)))
    text = text.replace("\u0e4d\u0e32", "\u0e33").casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "ZPC")


def _index(words: dict[str, Iterable[str]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for value, aliases in words.items():
        for alias in (value, *aliases):
            key = word_key(alias)
            if index.get(key, value) != value:
                raise RuntimeError(f"word {alias!r} means both {index[key]} and {value}")
            index[key] = value
    return index


def _accepted(words: dict[str, Iterable[str]], shown: int = 2) -> str:
    return "; ".join(
        f"{value}: " + ", ".join(list(aliases)[:shown]) for value, aliases in words.items()
    )


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
_TYPE_INDEX = _index(FACILITY_TYPE_WORDS)


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
                accepted=_accepted(FACILITY_TYPE_WORDS), codes=", ".join(FACILITY_TYPES)
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
_STATUS_INDEX = _index(STATUS_WORDS)
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
            rules.NOT_A_STATUS(accepted=_accepted(STATUS_WORDS), codes=", ".join(STATUSES))
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


# --------------------------------------------------------------------------- integers

_UNITS = re.compile(
    r"(เตียง|คน|ราย|ที่|โดส|ครั้ง|beds?|people|persons?|doses?|tests?)?\s*"
    r"(/\s*วัน|ต่อวัน|per\s*day|/\s*day)?$",
    re.IGNORECASE,
)


def parse_int(text: str) -> int:
    """A count: Thai digits, thousands separators and a trailing unit allowed.

    Examples
    --------
    >>> parse_int("๑,๒๐๐ เตียง"), parse_int("300 คน/วัน"), parse_int("12.0")
    (1200, 300, 12)
    """
    s = to_ascii_digits(unicodedata.normalize("NFKC", str(text))).strip()
    s = _UNITS.sub("", s).strip().replace(",", "").replace(" ", "")
    try:
        number = float(s)
    except ValueError:
        raise RuleError(rules.NOT_WHOLE()) from None
    if not number.is_integer():
        raise RuleError(rules.NOT_WHOLE())
    if number < 0:
        raise RuleError(rules.NEGATIVE())
    return int(number)


# --------------------------------------------------------------------------- lists

LIST_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "test_methods": {
        "rt_pcr": ("rt-pcr", "pcr", "rt pcr", "rtpcr", "swab", "real-time pcr", "อาร์ทีพีซีอาร์"),
        "atk": (
            "atk",
            "antigen",
            "antigen test kit",
            "rapid antigen",
            "rapid antigen test",
            "ชุดตรวจ atk",
            "แอนติเจน",
            "ชุดตรวจแอนติเจน",
        ),
    },
    "vaccine_brands": {
        "sinovac": ("ซิโนแวค", "ซิโนแวก", "ซิโนแว็ค", "coronavac", "sv", "sinovac biotech"),
        "sinopharm": ("ซิโนฟาร์ม", "bbibp", "bbibp-corv", "sp", "sinopharm bibp"),
        "astrazeneca": (
            "แอสตร้าเซนเนก้า",
            "แอสตร้าเซนเนกา",
            "แอสตราเซเนกา",
            "แอสตร้า",
            "az",
            "astra",
            "astra zeneca",
            "vaxzevria",
            "covishield",
        ),
        "pfizer": ("ไฟเซอร์", "pfizer-biontech", "pfizer biontech", "biontech", "pf", "comirnaty"),
        "moderna": ("โมเดอร์นา", "โมเดิร์นนา", "md", "mrna-1273", "spikevax"),
        "johnson": (
            "johnson & johnson",
            "johnson and johnson",
            "j&j",
            "jnj",
            "janssen",
            "จอห์นสัน",
            "จอห์นสันแอนด์จอห์นสัน",
        ),
    },
    "doses": {
        "1": ("เข็ม 1", "เข็มที่ 1", "เข็มแรก", "first", "1st", "dose 1", "first dose"),
        "2": ("เข็ม 2", "เข็มที่ 2", "second", "2nd", "dose 2", "second dose"),
        "booster": (
            "เข็มกระตุ้น",
            "เข็ม 3",
            "เข็มที่ 3",
            "3",
            "3rd",
            "third",
            "เข็ม 4",
            "เข็มที่ 4",
            "4",
            "dose 3",
            "booster dose",
        ),
    },
    "age_groups": {
        "5-11": ("5-11 ปี", "เด็ก 5-11", "เด็ก 5-11 ปี", "children 5-11", "5 - 11", "5–11"),
        "12-18": (
            "12-18 ปี",
            "12-17",
            "12-17 ปี",
            "นักเรียน",
            "students",
            "student",
            "เด็ก 12-18 ปี",
            "12 - 18",
            "12–18",
        ),
        "adult": (
            "ผู้ใหญ่",
            "adults",
            "18-59",
            "18-59 ปี",
            "18-60",
            "18+",
            "บุคคลทั่วไป",
            "ประชาชนทั่วไป",
            "general public",
        ),
        "elderly": (
            "ผู้สูงอายุ",
            "สูงอายุ",
            "60+",
            "60 ปีขึ้นไป",
            "60ปีขึ้นไป",
            "อายุ 60 ปีขึ้นไป",
            "seniors",
            "older people",
        ),
    },
}
_LIST_INDEX = {name: _index(words) for name, words in LIST_WORDS.items()}
_LIST_CHOICES = {
    "test_methods": TEST_METHODS,
    "vaccine_brands": VACCINE_BRANDS,
    "doses": DOSES,
    "age_groups": AGE_GROUPS,
}
for _name, _choices in _LIST_CHOICES.items():
    if set(LIST_WORDS[_name]) != set(_choices):
        raise RuntimeError(f"LIST_WORDS[{_name!r}] and importers.vocabulary differ")
# "+" separates only between words: "60+" and "18+" are age groups.
_LIST_SPLIT = re.compile(r"\s*(?:[,;/|\n、]|\+(?=\s*\w)|\s+และ\s+|\s+and\s+|\s+หรือ\s+|\s+or\s+)\s*")


def parse_list(text: str, field: str) -> tuple[list[str], list[str]]:
    """Items of a list field, and the pieces that are not accepted words.

    Separators: ``,`` ``;`` ``/`` ``|`` ``+``, line breaks, ``และ``/``and``. Unknown pieces are
    returned for a warning rather than failing the row: the facility is still valid, and the
    registry cannot store an item it does not know.

    Examples
    --------
    >>> parse_list("RT-PCR, ATK", "test_methods")
    (['rt_pcr', 'atk'], [])
    >>> parse_list("ซิโนแวค/แอสตร้าเซนเนก้า", "vaccine_brands")
    (['sinovac', 'astrazeneca'], [])
    >>> parse_list("Pfizer; Novavax", "vaccine_brands")
    (['pfizer'], ['Novavax'])
    """
    index = _LIST_INDEX[field]
    whole = index.get(word_key(text))
    if whole is not None:
        return [whole], []
    items: list[str] = []
    unknown: list[str] = []
    for piece in _LIST_SPLIT.split(str(text).strip()):
        if not piece.strip():
            continue
        found = index.get(word_key(piece))
        if found is None:
            unknown.append(piece.strip())
        elif found not in items:
            items.append(found)
    return items, unknown


def list_rule(field: str) -> Text:
    """The rule quoted when a list item is unknown."""
    words = LIST_WORDS[field]
    return rules.NOT_IN_LIST(what=field.replace("_", " "), accepted=_accepted(words))


# --------------------------------------------------------------------------- phones

_PHONE_SPLIT = re.compile(r"\s*(?:[,;/|\n]|\s+หรือ\s+|\s+or\s+)\s*")
_PHONE_LABEL = re.compile(r"^(?:โทรศัพท์|โทร\.?|tel\.?|phone|mobile|มือถือ|เบอร์)\s*:?\s*", re.I)
_PHONE_EXTENSION = re.compile(r"\s*(?:ต่อ|ext\.?|extension|#)\s*(\d{1,5})\s*$", re.I)
_PLAIN_PHONE = re.compile(r"0\d{1,2}[- ]?\d{3}[- ]?\d{3,4}")
_PHONE_RANGE = re.compile(r"^(.*\d)\s*[-–]\s*(\d{1,2})$")
PHONE_RULE = rules.NOT_A_PHONE()


def _valid_thai_number(digits: str) -> bool:
    if len(digits) == 10:
        return digits[:2] in ("06", "08", "09")
    if len(digits) == 9:
        return digits[0] == "0" and digits[1] in "234567"
    return len(digits) == 4 and digits[0] == "1"


def _one_phone(piece: str) -> str | None:
    s = _PHONE_LABEL.sub("", to_ascii_digits(unicodedata.normalize("NFKC", piece)).strip())
    extension = ""
    match = _PHONE_EXTENSION.search(s)
    if match:
        extension = f" ต่อ {match.group(1)}"
        s = s[: match.start()]
    s = s.strip()
    candidates = [s]
    # "02-123-4567-9" is a run of lines 4567 to 4569: keep the first.
    range_match = _PHONE_RANGE.match(s)
    if range_match:
        candidates.append(range_match.group(1))
    for candidate in candidates:
        digits = re.sub(r"[\s().-]", "", candidate)
        if digits.startswith("+66"):
            digits = "0" + digits[3:]
        elif digits.startswith("66") and len(digits) in (10, 11):
            digits = "0" + digits[2:]
        if digits.startswith("00"):
            digits = digits[1:]
        if digits.isdigit() and _valid_thai_number(digits):
            return digits + extension
    return None


@lru_cache(maxsize=65536)
def parse_phones(text: str) -> tuple[str | None, tuple[str, ...]]:
    """Phone numbers normalised to digits (``"0812345678"``), several joined by ``", "``.

    Thai digits, dashes, spaces and brackets are removed, ``+66`` becomes ``0``, an extension
    is kept as ``" ต่อ 12"``. Returns the normalised numbers (None if none is valid) and the
    pieces that are not Thai numbers, for a warning.

    Examples
    --------
    >>> parse_phones("02-123-4567, +66 81 234 5678")
    ('021234567, 0812345678', ())
    >>> parse_phones("๐๘๑-๒๓๔-๕๖๗๘ / 1234567")
    ('0812345678', ('1234567',))
    """
    text = str(text).strip()
    if _PLAIN_PHONE.fullmatch(text):  # the common case, fast
        digits = text.replace("-", "").replace(" ", "")
        if _valid_thai_number(digits):
            return digits, ()
    valid: list[str] = []
    invalid: list[str] = []
    for piece in _PHONE_SPLIT.split(text):
        if not piece.strip():
            continue
        number = _one_phone(piece)
        if number is None:
            invalid.append(piece.strip())
        elif number not in valid:
            valid.append(number)
    return (", ".join(valid) if valid else None), tuple(invalid)


# --------------------------------------------------------------------------- dates

THAI_MONTHS: tuple[tuple[str, str], ...] = (
    ("มกราคม", "ม.ค."),
    ("กุมภาพันธ์", "ก.พ."),
    ("มีนาคม", "มี.ค."),
    ("เมษายน", "เม.ย."),
    ("พฤษภาคม", "พ.ค."),
    ("มิถุนายน", "มิ.ย."),
    ("กรกฎาคม", "ก.ค."),
    ("สิงหาคม", "ส.ค."),
    ("กันยายน", "ก.ย."),
    ("ตุลาคม", "ต.ค."),
    ("พฤศจิกายน", "พ.ย."),
    ("ธันวาคม", "ธ.ค."),
)
_ENGLISH_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTHS: dict[str, int] = {}
for _number, ((_full, _short), _english) in enumerate(
    zip(THAI_MONTHS, _ENGLISH_MONTHS, strict=True), start=1
):
    for _word in (_full, _short, _english, _english[:3], _english[:4]):
        _MONTHS[word_key(_word)] = _number
_MONTHS[word_key("กพ")] = 2

_TIME = (
    r"(?:\s*(?:,|T|เวลา)?\s*(?P<hour>\d{1,2})[:.](?P<minute>\d{2})"
    r"(?:[:.](?P<second>\d{2})(?:\.\d+)?)?\s*(?:น\.?|นาฬิกา)?)?"
)
_ZONE = r"\s*(?P<zone>Z|[+-]\d{2}:?\d{2})?"
_ERA = r"\s*(?P<era>พ\.?\s*ศ\.?|ค\.?\s*ศ\.?|B\.?E\.?|A\.?D\.?|C\.?E\.?)?\s*"
_DATE_PATTERNS = (
    re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})" + _TIME + _ZONE + "$", re.I),
    re.compile(r"^(?P<year>\d{4})/(?P<month>\d{1,2})/(?P<day>\d{1,2})" + _TIME + "$", re.I),
    re.compile(
        r"^(?P<day>\d{1,2})\s*[/.-]\s*(?P<month>\d{1,2})\s*[/.-]"
        + _ERA
        + r"(?P<year>\d{2}|\d{4})"
        + _TIME
        + "$",
        re.I,
    ),
    re.compile(
        r"^(?P<day>\d{1,2})\s*(?P<monthname>[^\d\s,]+)\s*,?"
        + _ERA
        + r"(?P<year>\d{2}|\d{4})"
        + _TIME
        + "$",
        re.I,
    ),
    re.compile(
        r"^(?P<monthname>[a-z]+\.?)\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})"
        + _TIME
        + "$",
        re.I,
    ),
)
_WEEKDAY = re.compile(
    r"^(?:วัน)?(?:จันทร์|อังคาร|พุธ|พฤหัสบดี|พฤหัส|ศุกร์|เสาร์|อาทิตย์)?\s*(?:ที่)\s*|^วัน\S*ที่\s*"
)


def _year(text: str, era: str | None) -> int:
    year = int(text)
    era_key = word_key(era or "")
    if len(text) == 2:
        if era_key in ("พศ", "be"):
            year += 2500
        elif era_key in ("คศ", "ad", "ce"):
            year += 2000
        else:
            year += 2500 if year >= 40 else 2000
    if era_key in ("พศ", "be") or (not era_key and year >= 2400):
        year -= BUDDHIST_ERA_OFFSET
    return year


@lru_cache(maxsize=65536)
def parse_datetime(text: str) -> dt.datetime:
    """A timezone-aware UTC datetime from the date formats seen in Thai lists.

    Accepts ISO (``2021-06-15``, ``2021-06-15T10:30:00+07:00``), day-first numeric
    (``15/06/2564``, ``15-6-64``, ``15.06.2021 10.30 น.``), Thai and English month names full or
    abbreviated (``15 มิ.ย. 64``, ``วันอังคารที่ 15 มิถุนายน พ.ศ. 2564``, ``15 June 2021``,
    ``June 15, 2021``), Thai digits. Without a zone the time is Thailand's (UTC+7); without a
    time it is local midnight.

    Examples
    --------
    >>> parse_datetime("15/06/2564")
    datetime.datetime(2021, 6, 14, 17, 0, tzinfo=datetime.timezone.utc)
    >>> parse_datetime("๑๕ มิ.ย. ๖๔ 10.30 น.").isoformat()
    '2021-06-15T03:30:00+00:00'
    """
    s = unicodedata.normalize("NFKC", to_ascii_digits(str(text))).strip()
    s = _WEEKDAY.sub("", s)
    s = re.sub(r"\s+", " ", s)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(s)
        if match:
            break
    else:
        raise RuleError(rules.NOT_A_DATE())
    parts = match.groupdict()
    if parts.get("monthname"):
        month = _MONTHS.get(word_key(parts["monthname"]))
        if month is None:
            raise RuleError(rules.NO_SUCH_MONTH(name=repr(parts["monthname"])))
    else:
        month = int(parts["month"])
    year = _year(parts["year"], parts.get("era"))
    try:
        local = dt.datetime(
            year,
            month,
            int(parts["day"]),
            int(parts.get("hour") or 0),
            int(parts.get("minute") or 0),
            int(parts.get("second") or 0),
        )
    except ValueError as exc:
        raise RuleError(rules.INVALID_DATE(why=str(exc))) from None
    zone = parts.get("zone")
    if zone:
        offset = dt.UTC if zone.upper() == "Z" else _offset(zone)
        aware = local.replace(tzinfo=offset)
    else:
        aware = local.replace(tzinfo=BANGKOK)
    result = aware.astimezone(dt.UTC)
    if not 1990 <= result.year <= 2100:
        raise RuleError(rules.IMPOSSIBLE_YEAR(year=result.year))
    return result


def _offset(zone: str) -> dt.timezone:
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


# --------------------------------------------------------------------------- text and codes

_WHITESPACE = re.compile(r"\s+")


def clean_text(text: str) -> str | None:
    """Text with runs of whitespace made one space and zero-width characters removed."""
    s = _WHITESPACE.sub(" ", str(text).replace("\u200b", "").replace("\ufeff", "")).strip()
    return s or None


def is_empty(text: object) -> bool:
    """True for None, blank text and the markers that mean "nothing" (``-``, ``N/A``...)."""
    if text is None:
        return True
    s = str(text).strip()
    return not s or s.casefold() in EMPTY_MARKERS


# MOPH codes: the 5-character hcode, or the 9-character code issued beside it (digits
# only before October 2024; since then also capital letters that group the kind of unit).
HCODE_PATTERN = r"[0-9A-Z]{5}|[0-9A-Z]{9}"
_HCODE = re.compile(HCODE_PATTERN)


def parse_hcode(text: str) -> tuple[str, str | None]:
    """An MOPH code, 5 or 9 letters or digits (leading zeros kept), and a note if repaired.

    Codes read as numbers come back as the code: ``'10697.0'`` -> ``'10697'``. Numeric codes
    of 1-4 digits lost their leading zeros in a spreadsheet and are padded back (``'4007'`` ->
    ``'04007'``), with a note for a warning.

    Raises
    ------
    ValueError
        For text that is no hcode (``'24531(245'``, ``'0'``).

    Examples
    --------
    >>> parse_hcode("10697.0"), parse_hcode("f1002")
    (('10697', None), ('F1002', None))
    >>> code, note = parse_hcode("4007")
    >>> code, note.english
    ('04007', "was read as '04007' (leading zeros restored)")
    >>> parse_hcode("a00012345")
    ('A00012345', None)
    """
    s = to_ascii_digits(str(text)).strip().upper()
    if re.fullmatch(r"\d+\.0+", s):
        s = s.split(".")[0]
    if _HCODE.fullmatch(s) and s.strip("0"):
        return s, None
    if s.isdigit() and len(s) < 5 and s.strip("0"):
        padded = s.zfill(5)
        return padded, rules.HCODE_PADDED(code=padded)
    raise RuleError(rules.NOT_AN_HCODE())
