"""A stated province name, as people write it, matched to its code (``TH`` + DOPA code).

The aliases are real ones seen in Thai government documents: English and Thai names, spelling
variants, two-letter abbreviations (``ชม``), PDF-extraction damage (``เชยีงใหม่``) and common
misspellings. They come from ``data/province_mapping.csv``, a copy of djay/covidthailand's
``province_mapping.csv`` (commit 4f9c825403ca2307bde1699ff536ef4301dde3da, CC BY 4.0). Its
ISO 3166-2 codes (``TH-50``) are the DOPA codes with a dash, so ``TH-50`` becomes ``TH50``.

Matching ignores case, spaces, dots and prefixes such as ``จ.``, ``จังหวัด``, ``Changwat`` and
``Province``. A DOPA code (``50``, ``50.0``, ``TH50``, ``TH-50``) is accepted too. Failing an
exact match, a close spelling (difflib ratio of at least :data:`FUZZY_CUTOFF`, clearly better
than any other province) is accepted and flagged so the caller can warn.
"""

from __future__ import annotations

import ast
import csv
import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from importers.values import word_key

_HERE = Path(__file__).resolve().parent
# In a checkout the file is in the top-level data/; an installed wheel carries a copy in
# importers/data/ (pyproject.toml's force-include), as importers never reach into registry.
_PACKAGED = _HERE / "data" / "province_mapping.csv"
MAPPING_FILE = _PACKAGED if _PACKAGED.is_file() else _HERE.parent / "data" / "province_mapping.csv"
FUZZY_CUTOFF = 0.8
# A fuzzy match must beat the best match of any other province by this much.
_FUZZY_MARGIN = 0.05

_PREFIXES = re.compile(
    r"^(จังหวัด|จว\.?|จ\.|changwat|province of|province)\s*|\s*(province|จังหวัด)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Province:
    """A province: code ``TH`` + DOPA code, English and Thai names."""

    code: str
    name_en: str
    name_th: str


@dataclass(frozen=True)
class ProvinceMatch:
    """The result of :func:`match_province`.

    Attributes
    ----------
    province : Province
    exact : bool
        False when the name was accepted as a close misspelling.
    alias : str
        The known spelling that matched.
    score : float
        difflib ratio for fuzzy matches, 1.0 for exact ones.
    """

    province: Province
    exact: bool
    alias: str
    score: float = 1.0

    @property
    def code(self) -> str:
        return self.province.code


def _key(name: str) -> str:
    name = _PREFIXES.sub("", str(name).strip())
    return word_key(name)


@dataclass(frozen=True)
class _Index:
    provinces: dict[str, Province]
    aliases: dict[str, tuple[str, str]]  # key -> (code, spelling)


@lru_cache(maxsize=4)
def _load(path: Path = MAPPING_FILE) -> _Index:
    provinces: dict[str, Province] = {}
    candidates: dict[str, set[str]] = {}
    spellings: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            iso = (row.get("ISO[7]") or "").strip()
            if not re.fullmatch(r"TH-\d{2}", iso):
                continue  # the "Prison" and "Unknown" rows are not provinces
            code = iso.replace("-", "")
            province = Province(code, row["Name"].strip(), row["Name(in Thai)"].strip())
            provinces[code] = province
            names = [province.name_en, province.name_th, row.get("HS[6]") or ""]
            names += ast.literal_eval(row.get("Alt_names") or "[]")
            for name in names:
                key = _key(name)
                if key:
                    candidates.setdefault(key, set()).add(code)
                    spellings.setdefault(key, name)
    # An alias shared by two provinces identifies neither.
    aliases = {
        key: (next(iter(codes)), spellings[key])
        for key, codes in candidates.items()
        if len(codes) == 1
    }
    return _Index(provinces, aliases)


def provinces(path: Path = MAPPING_FILE) -> dict[str, Province]:
    """All 77 provinces by code (``TH10`` ... ``TH96``)."""
    return dict(_load(path).provinces)


@lru_cache(maxsize=4096)
def match_province(name: str, path: Path = MAPPING_FILE) -> ProvinceMatch | None:
    """The province a stated name or code means, or None.

    Parameters
    ----------
    name : str
        ``"เชียงใหม่"``, ``"จ.เชียงใหม่"``, ``"Chiang Mai Province"``, ``"ชม"``, ``"50"``,
        ``"TH-50"``, or a close misspelling (``"เชียงใหมม"``).

    Returns
    -------
    ProvinceMatch or None
        None for unknown names and for places that are not provinces (``"มาเลเซีย"``).

    Examples
    --------
    >>> match_province("จ.เชียงใหม่").code, match_province("Changwat Chiang Mai").code
    ('TH50', 'TH50')
    >>> m = match_province("Nakhon Ratchasrima")
    >>> m.code, m.exact
    ('TH30', False)
    >>> match_province("Atlantis") is None
    True
    """
    index = _load(path)
    text = str(name).strip()
    code = _code_match(text, index)
    if code is not None:
        return ProvinceMatch(index.provinces[code], True, text)
    key = _key(text)
    if not key:
        return None
    if key in index.aliases:
        code, spelling = index.aliases[key]
        return ProvinceMatch(index.provinces[code], True, spelling)
    if len(key) < 4:
        return None  # too short to guess from
    return _fuzzy(key, index)


def _code_match(text: str, index: _Index) -> str | None:
    match = re.fullmatch(r"(?:TH-?)?(\d{2})(?:\.0+)?", text.strip().upper())
    if match and f"TH{match.group(1)}" in index.provinces:
        return f"TH{match.group(1)}"
    return None


def _fuzzy(key: str, index: _Index) -> ProvinceMatch | None:
    best: dict[str, tuple[float, str]] = {}
    matcher = difflib.SequenceMatcher(b=key, autojunk=False)
    for alias, (code, spelling) in index.aliases.items():
        if len(alias) < 4:
            continue
        matcher.set_seq1(alias)
        if matcher.real_quick_ratio() < FUZZY_CUTOFF or matcher.quick_ratio() < FUZZY_CUTOFF:
            continue
        score = matcher.ratio()
        if score >= FUZZY_CUTOFF and score > best.get(code, (0.0, ""))[0]:
            best[code] = (score, spelling)
    if not best:
        return None
    ranked = sorted(best.items(), key=lambda item: item[1][0], reverse=True)
    code, (score, spelling) = ranked[0]
    if len(ranked) > 1 and score - ranked[1][1][0] < _FUZZY_MARGIN:
        return None
    return ProvinceMatch(index.provinces[code], False, spelling, score)


_BEFORE_POSTCODE = re.compile(r"(?:จังหวัด|จ\.)?\s*([\u0e00-\u0e7fA-Za-z .]+?)\s*\d{5}\b")


def province_in_address(address: str, path: Path = MAPPING_FILE) -> ProvinceMatch | None:
    """The province named in a Thai postal address, if it can be told exactly.

    Thai addresses end with the province and a five-digit postcode; only an exact name (or
    known alias) counts, never a guess, since a whole address holds many other names.

    Examples
    --------
    >>> province_in_address("25/1 หมู่ 7 ตำบล อ่าวนาง อำเภอเมืองกระบี่ กระบี่ 81210 ไทย").code
    'TH81'
    >>> province_in_address("no postcode here") is None
    True
    """
    if not isinstance(address, str):
        return None
    for candidate in reversed(_BEFORE_POSTCODE.findall(address)):
        words = candidate.split()
        for start in range(len(words)):
            match = match_province(" ".join(words[start:]), path)
            if match is not None and match.exact:
                return match
    return None
