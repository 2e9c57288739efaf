"""Exact k-nearest facilities by WGS 84 geodesic distance.

Pure computation: takes facility ids and longitude/latitude arrays, answers nearest-site
queries with NumPy arrays. Used by the resident nearest-site API (single points, many per
second) and by coverage analysis (millions of points, each needing its nearest facility).

Method
------
A KD-tree over Earth-centred, Earth-fixed (ECEF) coordinates of the points on the WGS 84
ellipsoid only proposes candidates, ordered by the straight-line (chord) distance through
the Earth. The answer is ranked by the geodesic distance from ``pyproj.Geod(ellps="WGS84")``
and proved complete with one inequality: a geodesic is a path between the same two points,
so it is never shorter than the chord between them. If every item with chord below ``R``
has been evaluated and the k-th best geodesic distance found is strictly below ``R``, no
item left out can rank among the k nearest, not even by a tie. When that check fails the
candidate set is widened and the check repeated; it always ends, at the latest when every
item has been evaluated.

Modules
-------
:mod:`.index` holds :class:`NearestIndex` (one point at a time, and masks), :mod:`.batch`
the search for many points at once, :mod:`.restricted` the view over one mask,
:mod:`.results` the answers and their merge, :mod:`.geometry` the ECEF coordinates and the
chord bound, :mod:`.searchable` the KD-trees over some of the items, :mod:`.checks` the
input checks.
"""

from geo.nearest.geometry import ecef
from geo.nearest.index import NearestIndex
from geo.nearest.restricted import RestrictedIndex
from geo.nearest.results import NearestList, NearestResult, merge_nearest

__all__ = [
    "NearestIndex",
    "NearestList",
    "NearestResult",
    "RestrictedIndex",
    "ecef",
    "merge_nearest",
]
