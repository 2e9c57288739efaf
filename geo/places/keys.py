"""One family of keys (plain or skeleton), with exact, prefix, substring and fuzzy lookup."""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from difflib import SequenceMatcher

import numpy as np

from geo.places.scores import (
    EXACT,
    FUZZY_BASE,
    FUZZY_THRESHOLD,
    PREFIX_BASE,
    PREFIX_SPAN,
    SUBSTRING_BASE,
    SUBSTRING_SPAN,
)

# Bigram Dice coefficient a name needs before SequenceMatcher is run on it. A single typo in a
# five-letter name already leaves only half the bigrams shared, so the bar stays low; the cap
# on candidates is what bounds the cost.
_FUZZY_MIN_DICE = 0.4
_FUZZY_CANDIDATES = 40


_CODE_POINTS = 0x110000


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _bigram_postings(keys: list[str], lengths: np.ndarray):
    """For each character bigram, the sorted indices of the keys holding it; and how many
    distinct bigrams each key has. Vectorised: a Python loop over ~25,000 keys costs more
    than the rest of the index build together."""
    n_keys = len(keys)
    chars = np.frombuffer("".join(keys).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    key_of = np.repeat(np.arange(n_keys, dtype=np.int64), lengths)
    starts = np.flatnonzero(key_of[:-1] == key_of[1:])  # bigrams inside one key
    grams = chars[starts] * _CODE_POINTS + chars[starts + 1]
    pair_keys = key_of[starts]
    # Sorting (bigram, key) pairs groups them by bigram and puts repeats side by side.
    order = np.lexsort((pair_keys, grams))
    pair_grams, pair_keys = grams[order], pair_keys[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (pair_grams[1:] != pair_grams[:-1]) | (pair_keys[1:] != pair_keys[:-1])
    pair_grams, pair_keys = pair_grams[first], pair_keys[first]
    n_bigrams = np.bincount(pair_keys, minlength=n_keys).astype(np.float64)
    postings = {}
    if not len(pair_grams):  # only one-character keys
        return postings, n_bigrams
    bounds = np.flatnonzero(np.diff(pair_grams)) + 1
    for start, members in zip(
        np.concatenate(([0], bounds)).tolist(),
        np.split(pair_keys.astype(np.int32), bounds),
        strict=True,
    ):
        gram = int(pair_grams[start])
        postings[chr(gram // _CODE_POINTS) + chr(gram % _CODE_POINTS)] = members
    return postings, n_bigrams


class KeyIndex:
    """Normalised keys (plain or skeleton) with exact, prefix, substring and fuzzy lookup."""

    def __init__(self, owners_by_key: Mapping[str, Mapping[int, float]], penalty: float) -> None:
        self.penalty = penalty
        self.keys = sorted(owners_by_key)
        # Each key's owners as (area index, alias penalty) pairs.
        self.owners = [tuple(owners_by_key[key].items()) for key in self.keys]
        self.position = {key: i for i, key in enumerate(self.keys)}
        self.lengths = np.fromiter(map(len, self.keys), dtype=np.int64, count=len(self.keys))
        self.postings, self.n_bigrams = _bigram_postings(self.keys, self.lengths)

    def exact(self, query: str, scores: dict[int, float]) -> None:
        """Raise ``scores[area]`` to the exact-match score of ``query`` on the area's keys."""
        i = self.position.get(query)
        if i is not None:
            self._credit(i, EXACT, scores)

    def collect(self, query: str, scores: dict[int, float]) -> None:
        """Raise ``scores[area]`` to the best score of ``query`` against the area's keys."""
        self.exact(query, scores)
        # Sorted keys put every key starting with the query right after it.
        i = bisect.bisect_right(self.keys, query)
        while i < len(self.keys) and self.keys[i].startswith(query):
            coverage = len(query) / len(self.keys[i])
            self._credit(i, PREFIX_BASE + PREFIX_SPAN * coverage, scores)
            i += 1
        grams = _bigrams(query)
        hits = [self.postings[gram] for gram in grams if gram in self.postings]
        if not hits:
            return
        shared = np.bincount(np.concatenate(hits), minlength=len(self.keys))
        containing = []
        for i in np.flatnonzero(shared == len(grams)).tolist():
            key = self.keys[i]
            if query in key:
                containing.append(i)
                if not key.startswith(query):
                    coverage = len(query) / len(key)
                    self._credit(i, SUBSTRING_BASE + SUBSTRING_SPAN * coverage, scores)
        if len(query) < 3:
            return
        self._collect_fuzzy(query, shared, len(grams), containing, scores)

    def _collect_fuzzy(self, query, shared, n_grams, containing, scores) -> None:
        dice = 2.0 * shared / (n_grams + self.n_bigrams)
        # A SequenceMatcher ratio of r needs the shorter string to be at least r / (2 - r) of
        # the longer one: 0.6 for r = 0.75.
        shortest = FUZZY_THRESHOLD / (2.0 - FUZZY_THRESHOLD)
        eligible = (
            (dice >= _FUZZY_MIN_DICE)
            & (self.lengths >= shortest * len(query))
            & (self.lengths * shortest <= len(query))
        )
        eligible[containing] = False  # already scored higher as exact, prefix or substring
        candidates = np.flatnonzero(eligible)
        if len(candidates) > _FUZZY_CANDIDATES:
            best = np.argpartition(-dice[candidates], _FUZZY_CANDIDATES)[:_FUZZY_CANDIDATES]
            candidates = candidates[best]
        # SequenceMatcher analyses its second sequence once; the query is that one.
        matcher = SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(query)
        for i in candidates.tolist():
            matcher.set_seq1(self.keys[i])
            if matcher.quick_ratio() < FUZZY_THRESHOLD:
                continue
            ratio = matcher.ratio()
            if ratio >= FUZZY_THRESHOLD:
                self._credit(i, FUZZY_BASE + (ratio - FUZZY_THRESHOLD), scores)

    def _credit(self, i: int, score: float, scores: dict[int, float]) -> None:
        for area, alias_penalty in self.owners[i]:
            value = score - self.penalty - alias_penalty
            if value > scores.get(area, 0.0):
                scores[area] = value
