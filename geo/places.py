"""Place search for residents: a typed province, district or subdistrict name to ranked areas.

Pure computation: the caller passes every area's code, level, Thai and English names and a
representative point (read from the database); :class:`PlaceIndex` answers free-text queries
with :class:`PlaceMatch` records, and the chosen match's point becomes the search point of a
nearest-site query.

Normalisation
-------------
Names and queries are compared in a normalised form: Unicode NFC, a decomposed Thai SARA AM
(``ํา``) recomposed to ``ำ``, case-folded, Thai digits turned into Arabic ones, then every
character that is not a letter, a digit or a Thai vowel or tone mark removed (spaces,
punctuation, ``ฯ``). Before that, a query is cut into parts at commas (and ``;``, ``/``,
``|``, brackets), at spaces, and at administrative words, which are dropped and remembered as
a level hint for the part they introduce: จังหวัด / จ. / Changwat / Province (province),
อำเภอ / อ. / กิ่งอำเภอ / เขต / Amphoe / Amphur / Khet / District (district), ตำบล / ต. /
แขวง / Tambon / Tambol / Khwaeng / Subdistrict (subdistrict). "city" or "town" after a name
asks for the capital district (``Chiang Mai city`` reads as ``Mueang Chiang Mai``). Digits
(house numbers, postcodes) and the address words หมู่ / ม. / Moo / Thailand / ประเทศไทย are
dropped, since no area name holds them. Names are indexed both as they are and parsed the
same way, so a name that itself contains such a word (``สามตำบล``, ``จ.ป.ร.``,
``Sanam Chai Khet``) is still found exactly.

A second, coarser "skeleton" form absorbs spelling variants: for romanised names ``tch``,
``ch`` and ``j`` become ``c``, ``ph``/``th``/``kh`` lose the ``h``, ``ue``/``eu``/``oo``
become ``u``, ``ee`` becomes ``i``, ``or`` before a consonant becomes ``o`` (Nakorn, Nakhon),
``v`` becomes ``w`` and doubled letters are single (Muang = Mueang, Ayuthaya = Ayutthaya);
for Thai, tone marks and silent letters under ``์`` are dropped, ``ใ`` becomes ``ไ`` and
consonants that sound alike are merged (ศ ษ ซ ส, ท ธ ถ ฐ ฑ ฒ, พ ภ ผ, ...).

Scoring
-------
One part of a query is compared with every indexed form of every name (Thai name, English
name, aliases; plain and skeleton). An area's part score is its best comparison:

==========================  ===============================================================
exact                       1.0
prefix of the name          0.80 + 0.09 x (part length / name length), so 0.80 to < 0.89
substring of the name       0.60 + 0.14 x (part length / name length), so 0.60 to < 0.74
fuzzy                       0.30 + (ratio - 0.75), for a ``difflib.SequenceMatcher`` ratio
                            of at least 0.75, so 0.30 to < 0.55
==========================  ===============================================================

A match on the skeleton form costs 0.02, on an alias given by the caller 0.01 (such lists
often hold noise, e.g. Bangkok districts listed as aliases of Bangkok, so a real name wins a
tie against them). The built-in well-known names (กทม, กรุงเทพฯ, Krung Thep and BKK for
Bangkok, Korat and โคราช for Nakhon Ratchasima, Ayutthaya and อยุธยา for Phra Nakhon Si
Ayutthaya) count as real names. The tiers do not overlap, so exact > prefix > substring >
fuzzy holds whatever the penalties, with one deliberate exception: a capital district also
answers to its province's names, 0.12 below them (an exact "Chiang Mai" gives Mueang Chiang
Mai 0.88), because residents call the town by the province's name. A part that carried a
level hint scores 0.9 x on areas of another level (an exact name still beats any prefix).
Prefix matching needs one character, substring matching two, fuzzy matching three; fuzzy
matching is tried only on the names sharing enough character bigrams with the part (an
inverted index), at most 40 per form.

A query of several parts is read as one area (the target) plus names of its ancestors, each
ancestor named by at most one part:

* Parts the resident separated (commas, administrative words): the area's score is the mean
  over all parts of the target's part score and, for every other part, its score on the
  ancestor it is paired with; a part naming nothing above the target counts 0. So
  "Si Phum, Chiang Mai" gives the Si Phum of Chiang Mai 1.0 and the other two 0.5.
* Runs of words that we split further at spaces ("ศรีภูมิ เชียงใหม่", "Si Phum Chiang Mai"):
  every other part must name an ancestor exactly (0.97 or more), only the last part may match
  partially or fuzzily, and the score is the target's part score times the mean of those
  ancestor scores. This keeps "Chiang Mai" from being read as "Mai... in Chiang..." and
  "Mueang Chiang Mai" as "Mueang Na in Chiang Mai".
* A lone เมือง / Mueang / Muang part scores 1.0 on a capital district (เมือง + province name)
  in these readings, so ``อ.เมือง จ.เชียงใหม่`` finds Mueang Chiang Mai.

The whole query read as one part is always one of the readings, and an area keeps its best
score over all readings. A query of more than six separated parts is refused.

Results score at least 0.25 and are ordered by score, then level (province, district,
subdistrict), then prominence (how many of the area's district and subdistrict codes do not
end in ``01``: DOPA numbers a province's capital district and a district's seat subdistrict
01, so a bare ambiguous name goes to the town before the countryside), then code.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from numbers import Integral, Real

import numpy as np

MAX_QUERY_LENGTH = 200
_LEVEL_NAMES = {1: "province", 2: "district", 3: "subdistrict"}

# -- scoring constants (see the module docstring) ---------------------------------------------
_EXACT = 1.0
_PREFIX_BASE, _PREFIX_SPAN = 0.80, 0.09
_SUBSTRING_BASE, _SUBSTRING_SPAN = 0.60, 0.14
_FUZZY_BASE, _FUZZY_THRESHOLD = 0.30, 0.75
_SKELETON_PENALTY = 0.02
_CALLER_ALIAS_PENALTY = 0.01
_HINT_FACTOR = 0.9
# "Chiang Mai" also names the town, Mueang Chiang Mai: the capital district answers to its
# province's names, 0.12 below them, so an exact hit (0.88) ranks with the best prefixes.
_CAPITAL_BY_PROVINCE_PENALTY = 0.12
# Lowest part score that still counts as exact: an alias on the skeleton form.
_EXACT_FLOOR = _EXACT - _SKELETON_PENALTY - _CALLER_ALIAS_PENALTY
_MIN_SCORE = 0.25
# Bigram Dice coefficient a name needs before SequenceMatcher is run on it. A single typo in a
# five-letter name already leaves only half the bigrams shared, so the bar stays low; the cap
# on candidates is what bounds the cost.
_FUZZY_MIN_DICE = 0.4
_FUZZY_CANDIDATES = 40
# Splitting a run of words at every space is combinatorial; long queries are read only as the
# resident separated them.
_MAX_SPLIT_TOKENS = 8
_MAX_PARTS = 3
# Every part of a query is compared with every ancestor of every match of every other part;
# a resident names a subdistrict, district and province, plus perhaps a street and village.
_MAX_RUNS = 6

# -- well-known names -------------------------------------------------------------------------
# Names residents use that are not the official ones, keyed by HDX pcode. They count as real
# names (no alias penalty) because they are curated here, unlike aliases from the caller.
_WELL_KNOWN_NAMES: dict[str, tuple[str, ...]] = {
    "TH10": (
        "กทม",
        "กรุงเทพ",
        "กรุงเทพฯ",
        "กรุงเทพมหานคร",
        "Krung Thep",
        "Krung Thep Maha Nakhon",
        "BKK",
        "Bangkok",
    ),
    "TH30": ("Korat", "Khorat", "โคราช"),
    "TH14": ("Ayutthaya", "อยุธยา"),
}

# -- normalisation ----------------------------------------------------------------------------
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
# \w keeps letters and digits of every script but not Thai vowel and tone marks (category Mn),
# which are added back; ฯ ๏ ๚ ๛ are letters to Unicode but abbreviation or section marks here.
_NOT_NAME_CHAR = re.compile(r"[^\w\u0E31\u0E34-\u0E3A\u0E47-\u0E4E]|[_\u0E2F\u0E4F\u0E5A\u0E5B]")
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
_MUEANG_THAI = "เมือง"
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

_THAI_SILENT = re.compile(r".\u0E4C")  # a letter under THANTHAKHAT is not pronounced
_THAI_SOUND_ALIKE = str.maketrans(
    {
        **dict.fromkeys("\u0e48\u0e49\u0e4a\u0e4b\u0e47\u0e4d", None),  # tone marks, mai taikhu
        "ใ": "ไ",
        "ศ": "ส",
        "ษ": "ส",
        "ซ": "ส",
        "ฎ": "ด",
        "ฏ": "ต",
        "ฐ": "ท",
        "ฑ": "ท",
        "ฒ": "ท",
        "ถ": "ท",
        "ธ": "ท",
        "ณ": "น",
        "ฬ": "ล",
        "ภ": "พ",
        "ผ": "พ",
        "ฆ": "ค",
        "ฅ": "ค",
        "ฃ": "ค",
        "ข": "ค",
        "ฌ": "ช",
        "ฉ": "ช",
        "ฝ": "ฟ",
        "ญ": "ย",
    }
)
# Applied in this order ("tch" before "ch" before "th").
_LATIN_SOUND_ALIKE = (
    ("tch", "c"),
    ("ch", "c"),
    ("j", "c"),
    ("ph", "p"),
    ("th", "t"),
    ("kh", "k"),
    ("ue", "u"),
    ("eu", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("v", "w"),
)
_LATIN_R_BEFORE_CONSONANT = re.compile(r"or(?=[^aeiou]|$)")
_DOUBLED = re.compile(r"(.)\1+")
_HAS_LATIN = re.compile(r"[a-z]")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\u0e4d\u0e32", "\u0e33")
    return text.casefold().translate(_THAI_DIGITS)


def _normalise(text: str) -> str:
    return _NOT_NAME_CHAR.sub("", _fold(text))


def name_key(text: str) -> str:
    """A name as place search compares it: folded, Thai digits as Arabic, no spaces or marks.

    >>> name_key("บ้าน คลองนา") == name_key("บ้านคลองนา")
    True
    >>> name_key("Ban Khlong-Na")
    'bankhlongna'
    """
    return _normalise(text)


def _skeleton(normalised: str) -> str:
    text = normalised
    if "\u0e4c" in text:
        text = _THAI_SILENT.sub("", text)
    text = text.translate(_THAI_SOUND_ALIKE)
    if _HAS_LATIN.search(text):
        for old, new in _LATIN_SOUND_ALIKE:
            text = text.replace(old, new)
        text = _LATIN_R_BEFORE_CONSONANT.sub("o", text)
    return _DOUBLED.sub(r"\1", text)


_MUEANG_SKELETON = _skeleton("mueang")


def _is_mueang(normalised: str) -> bool:
    return normalised == _MUEANG_THAI or _skeleton(normalised) == _MUEANG_SKELETON


# -- query parsing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    """Words the resident kept together, and the level their administrative word asked for."""

    tokens: tuple[str, ...]
    hint: int | None = None
    hint_at_end: bool = False  # "Chiang Mai Province" hints the last part, "จ.เชียงใหม่" the first


@dataclass(frozen=True)
class _Part:
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
        token = _DIGITS.sub("", _NOT_NAME_CHAR.sub("", piece))
        if token in _ENGLISH_PREFIXES:
            yield "prefix", _ENGLISH_PREFIXES[token]
        elif token in _ENGLISH_SUFFIXES:
            yield "suffix", _ENGLISH_SUFFIXES[token]
        elif token in _CITY_WORDS:
            yield "city", None
        elif token and token not in _NOISE_WORDS:
            yield "token", token


def _parse(text: str) -> list[_Run]:
    """Cut a query (or a name) into runs of normalised words, dropping administrative words."""
    folded = _SUBDISTRICT_WORDS.sub("subdistrict", _fold(text))
    runs: list[_Run] = []
    tokens: list[str] = []
    hint: int | None = None
    city = False

    def close(hint_at_end: bool = False) -> None:
        nonlocal tokens, hint, city
        if city:
            tokens.insert(0, "mueang")
        if tokens:
            runs.append(_Run(tuple(tokens), hint, hint_at_end))
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


def _name_keys(names: list[str]) -> list[set[str]]:
    """Per name: the normalised name, and the name as a query would read it (administrative
    words dropped), so that a query typed like the name finds it."""
    # Folding is per character, so one call on all names joined is the same as one per name
    # and several times faster.
    folded_names = _fold("\n".join(name.replace("\n", " ") for name in names)).split("\n")
    keys = []
    for name, folded in zip(names, folded_names, strict=True):
        forms = {_NOT_NAME_CHAR.sub("", folded)}
        if _MAY_HOLD_ADMIN_WORD.search(folded):
            forms.add("".join(token for run in _parse(name) for token in run.tokens))
        keys.append(forms - {""})
    return keys


def _skeletons(keys: list[str]) -> list[str]:
    """``_skeleton`` of many normalised keys at once; no rule crosses a line break."""
    return _skeleton("\n".join(keys)).split("\n")


def _readings(runs: list[_Run]) -> list[tuple[tuple[_Part, ...], bool]]:
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
    readings: dict[tuple[_Part, ...], bool] = {}
    for choice in itertools.product(*options):
        if sum(len(pieces) for pieces in choice) > most_parts:
            continue
        parts = []
        for run, pieces in zip(runs, choice, strict=True):
            hinted = len(pieces) - 1 if run.hint_at_end else 0
            for i, piece in enumerate(pieces):
                parts.append(_Part("".join(piece), run.hint if i == hinted else None))
        split_by_us = len(parts) > len(runs)
        key = tuple(parts)
        # The same parts reached without our own splitting are held to the looser rule.
        readings[key] = readings.get(key, True) and split_by_us
    if len(runs) > 1:
        whole = _Part("".join(token for run in runs for token in run.tokens), None)
        readings.setdefault((whole,), False)
    return list(readings.items())


# -- the index of one family of keys ----------------------------------------------------------


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


class _KeyIndex:
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
            self._credit(i, _EXACT, scores)

    def collect(self, query: str, scores: dict[int, float]) -> None:
        """Raise ``scores[area]`` to the best score of ``query`` against the area's keys."""
        self.exact(query, scores)
        # Sorted keys put every key starting with the query right after it.
        i = bisect.bisect_right(self.keys, query)
        while i < len(self.keys) and self.keys[i].startswith(query):
            coverage = len(query) / len(self.keys[i])
            self._credit(i, _PREFIX_BASE + _PREFIX_SPAN * coverage, scores)
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
                    self._credit(i, _SUBSTRING_BASE + _SUBSTRING_SPAN * coverage, scores)
        if len(query) < 3:
            return
        self._collect_fuzzy(query, shared, len(grams), containing, scores)

    def _collect_fuzzy(self, query, shared, n_grams, containing, scores) -> None:
        dice = 2.0 * shared / (n_grams + self.n_bigrams)
        # A SequenceMatcher ratio of r needs the shorter string to be at least r / (2 - r) of
        # the longer one: 0.6 for r = 0.75.
        shortest = _FUZZY_THRESHOLD / (2.0 - _FUZZY_THRESHOLD)
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
            if matcher.quick_ratio() < _FUZZY_THRESHOLD:
                continue
            ratio = matcher.ratio()
            if ratio >= _FUZZY_THRESHOLD:
                self._credit(i, _FUZZY_BASE + (ratio - _FUZZY_THRESHOLD), scores)

    def _credit(self, i: int, score: float, scores: dict[int, float]) -> None:
        for area, alias_penalty in self.owners[i]:
            value = score - self.penalty - alias_penalty
            if value > scores.get(area, 0.0):
                scores[area] = value


