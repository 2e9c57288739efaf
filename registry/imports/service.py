"""Importing a facility file: preview, commit (all or nothing), undo a whole batch.

The importers turn a file into one validated frame and a report; this module hands the frame
to the one upsert (services.bulk), records the batch, flags likely duplicates for a person,
and makes sure that a refused or failed import leaves the database exactly as it was: all
writes happen inside a savepoint that is released only when everything succeeded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from importers import read_facilities
from importers.limits import WEB_LIMITS, ImportLimits
from importers.messages import Text
from registry.audit import batch_ref, created_ids
from registry.config import COAST_TOLERANCE_M
from registry.errors import ConflictError, NotFoundError, ValidationError
from registry.facilities.service import (
    AREA_FIELDS,
    CREATED,
    Actor,
    deactivate_facility,
    revert_change,
)
from registry.imports import messages as say
from registry.imports.bulk import (
    MEMBERS,
    PREVIEW_ID_BASE,
    UpsertResult,
    apply_upsert,
    plan_upsert,
    preview_upsert,
)
from registry.imports.duplicates import CANDIDATE_COLUMNS, same_codes, similar_across, similar_among
from registry.imports.messages import CANNOT_UNDO
from registry.models import DuplicateCandidate, Facility, FacilityChange, ImportBatch, utcnow
from registry.spatial import spatial_dialect
from registry.spatial_bulk import ColumnRows

MAX_PROBLEMS_KEPT = 5_000
DERIVED_FROM_LOCATION = frozenset({*AREA_FIELDS, "area_note"})


class ImportRejectedError(ValidationError):
    """All-or-nothing import refused: nothing was written. Carries the full outcome."""

    code = "import_rejected"

    def __init__(self, message: str | Text, outcome: ImportOutcome) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.rejected_rows = sorted({p["row"] for p in outcome.errors if p["row"] is not None})


@dataclass
class ImportOutcome:
    file_name: str
    file_sha256: str
    format: str
    counts: dict[str, int]
    problems: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    batch_id: int | None = None

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [p for p in self.problems if p["severity"] == "error"]

    def summary(self) -> str:
        counts = ", ".join(f"{n} {action}" for action, n in self.counts.items())
        warnings = sum(1 for p in self.problems if p["severity"] == "warning")
        return (
            f"{self.file_name}: {counts}; {len(self.errors)} errors, {warnings} warnings, "
            f"{len(self.duplicates)} likely duplicates flagged"
        )


def row_list(rows: list[int], at_most: int = 10) -> str:
    """``3, 7, 12 ...``: the first rows of a list, for a message."""
    return ", ".join(map(str, rows[:at_most])) + (" ..." if len(rows) > at_most else "")


def _problem(row: int | None, column, value, rule: Text | str, severity: str) -> dict[str, Any]:
    """A problem of the bulk write or the duplicate check, shaped like the importers' own:
    the English rule and message, and the rule's code and parameters when it has them."""
    where = f"row {row}" if row is not None else "file"
    column_text = f", column '{column}'" if column else ""
    value_text = f": {value!r}" if value not in (None, "") else ""
    problem = {
        "row": row,
        "column": column,
        "value": value,
        "rule": str(rule),
        "severity": severity,
        "message": f"{where}{column_text}{value_text} {rule}".replace(": ", ": ", 1),
    }
    if isinstance(rule, Text):
        problem.update(rule.as_dict())
    return problem


def _coded(problem: dict[str, Any]) -> dict[str, Any]:
    """What a row's line of the report says: the first error's rule, with its code."""
    return {key: problem[key] for key in ("code", "params") if problem.get(key)} | {
        "message": problem["rule"]
    }


