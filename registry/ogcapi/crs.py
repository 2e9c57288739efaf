"""OGC API - Features Part 2: the coordinate reference systems the registry answers in.

Data are stored in WGS 84 longitude/latitude. Answers may be asked for in CRS84 (the
default, x = longitude), EPSG:4326 (the same datum, axis order latitude, longitude as the
EPSG definition says) or the Thai UTM zones EPSG:32647 / 32648 in metres. A ``bbox`` or a
filter geometry may be given in any of them; it is turned into a lon/lat polygon with
densified edges (a straight UTM edge is a curve in degrees) before it reaches the database.
Projected coordinates must lie near the zone: far outside it the inverse projection gives
infinities or points on the wrong side of the Earth, so those are 400s.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from pyproj import CRS, Transformer

from registry.errors import ValidationError

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
# UTM coordinates farther out than this (metres) are no place on Earth in the zone.
PROJECTED_LIMIT = 20_000_000.0
# Degrees of slack around a projected CRS's EPSG area of use: one UTM zone's width, so either
# Thai zone still takes a box over the whole country (97.3 to 105.6 degrees east).
AREA_OF_USE_SLACK = 6.0


@dataclass(frozen=True)
class Crs:
    uri: str
    epsg: int
    lat_first: bool  # axis order of the CRS: EPSG:4326 is latitude, longitude

    @property
    def is_lonlat(self) -> bool:
        return self.epsg == 4326 and not self.lat_first

    @property
    def projected(self) -> bool:
        return self.epsg != 4326


SUPPORTED: dict[str, Crs] = {
    c.uri: c
    for c in (
        Crs(CRS84, 4326, False),
        Crs("http://www.opengis.net/def/crs/EPSG/0/4326", 4326, True),
        Crs("http://www.opengis.net/def/crs/EPSG/0/32647", 32647, False),
        Crs("http://www.opengis.net/def/crs/EPSG/0/32648", 32648, False),
    )
}
# Short spellings people and some clients use.
_ALIASES = {
    "CRS84": CRS84,
    "OGC:CRS84": CRS84,
    "EPSG:4326": "http://www.opengis.net/def/crs/EPSG/0/4326",
    "EPSG:32647": "http://www.opengis.net/def/crs/EPSG/0/32647",
    "EPSG:32648": "http://www.opengis.net/def/crs/EPSG/0/32648",
}


def parse_crs(raw: str | None, parameter: str) -> Crs:
    """The CRS a parameter names (a URI, a [safe CURIE] or EPSG:n); CRS84 when absent."""
    if raw is None or raw == "":
        return SUPPORTED[CRS84]
    text = raw.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    uri = _ALIASES.get(text.upper(), text)
    if uri.startswith("https://"):
        uri = "http://" + uri[len("https://") :]
    crs = SUPPORTED.get(uri)
    if crs is None:
        raise ValidationError(
            f"parameter '{parameter}': {raw!r} is not a supported CRS; use one of "
            f"{', '.join(SUPPORTED)}",
            field=parameter,
        )
    return crs


@cache
def _to_lonlat(epsg: int) -> Transformer:
    return Transformer.from_crs(epsg, 4326, always_xy=True)


@cache
def _from_lonlat(epsg: int) -> Transformer:
    return Transformer.from_crs(4326, epsg, always_xy=True)


def xy_from_lonlat(crs: Crs, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in the CRS's own axis order, from stored longitudes and latitudes."""
    if crs.projected:
        return _from_lonlat(crs.epsg).transform(lon, lat)
    return (lat, lon) if crs.lat_first else (lon, lat)


def geometries_from_lonlat(crs: Crs, geoms: np.ndarray) -> np.ndarray:
    """Shapely geometries moved from lon/lat into the CRS (axis order included)."""
    if crs.is_lonlat:
        return geoms
    if crs.projected:
        transformer = _from_lonlat(crs.epsg)
        return shapely.transform(geoms, lambda xy: np.column_stack(transformer.transform(*xy.T)))
    return shapely.transform(geoms, lambda xy: xy[:, ::-1])


@cache
def _area_of_use(epsg: int) -> tuple[float, float, float, float]:
    """West, south, east, north in degrees where the CRS's coordinates are read."""
    west, south, east, north = CRS.from_epsg(epsg).area_of_use.bounds
    slack = AREA_OF_USE_SLACK
    return (
        max(west - slack, -180),
        max(south - slack, -90),
        min(east + slack, 180),
        min(north + slack, 90),
    )


def geometry_to_lonlat(
    crs: Crs, geom: shapely.Geometry, parameter: str, shown: str
) -> shapely.Geometry:
    """A geometry given in the CRS, as lon/lat; edges densified for projected CRSs.

    A projected geometry with a point outside the CRS's area of use is a 400 naming
    ``parameter`` and quoting ``shown`` (the value as given).
    """
    if crs.is_lonlat:
        return geom
    if crs.lat_first:
        return shapely.transform(geom, lambda xy: xy[:, ::-1])
    # 1 km segments (a straight UTM edge then differs from its curve by well under a metre),
    # longer for huge shapes so no geometry grows past a few thousand points.
    dense = shapely.segmentize(geom, max(1_000.0, geom.length / 2_000))
    transformer = _to_lonlat(crs.epsg)
    lonlat = shapely.transform(dense, lambda xy: np.column_stack(transformer.transform(*xy.T)))
    west, south, east, north = _area_of_use(crs.epsg)
    lon, lat = shapely.get_coordinates(lonlat).T
    # NaN and infinities fail every comparison, so they are outside too.
    if not ((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)).all():
        raise ValidationError(
            f"parameter '{parameter}': {shown} lies outside the area of use of EPSG:{crs.epsg} "
            f"(longitude {west:g} to {east:g}, latitude {south:g} to {north:g}, "
            f"{AREA_OF_USE_SLACK:g} degrees around the EPSG area); give it in a CRS that "
            "covers the place",
            field=parameter,
        )
    return lonlat


def bbox_geometry(values: tuple[float, ...], crs: Crs, parameter: str) -> shapely.Geometry:
    """A bbox (4 numbers, in the CRS's axis order) as a lon/lat polygon."""
    if crs.lat_first:
        south, west, north, east = values
    else:
        west, south, east, north = values
    if not (west < east and south < north):
        raise ValidationError(
            f"parameter '{parameter}': the lower corner must be below and left of the upper "
            f"corner, got {','.join(map(_number, values))}",
            field=parameter,
        )
    if crs.projected and not (
        west >= -PROJECTED_LIMIT and east <= PROJECTED_LIMIT and south >= -PROJECTED_LIMIT
        and north <= PROJECTED_LIMIT
    ):  # fmt: skip
        raise ValidationError(
            f"parameter '{parameter}': {','.join(map(_number, values))} is not in metres of "
            f"{crs.uri} (each number within ±{PROJECTED_LIMIT:,.0f})",
            field=parameter,
        )
    if not crs.projected and not (west >= -180 and east <= 180 and south >= -90 and north <= 90):
        raise ValidationError(
            f"parameter '{parameter}': {','.join(map(_number, values))} is not in degrees "
            "(longitude -180..180, latitude -90..90)",
            field=parameter,
        )
    box = shapely.box(west, south, east, north)
    shown = ",".join(map(_number, values))
    return geometry_to_lonlat(Crs(crs.uri, crs.epsg, False), box, parameter, shown)


def _number(value: float) -> str:
    return f"{value:g}"
