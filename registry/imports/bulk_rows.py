"""The two shapes a bulk write takes, as columns: an importer's frame or write-like records.

Each column is a pair of arrays: the values (object, None where a row lacks the key) and
which rows have the key. A row that lacks a key leaves that field alone; a row that has it
with None clears it. In an importer's frame a missing value means the row lacks the field
(lists do not say "clear the phone" by leaving a cell empty); in records a missing key does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

# Columns of an importer's frame that the upsert does not take (raw names, for the report).
_NOT_WRITTEN = ("district_stated", "subdistrict_stated")


@dataclass
class RawColumns:
    """Columns of a batch before the checks, in first-seen order, with a row's own record."""

    values: dict[str, np.ndarray]
    present: dict[str, np.ndarray]
    rows: np.ndarray  # row numbers, for messages
    record: Callable[[int], dict[str, Any]]  # one row as the dict a single write would get

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Remove and return a column; an absent one is all None and nowhere present."""
        n = len(self)
        values = self.values.pop(name, None)
        present = self.present.pop(name, None)
        if values is None:
            return np.full(n, None, dtype=object), np.zeros(n, dtype=bool)
        return values, present


def _plain(value: Any) -> Any:
    """A NumPy or pandas scalar as the Python value a single write would get."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _frame_column(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    present = series.notna().to_numpy(copy=True)
    if series.dtype.kind == "f":
        values = series.to_numpy(dtype=object)
    elif series.dtype == object:
        values = series.to_numpy(dtype=object, copy=True)
        kinds = set(map(type, values[present]))
        if not kinds <= {str, list, bool, int, float}:
            values[:] = [_plain(v) for v in values]
    else:  # Int64, boolean, datetime64: few distinct values, each converted once
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        converted = np.empty(len(uniques) + 1, dtype=object)
        converted[:-1] = [_plain(v) for v in np.asarray(uniques, dtype=object)]
        converted[-1] = None
        values = converted[codes]
    values[~present] = None
    return values, present


def from_frame(frame: pd.DataFrame) -> RawColumns:
    """An importer's frame: its stated province is ``province_code``; raw area names are left
    out; a missing value is a field the row does not have."""
    values: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    for name in frame.columns:
        if name in _NOT_WRITTEN:
            continue
        target = "province_code" if name == "province_code_stated" else name
        values[target], present[target] = _frame_column(frame[name])
    n = len(frame)
    rows = frame["row"].to_numpy() if "row" in frame else np.arange(1, n + 1)
    # The record the importer used to build: keys in the frame's order, the stated province
    # last, missing values left out (but the type kept, to be reported as missing).
    order = [k for k in values if k != "province_code"] + ["province_code"] * (
        "province_code" in values
    )

    # The record reads the columns as they came: the checks take some out of ``values`` later.
    columns, seen = dict(values), dict(present)

    def record(i: int) -> dict[str, Any]:
        built = {k: columns[k][i] for k in order if seen[k][i] or k == "type"}
        built.setdefault("row", int(rows[i]))
        return built

    return RawColumns(values, present, np.asarray(rows, dtype=np.int64), record)


def from_records(records: list[Mapping[str, Any]]) -> RawColumns:
    """Write-like records: NaN is None, a missing key is a field the row does not have, and a
    row without a number is numbered from 1."""
    rows = [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
        for r in records
    ]
    for number, row in enumerate(rows, start=1):
        row.setdefault("row", number)
    names = list(dict.fromkeys(k for row in rows for k in row))
    values: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    for name in names:
        column = np.empty(len(rows), dtype=object)
        column[:] = [row.get(name) for row in rows]
        values[name] = column
        present[name] = np.array([name in row for row in rows], dtype=bool)
    numbers = np.array([row["row"] for row in rows], dtype=np.int64)
    return RawColumns(values, present, numbers, lambda i: dict(rows[i]))
