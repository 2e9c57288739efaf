"""Service load: the people each facility would serve by nearest assignment, and beds per area."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.coverage.checks import (
    LAT_LIMIT,
    LON_LIMIT,
    check_level,
    checked_coordinates,
    same_length,
    shares,
)
from geo.coverage.distances import nearest_facility
from geo.coverage.layer import Units, read_units
from geo.nearest import NearestIndex

# Capacity is reported per this many people.
_PER_PEOPLE = 10_000


@dataclass(frozen=True)
class ServiceLoad:
    """The result of :func:`service_load`.

    Attributes
    ----------
    facilities : pandas.DataFrame
        One row per facility, in input order: ``facility_id``, ``served_population`` (people
        whose nearest facility it is) and, when beds were given, ``beds`` and
        ``beds_per_10k_served``.
    areas : pandas.DataFrame
        One row per area, sorted by code: ``code``, ``population``, ``facilities_serving``
        (facilities nearest to at least one person of the area) and, when beds were given,
        ``beds_allocated`` and ``beds_per_10k``.
    """

    facilities: pd.DataFrame
    areas: pd.DataFrame


def service_load(
    population: pd.DataFrame,
    facility_lon,
    facility_lat,
    facility_ids,
    beds=None,
    *,
    level: int,
    area_codes_column: str = "area_code",
) -> ServiceLoad:
    """People each facility would serve by nearest assignment, and beds per area.

    Every unit is assigned to its nearest facility by WGS 84 geodesic distance (ties to the
    smaller facility id; see :class:`geo.nearest.NearestIndex`). A facility's served
    population is the people assigned to it.

    Beds per area: each facility's beds are shared among the areas it serves in proportion
    to the people it serves there, so an area's ``beds_allocated`` is
    ``sum over facilities f of beds_f * served_f(area) / served_f`` and ``beds_per_10k`` is
    that per 10,000 of the area's people. Equivalently, it is the population-weighted mean,
    over the area's people, of their nearest facility's beds per person. This is chosen over
    "beds of the facilities whose served people live in the area" because it counts every
    bed once: the areas' allocations add up to the beds of the facilities serving anyone,
    and a hospital on a district border lends its beds to both districts in proportion,
    instead of whole to each. Beds of a facility that is nobody's nearest are allocated to
    no area (they show in the facility table with ``served_population`` 0).

    Parameters
    ----------
    population : pandas.DataFrame
        Population units, as for :func:`coverage_by_area`.
    facility_lon, facility_lat : array_like of float
        Facility coordinates in degrees WGS 84; may be empty.
    facility_ids : array_like of int
        Unique integer ids, one per facility.
    beds : array_like of float, optional
        Beds per facility, finite and non-negative; without them only served population and
        the number of serving facilities are reported.
    level : int
        1 province, 2 district, 3 subdistrict.
    area_codes_column : str, default "area_code"
        Column of HDX pcodes.

    Returns
    -------
    ServiceLoad
        A facility table and an area table (see :class:`ServiceLoad`); areas with no people
        have NaN ``beds_per_10k``.

    Raises
    ------
    ValueError
        If an input is invalid.

    Examples
    --------
    >>> towns = pd.DataFrame(
    ...     {
    ...         "lon": [100.0, 100.0, 100.0],
    ...         "lat": [14.0, 14.1, 15.0],
    ...         "population": [3_000, 1_000, 4_000],
    ...         "area_code": ["TH1001", "TH1002", "TH1002"],
    ...     }
    ... )
    >>> load = service_load(towns, [100.0, 100.0], [14.0, 15.0], [7, 8], [10, 40], level=2)
    >>> load.facilities[["facility_id", "served_population"]].values.tolist()
    [[7, 4000], [8, 4000]]
    >>> load.areas[["code", "beds_allocated", "beds_per_10k"]].values.tolist()
    [['TH1001', 7.5, 25.0], ['TH1002', 42.5, 85.0]]
    """
    level = check_level(level)
    units = read_units(population, area_codes_column=area_codes_column, level=level)
    facility_lon = checked_coordinates(facility_lon, "facility_lon", LON_LIMIT)
    facility_lat = checked_coordinates(facility_lat, "facility_lat", LAT_LIMIT)
    same_length(facility_lon, facility_lat, "facility_lon", "facility_lat")
    ids = np.asarray(facility_ids)
    if ids.shape != facility_lon.shape:
        raise ValueError(
            f"facility_ids must have one id per facility ({facility_lon.size}), got shape "
            f"{ids.shape}"
        )
    if ids.size and ids.dtype.kind not in "iu":
        raise ValueError(f"facility_ids must be integers, got dtype {ids.dtype}")
    bed_counts = None if beds is None else _beds(beds, facility_lon.size)
    index = NearestIndex(ids, facility_lon, facility_lat) if facility_lon.size else None
    positions, _ = nearest_facility(index, units.lon, units.lat)
    return _load_tables(units, positions, ids, bed_counts)


def _beds(beds, count: int) -> np.ndarray:
    values = np.asarray(beds)
    if values.shape != (count,) or (values.size and values.dtype.kind not in "iuf"):
        raise ValueError(
            f"beds must hold one number per facility ({count}), got shape {values.shape} "
            f"and dtype {values.dtype}"
        )
    values = values.astype(np.float64)
    bad = ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        position = int(np.argmax(bad))
        raise ValueError(
            f"beds[{position}] = {float(values[position])!r} is not a finite, non-negative "
            "number of beds; leave facilities with unknown beds out or give 0"
        )
    return values


def _load_tables(
    units: Units, positions: np.ndarray, ids: np.ndarray, beds: np.ndarray | None
) -> ServiceLoad:
    n_facilities = ids.size
    n_areas = units.area_codes.size
    assigned = positions >= 0
    # Integer sums over (area, facility) pairs first; beds enter only at the end, so the
    # result does not depend on the order of the units.
    pair = units.area_index[assigned] * max(n_facilities, 1) + positions[assigned]
    pairs, pair_of_unit = np.unique(pair, return_inverse=True)
    pair_people = np.zeros(pairs.size, dtype=np.int64)
    np.add.at(pair_people, pair_of_unit, units.weight[assigned])
    pair_area = pairs // max(n_facilities, 1)
    pair_facility = pairs % max(n_facilities, 1)

    served = np.zeros(n_facilities, dtype=np.int64)
    np.add.at(served, pair_facility, pair_people)
    area_population = np.zeros(n_areas, dtype=np.int64)
    np.add.at(area_population, units.area_index, units.weight)
    serving = np.zeros(n_areas, dtype=np.int64)
    np.add.at(serving, pair_area, (pair_people > 0).astype(np.int64))

    facilities = pd.DataFrame({"facility_id": ids, "served_population": served})
    areas = pd.DataFrame(
        {
            "code": units.area_codes.astype(str),
            "population": area_population,
            "facilities_serving": serving,
        }
    )
    if beds is not None:
        facilities["beds"] = beds
        facilities["beds_per_10k_served"] = shares(beds * _PER_PEOPLE, served)
        share = np.divide(
            pair_people,
            served[pair_facility],
            out=np.zeros(pairs.size),
            where=served[pair_facility] > 0,
        )
        allocated = np.zeros(n_areas)
        np.add.at(allocated, pair_area, beds[pair_facility] * share)
        areas["beds_allocated"] = allocated
        areas["beds_per_10k"] = shares(allocated * _PER_PEOPLE, area_population)
    return ServiceLoad(facilities, areas)