def _outcome(normalised, result: UpsertResult | None) -> ImportOutcome:
    problems = [dict(p, message=p.get("message") or "") for p in normalised.report.as_dicts()]
    rows: list[dict[str, Any]] = []
    counts = {"created": 0, "updated": 0, "unchanged": 0, "rejected": len(normalised.rejected_rows)}
    if result is not None:
        for row, warning in result.warnings:
            problems.append(_problem(row, None, None, warning, "warning"))
        for outcome in result.outcomes:
            counts[outcome.action] += 1
            row = {
                "row": outcome.row,
                "action": outcome.action,
                "facility_id": outcome.facility_id,
                "message": outcome.message,
                "changed_fields": outcome.changed_fields,
            }
            if outcome.action == "rejected":
                problems.append(_problem(outcome.row, None, None, outcome.text, "error"))
                row.update(_coded(problems[-1]))
            rows.append(row)
    first_error: dict[int, dict[str, Any]] = {}
    for problem in problems:
        if problem["severity"] == "error" and problem["row"] is not None:
            first_error.setdefault(problem["row"], problem)
    rows += [
        {"row": r, "action": "rejected", "facility_id": None, "message": None}
        | (_coded(first_error[r]) if r in first_error else {})
        for r in normalised.rejected_rows
    ]
    rows.sort(key=lambda r: r["row"])
    problems.sort(key=lambda p: (p["row"] is not None, p["row"] or 0))
    return ImportOutcome(
        file_name=normalised.file_name,
        file_sha256=normalised.file_sha256,
        format=normalised.format,
        counts=counts,
        problems=problems,
        rows=rows,
    )


def stored_facilities(session: Session, *conditions) -> pd.DataFrame:
    """Active facilities meeting ``conditions``, with what the duplicate checks need."""
    columns = (Facility.id, Facility.type, Facility.name_th, Facility.hcode)
    rows = session.execute(
        select(*columns, func.ST_X(Facility.geom), func.ST_Y(Facility.geom)).where(
            Facility.deleted_at.is_(None), *conditions
        )
    ).all()
    values = {name: [row[k] for row in rows] for k, name in enumerate(CANDIDATE_COLUMNS)}
    return pd.DataFrame(values, dtype=object).astype({"id": np.int64, "lon": float, "lat": float})


def _stored_others(session: Session, result: UpsertResult) -> pd.DataFrame:
    """The active facilities a batch did not create: the ones it changed, and every one it did
    not touch (those keep an older data version). A preview wrote nothing: every one."""
    if result.data_version is None:
        return stored_facilities(session)
    members = MEMBERS[session.get_bind().dialect.name]
    changed = sorted(o.facility_id for o in result.outcomes if o.action == "updated")
    parts = [stored_facilities(session, Facility.data_version != result.data_version)]
    parts += [stored_facilities(session, condition) for condition in members(Facility.id, changed)]
    parts = [part for part in parts if len(part)]
    if not parts:
        return stored_facilities(session, false())
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


Pairs = list[tuple[tuple[int, int], tuple[str, float | None]]]


@dataclass
class DuplicateInputs:
    """What finding a batch's likely duplicates reads from the database, read in one go, so
    that the comparing (pure computation) can run while the database takes the writes."""

    created: pd.DataFrame | None  # None: nothing new, nothing to compare (or read)
    stored: pd.DataFrame | None
    existing: set[tuple[int, int]]


def duplicate_inputs(session: Session, result: UpsertResult) -> DuplicateInputs:
    """The new rows, the stored facilities to compare them with, and the pairs flagged already."""
    created = result.created
    if created is None or not len(created):
        return DuplicateInputs(None, None, set())
    existing = set(
        session.execute(
            select(DuplicateCandidate.facility_id, DuplicateCandidate.other_facility_id)
        ).all()
    )
    return DuplicateInputs(created, _stored_others(session, result), existing)


