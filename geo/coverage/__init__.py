"""Coverage gaps for planners: who lives too far from an open site, by area, and where to add.

Pure computation on a population layer and facility coordinates. The layer has one row per
population unit (a point standing for some people): columns ``lon`` and ``lat`` (degrees
WGS 84; a GeoDataFrame of points in EPSG:4326 may carry them as its geometry instead),
``population``, an area-code column and optional group columns (people of the unit in each
group, e.g. age bands). :func:`geo.population.spread_population` builds such a layer; it is
*modelled*, and every frame returned here carries ``attrs["modelled"]`` from its input so
that whatever shows the numbers can say so. Facilities are the sites the question is about;
the caller picks them (open sites of one type, say).

Distances
---------
A unit's distance to a facility is the WGS 84 geodesic from the unit to the facility, as
``pyproj.Geod(ellps="WGS84").inv`` computes it with the unit first; the nearest facility is
found exactly by :class:`geo.nearest.NearestIndex`. A unit is *covered* when that distance is
at most ``threshold_m``: a unit exactly at the threshold counts as covered. With no
facilities at all every distance is infinite and nobody is covered.

:func:`coverage_by_area` gives the same answer as computing every unit's geodesic, to the last
bit, while computing few of them: a unit's chord (straight line through the Earth) to its
nearest facility bounds its geodesic from below and, by a curvature argument, from above
within 0.13 mm at 5 km, so the chord alone proves which facility is nearest and on which side
of the threshold the unit lies; an area's median and 90th percentile are located by the
bounds and settled by the exact geodesics of the units that could hold them (see the
section "coverage from chord bounds" in the code).

Areas
-----
Area codes are HDX pcodes: province ``TH50``, district ``TH5001``, subdistrict ``TH500101``.
Level 1, 2 or 3 aggregates on the first 4, 6 or 8 characters of each unit's code, so a layer
coded by subdistrict can be summarised at any level.

Counts
------
Population and group counts are whole people, integer columns, and every total here is an
integer sum. Integer sums do not depend on the order of addition, so results are exact and
identical however the units are ordered or partitioned (which :mod:`geo.dask_coverage`
relies on), and the totals over areas equal the layer's total.

Modules
-------
:mod:`.by_area` coverage by area, from distances or given costs, and the coverage curve;
:mod:`.suggestions` where to add sites; :mod:`.load` the people and beds each facility
serves; :mod:`.bounded` and :mod:`.chord_bounds` coverage by area from chord bounds on large
layers; :mod:`.tables` the per-area sums; :mod:`.distances` the nearest facility of each
unit; :mod:`.layer` reading the population layer; :mod:`.checks` the input checks.
"""

from geo.coverage.by_area import coverage_by_area, coverage_by_area_of_costs, coverage_curve
from geo.coverage.checks import LEVELS
from geo.coverage.load import ServiceLoad, service_load
from geo.coverage.suggestions import SiteSuggestions, greedy_cover, suggest_sites

__all__ = [
    "LEVELS",
    "ServiceLoad",
    "SiteSuggestions",
    "coverage_by_area",
    "coverage_by_area_of_costs",
    "coverage_curve",
    "greedy_cover",
    "service_load",
    "suggest_sites",
]
