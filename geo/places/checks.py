"""Input checks of the place index: the areas, the aliases and a resident's query."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from numbers import Integral, Real

import numpy as np

from geo.places.normalise import normalise
from geo.places.parsing import Run, parse

MAX_QUERY_LENGTH = 200
LEVEL_NAMES = {1: "province", 2: "district", 3: "subdistrict"}

# Every part of a query is compared with every ancestor of every match of every other part;
# a resident names a subdistrict, district and province, plus perhaps a street and village.
_MAX_RUNS = 6


def check_query(query) -> list[Run]:
    if not isinstance(query, str):
        raise ValueError(f"query must be text, got {query!r}")
    if len(query) > MAX_QUERY_LENGTH:
        raise ValueError(
            f"query {query[:40]!r}... is {len(query)} characters long; a place name query may "
            f"have at most {MAX_QUERY_LENGTH}"
        )
    if not query.strip():
        raise ValueError(f"query {query!r} is empty; type a province, district or subdistrict")
    runs = parse(query)
    if len(runs) > _MAX_RUNS:
        raise ValueError(
            f"query {query!r} has {len(runs)} parts separated by commas or administrative "
            f"words; a place search reads at most {_MAX_RUNS} (subdistrict, district, province)"
        )
    if runs:
        return runs
    # Only administrative words, e.g. "เขต": the resident may be typing a name that starts
    # with one, so search for the words themselves.
    whole = normalise(query)
    if not whole:
        raise ValueError(f"query {query!r} has no letters or digits to search for")
    return [Run((whole,))]


def check_areas(codes, levels, names_th, names_en, lons, lats):
    columns = {
        "codes": list(codes),
        "levels": list(levels),
        "names_th": list(names_th),
        "names_en": list(names_en),
        "lons": list(lons),
        "lats": list(lats),
    }
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(
            f"codes, levels, names and points must have the same length, got {lengths}"
        )
    if not lengths["codes"]:
        raise ValueError("a PlaceIndex needs at least one area, got none")
    seen = set()
    for i, code in enumerate(columns["codes"]):
        if not isinstance(code, str) or not code:
            raise ValueError(f"codes[{i}] = {code!r} is not a non-empty text code")
        if code in seen:
            raise ValueError(f"codes must be unique; {code!r} appears more than once")
        seen.add(code)
    for i, level in enumerate(columns["levels"]):
        if isinstance(level, bool) or not isinstance(level, Integral) or level not in LEVEL_NAMES:
            raise ValueError(
                f"levels[{i}] = {level!r} (area {columns['codes'][i]!r}) is not 1 (province), "
                "2 (district) or 3 (subdistrict)"
            )
    for name in ("names_th", "names_en"):
        for i, value in enumerate(columns[name]):
            if not isinstance(value, str):
                raise ValueError(
                    f"{name}[{i}] = {value!r} (area {columns['codes'][i]!r}) is not text"
                )
    for i, (th, en) in enumerate(zip(columns["names_th"], columns["names_en"], strict=True)):
        if not th.strip() and not en.strip():
            raise ValueError(
                f"area {columns['codes'][i]!r} has neither a Thai nor an English name "
                f"({th!r}, {en!r})"
            )
    points = {}
    for name, limit, word in (("lons", 180.0, "longitude"), ("lats", 90.0, "latitude")):
        values = np.asarray(columns[name])
        if values.dtype.kind not in "iuf":  # strings, booleans, None and mixtures land here
            bad = next(
                i
                for i, value in enumerate(columns[name])
                if isinstance(value, bool) or not isinstance(value, Real)
            )
            raise ValueError(
                f"{name}[{bad}] = {columns[name][bad]!r} (area {columns['codes'][bad]!r}) is "
                f"not a number; expected a {word} in degrees"
            )
        values = values.astype(np.float64)
        # Written as "not inside" so that NaN fails too.
        outside = np.flatnonzero(~((values >= -limit) & (values <= limit)))
        if outside.size:
            bad = int(outside[0])
            raise ValueError(
                f"{name}[{bad}] = {columns[name][bad]!r} (area {columns['codes'][bad]!r}) is "
                f"not a {word} between {-limit:g} and {limit:g}"
            )
        points[name] = tuple(values.tolist())
    return (
        tuple(columns["codes"]),
        tuple(int(level) for level in columns["levels"]),
        tuple(columns["names_th"]),
        tuple(columns["names_en"]),
        points["lons"],
        points["lats"],
    )


def check_aliases(aliases, position: Mapping[str, int]) -> dict[int, list[str]]:
    if aliases is None:
        return {}
    if not isinstance(aliases, Mapping):
        raise ValueError(f"aliases must map area codes to lists of names, got {aliases!r}")
    checked: dict[int, list[str]] = {}
    for code, names in aliases.items():
        if code not in position:
            raise ValueError(f"aliases name area code {code!r}, which is not among the areas")
        if isinstance(names, str) or not isinstance(names, Iterable):
            raise ValueError(
                f"aliases[{code!r}] must be a list of names, got {names!r}; wrap a single name "
                "in a list"
            )
        names = list(names)
        for name in names:
            if not isinstance(name, str):
                raise ValueError(f"aliases[{code!r}] holds {name!r}, which is not text")
        checked.setdefault(position[code], []).extend(names)
    return checked