def duplicate_pairs(
    inputs: DuplicateInputs, *, limits: ImportLimits = WEB_LIMITS, notes: list[Text] | None = None
) -> Pairs:
    """The likely pairs among ``inputs`` (no database work; see find_duplicates)."""
    created, stored = inputs.created, inputs.stored
    if created is None:
        return []
    comparisons = limits.name_comparisons
    flags = similar_among(created, max_comparisons=comparisons, notes=notes)
    flags.update(similar_across(created, stored, max_comparisons=comparisons, notes=notes))
    active = pd.concat([stored, created[list(CANDIDATE_COLUMNS)]], ignore_index=True)
    for pair, flag in same_codes(active, created["id"].to_numpy()).items():
        flags.setdefault(pair, flag)
    chosen = [(pair, flag) for pair, flag in sorted(flags.items()) if pair not in inputs.existing]
    if len(chosen) > limits.duplicate_pairs:
        if notes is not None:
            notes.append(
                say.DUPLICATES_CAPPED(count=f"{len(chosen):,}", limit=f"{limits.duplicate_pairs:,}")
            )
        chosen = chosen[: limits.duplicate_pairs]
    return chosen


def find_duplicates(
    session: Session,
    result: UpsertResult,
    *,
    limits: ImportLimits = WEB_LIMITS,
    notes: list[Text] | None = None,
) -> Pairs:
    """Likely duplicates of the facilities a bulk write created (or, in a preview, would).

    See services.bulk_duplicates for what "likely" means. Pairs already flagged are left out.
    At most ``limits.duplicate_pairs`` pairs are kept (the lowest ids first); ``notes`` says
    when more were found or when names were not compared. Reads only.
    """
    return duplicate_pairs(duplicate_inputs(session, result), limits=limits, notes=notes)


def flag_duplicates(
    session: Session,
    result: UpsertResult,
    *,
    batch_id: int | None = None,
    limits: ImportLimits = WEB_LIMITS,
    notes: list[Text] | None = None,
    write: bool = True,
    found: Pairs | None = None,
) -> list[dict[str, Any]]:
    """Flag likely duplicates of the facilities a bulk write created, for a person; never merge.

    ``found`` are the pairs find_duplicates gave (an import finds them before it takes the
    write lock); without it they are found here. With ``write`` False (a preview) the pairs
    are only returned.
    """
    chosen = (
        find_duplicates(session, result, limits=limits, notes=notes) if found is None else found
    )
    if chosen and write:
        connection = session.connection()
        spatial_dialect(connection.dialect.name).bulk_insert(
            connection,
            DuplicateCandidate.__table__,
            ColumnRows(
                {
                    "facility_id": [a for (a, _), _ in chosen],
                    "other_facility_id": [b for (_, b), _ in chosen],
                    "reason": [reason for _, (reason, _) in chosen],
                    "distance_m": [distance for _, (_, distance) in chosen],
                },
                {"batch_id": batch_id, "status": "open", "created_at": utcnow()},
            ),
            False,
        )
        session.flush()
    return [_pair(a, b, reason) for (a, b), (reason, _) in chosen]


def _with_ids(found: Pairs, result: UpsertResult) -> Pairs:
    """Pairs found on a preview's stand-in ids, named by the ids the writes gave."""
    ids = {PREVIEW_ID_BASE + o.row: o.facility_id for o in result.outcomes if o.action == "created"}
    named = []
    for (a, b), flag in found:
        a, b = ids.get(a, a), ids.get(b, b)
        if a is not None and b is not None and a > 0 and b > 0:
            named.append(((min(a, b), max(a, b)), flag))
    return named


def _pair(a: int, b: int, reason: str) -> dict[str, Any]:
    """A flagged pair; in a preview a new facility has no id yet and is named by its row."""
    pair: dict[str, Any] = {"facility_id": a, "other_facility_id": b, "reason": reason}
    for key, value in (("row", a), ("other_row", b)):
        if value < 0:
            pair[key] = value - PREVIEW_ID_BASE
            pair["facility_id" if key == "row" else "other_facility_id"] = None
    return pair


def _refusal(normalised, outcome: ImportOutcome) -> ImportRejectedError:
    rows = sorted({p["row"] for p in outcome.errors if p["row"] is not None})
    shown = row_list(rows)
    return ImportRejectedError(
        say.REJECTED(
            file=normalised.file_name, errors=len(outcome.errors), count=len(rows), rows=shown
        ),
        outcome,
    )


