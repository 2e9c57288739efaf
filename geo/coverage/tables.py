"""Per-area sums of a layer's people by distance: covered, uncovered and quantiles.

Sums are of whole people in integers, so the table does not depend on the order of the units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.coverage.checks import shares

# (numerator, denominator) of the population-weighted quantiles reported per area; fractions,
# so that "at least q of the people" is decided in exact integer arithmetic.
QUANTILES = {"median_m": (1, 2), "p90_m": (9, 10)}


def area_table(
    area_index: np.ndarray,
    area_codes: np.ndarray,
    weight: np.ndarray,
    distance: np.ndarray,
    threshold: float,
    groups: dict[str, np.ndarray],
) -> pd.DataFrame:
    """Sum units per area; the result does not depend on the order of the units."""
    columns = empty_area_columns(groups)
    if area_index.size == 0:
        return pd.DataFrame(columns)

    order = _area_distance_order(area_index, distance, area_codes.size)
    sorted_area = area_index[order]
    sorted_weight = weight[order]
    sorted_distance = distance[order]
    covered_unit = sorted_distance <= threshold
    # Areas come from the units themselves, so every area starts somewhere.
    starts = np.searchsorted(sorted_area, np.arange(area_codes.size))

    population = np.add.reduceat(sorted_weight, starts)
    covered = np.add.reduceat(np.where(covered_unit, sorted_weight, 0), starts)
    columns["code"] = area_codes.astype(str)
    columns["population"] = population
    columns["covered"] = covered
    columns["uncovered"] = population - covered
    columns["share_covered"] = shares(covered, population)
    running = np.cumsum(sorted_weight)
    before = running[starts] - sorted_weight[starts]
    for name, (numerator, denominator) in QUANTILES.items():
        columns[name] = _weighted_quantile(
            sorted_distance, running, before, population, numerator, denominator
        )
    for name, counts in groups.items():
        sorted_counts = counts[order]
        group_population = np.add.reduceat(sorted_counts, starts)
        group_covered = np.add.reduceat(np.where(covered_unit, sorted_counts, 0), starts)
        columns[f"{name}_population"] = group_population
        columns[f"{name}_covered"] = group_covered
        columns[f"{name}_uncovered"] = group_population - group_covered
        columns[f"{name}_share_covered"] = shares(group_covered, group_population)
    return pd.DataFrame(columns)


def _area_distance_order(area_index: np.ndarray, distance: np.ndarray, n_areas: int) -> np.ndarray:
    """Unit order by area, then distance (as ``np.lexsort((distance, area_index))``)."""
    # Ties in distance may come in any order: no result depends on their order.
    by_distance = np.argsort(distance)
    # A stable sort of small integers is a radix sort in NumPy, several times faster than
    # lexsort on ten million units; the ties keep the distance order of the first pass.
    narrow = np.int16 if n_areas <= np.iinfo(np.int16).max else np.int64
    by_area = np.argsort(area_index[by_distance].astype(narrow), kind="stable")
    return by_distance[by_area]


def empty_area_columns(groups) -> dict[str, np.ndarray]:
    counts = np.empty(0, dtype=np.int64)
    floats = np.empty(0, dtype=np.float64)
    columns = {
        "code": np.empty(0, dtype=str),
        "population": counts,
        "covered": counts,
        "uncovered": counts,
        "share_covered": floats,
        **{name: floats for name in QUANTILES},
    }
    for name in groups:
        columns.update(
            {
                f"{name}_population": counts,
                f"{name}_covered": counts,
                f"{name}_uncovered": counts,
                f"{name}_share_covered": floats,
            }
        )
    return columns


def _weighted_quantile(
    sorted_distance: np.ndarray,
    running: np.ndarray,
    before: np.ndarray,
    population: np.ndarray,
    numerator: int,
    denominator: int,
) -> np.ndarray:
    """Smallest distance within which at least numerator/denominator of the people live.

    ``running`` is the cumulative people over units sorted by (area, distance), ``before``
    the running total before each area. The first unit whose running total reaches
    ``before + ceil(q * population)`` is the quantile; it lies inside the area because that
    target is above ``before`` and at most the area's end.
    """
    target = (numerator * population + denominator - 1) // denominator
    reached = np.searchsorted(running, before + np.maximum(target, 1), side="left")
    reached = np.minimum(reached, sorted_distance.size - 1)
    return np.where(population > 0, sorted_distance[reached], np.nan)
