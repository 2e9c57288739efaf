"""Importers: a facility list file in, one validated normalised frame and a problem report out.

>>> from importers import read_facilities  # doctest: +SKIP
>>> result = read_facilities("sites.xlsx", facility_type="vaccination_site")  # doctest: +SKIP
>>> result.ok, len(result.frame), result.report.summary()  # doctest: +SKIP
"""

from importers.errors import ImporterError, ImportFormatError, ImportOptionError
from importers.normalize import NormalisedImport, read_facilities
from importers.report import ImportReport, Problem

__all__ = [
    "ImportFormatError",
    "ImportOptionError",
    "ImportReport",
    "ImporterError",
    "NormalisedImport",
    "Problem",
    "read_facilities",
]