def _noted(outcome: ImportOutcome, notes: list[Text]) -> None:
    outcome.problems[:0] = [_problem(None, None, None, note, "warning") for note in notes]


def _run(
    session: Session,
    data: bytes,
    file_name: str,
    *,
    actor_name: str,
    commit: bool,
    valid_rows_only: bool,
    facility_type: str | None,
    source: str | None,
    crs: str | None,
    mapping: Any,
    allowed_area_prefixes: tuple[str, ...] | None,
    tolerance_m: float,
    progress: Callable[[str], None] | None,
    limits: ImportLimits,
) -> ImportOutcome:
    """Read, plan without the write lock, refuse or preview; a commit then takes the lock for
    the writes alone (a plan made stale by another write meanwhile is made again under it)."""
    step = progress or (lambda _: None)
    step("reading and validating")
    normalised = read_facilities(
        data,
        file_name=file_name,
        facility_type=facility_type,
        source=source,
        crs=crs,
        mapping=mapping,
        limits=limits,
    )
    step("matching and writing")
    planner = Actor(actor_name, "import", "preview")
    options = {"tolerance_m": tolerance_m, "allowed_area_prefixes": allowed_area_prefixes}
    plan = plan_upsert(session, normalised.frame, planner, **options)
    preview = preview_upsert(session, plan)
    outcome = _outcome(normalised, preview)
    if outcome.errors and not valid_rows_only:
        raise _refusal(normalised, outcome)
    notes: list[Text] = []
    # What the duplicate checks compare is read before the lock. PostGIS takes the writes from
    # a thread (and parses, indexes and logs them on the other core): the names are compared
    # meanwhile, in time the lock is held anyway. SpatiaLite writes in this thread: there they
    # are compared before the lock, so that other writers do not wait for it.
    inputs = duplicate_inputs(session, preview)
    found: Pairs | None = None
    if not commit or session.get_bind().dialect.name != "postgresql":
        step("flagging likely duplicates")
        found = duplicate_pairs(inputs, limits=limits, notes=notes)
    if not commit:
        outcome.duplicates = flag_duplicates(session, preview, write=False, found=found)
        _noted(outcome, notes)
        return outcome
    # Nothing was written: end the reading transaction, so that on SpatiaLite the write
    # begins with the lock instead of failing on a snapshot older than another's commit.
    session.commit()
    with session.begin_nested() as savepoint:
        batch = ImportBatch(
            created_by=actor_name,
            created_at=utcnow(),
            file_name=normalised.file_name[:300],  # the column holds 300
            file_sha256=normalised.file_sha256,
            format=normalised.format,
            source=source or "",
            options=_options(facility_type, source, crs, mapping, valid_rows_only),
            counts={},
            report=[],
            status="committed",
        )
        session.add(batch)
        session.flush()
        actor = Actor(actor_name, "import", batch_ref(batch.id))
        connection = session.connection()
        # The writes reach the database from a thread on PostGIS while the report is made.
        with spatial_dialect(connection.dialect.name).bulk_writes(connection) as writes:
            result = apply_upsert(session, plan, actor, writes=writes)
            outcome = _outcome(normalised, result)
            if found is None:  # PostGIS: the writes are still on their way
                step("flagging likely duplicates")
                found = duplicate_pairs(inputs, limits=limits, notes=notes)
        if outcome.errors and not valid_rows_only:
            savepoint.rollback()
            raise _refusal(normalised, outcome)
        if result.replanned:  # the plan was made again under the lock: so are the pairs
            notes.clear()
            found = None
        else:
            found = _with_ids(found, result)
        outcome.duplicates = flag_duplicates(
            session, result, batch_id=batch.id, limits=limits, notes=notes, found=found
        )
        _noted(outcome, notes)
        batch.counts = outcome.counts
        batch.report = outcome.problems[:MAX_PROBLEMS_KEPT]
        batch.data_version = result.data_version
        outcome.batch_id = batch.id
        session.flush()
    return outcome


