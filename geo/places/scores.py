"""The numbers of the scoring table (see the package docstring), and the well-known names.

The tiers do not overlap, so exact > prefix > substring > fuzzy whatever the penalties.
"""

from __future__ import annotations

EXACT = 1.0
PREFIX_BASE, PREFIX_SPAN = 0.80, 0.09
SUBSTRING_BASE, SUBSTRING_SPAN = 0.60, 0.14
FUZZY_BASE, FUZZY_THRESHOLD = 0.30, 0.75
SKELETON_PENALTY = 0.02
CALLER_ALIAS_PENALTY = 0.01
HINT_FACTOR = 0.9
# "Chiang Mai" also names the town, Mueang Chiang Mai: the capital district answers to its
# province's names, 0.12 below them, so an exact hit (0.88) ranks with the best prefixes.
CAPITAL_BY_PROVINCE_PENALTY = 0.12
MIN_SCORE = 0.25

# Names residents use that are not the official ones, keyed by HDX pcode. They count as real
# names (no alias penalty) because they are curated here, unlike aliases from the caller.
WELL_KNOWN_NAMES: dict[str, tuple[str, ...]] = {
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
