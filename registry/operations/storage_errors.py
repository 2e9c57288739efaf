"""The database cannot store anything: disk full or read-only.

A write that fails because the database's disk is full, or because the database (or its
folder, or the server) is read-only, is turned into a ``StorageError`` as it leaves the
driver: the pages and the API answer 503 with a message that says what happened and that
nothing was written (the transaction is rolled back whole; SQLite and PostgreSQL guarantee
that), and the CLI prints it, instead of a 500. Once space is back, or the file writable
again, the next write succeeds: nothing is cached about the failure.
"""

from __future__ import annotations

from sqlalchemy import Engine, event

from registry.errors import RegistryError

# SQLite result codes (the primary code is the low byte of the extended one).
_SQLITE_FULL = 13
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CANTOPEN = 14
# PostgreSQL SQLSTATEs: 53100 disk_full, 25006 read_only_sql_transaction (a standby, or
# default_transaction_read_only set).
_PG_FULL = {"53100"}
_PG_READ_ONLY = {"25006"}


class StorageError(RegistryError):
    """The database cannot store the write; nothing of it was written."""

    status_code = 503


class StorageFullError(StorageError):
    code = "storage_full"


class StorageReadOnlyError(StorageError):
    code = "storage_read_only"


FULL_MESSAGE = (
    "The registry cannot save anything now: the database's disk is full. Nothing of this "
    "change was written; try again once the operators have freed space."
)
READ_ONLY_MESSAGE = (
    "The registry cannot save anything now: its database is read-only. Nothing of this "
    "change was written; reading still works."
)


def classify(error: BaseException) -> type[StorageError] | None:
    """Which storage problem a driver exception is, if it is one."""
    sqlstate = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if sqlstate in _PG_FULL:
        return StorageFullError
    if sqlstate in _PG_READ_ONLY:
        return StorageReadOnlyError
    code = getattr(error, "sqlite_errorcode", None)
    text = str(error).lower()
    if code is not None:
        primary = code & 0xFF
        if primary == _SQLITE_FULL:
            return StorageFullError
        if primary == _SQLITE_READONLY:
            return StorageReadOnlyError
        if primary == _SQLITE_IOERR and "full" in text:
            return StorageFullError
        if primary in (_SQLITE_IOERR, _SQLITE_CANTOPEN) and "read-only" in text:
            return StorageReadOnlyError
    if "database or disk is full" in text or "no space left on device" in text:
        return StorageFullError
    if "readonly database" in text or "read-only file system" in text:
        return StorageReadOnlyError
    return None


def _translate(context) -> None:
    kind = classify(context.original_exception)
    if kind is None:
        return
    message = FULL_MESSAGE if kind is StorageFullError else READ_ONLY_MESSAGE
    raise kind(message) from context.original_exception


def watch(engine: Engine) -> None:
    """Turn the engine's storage failures into StorageError as they happen."""
    event.listen(engine, "handle_error", _translate)
