"""Facility statistics of an area: counts by type and status, freshness, beds and occupancy.

Only active facilities count (not deactivated). A facility belongs to an area through its
derived codes (province, district, subdistrict); the country counts every active facility,
also the few with no area.

Freshness follows :func:`registry.facilities.freshness.status_is_stale`: a facility's status is
confirmed within its time when someone confirmed it less than ``FRESHNESS_TTL_HOURS[type]``
hours ago, whatever the status; never confirmed counts as not within. Types without a time
are always within.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.vocabulary import FACILITY_TYPES, STATUSES, TYPE_LABELS
from registry.models import Facility
from registry.stats.tables import Column, Table

SEVERITIES = ("green", "yellow", "red")
BED_TYPES = ("hospital", "field_hospital", "waiting_centre")
_LEVEL_COLUMN = {1: "province_code", 2: "district_code", 3: "subdistrict_code"}
_CAPACITY_COLUMNS = (
    "beds_total",
    "covid_beds_total",
    "covid_beds_occupied",
    *(f"beds_{s}_{m}" for s in SEVERITIES for m in ("total", "available")),
)
TOTAL_LABELS = ("รวม", "Total")


def area_column(code: str | None):
    """The facility column that places a facility in the area ``code`` (None: the country)."""
    if code is None:
        return None
    return getattr(Facility, _LEVEL_COLUMN[(len(code) - 2) // 2])


def facility_frame(session: Session, code: str | None) -> pd.DataFrame:
    """One row per active facility of the area, with what the statistics need."""
    columns = [
        Facility.id,
        Facility.type,
        Facility.status,
        Facility.status_confirmed_at,
        Facility.status_confirmed_by,
        Facility.name_th,
        Facility.name_en,
        Facility.province_code,
        Facility.district_code,
        Facility.subdistrict_code,
        *(getattr(Facility, name) for name in _CAPACITY_COLUMNS),
    ]
    statement = select(*columns).where(Facility.deleted_at.is_(None))
    column = area_column(code)
    if column is not None:
        statement = statement.where(column == code)
    rows = session.execute(statement.order_by(Facility.id)).all()
    names = [c.key for c in columns]
    frame = pd.DataFrame([tuple(row) for row in rows], columns=names)
    # Keep the aware datetimes (and None) as they are, not as pandas timestamps and NaT.
    frame["status_confirmed_at"] = pd.Series(
        [row.status_confirmed_at for row in rows], index=frame.index, dtype=object
    )
    return frame


def stale_mask(frame: pd.DataFrame, config: Mapping, now: datetime) -> pd.Series:
    """True where the status is past its time or was never confirmed."""
    ttls = config.get("FRESHNESS_TTL_HOURS") or {}
    stale = []
    for facility_type, confirmed in zip(frame["type"], frame["status_confirmed_at"], strict=True):
        ttl = ttls.get(facility_type)
        if ttl is None:
            stale.append(False)
        elif confirmed is None or pd.isna(confirmed):
            stale.append(True)
        else:
            stale.append((now - confirmed).total_seconds() > ttl * 3600)
    return pd.Series(stale, index=frame.index, dtype=bool)


def _type_row(facility_type: str) -> dict:
    label_th, label_en = TYPE_LABELS[facility_type]
    return {"type": facility_type, "type_th": label_th, "type_en": label_en}


def _total_row() -> dict:
    return {"type": "total", "type_th": TOTAL_LABELS[0], "type_en": TOTAL_LABELS[1]}


_TYPE_COLUMNS = (Column("type", "code"), Column("type_th", "text"), Column("type_en", "text"))


def by_type_and_status(frame: pd.DataFrame) -> Table:
    """Facilities per type (rows) and status (columns), with totals."""
    columns = (*_TYPE_COLUMNS, *(Column(s, "count") for s in STATUSES), Column("total", "count"))
    rows = []
    for facility_type in (*FACILITY_TYPES, "total"):
        part = frame if facility_type == "total" else frame[frame["type"] == facility_type]
        counts = part["status"].value_counts()
        row = _total_row() if facility_type == "total" else _type_row(facility_type)
        row.update({status: int(counts.get(status, 0)) for status in STATUSES})
        row["total"] = len(part)
        rows.append(row)
    return Table.build("facilities", columns, rows)


def freshness(frame: pd.DataFrame, config: Mapping, now: datetime) -> Table:
    """Per type: facilities, confirmed within their time, never confirmed, oldest confirmation."""
    stale = stale_mask(frame, config, now)
    columns = (
        *_TYPE_COLUMNS,
        Column("ttl_hours", "count"),
        Column("facilities", "count"),
        Column("confirmed_in_time", "count"),
        Column("share_in_time", "share", share_of=("confirmed_in_time", "facilities")),
        Column("never_confirmed", "count"),
        Column("oldest_confirmation", "datetime"),
    )
    ttls = config.get("FRESHNESS_TTL_HOURS") or {}
    rows = []
    for facility_type in (*FACILITY_TYPES, "total"):
        mask = frame["type"] == facility_type if facility_type != "total" else frame["type"].notna()
        part = frame[mask]
        confirmed = [c for c in part["status_confirmed_at"] if c is not None and not pd.isna(c)]
        row = _total_row() if facility_type == "total" else _type_row(facility_type)
        row.update(
            ttl_hours=ttls.get(facility_type),
            facilities=len(part),
            confirmed_in_time=int((~stale[mask]).sum()),
            never_confirmed=len(part) - len(confirmed),
            oldest_confirmation=min(confirmed) if confirmed else None,
        )
        rows.append(row)
    return Table.build("freshness", columns, rows)


def _known_sum(part: pd.DataFrame, total: str, other: str) -> tuple[int, int, int]:
    """Facilities reporting both columns, and the sums of each over those facilities."""
    both = part[part[total].notna() & part[other].notna()]
    return len(both), int(both[total].sum()), int(both[other].sum())


def capacity(frame: pd.DataFrame) -> Table:
    """Beds and occupancy: all beds per type; COVID beds of hospitals; beds by severity.

    Occupancy rows count only facilities that report both the beds and the occupied (or
    available) number, so beds = occupied + available holds on every row. Occupied beds are
    patients, so they are a ``people`` column; available beds are capacity.
    """
    columns = (
        *_TYPE_COLUMNS,
        Column("beds_kind", "code"),
        Column("facilities_reporting", "count"),
        Column("beds", "count"),
        Column("occupied", "people"),
        Column("available", "count"),
        Column("occupancy", "share", share_of=("occupied", "beds")),
    )
    rows = []
    for facility_type in BED_TYPES:
        part = frame[frame["type"] == facility_type]
        # All beds: the stated total, else the sum by severity (as the coverage service does).
        by_severity = part[[f"beds_{s}_total" for s in SEVERITIES]]
        beds = part["beds_total"].where(part["beds_total"].notna(), by_severity.sum(axis=1))
        known = part["beds_total"].notna() | by_severity.notna().any(axis=1)
        rows.append(
            {
                **_type_row(facility_type),
                "beds_kind": "all",
                "facilities_reporting": int(known.sum()),
                "beds": int(beds[known].sum()),
            }
        )
        if facility_type == "hospital":
            reporting, beds, occupied = _known_sum(part, "covid_beds_total", "covid_beds_occupied")
            rows.append(_occupancy_row(facility_type, "covid", reporting, beds, occupied))
            continue
        for severity in SEVERITIES:
            reporting, beds, available = _known_sum(
                part, f"beds_{severity}_total", f"beds_{severity}_available"
            )
            rows.append(_occupancy_row(facility_type, severity, reporting, beds, beds - available))
    return Table.build("capacity", columns, rows)


def _occupancy_row(facility_type, kind, reporting, beds, occupied) -> dict:
    return {
        **_type_row(facility_type),
        "beds_kind": kind,
        "facilities_reporting": reporting,
        "beds": beds,
        "occupied": occupied,
        "available": beds - occupied,
    }


def stale_list(
    frame: pd.DataFrame,
    config: Mapping,
    now: datetime,
    *,
    link: Callable[[int], str] | None = None,
) -> Table:
    """Facilities whose status is not confirmed within its time: never first, then oldest."""
    stale = frame[stale_mask(frame, config, now)].copy()
    stale["never"] = [c is None or pd.isna(c) for c in stale["status_confirmed_at"]]
    stale["order_at"] = [
        None if never else c.timestamp()
        for never, c in zip(stale["never"], stale["status_confirmed_at"], strict=True)
    ]
    stale = stale.sort_values(["never", "order_at", "id"], ascending=[False, True, True])
    columns = (
        Column("id", "code"),
        Column("type", "code"),
        Column("name_th", "text"),
        Column("name_en", "text"),
        Column("status", "code"),
        Column("status_confirmed_at", "datetime"),
        Column("status_confirmed_by", "text"),
        Column("area_code", "code"),
        Column("url", "url"),
    )
    rows = []
    for row in stale.itertuples(index=False):
        area = row.subdistrict_code or row.district_code or row.province_code
        rows.append(
            {
                "id": int(row.id),
                "type": row.type,
                "name_th": row.name_th,
                "name_en": row.name_en,
                "status": row.status,
                "status_confirmed_at": None if row.never else row.status_confirmed_at,
                "status_confirmed_by": row.status_confirmed_by,
                "area_code": area if isinstance(area, str) else None,
                "url": link(int(row.id)) if link else None,
            }
        )
    return Table.build("stale_facilities", columns, rows, admin_only=True)


def by_child(frame: pd.DataFrame, child_level: int, config: Mapping, now: datetime):
    """Per child area (a code of ``child_level``): facilities, open ones, confirmed in time."""
    codes = frame[_LEVEL_COLUMN[child_level]]
    stale = stale_mask(frame, config, now)
    summary = pd.DataFrame(
        {
            "code": codes,
            "facilities": 1,
            "open": (frame["status"] == "open").astype(int),
            "confirmed_in_time": (~stale).astype(int),
        }
    ).dropna(subset=["code"])
    return summary.groupby("code").sum()
