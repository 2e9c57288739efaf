"""The survey as demand: a measured population layer of the unvaccinated, for coverage.

One unit per counted survey record (see :func:`registry.survey.records.counted_records`): the
village centre when the record has one, else a point inside its subdistrict (its representative
point, which always lies inside the polygon). The unit's people are the record's unvaccinated
residents of every target group except the bedridden, with one group column per target group:
bedridden people need a home visit, not a site within reach, so they are listed for outreach
instead (/survey/outreach). Records with nobody unvaccinated outside the bedridden give no
unit.

The layer is kind "measured" (people were counted, not modelled) with counts per
subdistrict, so coverage answers by subdistrict, district or province. The survey services
keep it current on every write, one subdistrict at a time (population_store.replace_area_units);
``registry survey layer`` rebuilds it whole.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.vocabulary import SURVEY_GROUPS
from registry.coverage import population_store
from registry.models import PopulationLayer, SurveyRecord

SURVEY_LAYER = "survey-unvaccinated"
LAYER_GROUPS: tuple[str, ...] = tuple(g for g in SURVEY_GROUPS if g != "bedridden")
# English here; pages show it through gettext (Thai in survey.po).
TITLE = "Unvaccinated residents, latest survey"
SOURCE = (
    "Volunteer and official survey entered in this registry (survey_record): the latest "
    "record per village, or per subdistrict where no newer village record exists"
)
METHOD = (
    "one unit per village at its centre when given, else at a point inside its subdistrict; "
    "people: unvaccinated residents of every target group except the bedridden (listed for "
    "home visits instead)"
)


def find(session: Session) -> PopulationLayer | None:
    return session.scalar(select(PopulationLayer).where(PopulationLayer.name == SURVEY_LAYER))


def location_of(record: SurveyRecord) -> tuple[float, float] | None:
    """The record's village centre as (lon, lat), or None."""
    if record.geom is None:
        return None
    point = to_shape(record.geom)
    return (point.x, point.y)


def units_from_records(session: Session, records: Sequence[SurveyRecord]) -> pd.DataFrame:
    """Population units (lon, lat, population, area_code, groups) for counted records."""
    kept = [r for r in records if sum(getattr(r, f"unvaccinated_{g}") for g in LAYER_GROUPS)]
    missing = {r.area_code for r in kept if r.geom is None}
    inside = population_store.representative_points(session, missing) if missing else {}
    points = [location_of(r) or inside[r.area_code] for r in kept]
    units = pd.DataFrame(
        {
            "lon": np.array([p[0] for p in points], dtype=np.float64),
            "lat": np.array([p[1] for p in points], dtype=np.float64),
            "area_code": np.array([r.area_code for r in kept], dtype=object),
        }
    )
    total = np.zeros(len(kept), dtype=np.int64)
    for group in LAYER_GROUPS:
        counts = np.array([getattr(r, f"unvaccinated_{group}") for r in kept], dtype=np.int64)
        units[group] = counts
        total += counts
    units.insert(2, "population", total)
    return units


def store(session: Session, records, *, created_by: str, as_of: str | None):
    """Write the whole layer from the counted records (replacing the stored one)."""
    return population_store.store_layer(
        session,
        units_from_records(session, records),
        name=SURVEY_LAYER,
        title=TITLE,
        source=SOURCE,
        kind="measured",
        finest_level=3,
        created_by=created_by,
        as_of=as_of,
        method=METHOD,
        group_columns=LAYER_GROUPS,
        replace=True,
    )


def replace(session: Session, records, area_codes: Sequence[str], *, as_of: str | None):
    """Replace the layer's units of some subdistricts by those of their counted records."""
    return population_store.replace_area_units(
        session, SURVEY_LAYER, units_from_records(session, records), area_codes, as_of=as_of
    )
