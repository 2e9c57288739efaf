"""File in, one validated and normalised frame plus a problem report out. No database.

:func:`read_facilities` is the importer's single entry point. It reads any supported format,
maps columns to registry fields, parses every value the way Thai lists write it, places every
point in WGS 84 inside Thailand, and reports each problem with its row, column, value and rule.
Rows with an error are left out of the frame and listed in ``rejected_rows``; warnings never
reject a row. The upsert takes the frame as its input and writes nothing when the report has
errors (see :attr:`NormalisedImport.ok`).

Decisions
---------
- Rows are numbered as the person sees them in their file (see
  :class:`~importers.formats.base.RawTable`).
- A name is required. A row with only an English name gets it as its Thai name, with a
  warning (the registry needs ``name_th``).
- Type comes from the type column, else ``facility_type=``; an unknown word is an error.
- ``-``, ``N/A``, ``ไม่ระบุ`` and blank cells are empty.
- hcode: 5 letters or digits, or the 9-character MOPH code (kept as given, upper case),
  leading zeros kept; ``10697.0`` is ``10697``; numeric codes of
  1-4 digits get their leading zeros back with a warning (``4007`` -> ``04007``, as in the
  MOPH list); anything else is dropped with a warning (the facility itself is still valid).
- ``source_id`` comes from an id column, else from the hcode. A repeated hcode, or a repeated
  id from an id column, is an error on each later row, naming the first row.
- An unknown or unreadable stated province is a warning (the area is derived from the point
  later and checked against what was stated); a close misspelling is accepted with a warning.
- Phones that are not Thai numbers and unknown list items (a vaccine brand the registry does
  not know) are dropped with a warning; unreadable numbers, yes/no values, dates, types and
  statuses are errors.
- A value in a type-specific column for a row whose type does not carry that field (beds on
  a test point) is ignored with one warning per column.
- ``source`` comes from a source column, else ``source=``, else the file name.

Work is column-wise: whole columns are stripped, converted and compared with pandas/NumPy,
and the per-value parsers run once per distinct value, so messy cells cost time and clean
ones do not.
"""

from importers.normalize.read import STEPS, file_sha256, read_facilities
from importers.normalize.result import BASE_COLUMNS, NormalisedImport

__all__ = ["BASE_COLUMNS", "STEPS", "NormalisedImport", "file_sha256", "read_facilities"]
