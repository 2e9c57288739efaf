"""Coverage by area on a Dask cluster, for population layers too large for one machine.

The same computation as :func:`geo.coverage.coverage_by_area`, split over the partitions of
the population layer, with identical results: the same counts, and distances and quantiles
equal to the last bit.

How
---
1. The facility coordinates are scattered to every worker once (``broadcast=True``); each
   worker builds one :class:`geo.nearest.NearestIndex` from them and keeps it for every
   partition it processes (a small per-process cache keyed by a digest of the coordinates).
2. Each partition finds its units' nearest facility and geodesic distance and cuts its area
   codes to the requested level. A unit's answer depends only on the unit and the
   facilities (the index is exact, ties go to the lower position), so it is the same float
   whichever partition computes it.
3. The units are shuffled on the area code, so that each area's units all meet in one
   partition, and each partition is summed by the very function the in-process version
   uses. That function's results do not depend on the order of the units: people are whole
   numbers summed as integers, and each quantile is one unit's own distance, picked by an
   exact integer comparison.

The shuffle moves about 30 bytes per unit (code, people, distance, groups) between workers;
it is what makes exact quantiles possible without gathering the layer on one machine.

Dask is an optional dependency (``dask[distributed]``; ``dask-geopandas`` for GeoDataFrame
partitions). The scheduler is given by the caller: a ``distributed.Client`` or a scheduler
address, which the registry reads from its configuration.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from numbers import Integral

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from distributed import Client

# The in-process implementation's own steps, so that both paths share every rule and the
# results match exactly.
from geo.coverage.checks import (
    LAT_LIMIT,
    LON_LIMIT,
    check_group_columns,
    check_level,
    check_threshold,
    checked_coordinates,
    same_length,
)
from geo.coverage.distances import nearest_facility
from geo.coverage.layer import modelled, read_units
from geo.coverage.tables import area_table
from geo.nearest import NearestIndex

# Units per partition when a pandas frame is split here: large enough that per-task overhead
# is small beside the nearest search (about 2 µs a unit), small enough to spread the work.
_UNITS_PER_PARTITION = 500_000

# Indexes a worker keeps, most recently used last: one per facility set in flight.
_CACHE_SIZE = 4
_CACHE: OrderedDict[str, NearestIndex] = OrderedDict()
_CACHE_LOCK = threading.Lock()


@dataclass(frozen=True)
class _Facilities:
    """Facility coordinates as shipped to the workers, with a digest naming the set."""

    lon: np.ndarray
    lat: np.ndarray
    digest: str


def coverage_by_area_dask(
    population,
    facility_lon,
    facility_lat,
    *,
    threshold_m: float,
    level: int,
    client,
    area_codes_column: str = "area_code",
    group_columns: Sequence[str] = (),
    npartitions: int | None = None,
) -> pd.DataFrame:
    """:func:`geo.coverage.coverage_by_area`, computed on a Dask cluster.

    The result equals the in-process one exactly, row for row and bit for bit; see the
    module docstring for how. Distances are WGS 84 geodesics from each unit to its nearest
    facility; a unit exactly at ``threshold_m`` is covered; with no facilities nobody is
    covered and the quantiles are ``inf``; areas whose units hold no people have NaN shares
    and quantiles.

    Parameters
    ----------
    population : pandas.DataFrame, geopandas.GeoDataFrame, dask DataFrame or dask-geopandas
        GeoDataFrame
        Population units with ``lon`` and ``lat`` (or point geometry in EPSG:4326),
        ``population`` and the area-code and group columns as integers, as for
        :func:`geo.coverage.coverage_by_area`. A pandas frame is split into partitions here.
    facility_lon, facility_lat : array_like of float
        Facility coordinates in degrees WGS 84; may be empty.
    threshold_m : float
        Coverage distance in metres, finite and non-negative.
    level : int
        1 province, 2 district, 3 subdistrict.
    client : distributed.Client or str
        The cluster to run on, or its scheduler address (e.g. ``"tcp://10.0.0.5:8786"``),
        for which a client is opened here and closed on return.
    area_codes_column : str, default "area_code"
        Column of HDX pcodes.
    group_columns : sequence of str, default ()
        Population groups to report.
    npartitions : int, optional
        Partitions to split a pandas frame into; by default one per 500,000 units and at
        least one per worker thread. Ignored for Dask input, which keeps its partitions.

    Returns
    -------
    pandas.DataFrame
        As :func:`geo.coverage.coverage_by_area`: one row per area sorted by code.

    Raises
    ------
    ValueError
        If an input is invalid (for Dask input, raised when the partition holding the bad
        value is processed, naming the partition).

    Examples
    --------
    >>> from distributed import LocalCluster
    >>> towns = pd.DataFrame(
    ...     {
    ...         "lon": [100.0, 100.0, 100.0],
    ...         "lat": [14.0, 15.0, 16.0],
    ...         "population": [100, 200, 300],
    ...         "area_code": ["TH100101", "TH100102", "TH110101"],
    ...     }
    ... )
    >>> with LocalCluster(
    ...     n_workers=1, processes=False, dashboard_address=":0"
    ... ) as cluster, Client(cluster) as client:
    ...     table = coverage_by_area_dask(
    ...         towns, [100.0], [14.0], threshold_m=150_000, level=1, client=client
    ...     )
    >>> table[["code", "covered", "uncovered"]].values.tolist()
    [['TH10', 300, 0], ['TH11', 0, 300]]
    """
    level = check_level(level)
    check_threshold(threshold_m, "threshold_m")
    group_columns = check_group_columns(group_columns)
    facilities = _facilities(facility_lon, facility_lat)
    if npartitions is not None and (
        isinstance(npartitions, bool) or not isinstance(npartitions, Integral) or npartitions < 1
    ):
        raise ValueError(f"npartitions must be a positive integer, got {npartitions!r}")
    modelled = _modelled_any(population)
    options = {
        "level": level,
        "area_codes_column": area_codes_column,
        "group_columns": group_columns,
    }
    with _connected(client) as connected:
        units = _as_dask(population, connected, npartitions, options)
        shipped = dask.delayed(connected.scatter(facilities, broadcast=True, hash=False))
        meta = _unit_distances(_empty_like(units), facilities, **options)
        distances = units.map_partitions(_unit_distances, shipped, **options, meta=meta)
        table_meta = _area_rows(meta, float(threshold_m), group_columns)
        tables = distances.shuffle(on="code").map_partitions(
            _area_rows, float(threshold_m), group_columns, meta=table_meta
        )
        table = connected.compute(tables).result()
    table = table.sort_values("code", kind="stable").reset_index(drop=True)
    table = table.astype(table_meta.dtypes.to_dict())
    table.attrs["modelled"] = modelled
    return table


# -- client and input -------------------------------------------------------------------------


@contextlib.contextmanager
def _connected(client) -> Iterator[Client]:
    """The given client, or one opened on the given scheduler address and closed after."""
    if isinstance(client, Client):
        yield client
        return
    if not isinstance(client, str) or not client.strip():
        raise ValueError(
            "client must be a distributed.Client or a scheduler address such as "
            f"'tcp://127.0.0.1:8786', got {client!r}"
        )
    opened = Client(client.strip(), set_as_default=False)
    try:
        yield opened
    finally:
        opened.close()


def _facilities(facility_lon, facility_lat) -> _Facilities:
    lon = checked_coordinates(facility_lon, "facility_lon", LON_LIMIT)
    lat = checked_coordinates(facility_lat, "facility_lat", LAT_LIMIT)
    same_length(lon, lat, "facility_lon", "facility_lat")
    lon = np.ascontiguousarray(lon, dtype=np.float64)
    lat = np.ascontiguousarray(lat, dtype=np.float64)
    digest = hashlib.sha256(lon.tobytes() + b"|" + lat.tobytes()).hexdigest()
    return _Facilities(lon, lat, digest)


def _as_dask(population, client: Client, npartitions: int | None, options: dict):
    if isinstance(population, dd.DataFrame):
        return population
    if not isinstance(population, pd.DataFrame):
        raise ValueError(
            "population must be a pandas or Dask DataFrame of units, got "
            f"{type(population).__name__}"
        )
    # Checked here, before anything is shipped, so that errors name the row of the caller's
    # frame rather than a row of some partition. Only the columns used travel, as plain
    # arrays (coordinates taken out of a geometry column, if that is where they were).
    units = read_units(population, **options)
    column = options["area_codes_column"]
    plain = pd.DataFrame(
        {
            "lon": units.lon,
            "lat": units.lat,
            "population": units.weight,
            column: population[column].to_numpy(),
            **{name: units.groups[name] for name in options["group_columns"]},
        }
    )
    if npartitions is None:
        threads = max(1, sum(client.nthreads().values()))
        npartitions = max(threads, math.ceil(len(population) / _UNITS_PER_PARTITION))
    npartitions = max(1, min(npartitions, len(plain)))
    return dd.from_pandas(plain, npartitions=npartitions, sort=False)


def _empty_like(units) -> pd.DataFrame:
    return units._meta


def _modelled_any(population) -> bool:
    if isinstance(population, pd.DataFrame):
        return modelled(population)
    return bool(getattr(population, "attrs", {}).get("modelled", False))


# -- on the workers ---------------------------------------------------------------------------


def _worker_index(facilities: _Facilities) -> NearestIndex | None:
    """This process's index over the facilities, built on first use."""
    if facilities.lon.size == 0:
        return None
    with _CACHE_LOCK:
        index = _CACHE.get(facilities.digest)
        if index is not None:
            _CACHE.move_to_end(facilities.digest)
            return index
    # Built outside the lock: two threads may build the same index at once, which wastes a
    # few milliseconds but never gives a wrong answer.
    index = NearestIndex(np.arange(facilities.lon.size), facilities.lon, facilities.lat)
    with _CACHE_LOCK:
        _CACHE[facilities.digest] = index
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return index


