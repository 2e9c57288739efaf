"""Checking a batch of facility rows column by column, with the rules of a single write.

A row whose values are all plainly valid (text within its column's length, a known choice, a
whole number of 0 or more, true or false, a date-time with a time zone, a longitude and a
latitude in range, fields its type carries) is cleaned here a column at a time. Any other row
goes through the services' own row checks (``facilities.clean_values``), so a refused row
carries exactly the message a single write would give, and an unusual but valid one gets
exactly the same values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from importers.messages import Text
from importers.vocabulary import COMMON_FIELDS, FACILITY_TYPES, TYPE_FIELDS, FieldSpec
from registry.errors import RegistryError, ValidationError
from registry.facilities import messages as say
from registry.facilities.service import (
    AREA_FIELDS,
    NOT_FIELDS,
    clean_location,
    clean_value,
    text_limit,
)
from registry.facilities.service import clean_values as _clean_values
from registry.imports.bulk_rows import from_frame, from_records

_SPECS: dict[str, FieldSpec] = {s.name: s for s in COMMON_FIELDS}
for _type_specs in TYPE_FIELDS.values():
    for _spec in _type_specs:
        _SPECS.setdefault(_spec.name, _spec)
_COMMON = frozenset(s.name for s in COMMON_FIELDS)
_CARRIERS = {
    name: [t for t, specs in TYPE_FIELDS.items() if any(s.name == name for s in specs)]
    for name in _SPECS
    if name not in _COMMON
}


@dataclass
class CleanBatch:
    """A batch after the row checks, one array per column, in the batch's row order.

    ``fields`` holds the cleaned registry fields, in the order first seen, and ``present``
    where each row has the field (a present None clears it). ``source`` is the row's source or
    the writer's, ``source_id`` its id as text. ``rejected`` maps a position to the message of
    the check it failed (a coded Text); those rows' other values mean nothing.
    """

    rows: np.ndarray
    types: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    source: np.ndarray
    source_id: np.ndarray
    stated: dict[str, np.ndarray]
    fields: dict[str, np.ndarray]
    present: dict[str, np.ndarray]
    rejected: dict[int, Text | str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)


def clean_batch(records: pd.DataFrame | Iterable[Mapping[str, Any]], source: str) -> CleanBatch:
    """Check and clean many facility rows: an importer's frame or write-like records.

    ``source`` is the source of rows that name none.
    """
    raw = from_frame(records) if isinstance(records, pd.DataFrame) else from_records(list(records))
    n = len(raw)
    types, _ = raw.take("type")
    lon, lon_present = raw.take("lon")
    lat, lat_present = raw.take("lat")
    raw.take("row")
    stated = {name: _truthy(raw.take(name)[0]) for name in AREA_FIELDS}
    given = raw.values.get("source", np.full(n, None, dtype=object))
    sources = np.array([s if s else source for s in given], dtype=object)
    # In the row's own place among its fields (the order changes are listed in).
    raw.values["source"], raw.present["source"] = sources, np.ones(n, dtype=bool)
    ids = raw.values.get("source_id", np.full(n, None, dtype=object))
    batch = CleanBatch(
        rows=raw.rows,
        types=types,
        lon=np.full(n, np.nan),
        lat=np.full(n, np.nan),
        source=sources,
        source_id=np.array([str(v) if v else None for v in ids], dtype=object),
        stated=stated,
        fields={},
        present={},
    )
    fast = pd.Series(types, dtype=object).isin(FACILITY_TYPES).to_numpy(copy=True)
    fast &= _coordinate(lon, lon_present, 180.0, batch.lon)
    fast &= _coordinate(lat, lat_present, 90.0, batch.lat)
    for name, values in raw.values.items():
        if name in NOT_FIELDS:
            continue
        present = raw.present[name]
        cleaned, ok = _clean_column(name, values, present, types)
        batch.fields[name], batch.present[name] = cleaned, present
        fast &= ok
    names = batch.fields.get("name_th")
    fast &= names is not None and np.array([bool(v) for v in names], dtype=bool)
    for i in np.flatnonzero(~fast).tolist():
        _clean_row(batch, i, raw.record(i))
    return batch


def _truthy(values: np.ndarray) -> np.ndarray:
    return np.array([v if v else None for v in values], dtype=object)


def _coordinate(values, present, bound: float, target: np.ndarray) -> np.ndarray:
    """Rows whose coordinate is a plain finite number within +-bound; fills ``target``."""
    plain = np.array([v.__class__ is float or v.__class__ is int for v in values], dtype=bool)
    plain &= present
    target[plain] = values[plain].astype(float)
    with np.errstate(invalid="ignore"):
        return plain & np.isfinite(target) & (np.abs(target) <= bound)


def _clean_column(name: str, values: np.ndarray, present: np.ndarray, types: np.ndarray):
    """Cleaned values of one field and the rows that passed without doubt."""
    spec = _SPECS.get(name)
    cleaned = np.full(len(values), None, dtype=object)
    if spec is None:
        return cleaned, ~present  # not a field: the row checks name the problem
    rows = np.flatnonzero(present)
    subset = values[rows]
    nones = np.array([v is None for v in subset], dtype=bool)
    done, ok = _CLEANERS[spec.kind](spec, subset[~nones])
    cleaned[rows[~nones]] = done
    good = ~present
    good[rows[nones]] = True
    good[rows[~nones]] = ok
    if name not in _COMMON:
        good &= ~present | pd.Series(types, dtype=object).isin(_CARRIERS[name]).to_numpy()
    return cleaned, good


def _text(spec: FieldSpec, values: np.ndarray):
    ok = np.array([v.__class__ is str for v in values], dtype=bool)
    text = np.full(len(values), None, dtype=object)
    text[ok] = list(map(str.strip, values[ok]))
    lengths = np.array([len(v) if v is not None else 0 for v in text], dtype=np.int64)
    ok &= lengths <= text_limit(spec.name)
    if spec.kind == "choice":
        ok &= (lengths == 0) | pd.Series(text, dtype=object).isin(spec.choices).to_numpy()
    text[lengths == 0] = None  # blank is empty
    return text, ok


def _whole_number(_spec: FieldSpec, values: np.ndarray):
    ok = np.array([v.__class__ is int and v >= 0 for v in values], dtype=bool)
    return values, ok


def _true_false(_spec: FieldSpec, values: np.ndarray):
    return values, np.array([v.__class__ is bool for v in values], dtype=bool)


def _moment(_spec: FieldSpec, values: np.ndarray):
    ok = np.array([isinstance(v, datetime) and v.tzinfo is not None for v in values], bool)
    return values, ok


def _listed(spec: FieldSpec, values: np.ndarray):
    cleaned = np.full(len(values), None, dtype=object)
    ok = np.ones(len(values), dtype=bool)
    for k, value in enumerate(values):
        try:
            cleaned[k] = clean_value(spec, value)
        except ValidationError:
            ok[k] = False
    return cleaned, ok


_CLEANERS = {
    "text": _text,
    "choice": _text,
    "int": _whole_number,
    "bool": _true_false,
    "datetime": _moment,
    "list": _listed,
}


def _clean_row(batch: CleanBatch, i: int, row: dict[str, Any]) -> None:
    """One row through the services' checks (a row the column checks were unsure of)."""
    row["source"] = batch.source[i]
    try:
        location = clean_location(row)
        if location is None:
            raise RegistryError(say.NEEDS_LOCATION())
        if not row.get("type"):
            raise RegistryError(say.NEEDS_TYPE())
        if row["type"] not in FACILITY_TYPES:
            choices = list(FACILITY_TYPES)
            raise RegistryError(
                say.NOT_ONE_OF(field="type", value=repr(row["type"]), choices=choices)
            )
        values = _clean_values(row["type"], row)
        if not values.get("name_th"):
            raise RegistryError(say.NEEDS_NAME())
    except RegistryError as exc:
        batch.rejected[i] = exc.text or exc.message
        return
    batch.lon[i], batch.lat[i] = location
    for name in batch.fields:
        batch.present[name][i] = name in values
        batch.fields[name][i] = values.get(name)


