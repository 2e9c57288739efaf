"""Bounds of a unit's geodesic distance from its chord, and the buckets that hold them.

coverage_by_area reports, per area, sums of people within the threshold and two quantiles,
each of which is one unit's distance. So a unit's exact geodesic is needed only when the
unit sits so near the threshold or near a quantile that nothing cheaper can place it. The
KD-tree's chord gives both bounds. Lower: a chord never exceeds its geodesic. Upper:
a geodesic of length s on WGS 84 is a space curve whose curvature never exceeds
1/rho, rho = b^2/a being the smallest radius of curvature of the ellipsoid (the meridian's
at the equator); by Schur's comparison theorem its chord c is then at least that of a
circular arc of radius rho and the same length, c >= 2 rho sin(s / 2 rho), so
s <= 2 rho asin(c / 2 rho) while s <= pi rho. Since asin(x) <= x + x^3 / (6 (1 - x^2)) (every
coefficient of its series past the first is at most 1/6), s <= c + c^3 / (24 rho^2 (1 - x^2))
with x = c / 2 rho. The bound is used for chords up to ``_CHORD_LIMIT_M`` only. There s stays
below pi rho (about 19,900 km): as the second point moves away from the first within that
chord (a connected cap), s grows continuously from 0, and wherever s <= pi rho the bound
keeps it under 1,001 km, so it can never reach pi rho. The cubic term is below 1.05 km at
1,000 km and 0.13 mm at 5 km, so almost every unit is decided by its chord alone.
"""

from __future__ import annotations

import numpy as np

# The nearest index's own ellipsoid: the bounds hold for the geodesics it computes.
from geo.nearest.geometry import GEOD

# The smallest radius of curvature of the ellipsoid the geodesics are measured on.
_RHO_M = float(GEOD.b) ** 2 / float(GEOD.a)
_CHORD_LIMIT_M = 1_000_000.0
# 1/(24 rho^2 (1 - x^2)) at the longest chord bounded; rounded up by a part per billion.
_CUBIC = (1.0 + 1e-9) / (24.0 * _RHO_M**2 * (1.0 - (_CHORD_LIMIT_M / (2.0 * _RHO_M)) ** 2))
# Computed chords (ECEF coordinates of ~6.4e6 m carry ~1e-9 m of rounding) and computed
# geodesics (GeographicLib is accurate to ~15 nm) are compared with a micrometre to spare,
# plus a relative term for long chords, as geo.nearest does for its own proof.
_BOUND_SLACK_M = 1e-6
_BOUND_SLACK_REL = 1e-12


# Quantiles are located first by a histogram of the distance bounds per area. Buckets are the
# top bits of the float32 pattern (exponent and 4 mantissa bits): 16 per doubling of
# distance, each at most 4.4 % wide, from 0.5 m to 4,194 km, with one more at each end.
# Bucketing is monotone (never puts a longer distance in a lower bucket), which is all the
# selection relies on.
_BUCKET_SHIFT = 19
_BUCKET_FLOOR = int(np.float32(0.5).view(np.uint32)) >> _BUCKET_SHIFT
BUCKETS = (int(np.float32(2.0**22).view(np.uint32)) >> _BUCKET_SHIFT) - _BUCKET_FLOOR + 1


def geodesic_lower(chord: np.ndarray) -> np.ndarray:
    """A lower bound, never negative, of the computed geodesic whose computed chord is given."""
    # Written so that an infinite chord (no second facility) stays infinite, never NaN.
    return np.maximum(chord * (1.0 - _BOUND_SLACK_REL) - _BOUND_SLACK_M, 0.0)


def geodesic_upper(chord: np.ndarray) -> np.ndarray:
    """An upper bound of the computed geodesic whose computed chord is given (inf if too long)."""
    longest = chord * (1.0 + _BOUND_SLACK_REL) + _BOUND_SLACK_M
    upper = (longest + _CUBIC * longest**3) * (1.0 + _BOUND_SLACK_REL) + _BOUND_SLACK_M
    return np.where(longest <= _CHORD_LIMIT_M, upper, np.inf)


def distance_bounds(value: np.ndarray, exact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of each unit's distance: the distance itself where exact."""
    lower = np.where(exact, value, geodesic_lower(value))
    upper = np.where(exact, value, geodesic_upper(value))
    return lower, upper


def distance_bucket(distance: np.ndarray) -> np.ndarray:
    """Histogram bucket of each distance (non-negative); monotone in the distance."""
    # abs: a -0.0 would otherwise carry the sign bit into the top bits.
    top = (np.abs(distance).astype(np.float32).view(np.uint32) >> _BUCKET_SHIFT).astype(np.int32)
    return np.clip(top - _BUCKET_FLOOR, 0, BUCKETS - 1).astype(np.int16)
