"""Coverage by area and the coverage curve: who lives within a distance (or cost) of a site."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from geo.coverage.bounded import bounded_area_table, bounds_pay_off
from geo.coverage.checks import check_group_columns, check_level, check_threshold, shares
from geo.coverage.distances import facility_nearest_index, nearest_facility
from geo.coverage.layer import modelled, read_units
from geo.coverage.tables import area_table
from geo.nearest import NearestIndex


def coverage_by_area(
    population: pd.DataFrame,
    facility_lon,
    facility_lat,
    *,
    threshold_m: float,
    level: int,
    area_codes_column: str = "area_code",
    group_columns: Sequence[str] = (),
    facility_index: NearestIndex | None = None,
) -> pd.DataFrame:
    """People within and beyond ``threshold_m`` of the nearest facility, per area.

    Each unit's nearest facility and its distance are found exactly by WGS 84 geodesic
    distance, with the result of :meth:`geo.nearest.NearestIndex.nearest_distances`. A unit
    is covered when that distance is at most ``threshold_m``; a unit exactly at the threshold
    is covered. Units are summed per area at ``level`` (the code's first 4, 6 or 8
    characters). Only distances are counted, so which of two equally near facilities is the
    nearest does not matter.

    On large layers (50,000 units and 40 per area or more) the geodesic is computed only
    where a unit's chord bounds (see the package docstring) cannot decide: near-ties between
    two facilities, units within a fraction of a millimetre of the threshold, and the few
    units that could be an area's quantile. The work is then one KD-tree query per unit,
    split over threads, and memory about 40 bytes per unit besides the input. Smaller
    layers get every unit's geodesic, which is as fast there. Both give the same table.

    ``median_m`` and ``p90_m`` are population-weighted lower quantiles of the distance: the
    smallest distance within which at least half (nine tenths) of the area's people live.
    They are taken from the units' own distances, never interpolated. With no facilities
    every distance is ``inf``, nobody is covered, and both quantiles are ``inf``. An area
    whose units all hold zero people appears with population 0 and NaN share and
    quantiles; areas with no unit in the layer do not appear.

    Parameters
    ----------
    population : pandas.DataFrame
        Population units: ``lon``, ``lat`` (or a point geometry in EPSG:4326),
        ``population`` (non-negative integers), the area-code column and the group columns
        (non-negative integers).
    facility_lon, facility_lat : array_like of float
        Facility coordinates in degrees WGS 84; may be empty. Pass None for both when
        ``facility_index`` is given.
    threshold_m : float
        Coverage distance in metres, finite and non-negative.
    level : int
        1 province, 2 district, 3 subdistrict.
    area_codes_column : str, default "area_code"
        Column of HDX pcodes. A unit coded coarser than ``level`` (people known only by
        district, such as those of a subdistrict newer than the boundaries) is summed in a
        row of its own coarser code, so nobody is lost from the table.
    group_columns : sequence of str, default ()
        Population groups to report, e.g. ``geo.population.AGE_GROUPS``.
    facility_index : geo.nearest.NearestIndex, optional
        A prebuilt index over the facilities, to save rebuilding it across calls.

    Returns
    -------
    pandas.DataFrame
        One row per area, sorted by code: ``code``, ``population``, ``covered``,
        ``uncovered`` (int64), ``share_covered``, ``median_m``, ``p90_m`` (float64), and for
        each group ``g``: ``g_population``, ``g_covered``, ``g_uncovered``,
        ``g_share_covered``. ``attrs["modelled"]`` is copied from the input.

    Raises
    ------
    ValueError
        If a column is missing or holds a bad value, the level or threshold is invalid, or
        the facility inputs are inconsistent.

    Examples
    --------
    Three towns on the meridian 100°E, one facility at the first; one degree of latitude
    here is about 110.6 km:

    >>> towns = pd.DataFrame(
    ...     {
    ...         "lon": [100.0, 100.0, 100.0],
    ...         "lat": [14.0, 15.0, 16.0],
    ...         "population": [100, 200, 300],
    ...         "area_code": ["TH100101", "TH100102", "TH110101"],
    ...     }
    ... )
    >>> table = coverage_by_area(towns, [100.0], [14.0], threshold_m=150_000, level=1)
    >>> table[["code", "population", "covered", "uncovered"]].to_dict("records")
    [{'code': 'TH10', 'population': 300, 'covered': 300, 'uncovered': 0}, \
{'code': 'TH11', 'population': 300, 'covered': 0, 'uncovered': 300}]
    >>> table["median_m"].round().tolist()
    [110644.0, 221298.0]
    """
    level = check_level(level)
    check_threshold(threshold_m, "threshold_m")
    group_columns = check_group_columns(group_columns)
    units = read_units(
        population, area_codes_column=area_codes_column, level=level, group_columns=group_columns
    )
    index = facility_nearest_index(facility_lon, facility_lat, facility_index)
    if index is not None and bounds_pay_off(units):
        table = bounded_area_table(index, units, float(threshold_m))
    else:
        _, distance = nearest_facility(index, units.lon, units.lat)
        table = area_table(
            units.area_index,
            units.area_codes,
            units.weight,
            distance,
            float(threshold_m),
            units.groups,
        )
    table.attrs["modelled"] = modelled(population)
    return table


def coverage_by_area_of_costs(
    population: pd.DataFrame,
    cost,
    *,
    threshold: float,
    level: int,
    area_codes_column: str = "area_code",
    group_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """People within and beyond ``threshold`` per area, from each unit's given cost.

    The cost is whatever the caller measured from the unit to its nearest facility, for
    example the travel time in seconds on a road network (:mod:`geo.routing`); ``inf``
    means no facility can be reached. A unit is covered when its cost is at most
    ``threshold``. The table is :func:`coverage_by_area`'s, with the quantile columns named
    ``median`` and ``p90`` (in the cost's unit) instead of ``median_m`` and ``p90_m``.

    Examples
    --------
    >>> towns = pd.DataFrame(
    ...     {"lon": [100.0, 100.0], "lat": [14.0, 15.0], "population": [10, 30],
    ...      "area_code": ["TH100101", "TH100102"]}
    ... )
    >>> table = coverage_by_area_of_costs(towns, [600.0, 2400.0], threshold=1800, level=1)
    >>> table[["code", "covered", "uncovered", "median"]].values.tolist()
    [['TH10', 10, 30, 2400.0]]
    """
    level = check_level(level)
    check_threshold(threshold, "threshold")
    group_columns = check_group_columns(group_columns)
    units = read_units(
        population, area_codes_column=area_codes_column, level=level, group_columns=group_columns
    )
    cost = np.asarray(cost, dtype=np.float64)
    if cost.shape != units.weight.shape or np.isnan(cost).any() or (cost < 0).any():
        raise ValueError("cost must hold one non-negative number (or inf) per unit")
    table = area_table(
        units.area_index, units.area_codes, units.weight, cost, float(threshold), units.groups
    )
    table = table.rename(columns={"median_m": "median", "p90_m": "p90"})
    table.attrs["modelled"] = modelled(population)
    return table


def coverage_curve(
    population: pd.DataFrame,
    facility_lon,
    facility_lat,
    thresholds_m,
    *,
    facility_index: NearestIndex | None = None,
) -> pd.DataFrame:
    """Share of the people covered at each of several distances, from one nearest search.

    Every unit's nearest-facility distance is computed once (exact WGS 84 geodesic, see
    :func:`coverage_by_area`); the distances are sorted with their people, and each
    threshold is answered by a binary search in the cumulative sum. A unit exactly at a
    threshold is covered at it.

    Parameters
    ----------
    population : pandas.DataFrame
        Population units, as for :func:`coverage_by_area` (no area code needed).
    facility_lon, facility_lat : array_like of float
        Facility coordinates in degrees WGS 84; may be empty (then nobody is covered).
    thresholds_m : array_like of float
        Distances in metres, finite and non-negative, in any order.
    facility_index : geo.nearest.NearestIndex, optional
        A prebuilt index over the facilities.

    Returns
    -------
    pandas.DataFrame
        One row per threshold, in the order given: ``threshold_m``, ``covered``,
        ``uncovered`` (int64) and ``share_covered`` (NaN when the layer holds nobody).

    Raises
    ------
    ValueError
        If the layer, the thresholds or the facility inputs are invalid.

    Examples
    --------
    >>> towns = pd.DataFrame(
    ...     {"lon": [100.0, 100.0, 100.0], "lat": [14.0, 15.0, 16.0], "population": [1, 2, 3]}
    ... )
    >>> curve = coverage_curve(towns, [100.0], [14.0], [0, 150_000, 250_000])
    >>> curve[["threshold_m", "covered", "share_covered"]].values.tolist()
    [[0.0, 1.0, 0.16666666666666666], [150000.0, 3.0, 0.5], [250000.0, 6.0, 1.0]]
    """
    thresholds = np.asarray(thresholds_m)
    if thresholds.ndim != 1 or (thresholds.size and thresholds.dtype.kind not in "iuf"):
        raise ValueError(f"thresholds_m must be a 1-D array of metres, got {thresholds_m!r}"[:200])
    thresholds = thresholds.astype(np.float64)
    for value in thresholds:
        check_threshold(float(value), "thresholds_m value")
    units = read_units(population)
    index = facility_nearest_index(facility_lon, facility_lat, facility_index)
    _, distance = nearest_facility(index, units.lon, units.lat)

    order = np.argsort(distance, kind="stable")
    cumulative = np.concatenate(([0], np.cumsum(units.weight[order])))
    reached = np.searchsorted(distance[order], thresholds, side="right")
    covered = cumulative[reached]
    total = int(cumulative[-1])
    curve = pd.DataFrame(
        {
            "threshold_m": thresholds,
            "covered": covered.astype(np.int64),
            "uncovered": (total - covered).astype(np.int64),
            "share_covered": shares(covered, np.full(covered.size, total)),
        }
    )
    curve.attrs["modelled"] = modelled(population)
    return curve