def _options(facility_type, source, crs, mapping, valid_rows_only) -> dict[str, Any]:
    return {
        "type": facility_type,
        "source": source,
        "crs": crs,
        "mapping": mapping if isinstance(mapping, dict) else (str(mapping) if mapping else None),
        "valid_rows_only": valid_rows_only,
    }


def preview_import(session: Session, data: bytes, file_name: str, **options) -> ImportOutcome:
    """What an import would create, update, leave unchanged and reject.

    Writes nothing and takes no lock: other writers go on meanwhile. New facilities have no
    id yet; likely duplicates among them name their rows.
    """
    options.setdefault("tolerance_m", COAST_TOLERANCE_M)
    return _run(
        session,
        data,
        file_name,
        commit=False,
        valid_rows_only=True,
        progress=None,
        **_defaults(options),
    )


def commit_import(
    session: Session,
    data: bytes,
    file_name: str,
    *,
    valid_rows_only: bool = False,
    progress: Callable[[str], None] | None = None,
    **options,
) -> ImportOutcome:
    """Import a file as one batch. All or nothing unless ``valid_rows_only``.

    Raises ImportRejectedError (nothing written) when any row has an error and
    ``valid_rows_only`` is False. The rows are checked, placed and matched before the
    registry's write lock is taken; the session's (read-only) transaction is committed then,
    and the writes hold the lock until the caller commits the session.
    """
    return _run(
        session,
        data,
        file_name,
        commit=True,
        valid_rows_only=valid_rows_only,
        progress=progress,
        **_defaults(options),
    )


def _defaults(options: dict[str, Any]) -> dict[str, Any]:
    allowed = {
        "actor_name",
        "facility_type",
        "source",
        "crs",
        "mapping",
        "allowed_area_prefixes",
        "tolerance_m",
        "limits",
    }
    unknown = set(options) - allowed
    if unknown:
        raise TypeError(f"unknown import options: {', '.join(sorted(unknown))}")
    if not options.get("actor_name"):
        raise ValidationError(say.NEEDS_ACTOR())
    return {
        "facility_type": None,
        "source": None,
        "crs": None,
        "mapping": None,
        "allowed_area_prefixes": None,
        "tolerance_m": COAST_TOLERANCE_M,
        "limits": WEB_LIMITS,
        **options,
    }


def undo_import(session: Session, batch_id: int, *, actor_name: str) -> dict[str, int]:
    """Undo a whole batch: its new facilities are deactivated, its changed fields reverted.

    Refused, with nothing written, when a field the batch changed has changed again since.
    """
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFoundError(say.NO_BATCH(batch=batch_id))
    if batch.status != "committed":
        status = say.UNDONE() if batch.status == "undone" else batch.status
        raise ValidationError(say.BATCH_ALREADY(batch=batch_id, status=status))
    ref = batch_ref(batch_id)
    created = created_ids(session, ref)  # in blocks, or change rows of older imports
    changes = session.scalars(
        select(FacilityChange)
        .where(FacilityChange.source_ref == ref, FacilityChange.field != CREATED)
        .order_by(FacilityChange.id.desc())
    ).all()
    actor = Actor(actor_name, "revert", f"undo:{ref}")
    counts = {"deactivated": 0, "reverted": 0}
    moved = {c.facility_id for c in changes if c.field == "location"}
    with session.begin_nested():
        for facility_id in created:
            facility = session.get(Facility, facility_id)
            if facility.deleted_at is None:
                deactivate_facility(
                    session,
                    facility.id,
                    actor,
                    reason=f"import batch {batch_id} undone",
                    expected_version=facility.version,
                )
                counts["deactivated"] += 1
        for change in changes:
            if change.facility_id in moved and change.field in DERIVED_FROM_LOCATION:
                continue  # reverting the location derives these again
            try:
                revert_change(session, change.id, actor)
            except ConflictError as error:
                raise ConflictError(
                    CANNOT_UNDO(batch=batch_id, why=error.text or error.message),
                    facility_id=change.facility_id,
                ) from None
            counts["reverted"] += 1
        batch.status = "undone"
        batch.undone_at = utcnow()
        batch.undone_by = actor_name
    return counts
