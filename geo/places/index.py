"""The place index: areas and their names, searched with a resident's free text.

Built once from the areas and read-only afterwards; :meth:`PlaceIndex.search` reads the
query every way :mod:`.parsing` allows, scores each reading against the areas and their
ancestors, and ranks the areas by their best score.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass
from numbers import Integral

from geo.places.checks import LEVEL_NAMES, check_aliases, check_areas, check_query
from geo.places.keys import KeyIndex
from geo.places.normalise import MUEANG_SKELETON, MUEANG_THAI, is_mueang, normalise, skeleton
from geo.places.parsing import Part, Run, name_keys, readings_of, skeletons_of
from geo.places.scores import (
    CALLER_ALIAS_PENALTY,
    CAPITAL_BY_PROVINCE_PENALTY,
    EXACT,
    HINT_FACTOR,
    MIN_SCORE,
    SKELETON_PENALTY,
    WELL_KNOWN_NAMES,
)


@dataclass(frozen=True)
class PlaceMatch:
    """One area matching a place query, with the point to search facilities from.

    ``parent_names_th`` and ``parent_names_en`` list the ancestors nearest first: a
    subdistrict's district, then its province. ``score`` is in 0..1, higher is better.
    """

    code: str
    level: int
    name_th: str
    name_en: str
    parent_names_th: tuple[str, ...]
    parent_names_en: tuple[str, ...]
    lon: float
    lat: float
    score: float


class PlaceIndex:
    """Free-text search over provinces, districts and subdistricts in Thai or English.

    Built once from the areas (in well under a second for Thailand's 8,430) and read-only
    afterwards, so one index may serve any number of threads. Queries may be partial,
    misspelled, romanised in another way, carry administrative words (จ., อำเภอ, Tambon,
    District, ...) and name ancestors after a comma or space ("Si Phum, Chiang Mai",
    "ต.ศรีภูมิ อ.เมือง จ.เชียงใหม่"). See the module docstring for normalisation and scoring.

    Parameters
    ----------
    codes : sequence of str
        Unique area codes, HDX pcodes: ``TH50`` province, ``TH5001`` district, ``TH500101``
        subdistrict. The parent of an area is the code without its last two characters.
    levels : sequence of int
        1 province, 2 district, 3 subdistrict.
    names_th, names_en : sequence of str
        The Thai and English names; one of the two may be empty.
    lons, lats : sequence of float
        A representative point of each area (e.g. a point on its surface), in degrees.
    aliases : mapping of str to list of str, optional
        Extra names per area code, such as common misspellings and abbreviations. They rank
        just below a real name of the same quality.

    Raises
    ------
    ValueError
        If the sequences differ in length or are empty, a code is repeated or not text, a
        level is not 1, 2 or 3, a name is not text, a coordinate is not a longitude or
        latitude, or an alias names an unknown code or is not text.

    Examples
    --------
    >>> index = PlaceIndex(
    ...     ["TH50", "TH5001", "TH500101"],
    ...     [1, 2, 3],
    ...     ["เชียงใหม่", "เมืองเชียงใหม่", "ศรีภูมิ"],
    ...     ["Chiang Mai", "Mueang Chiang Mai", "Si Phum"],
    ...     [98.8, 98.98, 98.99],
    ...     [18.8, 18.79, 18.79],
    ...     aliases={"TH50": ["CNX"]},
    ... )
    >>> [(m.code, m.score) for m in index.search("Chaing Mai", limit=1)]
    [('TH50', 0.43889)]
    >>> index.search("cnx")[0].code
    'TH50'
    """

    def __init__(
        self,
        codes,
        levels,
        names_th,
        names_en,
        lons,
        lats,
        *,
        aliases: dict[str, list[str]] | None = None,
    ) -> None:
        columns = check_areas(codes, levels, names_th, names_en, lons, lats)
        self._codes, self._levels, self._names_th, self._names_en, self._lons, self._lats = columns
        self._position = {code: i for i, code in enumerate(self._codes)}
        extra_names = check_aliases(aliases, self._position)
        self._ancestors = self._link_ancestors()
        self._descendants = self._link_descendants()
        self._prominence = tuple(self._rank_prominence(i) for i in range(len(self._codes)))
        self._capital_districts = self._find_capital_districts()
        self._plain, self._skeletons = self._build_keys(extra_names)

    def __len__(self) -> int:
        return len(self._codes)

    def area(self, code: str) -> PlaceMatch | None:
        """The area with this code as a match of score 1, or None if there is no such area.

        Examples
        --------
        >>> index = PlaceIndex(["TH50", "TH5001"], [1, 2], ["เชียงใหม่", "เมืองเชียงใหม่"],
        ...                    ["Chiang Mai", "Mueang Chiang Mai"], [98.8, 98.98], [18.8, 18.79])
        >>> index.area("TH5001").parent_names_en
        ('Chiang Mai',)
        >>> index.area("TH99") is None
        True
        """
        i = self._position.get(code) if isinstance(code, str) else None
        return None if i is None else self._match(i, EXACT)

    def search(self, query: str, *, limit: int = 10, level: int | None = None) -> list[PlaceMatch]:
        """Rank the areas whose names match a resident's query, best first.

        Parameters
        ----------
        query : str
            A province, district or subdistrict name in Thai or English, possibly partial,
            misspelled or with administrative words, optionally followed or preceded by the
            names of its district and province. At most 200 characters.
        limit : int, default 10
            The most matches to return.
        level : {1, 2, 3}, optional
            Only return provinces (1), districts (2) or subdistricts (3). Ancestors named in
            the query still count.

        Returns
        -------
        list of PlaceMatch
            Ordered by score, then level (province first), then prominence (areas whose
            codes end in ``01`` down the hierarchy, i.e. capital districts and district
            seats, first), then code; empty when nothing matches.

        Raises
        ------
        ValueError
            If the query is not text, is empty or only spaces or punctuation, is longer than
            200 characters or has more than six parts separated by commas or administrative
            words; or if ``limit`` or ``level`` is out of range.

        Examples
        --------
        >>> index = PlaceIndex(
        ...     ["TH30", "TH3001", "TH301803"],
        ...     [1, 2, 3],
        ...     ["นครราชสีมา", "เมืองนครราชสีมา", "โคราช"],
        ...     ["Nakhon Ratchasima", "Mueang Nakhon Ratchasima", "Khorat"],
        ...     [102.1, 102.1, 102.0],
        ...     [15.0, 14.97, 14.9],
        ... )
        >>> [m.code for m in index.search("โคราช")]
        ['TH30', 'TH301803']
        >>> [m.code for m in index.search("Nakorn Ratchasima")]
        ['TH30', 'TH3001']
        >>> index.search("xyzzy")
        []
        """
        runs = check_query(query)
        if isinstance(limit, bool) or not isinstance(limit, Integral) or limit < 1:
            raise ValueError(f"limit must be a positive integer, got {limit!r}")
        if level is not None and (
            isinstance(level, bool) or not isinstance(level, Integral) or level not in LEVEL_NAMES
        ):
            raise ValueError(
                f"level must be None, 1 (province), 2 (district) or 3 (subdistrict), got {level!r}"
            )
        scores = self._score(runs)
        ranked = heapq.nsmallest(
            int(limit),
            (
                (-round(score, 9), self._levels[i], self._prominence[i], self._codes[i], i)
                for i, score in scores.items()
                if score >= MIN_SCORE and (level is None or self._levels[i] == level)
            ),
        )
        return [self._match(i, scores[i]) for *_, i in ranked]

    # -- building -----------------------------------------------------------------------------

    def _link_ancestors(self) -> tuple[tuple[int, ...], ...]:
        ancestors = []
        for code, level in zip(self._codes, self._levels, strict=True):
            chain = []
            while level > 1:
                parent = self._position.get(code[:-2])
                if parent is None or self._levels[parent] != level - 1:
                    break
                chain.append(parent)
                code, level = self._codes[parent], level - 1
            ancestors.append(tuple(chain))
        return tuple(ancestors)

    def _link_descendants(self) -> tuple[tuple[int, ...], ...]:
        below: list[list[int]] = [[] for _ in self._codes]
        for i, ancestors in enumerate(self._ancestors):
            for a in ancestors:
                below[a].append(i)
        return tuple(tuple(areas) for areas in below)

    def _rank_prominence(self, i: int) -> int:
        # Read from the code itself, so that it does not depend on the parents being indexed:
        # TH500101 is subdistrict 01 of district 01.
        code, level = self._codes[i], self._levels[i]
        return sum(code[len(code) - 2 * k :][:2] != "01" for k in range(1, level))

    def _find_capital_districts(self) -> frozenset[int]:
        capitals = set()
        for i, level in enumerate(self._levels):
            if level != 2 or not self._ancestors[i]:
                continue
            province = self._ancestors[i][0]
            thai = normalise(self._names_th[province])
            english = skeleton(normalise(self._names_en[province]))
            if (thai and normalise(self._names_th[i]) == MUEANG_THAI + thai) or (
                english and skeleton(normalise(self._names_en[i])) == MUEANG_SKELETON + english
            ):
                capitals.add(i)
        return frozenset(capitals)

    def _build_keys(self, extra_names: dict[int, list[str]]) -> tuple[KeyIndex, KeyIndex]:
        names: list[tuple[str, int, float]] = []  # (name, area, alias penalty)
        for i in range(len(self._codes)):
            names.append((self._names_th[i], i, 0.0))
            names.append((self._names_en[i], i, 0.0))
            names.extend((name, i, 0.0) for name in WELL_KNOWN_NAMES.get(self._codes[i], ()))
            names.extend((name, i, CALLER_ALIAS_PENALTY) for name in extra_names.get(i, ()))
            if i in self._capital_districts:
                province = self._ancestors[i][0]
                for name in (self._names_th[province], self._names_en[province]):
                    names.append((name, i, CAPITAL_BY_PROVINCE_PENALTY))
        # Many areas share a name; each distinct name and key is processed once.
        distinct = list(dict.fromkeys(name for name, _, _ in names))
        keys_of = dict(zip(distinct, name_keys(distinct), strict=True))
        all_keys = list(dict.fromkeys(key for keys in keys_of.values() for key in keys))
        skeleton_of = dict(zip(all_keys, skeletons_of(all_keys), strict=True))

        plain: dict[str, dict[int, float]] = {}
        skeletons: dict[str, dict[int, float]] = {}
        for name, area, alias_penalty in names:
            for key in keys_of[name]:
                for table, form in ((plain, key), (skeletons, skeleton_of[key])):
                    owners = table.setdefault(form, {})
                    owners[area] = min(owners.get(area, alias_penalty), alias_penalty)
        return KeyIndex(plain, 0.0), KeyIndex(skeletons, SKELETON_PENALTY)

    # -- searching ----------------------------------------------------------------------------

    def _score(self, runs: list[Run]) -> dict[int, float]:
        # Caches for this query only: the index itself stays read-only, hence thread-safe.
        full: dict[str, dict[int, float]] = {}
        exact: dict[str, dict[int, float]] = {}

        def lookup(text: str) -> dict[int, float]:
            if text not in full:
                scores: dict[int, float] = {}
                self._plain.collect(text, scores)
                self._skeletons.collect(skeleton(text), scores)
                full[text] = scores
            return full[text]

        def lookup_exact(text: str) -> dict[int, float]:
            if text not in exact:
                scores: dict[int, float] = {}
                self._plain.exact(text, scores)
                self._skeletons.exact(skeleton(text), scores)
                exact[text] = self._with_capitals(text, scores)
            return exact[text]

        best: dict[int, float] = {}
        for parts, split_by_us in readings_of(runs):
            if len(parts) == 1:
                self._score_single(parts[0], lookup(parts[0].text), best)
            elif split_by_us:
                self._score_split(parts, lookup, lookup_exact, best)
            else:
                tables = [self._with_capitals(part.text, lookup(part.text)) for part in parts]
                self._score_separated(parts, tables, best)
        return best

    def _with_capitals(self, text: str, scores: dict[int, float]) -> dict[int, float]:
        if not is_mueang(text):
            return scores
        # Next to a province name, a lone "เมือง" means that province's capital district.
        return {**scores, **dict.fromkeys(self._capital_districts, EXACT)}

    def _hinted(self, part: Part, area: int, score: float) -> float:
        if part.hint is not None and self._levels[area] != part.hint:
            return score * HINT_FACTOR
        return score

    def _score_single(self, part: Part, scores: dict[int, float], best: dict[int, float]):
        for area, score in scores.items():
            score = self._hinted(part, area, score)
            if score > best.get(area, 0.0):
                best[area] = score

    def _score_separated(self, parts, tables, best: dict[int, float]) -> None:
        """Parts the resident separated: the mean over parts, a part matching nothing adds 0."""
        n = len(parts)
        for target, part in enumerate(parts):
            others = [j for j in range(n) if j != target]
            named = set().union(*(tables[j] for j in others))  # areas the other parts match
            for area, raw in tables[target].items():
                score = self._hinted(part, area, raw)
                if (score + len(others)) / n <= best.get(area, 0.0):
                    continue  # cannot beat a reading already counted
                ancestors = [a for a in self._ancestors[area] if a in named]
                if ancestors:
                    grid = [
                        [self._hinted(parts[j], a, tables[j].get(a, 0.0)) for a in ancestors]
                        for j in others
                    ]
                    score += _best_pairing(grid, complete=False)
                total = score / n
                if total > best.get(area, 0.0):
                    best[area] = total

    def _score_split(self, parts, lookup, lookup_exact, best: dict[int, float]) -> None:
        """Words we split at spaces: every other part must name an ancestor exactly.

        Only the last part may match partially. The reading scores the target's own score
        times the mean score of those ancestors, so naming the parents narrows the results
        without lifting a weak match of the target.
        """
        exact_tables = [lookup_exact(part.text) for part in parts]
        for target, part in enumerate(parts):
            others = [j for j in range(len(parts)) if j != target]
            # Only areas below an exact match of every other part can be the target.
            allowed: set[int] | None = None
            for j in others:
                below = {d for a in exact_tables[j] for d in self._descendants[a]}
                allowed = below if allowed is None else allowed & below
                if not allowed:
                    break
            if not allowed:
                continue
            # Partial and misspelled matches are for the word still being typed; a target
            # followed by more words must be complete ("Mueang Chiang Mai" is not "Mueang Na
            # in Chiang Mai").
            if target == len(parts) - 1:
                table = self._with_capitals(part.text, lookup(part.text))
            else:
                table = exact_tables[target]
            for area in allowed:
                raw = table.get(area)
                ancestors = self._ancestors[area]
                if raw is None or len(ancestors) < len(others):
                    continue
                grid = [
                    [
                        self._hinted(parts[j], a, exact_tables[j][a])
                        if a in exact_tables[j]
                        else None
                        for a in ancestors
                    ]
                    for j in others
                ]
                ancestor_total = _best_pairing(grid, complete=True)
                if ancestor_total is None:
                    continue
                total = self._hinted(part, area, raw) * ancestor_total / len(others)
                if total > best.get(area, 0.0):
                    best[area] = total

    def _match(self, i: int, score: float) -> PlaceMatch:
        ancestors = self._ancestors[i]
        return PlaceMatch(
            code=self._codes[i],
            level=self._levels[i],
            name_th=self._names_th[i],
            name_en=self._names_en[i],
            parent_names_th=tuple(self._names_th[a] for a in ancestors),
            parent_names_en=tuple(self._names_en[a] for a in ancestors),
            lon=self._lons[i],
            lat=self._lats[i],
            score=round(min(max(score, 0.0), 1.0), 5),
        )


def _best_pairing(grid, *, complete: bool) -> float | None:
    """Best total over one-to-one pairings of parts (rows) with ancestors (columns).

    A cell of None cannot be used. Unless ``complete``, a part may stay unpaired and adds 0;
    with ``complete`` every part must be paired, and None says no pairing exists. An area has
    at most two ancestors, so trying every choice of part (or none) per ancestor is cheap.
    """
    n_parts = len(grid)
    n_ancestors = len(grid[0]) if grid else 0
    if complete and n_parts > n_ancestors:
        return None
    best = None if complete else 0.0
    for rows in itertools.product((None, *range(n_parts)), repeat=n_ancestors):
        used = [row for row in rows if row is not None]
        if len(set(used)) < len(used) or (complete and len(used) < n_parts):
            continue
        cells = [grid[row][column] for column, row in enumerate(rows) if row is not None]
        if None in cells:
            continue
        total = sum(cells)
        if best is None or total > best:
            best = total
    return best
