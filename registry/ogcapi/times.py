"""Date-times of the items parameters and CQL2 filters, as the database stores them: in UTC.

A time zone can push a valid date past the calendar (9999-12-31T23:59:59-23:59 is a day
after the last one a date holds), so the move to UTC is checked here, as /api/v1's
``updated_since`` is, rather than failing while the statement is bound.
"""

from __future__ import annotations

from datetime import UTC, datetime

from registry.errors import ValidationError


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
