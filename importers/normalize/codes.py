"""The step that reads what identifies a row and how to reach the site: the MOPH hcode, the
source's own id (each once per file), the source, and the phone numbers."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from importers import rules, values
from importers.messages import Rule
from importers.normalize.state import Normaliser, clean_text
from importers.report import WARNING

_PLAIN_PHONE = re.compile(r"0[689][0-9]{8}|0[2-7][0-9]{7}")
# "081-234-5678", "02 123 4567": values.parse_phones's own fast case, taken a column at a time.
_SPACED_PHONE = re.compile(r"0[0-9]{1,2}[- ]?[0-9]{3}[- ]?[0-9]{3,4}")


def read_codes(table: Normaliser) -> None:
    """``hcode``, ``source_id`` (an id column, else the hcode), ``source`` and ``phone``."""
    hcodes = _hcodes(table)
    id_column = table.plan.column("source_id")
    ids = clean_text(table.cells("source_id"))
    if ids is not None:
        ids = pd.Series(ids, dtype=object).str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
        ids = ids.astype(object).where(ids.notna(), None).to_numpy(dtype=object)
        _duplicates(table, ids, table.cells("source_id"), id_column, rules.REPEATED_ID)
    if hcodes is not None:
        ids = hcodes.copy() if ids is None else np.where(pd.notna(ids), ids, hcodes)
    table.out["source_id"] = ids if ids is not None else table.none_column()

    sources = clean_text(table.cells("source"))
    # A source named after the file: at most the 100 characters a source may hold.
    fallback = table.source or table.file_name[:100]
    if sources is None:
        sources = np.full(table.n, fallback, dtype=object)
    else:
        sources = np.where(pd.notna(sources), sources, fallback)
    table.out["source"] = sources
    _phones(table)


def _hcodes(table: Normaliser) -> np.ndarray | None:
    cells = table.cells("hcode")
    if cells is None:
        return None
    hcode_column = table.plan.column("hcode")
    hcodes = table.none_column()
    fast = pd.Series(cells, dtype=object).str.fullmatch(values.HCODE_PATTERN, na=False)
    fast = fast.to_numpy(dtype=bool) & (cells != "00000") & (cells != "000000000")
    hcodes[fast] = cells[fast]
    slow = pd.notna(cells) & ~fast
    if slow.any():
        parsed = table.parse_cells(
            np.where(slow, cells, None), hcode_column, values.parse_hcode, severity=WARNING
        )
        for i in np.flatnonzero(slow):
            if parsed[i] is None:
                continue
            code, note = parsed[i]
            hcodes[i] = code
            if note:
                table.at(i, hcode_column, cells[i], note, WARNING)
    table.out["hcode"] = hcodes
    _duplicates(table, hcodes, cells, hcode_column, rules.REPEATED_HCODE)
    return hcodes


def _phones(table: Normaliser) -> None:
    phones = table.cells("phone")
    if phones is None:
        return
    column = table.plan.column("phone")
    # Most cells are one well-formed number: take those without the full parser.
    result = np.array([_plain_phone(v) for v in phones], dtype=object)
    rest = np.where(pd.notna(result), None, phones)
    parsed = table.parse_cells(rest, column, values.parse_phones)
    for i in np.flatnonzero(pd.notna(rest)):
        number, invalid = parsed[i]
        result[i] = number
        for piece in invalid:
            table.at(i, column, piece, values.PHONE_RULE, WARNING)
    table.out["phone"] = result


def _duplicates(
    table: Normaliser, codes: np.ndarray, cells: np.ndarray, column: str, rule: Rule
) -> None:
    series = pd.Series(codes, dtype=object)
    present = series.notna()
    repeated = series.duplicated(keep="first") & present
    if not repeated.any():
        return
    firsts = series[present & ~repeated]
    first_row = dict(zip(firsts.to_numpy(), table.rows[firsts.index.to_numpy()], strict=True))
    for i in np.flatnonzero(repeated.to_numpy()):
        table.at(i, column, cells[i], rule(row=int(first_row[codes[i]])))


def _plain_phone(text: str | None) -> str | None:
    """One Thai number written plainly (digits, with or without dashes or spaces), else None."""
    if text is None:
        return None
    if _PLAIN_PHONE.fullmatch(text):
        return text
    if _SPACED_PHONE.fullmatch(text):
        digits = text.replace("-", "").replace(" ", "")
        if _PLAIN_PHONE.fullmatch(digits):
            return digits
    return None