def _unit_distances(
    frame: pd.DataFrame,
    facilities: _Facilities,
    *,
    level: int,
    area_codes_column: str,
    group_columns: tuple[str, ...],
    partition_info: dict | None = None,
) -> pd.DataFrame:
    """Area code at ``level``, people, nearest distance and group counts per unit."""
    try:
        units = read_units(
            frame, area_codes_column=area_codes_column, level=level, group_columns=group_columns
        )
    except ValueError as error:
        where = f"partition {partition_info['number']}: " if partition_info else ""
        raise ValueError(f"{where}{error}") from None
    index = _worker_index(facilities) if units.lon.size else None
    _, distance = nearest_facility(index, units.lon, units.lat)
    columns = {
        "code": pd.array(units.area_codes[units.area_index].astype(str), dtype=object),
        "population": units.weight,
        "distance_m": distance,
    }
    for name in group_columns:
        columns[f"group:{name}"] = units.groups[name]
    return pd.DataFrame(columns, index=frame.index)


def _area_rows(
    distances: pd.DataFrame, threshold: float, group_columns: tuple[str, ...]
) -> pd.DataFrame:
    """The in-process area summary over the units of whole areas."""
    area_codes, area_index = np.unique(
        distances["code"].to_numpy(dtype=object), return_inverse=True
    )
    groups = {name: distances[f"group:{name}"].to_numpy(dtype=np.int64) for name in group_columns}
    return area_table(
        area_index.astype(np.int64).reshape(-1),
        area_codes,
        distances["population"].to_numpy(dtype=np.int64),
        distances["distance_m"].to_numpy(dtype=np.float64),
        threshold,
        groups,
    )