# -- public API -------------------------------------------------------------------------------


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
        columns = _check_areas(codes, levels, names_th, names_en, lons, lats)
        self._codes, self._levels, self._names_th, self._names_en, self._lons, self._lats = columns
        self._position = {code: i for i, code in enumerate(self._codes)}
        extra_names = _check_aliases(aliases, self._position)
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
        return None if i is None else self._match(i, _EXACT)

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
        runs = _check_query(query)
        if isinstance(limit, bool) or not isinstance(limit, Integral) or limit < 1:
            raise ValueError(f"limit must be a positive integer, got {limit!r}")
        if level is not None and (
            isinstance(level, bool) or not isinstance(level, Integral) or level not in _LEVEL_NAMES
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
                if score >= _MIN_SCORE and (level is None or self._levels[i] == level)
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
            thai = _normalise(self._names_th[province])
            english = _skeleton(_normalise(self._names_en[province]))
            if (thai and _normalise(self._names_th[i]) == _MUEANG_THAI + thai) or (
                english and _skeleton(_normalise(self._names_en[i])) == _MUEANG_SKELETON + english
            ):
                capitals.add(i)
        return frozenset(capitals)

    def _build_keys(self, extra_names: dict[int, list[str]]) -> tuple[_KeyIndex, _KeyIndex]:
        names: list[tuple[str, int, float]] = []  # (name, area, alias penalty)
        for i in range(len(self._codes)):
            names.append((self._names_th[i], i, 0.0))
            names.append((self._names_en[i], i, 0.0))
            names.extend((name, i, 0.0) for name in _WELL_KNOWN_NAMES.get(self._codes[i], ()))
            names.extend((name, i, _CALLER_ALIAS_PENALTY) for name in extra_names.get(i, ()))
            if i in self._capital_districts:
                province = self._ancestors[i][0]
                for name in (self._names_th[province], self._names_en[province]):
                    names.append((name, i, _CAPITAL_BY_PROVINCE_PENALTY))
        # Many areas share a name; each distinct name and key is processed once.
        distinct = list(dict.fromkeys(name for name, _, _ in names))
        keys_of = dict(zip(distinct, _name_keys(distinct), strict=True))
        all_keys = list(dict.fromkeys(key for keys in keys_of.values() for key in keys))
        skeleton_of = dict(zip(all_keys, _skeletons(all_keys), strict=True))

        plain: dict[str, dict[int, float]] = {}
        skeletons: dict[str, dict[int, float]] = {}
        for name, area, alias_penalty in names:
            for key in keys_of[name]:
                for table, form in ((plain, key), (skeletons, skeleton_of[key])):
                    owners = table.setdefault(form, {})
                    owners[area] = min(owners.get(area, alias_penalty), alias_penalty)
        return _KeyIndex(plain, 0.0), _KeyIndex(skeletons, _SKELETON_PENALTY)

    # -- searching ----------------------------------------------------------------------------

    def _score(self, runs: list[_Run]) -> dict[int, float]:
        # Caches for this query only: the index itself stays read-only, hence thread-safe.
        full: dict[str, dict[int, float]] = {}
        exact: dict[str, dict[int, float]] = {}

        def lookup(text: str) -> dict[int, float]:
            if text not in full:
                scores: dict[int, float] = {}
                self._plain.collect(text, scores)
                self._skeletons.collect(_skeleton(text), scores)
                full[text] = scores
            return full[text]

        def lookup_exact(text: str) -> dict[int, float]:
            if text not in exact:
                scores: dict[int, float] = {}
                self._plain.exact(text, scores)
                self._skeletons.exact(_skeleton(text), scores)
                exact[text] = self._with_capitals(text, scores)
            return exact[text]

        best: dict[int, float] = {}
        for parts, split_by_us in _readings(runs):
            if len(parts) == 1:
                self._score_single(parts[0], lookup(parts[0].text), best)
            elif split_by_us:
                self._score_split(parts, lookup, lookup_exact, best)
            else:
                tables = [self._with_capitals(part.text, lookup(part.text)) for part in parts]
                self._score_separated(parts, tables, best)
        return best

    def _with_capitals(self, text: str, scores: dict[int, float]) -> dict[int, float]:
        if not _is_mueang(text):
            return scores
        # Next to a province name, a lone "เมือง" means that province's capital district.
        return {**scores, **dict.fromkeys(self._capital_districts, _EXACT)}

    def _hinted(self, part: _Part, area: int, score: float) -> float:
        if part.hint is not None and self._levels[area] != part.hint:
            return score * _HINT_FACTOR
        return score

    def _score_single(self, part: _Part, scores: dict[int, float], best: dict[int, float]):
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


# -- input checks -----------------------------------------------------------------------------


def _check_query(query) -> list[_Run]:
    if not isinstance(query, str):
        raise ValueError(f"query must be text, got {query!r}")
    if len(query) > MAX_QUERY_LENGTH:
        raise ValueError(
            f"query {query[:40]!r}... is {len(query)} characters long; a place name query may "
            f"have at most {MAX_QUERY_LENGTH}"
        )
    if not query.strip():
        raise ValueError(f"query {query!r} is empty; type a province, district or subdistrict")
    runs = _parse(query)
    if len(runs) > _MAX_RUNS:
        raise ValueError(
            f"query {query!r} has {len(runs)} parts separated by commas or administrative "
            f"words; a place search reads at most {_MAX_RUNS} (subdistrict, district, province)"
        )
    if runs:
        return runs
    # Only administrative words, e.g. "เขต": the resident may be typing a name that starts
    # with one, so search for the words themselves.
    whole = _normalise(query)
    if not whole:
        raise ValueError(f"query {query!r} has no letters or digits to search for")
    return [_Run((whole,))]


def _check_areas(codes, levels, names_th, names_en, lons, lats):
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
        if isinstance(level, bool) or not isinstance(level, Integral) or level not in _LEVEL_NAMES:
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


def _check_aliases(aliases, position: Mapping[str, int]) -> dict[int, list[str]]:
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
