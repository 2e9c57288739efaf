"""Date-times of the items parameters and CQL2 filters, as the database stores them: in UTC.

Parameters take RFC 3339 (OGC API Features /req/core/fc-time-definition): a date-time, or a
full date meaning its whole day in UTC; a date-time without an offset is read as UTC, as
before. Python's fromisoformat alone also takes 20261207, 2021-W31 and a space for the T.

A time zone can push a valid date past the calendar (9999-12-31T23:59:59-23:59 is a day
after the last one a date holds), so the move to UTC is checked here, as /api/v1's
``updated_since`` is, rather than failing while the statement is bound.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from registry.errors import ValidationError

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})?", re.ASCII
)


def in_utc(value: datetime, name: str, shown: str) -> datetime:
    """``value`` in UTC (naive means UTC), or a 400 naming parameter ``name``."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValidationError(
            f"parameter '{name}': {shown!r} lies outside the years 1 to 9999 in UTC", field=name
        ) from None


def parse_instant(raw: str, name: str, *, end: bool = False) -> datetime:
    """An RFC 3339 date-time, or a date as the first instant of its day in UTC (its last
    when ``end``: an interval ending on a date takes in that whole day)."""
    text = raw.strip()
    try:
        if _DATE.fullmatch(text):
            day = datetime.combine(datetime.fromisoformat(text).date(), time(), UTC)
            return day + timedelta(days=1, microseconds=-1) if end else day
        if _DATE_TIME.fullmatch(text):
            return in_utc(datetime.fromisoformat(text.upper().replace("Z", "+00:00")), name, raw)
    except ValueError:  # the shape of a date, but no day of the calendar (2021-02-30)
        pass
    raise ValidationError(
        f"parameter '{name}': {raw!r} is not an RFC 3339 date-time or date "
        "(e.g. 2021-08-01T00:00:00Z, 2021-08-01, 2021-08-01/.. or ../2021-09-01)",
        field=name,
    )
