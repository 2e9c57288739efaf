"""Numbers to points in Thailand: the CRS declared or guessed, swapped columns detected,
every doubt reported (rules 1-4 of :mod:`importers.coords`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from importers import rules
from importers.coords.crs import UTM_ZONES, WGS84, cached_crs, crs_label, is_wgs84, to_lonlat
from importers.coords.thailand import (
    LAT_MAX,
    LAT_MIN,
    LON_MAX,
    LON_MIN,
    in_thailand,
    in_thailand_outline,
)
from importers.report import ERROR, WARNING, Problem, quote

# Plausible UTM metres for Thailand in zone 47N or 48N (eastings run past the zone edge).
_EASTING = (100_000.0, 1_300_000.0)
_NORTHING = (500_000.0, 2_500_000.0)


@dataclass
class LocatedPoints:
    """Result of :func:`locate_points`.

    Attributes
    ----------
    lon, lat : numpy.ndarray
        WGS 84 degrees; NaN where the row has no usable point.
    ok : numpy.ndarray
        True where the point was read and lies in Thailand.
    problems : list of Problem
    crs : str
        The CRS the coordinates were read in (declared, guessed, or EPSG:4326).
    guessed : bool
        True when the CRS was guessed from the numbers.
    """

    lon: np.ndarray
    lat: np.ndarray
    ok: np.ndarray
    problems: list[Problem] = field(default_factory=list)
    crs: str = WGS84
    guessed: bool = False


@dataclass(frozen=True)
class _Labels:
    rows: np.ndarray
    x_column: str
    y_column: str
    x_text: np.ndarray
    y_text: np.ndarray


def locate_points(
    x: np.ndarray,
    y: np.ndarray,
    *,
    rows: np.ndarray,
    x_column: str = "lon",
    y_column: str = "lat",
    x_text: np.ndarray | None = None,
    y_text: np.ndarray | None = None,
    crs: str | None = None,
) -> LocatedPoints:
    """Turn x/y numbers into WGS 84 longitude/latitude inside Thailand, reporting every doubt.

    Parameters
    ----------
    x, y : numpy.ndarray
        Easting/longitude and northing/latitude as numbers; NaN rows are skipped silently
        (the caller reports empty or unreadable cells).
    rows : numpy.ndarray
        Source row numbers, for messages.
    x_column, y_column : str
        Column names as headed in the file, for messages.
    x_text, y_text : numpy.ndarray, optional
        Raw cell text, quoted in messages (default: the numbers).
    crs : str, optional
        Declared CRS (anything :func:`resolve_crs` accepts). None means: detect.

    Returns
    -------
    LocatedPoints

    Examples
    --------
    >>> pts = locate_points(np.array([100.5, 13.7]), np.array([13.7, 100.5]), rows=np.array([2, 3]))
    >>> pts.lon.tolist(), pts.lat.tolist(), [p.severity for p in pts.problems]
    ([100.5, 100.5], [13.7, 13.7], ['warning'])
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    labels = _Labels(
        rows=np.asarray(rows),
        x_column=x_column,
        y_column=y_column,
        x_text=_texts(x, x_text),
        y_text=_texts(y, y_text),
    )
    result = LocatedPoints(
        lon=np.full(n, np.nan), lat=np.full(n, np.nan), ok=np.zeros(n, dtype=bool)
    )
    usable = np.isfinite(x) & np.isfinite(y)
    if crs is not None:
        crs_text = str(crs)
        cached_crs(crs_text)
        result.crs = crs_text
        _place(result, usable, x, y, [(crs_text, False), (crs_text, True)], labels)
        return result

    with np.errstate(invalid="ignore"):
        ax, ay = np.abs(x), np.abs(y)
        # Either order: swapped columns put the longitude (97-106) in the latitude column.
        degrees = usable & (ax <= 180) & (ay <= 180) & ((ay <= 90) | (ax <= 90))
    _place(result, degrees, x, y, [(WGS84, False), (WGS84, True)], labels)

    metres = usable & ~degrees & _metre_like(x, y)
    if metres.any():
        zone, hits = _guess_zone(x[metres], y[metres])
        if hits:
            others = [z for z in UTM_ZONES if z != zone]
            candidates = [(zone, False), *((z, False) for z in others), (zone, True)]
            candidates += [(z, True) for z in others]
            _place(result, metres, x, y, candidates, labels)
            result.crs, result.guessed = zone, True
            result.problems.append(
                Problem(
                    None,
                    x_column,
                    None,
                    rules.METRES_GUESSED(crs=crs_label(zone), hits=hits, total=int(metres.sum())),
                    WARNING,
                )
            )
        else:
            for i in np.flatnonzero(metres):
                result.problems.append(
                    Problem(
                        int(labels.rows[i]),
                        x_column,
                        labels.x_text[i],
                        rules.METRES_NOWHERE(column=quote(y_column), value=quote(labels.y_text[i])),
                    )
                )

    neither = usable & ~degrees & ~metres
    for i in np.flatnonzero(neither):
        result.problems.append(_range_problem(i, x[i], y[i], labels))
    return result


def _texts(values: np.ndarray, texts: np.ndarray | None) -> np.ndarray:
    if texts is not None:
        return np.asarray(texts, dtype=object)
    return np.array([None if math.isnan(v) else repr(float(v)) for v in values], dtype=object)


