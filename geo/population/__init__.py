"""A modelled population layer: province totals spread over points inside the subdistricts.

Pure computation: the caller passes DOPA's registered population per province (already parsed
from its JSON) and the subdistrict polygons; the functions here return frames. Nothing is read
from disk here.

Why a model
-----------
Coverage questions ("who lives more than 10 km from an open vaccination site?") need people
placed on the map. The Department of Provincial Administration (DOPA) publishes the registered
population of each of the 77 provinces, with three age bands, but no district or subdistrict
count is available in public form. So the people of a province have to be spread over its
land by a model, and every number derived from the layer is *modelled*, not measured: frames
returned here carry ``attrs["modelled"] = True`` and a one-line description in
``attrs["model"]``, and whatever shows them must say "modelled".

The model
---------
1. **Equal share per subdistrict within a province.** A province's registered total is split
   equally among its subdistricts (tambon, or khwaeng in Bangkok). Tambons are drawn around
   settlements: each groups a number of villages (muban), and small ones are merged and large
   ones split, so their populations vary far less than their areas do. A mountain tambon may
   be fifty times the area of a lowland one while holding a similar number of people. An
   area-proportional spread would send most of Chiang Mai's or Tak's population into empty
   forest; an equal share keeps people where the administrative map says settlements are.
2. **Points spread evenly over each subdistrict.** Each subdistrict's share is carried by
   ``points_per_subdistrict`` points, placed along a two-dimensional Halton sequence (a
   low-discrepancy sequence: every prefix covers the square evenly) over the polygon's
   bounding box, keeping the first points that fall inside the polygon. The sequence is
   shifted modulo 1 (a Cranley-Patterson rotation) by an offset drawn from a random
   generator seeded with ``(seed, subdistrict number)``, so the layout is reproducible, and
   each subdistrict's points depend only on its own code, its polygon and the seed, never on
   which other subdistricts are passed. Evenly spread points each stand for about the same
   area, which suits the equal share they carry. The box is sampled uniformly in degrees;
   across one subdistrict cos(latitude) changes by well under 1 %, so uniform in degrees is
   uniform in area to that accuracy.
3. **Whole people, exact totals.** Shares are apportioned in integers by the largest
   remainder method: the equal split of ``T`` people over ``n`` parts gives every part
   ``T // n`` and one more to the first ``T % n`` parts in code order (all remainders are
   equal, so code order breaks the tie). Subdistrict totals therefore add up exactly to the
   province totals, and point totals to the subdistrict totals.
4. **Age bands in proportion, exact both ways.** Every point of a province gets the
   province's age mix. Each band count is the point's proportional share rounded down or up
   (so within one person of proportional), chosen such that the bands of every point add up
   to the point's population *and* each band adds up over the province to the province's
   band total. Such a rounding always exists (the fractional shares form a point of a
   transportation polytope, whose vertices are integral); it is built row by row, giving
   each point's spare people to the bands with the most people still to place (Ryser's
   construction).

:func:`province_totals_from_dopa` prepares the province table from DOPA's two public files.
The age-band file comes from another extract than the totals (it sums to 66,181,932 against
66,186,727), so its bands are used as shares of the registered total, apportioned again by
largest remainder.

Weaknesses
----------
* Equal shares understate dense towns and overstate remote tambons: a municipal tambon may
  hold ten times the people of a rural one in the same province. Province totals are right;
  subdistrict and district figures are only as good as that assumption.
* Within a subdistrict people are spread over all land, forest, paddy and reservoirs
  included, while real people live in villages along roads. Distances are overstated in
  large upland tambons and the spread hides the clusters a planner would look for.
* Registered population is where people are registered, not where they live: migrant
  workers, students and commuters count at home. Bangkok has 5.59 million registered, while
  the NSO estimate of the people living there (also public, also only by province) is 7.70
  million; Samut Prakan 1.35 against 1.93 million.
* Every subdistrict of a province shares one age mix.
* The boundaries date from 2019; about a dozen tambons created since are missing, and their
  people sit in the polygons they were split from.
* Points are a fixed number per subdistrict, so a subdistrict's people are represented at
  ``points_per_subdistrict`` locations only: distances are resolved to roughly the
  subdistrict's size divided by the square root of that number.

Modules
-------
:mod:`.dopa` reads DOPA's province files, :mod:`.spread` spreads the modelled layer,
:mod:`.measured` places measured counts per area, :mod:`.apportion` splits people in whole
numbers, :mod:`.points` places the points inside polygons, :mod:`.checks` checks the inputs.
"""

from geo.population.apportion import split_equally
from geo.population.dopa import AGE_GROUPS, province_totals_from_dopa
from geo.population.measured import PLACEMENT_DESCRIPTION, place_area_counts
from geo.population.spread import MODEL_DESCRIPTION, spread_population

__all__ = [
    "AGE_GROUPS",
    "MODEL_DESCRIPTION",
    "PLACEMENT_DESCRIPTION",
    "place_area_counts",
    "province_totals_from_dopa",
    "split_equally",
    "spread_population",
]
