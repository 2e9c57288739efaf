"""Village (หมู่บ้าน) names to the subdistricts they lie in: exact look-up, no coordinates.

DOPA's village list gives each village a code, a Thai and an English name and its subdistrict,
but no position, so a village found here is searched from its subdistrict. Names are compared
as :func:`geo.places.name_key` folds them, with and without the leading word บ้าน / Ban (people
say "คลองนา" for "บ้านคลองนา"). Numbered placeholders ("หมู่ 10", "Mu 10") are not names and are
left out. Only exact names are looked up: village names repeat across the country (256 are
called บ้านหนองบัว), so a fuzzy village match would only add noise to the area search.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from geo.places import name_key

_PREFIXES = ("บ้าน", "ban ")
_NUMBERED = re.compile(r"^(?:หมู่|หมู่ที่|mu|moo)\s*[0-9๐-๙]+$", re.IGNORECASE)


@dataclass(frozen=True)
class Village:
    code: str
    name_th: str
    name_en: str
    subdistrict: str  # the subdistrict's area code (HDX pcode, TH + DOPA code)


def bare_key(name: str) -> str:
    """The name's key without a leading บ้าน or "Ban " (a word, not "Bang"), as villages are
    usually called; the whole name's key when nothing would be left."""
    folded = name.strip().casefold()
    for prefix in _PREFIXES:
        if folded.startswith(prefix):
            rest = name_key(folded[len(prefix) :])
            if len(rest) > 1:
                return rest
    return name_key(name)


def _keys(name: str) -> set[str]:
    """The name's key, and its key without a leading บ้าน or "Ban "."""
    return {key for key in (name_key(name), bare_key(name)) if key}


class VillageIndex:
    """Exact village-name look-up.

    Parameters
    ----------
    codes, names_th, names_en, subdistricts : sequence of str
        One entry per village: its DOPA code, names and its subdistrict's area code.

    Examples
    --------
    >>> index = VillageIndex(["50010101", "50010210"], ["บ้านคลองนา", "หมู่ 10"],
    ...                      ["Ban Khlong Na", "Mu 10"], ["TH500101", "TH500102"])
    >>> [v.subdistrict for v in index.find("คลองนา")]
    ['TH500101']
    >>> index.find("Ban Khlong Na")[0].name_th
    'บ้านคลองนา'
    >>> index.find("หมู่ 10")
    []
    >>> index.find("Bangkok")
    []
    """

    def __init__(
        self,
        codes: Sequence[str],
        names_th: Sequence[str],
        names_en: Sequence[str],
        subdistricts: Sequence[str],
    ) -> None:
        if not len(codes) == len(names_th) == len(names_en) == len(subdistricts):
            raise ValueError("codes, names and subdistricts must have the same length")
        self._by_key: dict[str, list[Village]] = {}
        self._by_code: dict[str, Village] = {}
        for code, th, en, subdistrict in zip(codes, names_th, names_en, subdistricts, strict=True):
            if _NUMBERED.match(th.strip()):
                continue
            village = Village(code, th, en, subdistrict)
            self._by_code[code] = village
            for key in _keys(th) | _keys(en):
                self._by_key.setdefault(key, []).append(village)

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> Village | None:
        """The village with this DOPA code, or None."""
        return self._by_code.get(code)

    def find(self, name: str) -> list[Village]:
        """Villages of exactly this name (with or without บ้าน / Ban), ordered by code."""
        found = {v.code: v for key in _keys(name) for v in self._by_key.get(key, ())}
        return [found[code] for code in sorted(found)]
