"""The registry's base error, and the errors that stop an import before any row is looked at.

:class:`RegistryError` is the base of every error the registry answers with a status and a
message for people; it lives here, in the Flask-free layer, so that the importers raise the
registry's errors without importing the registry (``registry.errors`` builds on it).

Problems with single rows or values never raise: they are collected in an
:class:`~importers.report.ImportReport`. The exceptions here are for the cases where there is
nothing to report on row by row: the file cannot be read at all, or the caller passed an option
(facility type, CRS, column mapping) that makes no sense.
"""

from __future__ import annotations

from typing import Any

from importers.file_rules import IN_FILE
from importers.messages import Text


class RegistryError(Exception):
    """Base class: a problem the user can act on, with an HTTP status and a clear message."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str | Text, *, field: str | None = None, **details: Any) -> None:
        # A Text carries its code and parameters so a page can say it in its language; the
        # English sentence stays the message of the API, the CLI and the logs.
        self.text = message if isinstance(message, Text) else None
        message = str(message)
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.text is not None:
            body["message_code"] = self.text.code
            body["message_params"] = self.text.as_dict()["params"]
        if self.field is not None:
            body["field"] = self.field
        body.update(self.details)
        return body


class ImporterError(RegistryError):
    """Base class of the importer's exceptions.

    The message is a coded :class:`~importers.messages.Text` (a page says it in its language);
    a plain string is still taken from callers outside the importers.
    """

    code = "import_failed"

    def __init__(self, message: str | Text, *, file_name: str | None = None) -> None:
        if file_name is None:
            super().__init__(message)
        else:
            super().__init__(message, file=file_name)
        self.file_name = file_name


class ImportFormatError(ImporterError):
    """The file cannot be read: unknown format, damaged or cut off, undecodable, no header.

    The message names the file and says what is wrong with it, for example
    ``"'sites.csv': the text is neither UTF-8 nor TIS-620 (cp874) ..."``: a coded problem
    becomes :data:`~importers.file_rules.IN_FILE` with the file name and the problem as its
    parameters.
    """

    status_code = 422
    code = "import_format"

    def __init__(self, message: str | Text, *, file_name: str | None = None) -> None:
        if file_name is not None and isinstance(message, Text):
            message = IN_FILE(file=file_name, problem=message)
        elif file_name is not None and not message.startswith(f"'{file_name}'"):
            message = f"'{file_name}': {message}"
        super().__init__(message, file_name=file_name)


class ImportOptionError(ImporterError):
    """An argument of the import is not valid (facility type, CRS, column mapping)."""

    code = "import_option"
