"""Errors that stop an import before any row is looked at.

Problems with single rows or values never raise: they are collected in an
:class:`~importers.report.ImportReport`. The exceptions here are for the cases where there is
nothing to report on row by row: the file cannot be read at all, or the caller passed an option
(facility type, CRS, column mapping) that makes no sense.
"""

from __future__ import annotations

from importers.file_rules import IN_FILE
from importers.messages import Text
from registry.errors import RegistryError


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
