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

Modules
-------
:mod:`.index` holds :class:`PlaceIndex` and :class:`PlaceMatch` and reads a query against
the areas; :mod:`.parsing` cuts a query into parts and readings, :mod:`.normalise` gives the
plain and skeleton forms, :mod:`.keys` looks a part up among the names, :mod:`.scores`
holds the numbers of the scoring table above, :mod:`.checks` the input checks.
"""

from geo.places.checks import MAX_QUERY_LENGTH
from geo.places.index import PlaceIndex, PlaceMatch
from geo.places.normalise import name_key

__all__ = ["MAX_QUERY_LENGTH", "PlaceIndex", "PlaceMatch", "name_key"]
