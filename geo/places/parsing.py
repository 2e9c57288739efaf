"""Query parsing: a query (or a name) cut into runs of words, and the ways to read them.

Parts are cut at commas and other hard separators, at spaces and at administrative words,
which are dropped and remembered as a level hint; digits and the words of a postal address
are dropped. See the package docstring for the words and the readings.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from geo.places.normalise import NOT_NAME_CHAR, fold, skeleton

# Splitting a run of words at every space is combinatorial; long queries are read only as the
# resident separated them.
_MAX_SPLIT_TOKENS = 8
_MAX_PARTS = 3

_HARD_SEPARATORS = re.compile(r"[,;/|()\[\]{}\u3001\uFF0C]+")
_SUBDISTRICT_WORDS = re.compile(r"\bsub[\s\-_.]*district\b")
# Full Thai administrative words may be typed glued to the names around them; the short forms
# and เขต are only taken at the start of a word, where they cannot be the middle of a name.
_THAI_WORDS = re.compile(r"(กิ่งอำเภอ|จังหวัด|อำเภอ|ตำบล|แขวง)")
_THAI_WORD_LEVELS = {"กิ่งอำเภอ": 2, "จังหวัด": 1, "อำเภอ": 2, "ตำบล": 3, "แขวง": 3}
_THAI_LEADING = (("จ.", 1), ("อ.", 2), ("ต.", 3), ("เขต", 2))
_THAI_LONE_LETTERS = {"จ": 1, "อ": 2, "ต": 3}
_ENGLISH_PREFIXES = {
    "changwat": 1,
    "amphoe": 2,
    "amphur": 2,
    "amper": 2,
    "khet": 2,
    "tambon": 3,
    "tambol": 3,
    "khwaeng": 3,
    "kwaeng": 3,
}
_ENGLISH_SUFFIXES = {"province": 1, "district": 2, "subdistrict": 3}
_CITY_WORDS = {"city", "town"}
# Words of a postal address around the place name. Digits (house numbers, postcodes, ม.3)
# are dropped from every word too, as no area name holds any.
_DIGITS = re.compile(r"[0-9]+")
_NOISE_WORDS = {"thailand", "ประเทศไทย", "of", "หมู่", "หมู่ที่", "ม", "moo"}
# A quick test that spares most names the full parse when they are indexed.
_MAY_HOLD_ADMIN_WORD = re.compile(
    "|".join(
        [
            _THAI_WORDS.pattern,
            _HARD_SEPARATORS.pattern,
            r"^(?:จ\.|อ\.|ต\.|เขต)",
            r"(?:^|\s)[จอต](?:\s|$)",
            r"sub[\s\-_.]*district",
            r"\b(?:"
            + "|".join(
                sorted({*_ENGLISH_PREFIXES, *_ENGLISH_SUFFIXES, *_CITY_WORDS, *_NOISE_WORDS})
            )
            + r")\b",
            "ประเทศไทย",
        ]
    )
)


@dataclass(frozen=True)
class Run:
    """Words the resident kept together, and the level their administrative word asked for."""

    tokens: tuple[str, ...]
    hint: int | None = None
    hint_at_end: bool = False  # "Chiang Mai Province" hints the last part, "จ.เชียงใหม่" the first


@dataclass(frozen=True)
class Part:
    text: str
    hint: int | None


def _words(raw: str) -> Iterable[tuple[str, object]]:
    """Events for one space-separated word: ("prefix", level), ("token", text), ..."""
    pieces = _THAI_WORDS.split(raw)
    for position, piece in enumerate(pieces):
        if position % 2:  # a captured Thai administrative word
            yield "prefix", _THAI_WORD_LEVELS[piece]
            continue
        if not piece:
            continue
        if position == 0:
            if piece in _THAI_LONE_LETTERS:
                yield "prefix", _THAI_LONE_LETTERS[piece]
                continue
            for lead, level in _THAI_LEADING:
                if piece.startswith(lead):
                    yield "prefix", level
                    piece = piece[len(lead) :]
                    break
        token = _DIGITS.sub("", NOT_NAME_CHAR.sub("", piece))
        if token in _ENGLISH_PREFIXES:
            yield "prefix", _ENGLISH_PREFIXES[token]
        elif token in _ENGLISH_SUFFIXES:
            yield "suffix", _ENGLISH_SUFFIXES[token]
        elif token in _CITY_WORDS:
            yield "city", None
        elif token and token not in _NOISE_WORDS:
            yield "token", token


def parse(text: str) -> list[Run]:
    """Cut a query (or a name) into runs of normalised words, dropping administrative words."""
    folded = _SUBDISTRICT_WORDS.sub("subdistrict", fold(text))
    runs: list[Run] = []
    tokens: list[str] = []
    hint: int | None = None
    city = False

    def close(hint_at_end: bool = False) -> None:
        nonlocal tokens, hint, city
        if city:
            tokens.insert(0, "mueang")
        if tokens:
            runs.append(Run(tuple(tokens), hint, hint_at_end))
        tokens, hint, city = [], None, False

    for segment in _HARD_SEPARATORS.split(folded):
        for raw in segment.split():
            for kind, value in _words(raw):
                if kind == "token":
                    tokens.append(value)
                elif kind == "city":
                    city = True
                elif kind == "suffix" and tokens and hint is None:
                    hint = value
                    close(hint_at_end=True)
                else:  # a prefix, or a suffix with nothing before it to qualify
                    close()
                    hint = value
        close()
    return runs


def name_keys(names: list[str]) -> list[set[str]]:
    """Per name: the normalised name, and the name as a query would read it (administrative
    words dropped), so that a query typed like the name finds it."""
    # Folding is per character, so one call on all names joined is the same as one per name
    # and several times faster.
    folded_names = fold("\n".join(name.replace("\n", " ") for name in names)).split("\n")
    keys = []
    for name, folded in zip(names, folded_names, strict=True):
        forms = {NOT_NAME_CHAR.sub("", folded)}
        if _MAY_HOLD_ADMIN_WORD.search(folded):
            forms.add("".join(token for run in parse(name) for token in run.tokens))
        keys.append(forms - {""})
    return keys


def skeletons_of(keys: list[str]) -> list[str]:
    """``skeleton`` of many normalised keys at once; no rule crosses a line break."""
    return skeleton("\n".join(keys)).split("\n")


def readings_of(runs: list[Run]) -> list[tuple[tuple[Part, ...], bool]]:
    """Every way to read the runs as parts: (parts, split_by_us) pairs, duplicates removed."""
    n_tokens = sum(len(run.tokens) for run in runs)
    most_parts = max(_MAX_PARTS, len(runs))
    options = []
    for run in runs:
        n = len(run.tokens)
        most_cuts = min(n, _MAX_PARTS) - 1 if n_tokens <= _MAX_SPLIT_TOKENS else 0
        splits = []
        for n_cuts in range(most_cuts + 1):
            for cuts in itertools.combinations(range(1, n), n_cuts):
                bounds = (0, *cuts, n)
                splits.append([run.tokens[a:b] for a, b in itertools.pairwise(bounds)])
        options.append(splits)
    readings: dict[tuple[Part, ...], bool] = {}
    for choice in itertools.product(*options):
        if sum(len(pieces) for pieces in choice) > most_parts:
            continue
        parts = []
        for run, pieces in zip(runs, choice, strict=True):
            hinted = len(pieces) - 1 if run.hint_at_end else 0
            for i, piece in enumerate(pieces):
                parts.append(Part("".join(piece), run.hint if i == hinted else None))
        split_by_us = len(parts) > len(runs)
        key = tuple(parts)
        # The same parts reached without our own splitting are held to the looser rule.
        readings[key] = readings.get(key, True) and split_by_us
    if len(runs) > 1:
        whole = Part("".join(token for run in runs for token in run.tokens), None)
        readings.setdefault((whole,), False)
    return list(readings.items())
