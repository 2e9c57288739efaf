"""The change logs: every write of a facility or a survey record is recorded through here.

An edit, a revert, a bulk import, the status feed and the survey all say who writes and through
what (an :class:`Actor`, or a surveyor with the same three attributes), and their entries get
the same columns, the same JSON form of values and the same "created" entry. The write paths
differ only in how the rows reach the database: ORM objects for a single write (its caller
wants the new entries' ids), one executemany for the status feed, the bulk writer (COPY on
PostGIS) for an import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import insert
from sqlalchemy.orm import Session

from importers.vocabulary import CHANGE_SOURCES
from registry.errors import ValidationError

CREATED = "created"  # the field of a creation's one entry: the new value holds every first value


class Writer(Protocol):
    """Who writes: a person's or system's name, the channel, and a reference (batch, feed)."""

    name: str
    source: str
    source_ref: str | None


@dataclass(frozen=True)
class Actor:
    """Who writes and through what: recorded on every logged change."""

    name: str
    source: str
    source_ref: str | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise ValidationError("every change needs a person or system name; got none")
        if self.source not in CHANGE_SOURCES:
            raise ValidationError(
                f"change source {self.source!r} is not one of {', '.join(CHANGE_SOURCES)}"
            )


def logged(value: Any) -> Any:
    """The JSON form of a value in a change log (dates and times in ISO 8601)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def who(writer: Writer, now: dt.datetime) -> dict[str, Any]:
    """The columns every entry of one write shares: by whom, when, through what."""
    return {
        "changed_by": writer.name,
        "changed_at": now,
        "source": writer.source,
        "source_ref": writer.source_ref,
    }


def entries(
    writer: Writer, now: dt.datetime, changes: Mapping[str, tuple[Any, Any]], **keys: Any
) -> list[dict[str, Any]]:
    """One log row per changed field: ``changes`` maps a field to its (old, new) values.

    ``keys`` are the columns that say what changed (a facility's id, version and change set,
    or a survey record's id) and, for a revert, the entry it reverts.
    """
    shared = who(writer, now) | keys
    return [
        {**shared, "field": name, "old_value": logged(old), "new_value": logged(new)}
        for name, (old, new) in changes.items()
    ]


def created(first_values: Mapping[str, Any]) -> dict[str, tuple[None, dict[str, Any]]]:
    """The changes of a creation: one "created" entry holding every first value that is set."""
    return {CREATED: (None, {n: logged(v) for n, v in first_values.items() if v is not None})}


def record(session: Session, model: type, rows: list[dict[str, Any]]) -> list[Any]:
    """Add the entries as ORM objects and flush, so that the caller has their ids."""
    objects = [model(**row) for row in rows]
    session.add_all(objects)
    session.flush()
    return objects


def record_many(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """Insert many entries in one statement; nothing is returned (the status feed's way)."""
    if rows:
        session.execute(insert(model), rows)
