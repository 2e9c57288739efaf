"""Whole people split in proportion: largest remainder, equal shares, controlled rounding."""

from __future__ import annotations

import numpy as np


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` in proportion to integer ``weights``; remainder ties to the first."""
    weight_sum = int(weights.sum())
    if total == 0:
        return np.zeros(weights.size, dtype=np.int64)
    # Integer arithmetic keeps the quotas and their remainders exact.
    product = weights.astype(object) * total
    shares = np.array([int(p // weight_sum) for p in product], dtype=np.int64)
    remainders = np.array([int(p % weight_sum) for p in product], dtype=np.int64)
    extra = total - int(shares.sum())
    # lexsort's last key is primary: largest remainder first, then band order.
    winners = np.lexsort((np.arange(weights.size), -remainders))[:extra]
    shares[winners] += 1
    return shares


def split_equally(parent_totals: np.ndarray, parent_of: np.ndarray) -> np.ndarray:
    """Split each parent's total equally among its children, in whole units.

    ``parent_of`` must be sorted (children of a parent contiguous, in code order). Every child
    gets ``total // n`` and the first ``total % n`` children one more: the largest remainder
    method when all remainders are equal, with ties to the lower code.
    """
    children = np.bincount(parent_of, minlength=parent_totals.size)
    first_child = np.concatenate(([0], np.cumsum(children)[:-1]))
    rank = np.arange(parent_of.size) - first_child[parent_of]
    base = parent_totals[parent_of] // children[parent_of]
    return base + (rank < parent_totals[parent_of] % children[parent_of])


def split_groups(
    population: np.ndarray, province_of: np.ndarray, province_groups: np.ndarray
) -> np.ndarray:
    """Group counts per point, adding up to the point's population and the province's groups.

    Controlled rounding of the table of proportional shares ``population * group / total``:
    every cell is its share rounded down, plus one for some cells, so that row sums (points)
    and column sums (groups) come out exact. Each row's spare people go to the groups with
    the most people still unplaced (ties to the larger fractional share, then group order).
    By Ryser's exchange argument this greedy order never gets stuck when a 0/1 completion
    exists, and one does: the fractional parts themselves are a fractional one.
    """
    groups = np.zeros((population.size, province_groups.shape[1]), dtype=np.int64)
    if province_groups.shape[1] == 0:
        return groups
    for province in range(province_groups.shape[0]):
        rows = np.flatnonzero(province_of == province)
        band_totals = province_groups[province]
        total = int(band_totals.sum())
        if total == 0 or rows.size == 0:
            continue
        product = population[rows, None] * band_totals[None, :]
        floor = product // total
        fraction = product % total
        row_spare = (population[rows] - floor.sum(axis=1)).tolist()
        column_spare = (band_totals - floor.sum(axis=0)).tolist()
        # Plain Python on a handful of groups per row beats NumPy's per-call overhead here.
        fractions = fraction.tolist()
        bands = range(band_totals.size)
        for row, spare in enumerate(row_spare):
            if spare == 0:
                continue
            ranked = sorted((-column_spare[band], -fractions[row][band], band) for band in bands)
            for *_, band in ranked[:spare]:
                if column_spare[band] <= 0:
                    raise RuntimeError("controlled rounding of the age groups ran out of people")
                column_spare[band] -= 1
                floor[row, band] += 1
        groups[rows] = floor
    return groups
