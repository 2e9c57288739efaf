"""What an import gives back: the frame of valid rows, typed, and the report beside it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from importers import coords
from importers.normalize.fields import SPECS, TYPE_SPECIFIC
from importers.normalize.state import Normaliser
from importers.report import ImportReport
from importers.vocabulary import COMMON_FIELDS

BASE_COLUMNS: tuple[str, ...] = (
    "row",
    "type",
    "lon",
    "lat",
    "province_code_stated",
    "district_stated",
    "subdistrict_stated",
)
_ALWAYS = ("name_th", "source", "source_id")


@dataclass
class NormalisedImport:
    """What :func:`read_facilities` returns.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per valid input row: ``row`` (source row number), ``type``, ``lon``, ``lat``
        (WGS 84), ``province_code_stated`` (``TH50`` or None), ``district_stated``,
        ``subdistrict_stated`` (raw names), ``name_th``, ``source``, ``source_id``, and every
        other registry field the file had (``importers.vocabulary`` names). Text and list
        columns are object dtype with None for missing values; counts are ``Int64``, yes/no
        ``boolean``, datetimes ``datetime64[UTC]``.
    report : ImportReport
        Errors and warnings, rejected rows' and valid rows' alike.
    rejected_rows : list of int
        Row numbers with at least one error.
    file_sha256, file_name, format : str
        Identity of the file and the reader used.
    crs : str
        The CRS the coordinates were read in (declared, guessed, or EPSG:4326).
    layer : str or None
        The sheet or layer read.
    columns : dict
        Target -> source column, as mapped.
    """

    frame: pd.DataFrame
    report: ImportReport
    rejected_rows: list[int]
    file_sha256: str
    file_name: str
    format: str
    crs: str = coords.WGS84
    layer: str | None = None
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong enough to stop the upsert (no error at all)."""
        return not self.report.has_errors

    @property
    def rows_read(self) -> int:
        return self.report.rows_read


def normalised_import(table: Normaliser) -> NormalisedImport:
    """The rows without errors as a typed frame, with the table's report and identity."""
    keep = ~table.bad
    data: dict[str, object] = {"row": table.rows[keep]}
    order = list(BASE_COLUMNS[1:]) + list(_ALWAYS)
    order += [s.name for s in COMMON_FIELDS if s.name in table.out and s.name not in order]
    order += [n for n in SPECS if n in TYPE_SPECIFIC and n in table.out]
    for name in order:
        data[name] = _typed(name, np.asarray(table.out[name], dtype=object)[keep])
    frame = pd.DataFrame(data)
    frame.index = pd.RangeIndex(len(frame))
    rejected = sorted(set(table.rows[table.bad].tolist()))
    return NormalisedImport(
        frame=frame,
        report=table.report,
        rejected_rows=rejected,
        file_sha256="",
        file_name=table.file_name,
        format=table.raw.format,
        crs=table.crs,
        layer=table.raw.layer,
        columns=dict(table.plan.fields),
    )


def _typed(name: str, column: np.ndarray) -> pd.Series | np.ndarray:
    if name in ("lon", "lat"):
        return column.astype(float)
    spec = SPECS.get(name)
    kind = spec.kind if spec else "text"
    if kind == "int":
        return pd.array(column, dtype="Int64")
    if kind == "bool":
        return pd.array(column, dtype="boolean")
    if kind == "datetime":
        return pd.to_datetime(pd.Series(column, dtype=object), utc=True)
    # object, not pandas' str dtype, so a missing value stays None rather than NaN.
    return pd.Series(column, dtype=object)
