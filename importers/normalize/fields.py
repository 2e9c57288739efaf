"""The steps that read what a row says about the facility: its name, its type, the stated
province, district and subdistrict, and every other registry field (status, counts, yes/no,
lists, dates, choices)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from importers import rules, values
from importers.messages import RuleError, Text
from importers.normalize.state import Normaliser, clean_text
from importers.provinces import match_province, province_in_address
from importers.report import WARNING, Problem, quote
from importers.vocabulary import COMMON_FIELDS, FACILITY_TYPES, TYPE_FIELDS, FieldSpec

SPECS: dict[str, FieldSpec] = {s.name: s for s in COMMON_FIELDS}
for _specs in TYPE_FIELDS.values():
    for _spec in _specs:
        SPECS.setdefault(_spec.name, _spec)
TYPE_SPECIFIC = {s.name for specs in TYPE_FIELDS.values() for s in specs}
_CARRIED_BY = {
    name: {t for t, specs in TYPE_FIELDS.items() if name in {s.name for s in specs}}
    for name in TYPE_SPECIFIC
}
# Read by their own steps (names, codes), not by read_other_fields.
_HANDLED = {"name_th", "name_en", "phone", "hcode", "source_id", "source"}


def read_names(table: Normaliser) -> None:
    """``name_th`` (borrowed from ``name_en`` with a warning when only that is given)."""
    name_th = clean_text(table.cells("name_th"))
    name_en = clean_text(table.cells("name_en"))
    if name_th is None and name_en is None:
        columns = ", ".join(map(quote, table.raw.columns))
        table.reject_all(None, rules.NO_NAME_COLUMN(columns=columns))
        name_th = table.none_column()
    else:
        if name_th is None:
            name_th = table.none_column()
        th_missing = pd.isna(name_th)
        if name_en is not None:
            en_present = pd.notna(name_en)
            borrow = th_missing & en_present
            for i in np.flatnonzero(borrow):
                table.at(
                    i,
                    table.plan.column("name_en"),
                    name_en[i],
                    rules.NAME_BORROWED(),
                    WARNING,
                )
            name_th = np.where(borrow, name_en, name_th)
            th_missing = pd.isna(name_th)
            table.out["name_en"] = name_en
        column = table.plan.column("name_th") or table.plan.column("name_en")
        for i in np.flatnonzero(th_missing):
            table.at(i, column, None, rules.NAME_EMPTY())
    table.out["name_th"] = name_th


def read_types(table: Normaliser) -> None:
    """``type`` from the type column, else the import's ``facility_type``."""
    types = table.parse_column("type", values.parse_facility_type)
    if types is None:
        if table.default_type is None:
            table.reject_all(None, rules.NO_TYPE_COLUMN(types=", ".join(FACILITY_TYPES)))
            types = table.none_column()
        else:
            types = np.full(table.n, table.default_type, dtype=object)
    else:
        empty = pd.isna(table.cells("type"))
        if table.default_type is not None:
            types[empty] = table.default_type
        else:
            column = table.plan.column("type")
            for i in np.flatnonzero(empty):
                table.at(i, column, None, rules.TYPE_EMPTY())
    table.out["type"] = types


def read_province(table: Normaliser) -> None:
    """The stated province (a code, or None) and the stated district and subdistrict names."""
    cells = table.cells("province")
    codes = table.none_column()
    if cells is not None:
        column = table.plan.column("province")
        present = pd.notna(cells)
        matches = {value: match_province(value) for value in pd.unique(cells[present])}
        codes[present] = [m.code if (m := matches[v]) is not None else None for v in cells[present]]
        doubtful = {v for v, m in matches.items() if m is None or not m.exact}
        if doubtful:
            rows = np.flatnonzero(present)
            rows = rows[pd.Series(cells[rows], dtype=object).isin(doubtful).to_numpy()]
            for i in rows:
                match = matches[cells[i]]
                if match is None:
                    rule = rules.NOT_A_PROVINCE()
                else:
                    rule = rules.PROVINCE_CLOSEST(
                        name_th=match.province.name_th,
                        name_en=match.province.name_en,
                        code=match.code,
                    )
                table.at(i, column, cells[i], rule, WARNING)
    address = table.cells("address") if cells is None else None
    if address is not None:
        # No province column: Thai addresses name the province before the postcode.
        found = {value: province_in_address(value) for value in pd.unique(address)}
        codes = np.array(
            [m.code if (m := found.get(v)) is not None else None for v in address],
            dtype=object,
        )
    table.out["province_code_stated"] = codes
    for target in ("district", "subdistrict"):
        cleaned = clean_text(table.cells(target))
        table.out[f"{target}_stated"] = cleaned if cleaned is not None else table.none_column()


def read_other_fields(table: Normaliser) -> None:
    """Every other registry field the file has, parsed by its kind."""
    types = table.out["type"]
    for target in table.plan.fields:
        spec = SPECS.get(target)
        if spec is None or target in _HANDLED:
            continue
        cells = table.cells(target)
        if target in TYPE_SPECIFIC:
            cells = _drop_not_carried(table, target, cells, types)
        parser = _parser_for(spec)
        if parser is None:
            table.out[target] = clean_text(cells)
            continue
        column = table.plan.column(target)
        parsed = table.parse_cells(cells, column, parser)
        if spec.kind == "list":
            for i in np.flatnonzero(pd.notna(cells)):
                items, unknown = parsed[i]
                parsed[i] = items
                for piece in unknown:
                    table.at(i, column, piece, values.list_rule(target), WARNING)
        table.out[target] = parsed


def _drop_not_carried(
    table: Normaliser, target: str, cells: np.ndarray, types: np.ndarray
) -> np.ndarray:
    carried = pd.Series(types, dtype=object).isin(list(_CARRIED_BY[target])).to_numpy()
    stray = pd.notna(cells) & ~carried & pd.notna(types)
    if stray.any():
        rows = table.rows[stray]
        listed = ", ".join(map(str, rows[:10].tolist())) + (" ..." if len(rows) > 10 else "")
        kinds = ", ".join(sorted(set(types[stray])))
        table.add(
            Problem(
                None,
                table.plan.column(target),
                None,
                rules.NOT_CARRIED(amount=_rows(len(rows)), types=kinds, field=target, rows=listed),
                WARNING,
            )
        )
    return np.where(carried, cells, None)


def _rows(count: int) -> Text:
    return rules.ONE_ROW(count=count) if count == 1 else rules.ROWS(count=count)


def _parser_for(spec: FieldSpec) -> Callable[[str], object] | None:
    if spec.name == "status":
        return values.parse_status
    if spec.kind == "int":
        return values.parse_int
    if spec.kind == "bool":
        return lambda text: values.parse_bool(text, spec.name)
    if spec.kind == "list":
        return lambda text: values.parse_list(text, spec.name)
    if spec.kind == "datetime":
        return values.parse_datetime
    if spec.kind == "choice":
        return _choice_parser(spec)
    return None


def _choice_parser(spec: FieldSpec) -> Callable[[str], str]:
    index = {values.word_key(c): c for c in spec.choices}

    def parse(text: str) -> str:
        found = index.get(values.word_key(text))
        if found is None:
            raise RuleError(rules.NOT_A_CHOICE(choices=", ".join(spec.choices)))
        return found

    return parse
