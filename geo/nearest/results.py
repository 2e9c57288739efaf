"""Answers of the nearest search: as arrays, as lists, and several merged into one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geo.nearest.checks import check_max_distance, check_positive_int, read_only


@dataclass(frozen=True, eq=False)
class NearestResult:
    """The nearest eligible items to one query point, nearest first.

    Attributes
    ----------
    ids : numpy.ndarray of int64
        Facility ids.
    positions : numpy.ndarray of int64
        Positions of those items in the arrays the index was built from.
    distance_m : numpy.ndarray of float64
        Geodesic (WGS 84) distance from the query point, in metres.
    bearing_deg : numpy.ndarray of float64
        Forward azimuth from the query point to the item, degrees clockwise from north in
        [0, 360).
    widened : bool
        True when ``max_distance_m`` was given and fewer than k eligible items (or fewer than
        all of them, when there are fewer than k) lay within it, so the answer holds items
        beyond that distance.
    """

    ids: np.ndarray
    positions: np.ndarray
    distance_m: np.ndarray
    bearing_deg: np.ndarray
    widened: bool = False

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class NearestList:
    """A :class:`NearestResult` as plain Python lists, nearest first.

    What a single small answer is read as (a web request turns arrays into lists anyway);
    :meth:`RestrictedIndex.query_list` makes the usual answer without NumPy arrays at all.
    """

    ids: list[int]
    positions: list[int]
    distance_m: list[float]
    bearing_deg: list[float]
    widened: bool = False

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def of(cls, result: NearestResult) -> NearestList:
        return cls(
            result.ids.tolist(),
            result.positions.tolist(),
            result.distance_m.tolist(),
            result.bearing_deg.tolist(),
            result.widened,
        )

    @classmethod
    def merge(
        cls, answers: list[NearestList], k: int, max_distance_m: float | None = None
    ) -> NearestList:
        """As :func:`merge_nearest`: answers over disjoint sets, ranked by (distance, id)."""
        check_positive_int(k, "k")
        if max_distance_m is not None:
            check_max_distance(max_distance_m)
        items = sorted(
            (d, i, p, b)
            for a in answers
            for d, i, p, b in zip(a.distance_m, a.ids, a.positions, a.bearing_deg, strict=True)
        )[:k]
        widened = max_distance_m is not None and bool(items) and items[-1][0] > max_distance_m
        return cls(
            [i for _, i, _, _ in items],
            [p for _, _, p, _ in items],
            [d for d, _, _, _ in items],
            [b for _, _, _, b in items],
            widened,
        )


def merge_nearest(
    results: list[NearestResult], k: int, max_distance_m: float | None = None
) -> NearestResult:
    """The k nearest of several answers for one query point over disjoint sets of items.

    Each answer must hold the nearest items of its own set (as :meth:`NearestIndex.query`
    gives them) and no id may appear in two sets; the merge then equals one query over the
    union: ranked by ``(distance, id)``, the first k kept. ``widened`` is recomputed for
    ``max_distance_m`` as :meth:`NearestIndex.query` defines it.

    Parameters
    ----------
    results : list of NearestResult
        Answers for the same point, positions already expressed in one common numbering.
    k : int
        How many items to keep.
    max_distance_m : float, optional
        The preferred search radius the answers were asked with.

    Returns
    -------
    NearestResult

    Examples
    --------
    >>> from geo.nearest import NearestIndex
    >>> a = NearestIndex([1, 2], [100.0, 100.0], [13.1, 13.4]).query(100.0, 13.0, k=2)
    >>> b = NearestIndex([7], [100.0], [13.2]).query(100.0, 13.0, k=2)
    >>> merge_nearest([a, b], k=2).ids.tolist()
    [1, 7]
    """
    check_positive_int(k, "k")
    if max_distance_m is not None:
        check_max_distance(max_distance_m)
    ids = np.concatenate([r.ids for r in results])
    distance = np.concatenate([r.distance_m for r in results])
    order = np.lexsort((ids, distance))[:k]
    distance = distance[order]
    widened = (
        max_distance_m is not None and distance.size > 0 and bool(distance[-1] > max_distance_m)
    )
    return NearestResult(
        ids=read_only(ids[order]),
        positions=read_only(np.concatenate([r.positions for r in results])[order]),
        distance_m=read_only(distance),
        bearing_deg=read_only(np.concatenate([r.bearing_deg for r in results])[order]),
        widened=widened,
    )