def _metre_like(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        straight = (x >= _EASTING[0]) & (x <= _EASTING[1]) & (y >= _NORTHING[0])
        straight &= y <= _NORTHING[1]
        swapped = (y >= _EASTING[0]) & (y <= _EASTING[1]) & (x >= _NORTHING[0])
        swapped &= x <= _NORTHING[1]
    return straight | swapped


def _guess_zone(x: np.ndarray, y: np.ndarray) -> tuple[str, int]:
    """The UTM zone that puts most points in Thailand (either axis order), and how many."""
    best, best_hits = next(iter(UTM_ZONES)), 0
    for zone in UTM_ZONES:
        inside = np.zeros(len(x), dtype=bool)
        for a, b in ((x, y), (y, x)):
            lon, lat = to_lonlat(a, b, zone)
            inside |= in_thailand_outline(lon, lat)
        hits = int(inside.sum())
        if hits > best_hits:
            best, best_hits = zone, hits
    return best, best_hits


def _place(
    result: LocatedPoints,
    mask: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    candidates: list[tuple[str, bool]],
    labels: _Labels,
) -> None:
    """Read the rows in ``mask`` with the first candidate (crs, swapped) that lands inside.

    "Inside" is Thailand's outline first; a row no candidate puts inside the outline keeps
    the first candidate's reading when that is inside the envelope, and is an error if not.
    """
    pending = mask.copy()
    first_lon = np.full(len(x), np.nan)
    first_lat = np.full(len(x), np.nan)
    for number, (crs_text, swapped) in enumerate(candidates):
        if not pending.any():
            break
        idx = np.flatnonzero(pending)
        a, b = (y[idx], x[idx]) if swapped else (x[idx], y[idx])
        lon, lat = to_lonlat(a, b, crs_text)
        if number == 0:
            first_lon[idx], first_lat[idx] = lon, lat
        inside = in_thailand_outline(lon, lat)
        hit = idx[inside]
        result.lon[hit], result.lat[hit] = lon[inside], lat[inside]
        result.ok[hit] = True
        pending[hit] = False
        if number > 0:
            for i in hit:
                result.problems.append(
                    _fallback_warning(i, crs_text, swapped, candidates[0][0], result, labels)
                )
    primary = candidates[0][0]
    envelope = pending & in_thailand(first_lon, first_lat)
    result.lon[envelope], result.lat[envelope] = first_lon[envelope], first_lat[envelope]
    result.ok[envelope] = True
    pending &= ~envelope
    for i in np.flatnonzero(pending):
        if is_wgs84(primary) and abs(x[i]) <= 180 and abs(y[i]) <= 180:
            result.problems.append(_range_problem(i, x[i], y[i], labels))
        else:
            result.problems.append(_outside_problem(i, first_lon[i], first_lat[i], primary, labels))


def _fallback_warning(
    i: int, crs_text: str, swapped: bool, primary: str, result: LocatedPoints, labels: _Labels
) -> Problem:
    where = rules.READ_AS(lat=f"{result.lat[i]:.6f}", lon=f"{result.lon[i]:.6f}")
    column, value = quote(labels.x_column), quote(labels.x_text[i])
    if swapped and crs_text == primary:
        rule = rules.LOOK_SWAPPED(column=column, value=value, where=where)
    elif swapped:
        rule = rules.LOOK_SWAPPED_IN(
            column=column, value=value, crs=crs_label(crs_text), where=where
        )
    else:
        rule = rules.FITS_OTHER_CRS(
            column=column,
            value=value,
            crs=crs_label(crs_text),
            primary=crs_label(primary),
            where=where,
        )
    return Problem(int(labels.rows[i]), labels.y_column, labels.y_text[i], rule, WARNING)


def _range_problem(i: int, x: float, y: float, labels: _Labels) -> Problem:
    row = int(labels.rows[i])
    point = rules.POINT_OUTSIDE(lat=f"{y:g}", lon=f"{x:g}")
    # Blame the value that cannot be a coordinate at all, then the one outside Thailand.
    blame_lat = abs(y) > 90 and abs(x) <= 180
    if not blame_lat and abs(x) <= 180:
        blame_lat = not LAT_MIN <= y <= LAT_MAX
    if blame_lat:
        return Problem(
            row,
            labels.y_column,
            labels.y_text[i],
            rules.NOT_A_LATITUDE(low=LAT_MIN, high=LAT_MAX, point=point),
            ERROR,
        )
    return Problem(
        row,
        labels.x_column,
        labels.x_text[i],
        rules.NOT_A_LONGITUDE(low=LON_MIN, high=LON_MAX, point=point),
        ERROR,
    )


def _outside_problem(i: int, lon: float, lat: float, crs_text: str, labels: _Labels) -> Problem:
    if is_wgs84(crs_text):
        where = rules.NOT_IN_DEGREES()
    elif math.isfinite(lon) and math.isfinite(lat):
        where = rules.AT_OUTSIDE(lon=f"{lon:.5f}", lat=f"{lat:.5f}")
    else:
        where = rules.NOT_CONVERTIBLE()
    return Problem(
        int(labels.rows[i]),
        labels.x_column,
        labels.x_text[i],
        rules.READ_AS_CRS(
            column=quote(labels.y_column),
            value=quote(labels.y_text[i]),
            crs=crs_label(crs_text),
            where=where,
        ),
        ERROR,
    )
