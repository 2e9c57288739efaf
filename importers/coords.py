"""Coordinates as they arrive in Thai lists, turned into WGS 84 longitude and latitude.

Handles Thai digits and comma decimals, degrees-minutes-seconds text (``13°45'30.5"N``,
``100 30 15 E``, ``ละติจูด 13 องศา 45 ลิปดา 30 ฟิลิปดา เหนือ``), declared CRSs (UTM 47N/48N on
WGS 84 or Indian 1975, or anything pyproj knows) and files in UTM metres that declare no CRS.

Rules, in the order they are applied (see :func:`locate_points`):

1. A declared CRS (the caller's ``crs=``, else the file's own) is used as given.
2. With no CRS, values within +-180 / +-90 are degrees (WGS 84). Values that look like metres
   (x 100 000-1 300 000, y 500 000-2 500 000) are read as UTM: the zone, 47N (EPSG:32647) or
   48N (EPSG:32648), is guessed for the whole file as the one that puts most of those points
   inside Thailand's outline, and the guess is reported as a warning on the column. A row
   that only fits the other zone is read in that zone, with a warning. WGS 84 and Indian 1975
   UTM differ by about 300 m and cannot be told apart from the numbers: guessing takes
   WGS 84, so the warning says to pass ``crs="EPSG:24047"`` for Indian 1975.
3. A point outside Thailand that lands inside when latitude and longitude are exchanged is
   read swapped, with a warning naming the row. Choosing between readings (zone, order) uses
   a coarse outline of the country (:func:`in_thailand_outline`), much tighter than the
   envelope: the same UTM numbers can land inside the envelope in both zones.
4. Anything else outside Thailand's envelope is an error quoting the value. The envelope is
   the bounding box of the country's provinces (:data:`THAILAND_BOUNDS`); which province,
   district and subdistrict a point is in is decided later, against the real polygons.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from importers import rules
from importers.errors import ImportOptionError
from importers.messages import RuleError, Text, text_of
from importers.report import ERROR, WARNING, Problem, quote

# lon_min, lat_min, lon_max, lat_max: the bounding box of Thailand's 77 provinces (RTSD/HDX
# boundaries), rounded outwards to 0.01 degree (about 1 km). Northern Malaysia shares the
# latitudes of Yala and Narathiwat, so points just across that border pass here and are caught
# by the area assignment against the province polygons.
THAILAND_BOUNDS: tuple[float, float, float, float] = (97.34, 5.61, 105.64, 20.47)
LON_MIN, LAT_MIN, LON_MAX, LAT_MAX = THAILAND_BOUNDS

# Thailand's longitude range in each half-degree band of latitude from 5.5 N, padded by 0.05
# degree: the extent of the province polygons (data/th_adm1_provinces.geojson, HDX COD-AB) cut
# into bands. Far tighter than the envelope (at 18.8 N Thailand ends at 101.4 E, the envelope at
# 105.6 E), it decides between readings of ambiguous numbers: a UTM zone, swapped columns.
# Simplified polygons lack some small islands, so it never rejects a point by itself.
_OUTLINE_BANDS: tuple[tuple[float, float], ...] = (
    (100.93, 102.01),  # 5.5
    (100.05, 102.13),  # 6.0
    (99.13, 101.83),  # 6.5
    (99.02, 100.80),  # 7.0
    (98.23, 100.49),  # 7.5
    (98.17, 100.37),  # 8.0
    (98.16, 100.22),  # 8.5
    (97.80, 100.12),  # 9.0
    (98.34, 100.14),  # 9.5
    (98.54, 99.91),  # 10.0
    (98.72, 99.57),  # 10.5
    (99.06, 99.68),  # 11.0
    (99.39, 102.96),  # 11.5
    (99.37, 102.84),  # 12.0
    (99.12, 102.77),  # 12.5
    (99.05, 102.54),  # 13.0
    (98.95, 102.92),  # 13.5
    (98.46, 105.54),  # 14.0
    (98.16, 105.67),  # 14.5
    (98.13, 105.65),  # 15.0
    (98.50, 105.68),  # 15.5
    (98.51, 105.46),  # 16.0
    (98.41, 104.83),  # 16.5
    (97.95, 104.86),  # 17.0
    (97.62, 104.77),  # 17.5
    (97.34, 104.26),  # 18.0
    (97.31, 101.36),  # 18.5
    (97.69, 101.41),  # 19.0
    (97.81, 101.34),  # 19.5
    (98.99, 100.63),  # 20.0
)
_BAND_LON = np.array(_OUTLINE_BANDS)

WGS84 = "EPSG:4326"
UTM_ZONES: dict[str, str] = {"EPSG:32647": "UTM zone 47N", "EPSG:32648": "UTM zone 48N"}

# Plausible UTM metres for Thailand in zone 47N or 48N (eastings run past the zone edge).
_EASTING = (100_000.0, 1_300_000.0)
_NORTHING = (500_000.0, 2_500_000.0)

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")

CRS_ALIASES: dict[str, str] = {
    "wgs84": "EPSG:4326",
    "latlon": "EPSG:4326",
    "lonlat": "EPSG:4326",
    "degrees": "EPSG:4326",
    "crs84": "OGC:CRS84",
    "utm47": "EPSG:32647",
    "utm47n": "EPSG:32647",
    "47n": "EPSG:32647",
    "wgs84utm47n": "EPSG:32647",
    "utm48": "EPSG:32648",
    "utm48n": "EPSG:32648",
    "48n": "EPSG:32648",
    "wgs84utm48n": "EPSG:32648",
    "indian1975utm47n": "EPSG:24047",
    "indian1975utm47": "EPSG:24047",
    "indian1975utm48n": "EPSG:24048",
    "indian1975utm48": "EPSG:24048",
}


def to_ascii_digits(text: str) -> str:
    """Replace Thai digits with ASCII ones: ``'๑๓.๗๕'`` -> ``'13.75'``."""
    return text.translate(THAI_DIGITS)


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_COMMA_DECIMAL = re.compile(r"[+-]?\d+,\d+")


def parse_number(text: str) -> float:
    """A finite number from text with Thai digits, comma decimals or thousands separators.

    A single comma with no point is a decimal comma (``'13,75'`` -> 13.75); commas together
    with a point, or several commas, separate thousands (``'1,520,000.5'``).

    Raises
    ------
    ValueError
        With a rule phrased to follow the quoted value: ``"is not a number"``.

    Examples
    --------
    >>> parse_number("๑๓,๗๕"), parse_number(" 1,520,000 "), parse_number("−3.5")
    (13.75, 1520000.0, -3.5)
    """
    s = to_ascii_digits(unicodedata.normalize("NFKC", str(text))).strip()
    s = s.replace("\u2212", "-").replace("\u2013", "-").replace(" ", "")
    if _COMMA_DECIMAL.fullmatch(s):
        s = s.replace(",", ".")
    elif "," in s:
        s = s.replace(",", "")
    if not _NUMBER.fullmatch(s):
        raise RuleError(rules.NOT_A_NUMBER())
    value = float(s)
    if not math.isfinite(value):
        raise RuleError(rules.NOT_FINITE_NUMBER())
    return value


_THAI_DMS_WORDS = (
    ("ฟิลิปดา", '"'),
    ("ลิปดา", "'"),
    ("องศา", "°"),
    ("เหนือ", "N"),
    ("ใต้", "S"),
    ("ตะวันออก", "E"),
    ("ตะวันตก", "W"),
)
# Primes and quotes as typed or pasted, reduced to ° ' " (NFKC turns ″ into ′′).
_SYMBOL_VARIANTS = (
    ("′′", '"'),
    ("''", '"'),
    ("″", '"'),
    ("”", '"'),
    ("“", '"'),
    ("′", "'"),
    ("’", "'"),
    ("‘", "'"),
    ("º", "°"),
    ("˚", "°"),
)
_LABELS = re.compile(
    r"^(ละติจูด|ละติจุด|ลองจิจูด|ลองติจูด|ลองจิจุด|latitude|longitude|lat|lon|lng|long)\s*[:=]?\s*",
    re.IGNORECASE,
)
_DMS = re.compile(
    r"""^\s*(?P<h1>[NSEW])?\s*
    (?P<sign>[+-])?\s*
    (?P<deg>\d+(?:[.,]\d+)?)\s*(?:°|deg|d|:)?\s*
    (?:(?P<min>\d+(?:[.,]\d+)?)\s*(?:'|min|m|:)?\s*)?
    (?:(?P<sec>\d+(?:[.,]\d+)?)\s*(?:"|sec|s)?\s*)?
    (?P<h2>[NSEW])?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)


def _parse_coordinate(text: str) -> tuple[float, str | None]:
    """Decimal degrees and, when a hemisphere is written, the axis it names ('lat'/'lon')."""
    try:
        return parse_number(text), None
    except ValueError:
        pass
    s = to_ascii_digits(unicodedata.normalize("NFKC", str(text))).strip()
    for variant, symbol in _SYMBOL_VARIANTS:
        s = s.replace(variant, symbol)
    for word, symbol in _THAI_DMS_WORDS:
        s = s.replace(word, f" {symbol} ")
    s = _LABELS.sub("", s.strip())
    match = _DMS.match(s)
    if not match or (match["h1"] and match["h2"]):
        raise RuleError(rules.NOT_A_COORDINATE())
    parts = [match["deg"], match["min"], match["sec"]]
    numbers = [float(p.replace(",", ".")) if p else None for p in parts]
    degrees, minutes, seconds = numbers
    if (minutes is not None and not degrees.is_integer()) or (
        seconds is not None and not minutes.is_integer()
    ):
        raise ValueError("mixes decimals with further minutes or seconds")
    if (minutes or 0) >= 60 or (seconds or 0) >= 60:
        raise RuleError(rules.MINUTES_OVER_60())
    value = degrees + (minutes or 0) / 60 + (seconds or 0) / 3600
    hemisphere = (match["h1"] or match["h2"] or "").upper()
    if match["sign"] == "-" or hemisphere in ("S", "W"):
        value = -value
    axis = {"N": "lat", "S": "lat", "E": "lon", "W": "lon"}.get(hemisphere)
    return value, axis


def parse_coordinate(text: str) -> float:
    """Decimal degrees (or metres) from a number or a degrees-minutes-seconds string.

    Raises
    ------
    ValueError
        With a rule that follows the quoted value.

    Examples
    --------
    >>> round(parse_coordinate("13°45'30.5\\"N"), 6), parse_coordinate("100 30 15 E")
    (13.758472, 100.50416666666666)
    >>> round(parse_coordinate("ละติจูด ๑๓ องศา ๔๕ ลิปดา ๓๐ ฟิลิปดา เหนือ"), 4)
    13.7583
    """
    return _parse_coordinate(text)[0]


_PAIR_SPLITS = (re.compile(r"\s*[;|/]\s*"), re.compile(r"\s*,\s*"), re.compile(r"\s+"))
_HEMISPHERE_SPLIT = re.compile(r"(?<=[NSns])\s*,?\s*(?=[0-9๐-๙EWew+-])")


def parse_coordinate_pair(text: str) -> tuple[float, float]:
    """Two coordinates from one cell, in the order written: ``"13.7563, 100.5018"``.

    With hemisphere letters the order is read from them and the result is (lat, lon).
    Separators: ``;``, ``,``, ``|``, ``/`` or spaces.

    Examples
    --------
    >>> parse_coordinate_pair("(13.7563, 100.5018)")
    (13.7563, 100.5018)
    >>> parse_coordinate_pair("100°30'E 13°45'N")
    (13.75, 100.5)
    """
    s = to_ascii_digits(str(text)).strip().strip("()[]{}").strip()
    candidates = [_HEMISPHERE_SPLIT.split(s, maxsplit=1)]
    candidates += [splitter.split(s) for splitter in _PAIR_SPLITS]
    for parts in candidates:
        if len(parts) != 2:
            continue
        try:
            (a, axis_a), (b, axis_b) = _parse_coordinate(parts[0]), _parse_coordinate(parts[1])
        except ValueError:
            continue
        if axis_a == "lon" or axis_b == "lat":
            return b, a
        return a, b
    raise ValueError('is not a coordinate pair like "13.7563, 100.5018"')


def _simple_fix(text: str) -> str:
    text = text.translate(THAI_DIGITS)
    if text.count(",") == 1 and "." not in text:
        return text.replace(",", ".")
    return text


def parse_coordinate_column(values: pd.Series) -> tuple[np.ndarray, dict[int, str]]:
    """Vectorised :func:`parse_coordinate` over a column of raw text.

    Plain numbers are converted in one pass; only cells that are not (Thai digits, DMS, comma
    decimals) go through the per-value parser, once per distinct value.

    Returns
    -------
    numbers : numpy.ndarray
        Float array, NaN where the cell is empty or unreadable.
    bad : dict
        Position -> rule for cells that are not empty but cannot be read.
    """
    raw = values.to_numpy(dtype=object)
    numbers = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy(
        dtype=float, copy=True
    )
    slow = np.flatnonzero(~np.isfinite(numbers) & pd.notna(raw))
    bad: dict[int, str] = {}
    if not len(slow):
        return numbers, bad
    texts = [str(v).strip() for v in raw[slow]]
    # Thai digits and decimal commas, the usual reasons, are fixed in bulk first.
    quick = pd.to_numeric(
        pd.Series([_simple_fix(t) for t in texts], dtype=object), errors="coerce"
    ).to_numpy(dtype=float)
    parsed: dict[str, float | str] = {}
    for position, text, value in zip(slow.tolist(), texts, quick.tolist(), strict=True):
        if math.isfinite(value):
            numbers[position] = value
            continue
        if not text:
            continue
        if text not in parsed:
            try:
                parsed[text] = _parse_coordinate(text)[0]
            except ValueError as exc:
                parsed[text] = text_of(exc) or str(exc)
        result = parsed[text]
        if isinstance(result, (str, Text)):
            bad[position] = result
        else:
            numbers[position] = result
    return numbers, bad


def resolve_crs(value: object) -> CRS:
    """A pyproj CRS from user input: ``"EPSG:32647"``, ``32647``, ``"UTM 47N"``, a URN, WKT.

    Raises
    ------
    ImportOptionError
        When pyproj does not know the CRS.

    Examples
    --------
    >>> resolve_crs("utm 47n").to_epsg(), resolve_crs(24048).to_epsg()
    (32647, 24048)
    """
    if isinstance(value, CRS):
        return value
    text = str(value).strip()
    key = re.sub(r"[\s_/().-]+", "", text.casefold())
    if key in CRS_ALIASES:
        text = CRS_ALIASES[key]
    elif text.isdigit():
        text = f"EPSG:{text}"
    try:
        crs = CRS.from_user_input(text)
    except CRSError:
        raise ImportOptionError(
            f"crs {quote(value)} is not a coordinate reference system pyproj knows; "
            "use for example EPSG:4326, EPSG:32647, EPSG:32648, EPSG:24047 or EPSG:24048"
        ) from None
    if not (crs.is_geographic or crs.is_projected):
        raise ImportOptionError(f"crs {quote(value)} is neither geographic nor projected")
    return crs


@lru_cache(maxsize=32)
def _crs_for(text: str) -> CRS:
    return resolve_crs(text)


def crs_label(crs_text: str) -> str:
    """``"EPSG:32647 (WGS 84 / UTM zone 47N)"`` for messages."""
    crs = _crs_for(crs_text)
    epsg = crs.to_epsg()
    code = f"EPSG:{epsg}" if epsg else "the declared CRS"
    return f"{code} ({crs.name})"


@lru_cache(maxsize=32)
def _is_wgs84(crs_text: str) -> bool:
    crs = _crs_for(crs_text)
    return crs.to_epsg() == 4326 or crs.equals(CRS("OGC:CRS84"))


@lru_cache(maxsize=32)
def transformer_to_wgs84(crs_text: str) -> Transformer:
    """A cached transformer from ``crs_text`` to WGS 84 longitude/latitude (always x, y)."""
    return Transformer.from_crs(_crs_for(crs_text), "EPSG:4326", always_xy=True)


def to_lonlat(x: np.ndarray, y: np.ndarray, crs_text: str) -> tuple[np.ndarray, np.ndarray]:
    """Transform x, y arrays in ``crs_text`` to longitude, latitude arrays (inf on failure)."""
    if _is_wgs84(crs_text):
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    lon, lat = transformer_to_wgs84(crs_text).transform(x, y)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def in_thailand(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where a point is inside Thailand's envelope (:data:`THAILAND_BOUNDS`)."""
    with np.errstate(invalid="ignore"):
        return (lon >= LON_MIN) & (lon <= LON_MAX) & (lat >= LAT_MIN) & (lat <= LAT_MAX)


def in_thailand_outline(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where a point is within Thailand's coarse outline (half-degree latitude bands).

    Used to choose between readings of the same numbers, not to reject points.
    """
    inside = in_thailand(lon, lat)
    band = np.clip(((np.nan_to_num(lat) - 5.5) // 0.5).astype(int), 0, len(_BAND_LON) - 1)
    with np.errstate(invalid="ignore"):
        return inside & (lon >= _BAND_LON[band, 0]) & (lon <= _BAND_LON[band, 1])


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
        _crs_for(crs_text)
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
                    f"holds metres, not degrees, and the file declares no CRS: read as "
                    f"{crs_label(zone)}, which puts {hits} of {int(metres.sum())} such points in "
                    "Thailand; pass crs= if that is wrong (Indian 1975 UTM is EPSG:24047 "
                    "or EPSG:24048)",
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
                        f"(with column {quote(y_column)} {quote(labels.y_text[i])}) looks like "
                        "metres but is "
                        "no UTM 47N or 48N point in Thailand; pass crs= to say which CRS it is",
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
        if _is_wgs84(primary) and abs(x[i]) <= 180 and abs(y[i]) <= 180:
            result.problems.append(_range_problem(i, x[i], y[i], labels))
        else:
            result.problems.append(_outside_problem(i, first_lon[i], first_lat[i], primary, labels))


def _fallback_warning(
    i: int, crs_text: str, swapped: bool, primary: str, result: LocatedPoints, labels: _Labels
) -> Problem:
    where = f"read as latitude {result.lat[i]:.6f}, longitude {result.lon[i]:.6f}"
    if swapped and crs_text == primary:
        rule = (
            f"and column {quote(labels.x_column)} {quote(labels.x_text[i])} look swapped "
            f"(latitude and longitude exchanged); {where}"
        )
    elif swapped:
        rule = (
            f"and column {quote(labels.x_column)} {quote(labels.x_text[i])} look swapped "
            f"and fit {crs_label(crs_text)}; {where}"
        )
    else:
        rule = (
            f"(with column {quote(labels.x_column)} {quote(labels.x_text[i])}) fits "
            f"{crs_label(crs_text)}, "
            f"not {crs_label(primary)} like the other rows; {where}"
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
    if _is_wgs84(crs_text):
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
