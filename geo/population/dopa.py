"""DOPA's registered population per province, with its age bands, as a province table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from numbers import Integral

import numpy as np
import pandas as pd

from geo.population.apportion import largest_remainder

#: The age bands of DOPA's public file, as column names: under 20, 20 to 60, over 60.
AGE_GROUPS: tuple[str, ...] = ("under_20", "20_60", "over_60")
# Keys of the bands in th-census-age-group.json, in the order of AGE_GROUPS.
_DOPA_BAND_KEYS = ("<20", "20-60", ">60")


def province_totals_from_dopa(
    census: Iterable[Mapping], age_groups: Iterable[Mapping]
) -> pd.DataFrame:
    """Registered population per province with its age bands, as a province table.

    ``census`` is DOPA's registered population per province (``th-census-data.json``: one
    record per province with ``PROV_CODE`` and ``population``); ``age_groups`` its counts by
    age band (``th-census-age-group.json``: ``PROV_CODE``, ``<20``, ``20-60``, ``>60``). The
    two files come from different extracts, so the bands are taken as shares of the census
    total and apportioned to it by the largest remainder method (ties to the younger band);
    each province's bands then add up exactly to its census total.

    Parameters
    ----------
    census : iterable of mapping
        Records with ``PROV_CODE`` (DOPA province code, e.g. ``"50"`` or ``50``) and
        ``population`` (a non-negative integer).
    age_groups : iterable of mapping
        Records with ``PROV_CODE`` and the band counts ``<20``, ``20-60`` and ``>60``.

    Returns
    -------
    pandas.DataFrame
        One row per province, sorted by code: ``province_code`` (HDX pcode such as
        ``"TH50"``), ``population``, ``under_20``, ``20_60``, ``over_60`` (int64).

    Raises
    ------
    ValueError
        If a code is not a two-digit province code or repeats, a count is not a
        non-negative integer, the two inputs name different provinces, or a province with
        people has no people in any age band.

    Examples
    --------
    >>> census = [{"PROV_CODE": "50", "population": 1000}]
    >>> ages = [{"PROV_CODE": 50, "<20": 201, "20-60": 600, ">60": 200}]
    >>> province_totals_from_dopa(census, ages).to_dict("records")
    [{'province_code': 'TH50', 'population': 1000, 'under_20': 201, '20_60': 599, 'over_60': 200}]
    """
    totals = {}
    for number, record in enumerate(census):
        code = _dopa_province_code(record, "census", number)
        if code in totals:
            raise ValueError(f"census record {number}: province code {code!r} appears twice")
        totals[code] = _count(record, "population", f"census record {number} ({code})")
    bands = {}
    for number, record in enumerate(age_groups):
        code = _dopa_province_code(record, "age_groups", number)
        if code in bands:
            raise ValueError(f"age_groups record {number}: province code {code!r} appears twice")
        where = f"age_groups record {number} ({code})"
        bands[code] = [_count(record, key, where) for key in _DOPA_BAND_KEYS]
    if set(totals) != set(bands):
        only_census = sorted(set(totals) - set(bands))
        only_ages = sorted(set(bands) - set(totals))
        raise ValueError(
            "census and age_groups must name the same provinces; only in census: "
            f"{only_census}, only in age_groups: {only_ages}"
        )

    rows = []
    for code in sorted(totals):
        weights = np.array(bands[code], dtype=np.int64)
        if totals[code] > 0 and weights.sum() == 0:
            raise ValueError(
                f"province {code} has population {totals[code]} but no one in any age band, "
                "so its bands cannot be apportioned"
            )
        shares = largest_remainder(totals[code], weights)
        rows.append((code, totals[code], *shares.tolist()))
    frame = pd.DataFrame(rows, columns=["province_code", "population", *AGE_GROUPS])
    frame[["population", *AGE_GROUPS]] = frame[["population", *AGE_GROUPS]].astype(np.int64)
    return frame


def _dopa_province_code(record: Mapping, source: str, number: int) -> str:
    raw = record.get("PROV_CODE") if isinstance(record, Mapping) else None
    text = str(raw).strip() if isinstance(raw, (str, Integral)) else ""
    if not (text.isdecimal() and len(text) == 2):
        raise ValueError(
            f"{source} record {number}: PROV_CODE {raw!r} is not a two-digit DOPA province code"
        )
    return "TH" + text


def _count(record: Mapping, key: str, where: str) -> int:
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise ValueError(f"{where}: {key!r} = {value!r} is not a non-negative integer count")
    return int(value)
