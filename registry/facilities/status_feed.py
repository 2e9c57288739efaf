"""The bulk status feed: many facilities' status and figures at once, fully audited.

Each item passes the checks of a single write (the account's role and area, the facility's
type fields, the values, the version when one is sent) before anything is written. Then the
accepted items are written set-wise: one data version for the whole feed, one UPDATE
statement per shape of change (executemany) and one INSERT for all change-log rows, the
same rows the facility service would log. The registry's write lock is held from the first
check to the commit, so nothing read for the checks can change underneath.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from importers.values import parse_hcode
from importers.vocabulary import TYPE_FIELDS
from registry import audit
from registry.accounts.access import require_facility_in_area, require_writer
from registry.audit import Actor, logged
from registry.errors import NotFoundError, RegistryError, ValidationError
from registry.facilities import messages as say
from registry.facilities import service
from registry.facilities.freshness import confirm_fields
from registry.facilities.scoped import stated_fields, write_lock
from registry.models import DB_INT_MAX, Facility, FacilityChange, User, utcnow
from registry.version_watch import next_data_version

# Fields a feed may set: the status, hours and the type's own fields (beds, stock...).
FEED_COMMON_FIELDS = ("status", "opening_hours")
FEED_KEYS = ("id", "hcode", "version")
SOURCE_REF = "status-feed"
_CHUNK = 500


@dataclass
class FeedOutcome:
    items: list[dict[str, Any]] = field(default_factory=list)
    applied: bool = True
    data_version: int | None = None

    @property
    def counts(self) -> dict[str, int]:
        counts = {"updated": 0, "unchanged": 0, "rejected": 0}
        for item in self.items:
            counts[item["result"]] += 1
        return counts


@dataclass
class _Planned:
    index: int
    facility: Facility
    changes: dict[str, Any]  # field -> new value (only those that differ)
    old: dict[str, Any]  # field -> old value
    stated: set[str]


def _is_id(value: Any) -> bool:
    return type(value) is int and 0 < value <= DB_INT_MAX


def _prefetch(session: Session, items: list[Any]) -> tuple[dict, dict]:
    ids = sorted({i["id"] for i in items if isinstance(i, Mapping) and _is_id(i.get("id"))})
    hcodes = sorted(
        {
            code
            for i in items
            if isinstance(i, Mapping) and i.get("hcode")
            for code in [_hcode_or_none(i["hcode"])]
            if code
        }
    )
    by_id: dict[int, Facility] = {}
    by_hcode: dict[str, list[Facility]] = {}
    for start in range(0, len(ids), _CHUNK):
        query = select(Facility).where(Facility.id.in_(ids[start : start + _CHUNK]))
        by_id.update((f.id, f) for f in session.scalars(query))
    for start in range(0, len(hcodes), _CHUNK):
        query = select(Facility).where(
            Facility.hcode.in_(hcodes[start : start + _CHUNK]), Facility.deleted_at.is_(None)
        )
        for facility in session.scalars(query):
            by_hcode.setdefault(facility.hcode, []).append(facility)
    return by_id, by_hcode


def _hcode_or_none(raw: Any) -> str | None:
    try:
        return parse_hcode(str(raw))[0]
    except ValueError:
        return None


def _target(item: Any, by_id: dict, by_hcode: dict) -> Facility:
    if not isinstance(item, Mapping):
        raise ValidationError(say.FEED_NOT_AN_OBJECT(item=repr(item)))
    if item.get("id") is not None:
        if not _is_id(item["id"]):
            raise ValidationError(say.FEED_NOT_AN_ID(value=repr(item["id"])), field="id")
        facility = by_id.get(item["id"])
        if facility is None:
            raise NotFoundError(say.NO_FACILITY(id=item["id"]), field="id")
        return facility
    if item.get("hcode"):
        # Either MOPH form: the 5-character hcode or the 9-character code.
        code = _hcode_or_none(item["hcode"])
        if code is None:
            raise ValidationError(say.FEED_NOT_AN_HCODE(value=repr(item["hcode"])), field="hcode")
        found = by_hcode.get(code, [])
        if len(found) != 1:
            what = say.FEED_SEVERAL(count=len(found)) if found else say.FEED_NO_ACTIVE()
            raise ValidationError(
                say.FEED_HCODE_MATCHES(value=repr(item["hcode"]), what=what), field="hcode"
            )
        return found[0]
    raise ValidationError(say.FEED_NEEDS_KEY(), field="id")


def _plan(session: Session, user: User, index: int, item: Any, by_id, by_hcode, seen, now, by):
    facility = _target(item, by_id, by_hcode)
    require_facility_in_area(session, user, facility, "change")
    if facility.deleted_at is not None:
        raise ValidationError(say.FEED_DEACTIVATED(id=facility.id), field="id")
    if facility.id in seen:
        raise ValidationError(say.FEED_REPEATED(id=facility.id, item=seen[facility.id]), field="id")
    seen[facility.id] = index
    allowed = set(FEED_COMMON_FIELDS) | {spec.name for spec in TYPE_FIELDS[facility.type]}
    raw = {name: value for name, value in item.items() if name not in FEED_KEYS}
    for name in raw:
        if name not in allowed:
            raise ValidationError(
                say.FEED_FIELD(field=name, type=facility.type, fields=sorted(allowed)),
                field=name,
            )
    if not raw:
        raise ValidationError(say.FEED_NOTHING())
    service.check_version(session, facility, item.get("version", facility.version))
    clean = service.clean_values(facility.type, raw)
    if clean.get("status", "") is None:
        raise ValidationError(say.NEEDS_STATUS(), field="status")
    if "status" in clean:  # a stated status is a confirmation, changed or not
        clean["status_confirmed_at"], clean["status_confirmed_by"] = now, by
    old = {name: getattr(facility, name) for name in clean}
    changes = {n: v for n, v in clean.items() if logged(v) != logged(old[n])}
    return _Planned(index, facility, changes, old, stated_fields(raw))


def _write(session: Session, planned: list[_Planned], data_version: int, now, by: str) -> None:
    """One UPDATE per shape of change (executemany), one INSERT for every change-log row."""
    table = Facility.__table__
    shapes: dict[tuple[str, ...], list[_Planned]] = {}
    for plan in planned:
        shapes.setdefault(tuple(sorted(plan.changes)), []).append(plan)
    for names, plans in shapes.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("p_id"), table.c.version == bindparam("p_version"))
            .values(
                {name: bindparam(f"v_{name}", type_=table.c[name].type) for name in names}
                | {
                    "version": table.c.version + 1,
                    "data_version": data_version,
                    "updated_at": bindparam("p_now", type_=table.c.updated_at.type),
                }
            )
        )
        rows = [
            {
                "p_id": p.facility.id,
                "p_version": p.facility.version,
                "p_now": now,
                **{f"v_{n}": p.changes[n] for n in names},
            }
            for p in plans
        ]
        session.execute(statement, rows, execution_options={"synchronize_session": False})
    feed = Actor(by, "api", SOURCE_REF)
    change_rows = [
        row
        for p in planned
        for row in audit.entries(
            feed,
            now,
            {name: (p.old[name], value) for name, value in p.changes.items()},
            facility_id=p.facility.id,
            change_set=data_version,
            facility_version=p.facility.version + 1,
            reverts_change_id=None,
        )
    ]
    audit.record_many(session, FacilityChange, change_rows)


def status_feed(session: Session, user: User, items: list[Any], *, partial: bool) -> FeedOutcome:
    """Apply many status updates with the checks of a single write, each change audited.

    Items name a facility by ``id`` (or a unique MOPH ``hcode``); ``version`` is optional (a
    feed is the authority on its own figures) and, when sent, a stale one is refused with
    what changed since. Without ``partial`` nothing is written unless every item passes;
    with it, the items that pass are written and the others reported.
    """
    require_writer(user)
    write_lock(session)
    outcome = FeedOutcome()
    by_id, by_hcode = _prefetch(session, items)
    now, seen, planned = utcnow(), {}, []
    for index, item in enumerate(items):
        try:
            plan = _plan(session, user, index, item, by_id, by_hcode, seen, now, user.username)
        except RegistryError as error:
            item_id = item.get("id") if isinstance(item, Mapping) else None
            outcome.items.append(
                {
                    "index": index,
                    "id": item_id,
                    "result": "rejected",
                    "status": error.status_code,
                    **error.to_dict(),
                }
            )
            continue
        planned.append(plan)
        changed = bool(plan.changes)
        outcome.items.append(
            {
                "index": index,
                "id": plan.facility.id,
                "version": plan.facility.version + (1 if changed else 0),
                "result": "updated" if changed else "unchanged",
                "fields": sorted(plan.changes),
            }
        )
    outcome.applied = partial or outcome.counts["rejected"] == 0
    if not outcome.applied:
        return outcome
    stated = {plan.facility.id: plan.stated for plan in planned}
    writes = [plan for plan in planned if plan.changes]
    if writes:
        outcome.data_version = next_data_version(session)
        _write(session, writes, outcome.data_version, now, user.username)
        for plan in writes:  # written behind the ORM's back: reload on next use
            session.expire(plan.facility)
    confirm_fields(session, stated, by=user.username, at=now)
    return outcome