@dataclass
class Values:
    """What each row would write: one column per field in the order of a single write, where
    each row has the field, plus the location rounded as it is stored and compared."""

    columns: dict[str, np.ndarray]
    present: dict[str, np.ndarray]
    lon: np.ndarray
    lat: np.ndarray

    @classmethod
    def of_batch(cls, batch: CleanBatch) -> Values:
        # Python's round, as a single write rounds: NumPy's may differ in the last bit.
        return cls(
            dict(batch.fields),
            dict(batch.present),
            np.array([round(v, 7) for v in batch.lon.tolist()], dtype=float),
            np.array([round(v, 7) for v in batch.lat.tolist()], dtype=float),
        )

    def put(self, name: str, column: np.ndarray, present: np.ndarray | None = None) -> None:
        self.columns[name] = column
        self.present[name] = np.ones(len(column), dtype=bool) if present is None else present

    def get(self, name: str) -> np.ndarray:
        """The column with None where a row does not have the field."""
        if name not in self.columns:
            return np.full(len(self.lon), None, dtype=object)
        return np.where(self.present[name], self.columns[name], None)

    def set_default(self, name: str, value: Any, rows: np.ndarray) -> None:
        """Give ``value`` to the chosen rows that have no value for the field."""
        n = len(self.lon)
        if name not in self.columns:
            self.put(name, np.full(n, None, dtype=object), np.zeros(n, dtype=bool))
        column, present = self.columns[name], self.present[name]
        empty = rows & (~present | np.array([v is None for v in column], dtype=bool))
        column[empty] = value
        present[empty] = True

    def of(self, i: int) -> dict[str, Any]:
        """One row's values as a dict, location last, as a single write builds them."""
        values = {n: c[i] for n, c in self.columns.items() if self.present[n][i]}
        values["location"] = [float(self.lon[i]), float(self.lat[i])]
        return values
