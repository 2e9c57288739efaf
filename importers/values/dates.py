"""Dates and times as Thai lists write them, read into UTC.

Buddhist-era years (2564 = 2021) are recognised by size (a four-digit year from 2400) or by
``พ.ศ.``; two-digit years from 40 are Buddhist era (64 -> 2564 -> 2021), below 40 they are
Gregorian (21 -> 2021). Numeric dates are day first (Thai and British usage). Thailand keeps
UTC+7 all year, so local times are read at a fixed +07:00 and returned in UTC; a date without a
time is local midnight.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

from importers import rules
from importers.coords import to_ascii_digits
from importers.messages import RuleError
from importers.values.words import word_key

BANGKOK = dt.timezone(dt.timedelta(hours=7), "Asia/Bangkok")
BUDDHIST_ERA_OFFSET = 543

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
