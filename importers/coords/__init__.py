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

from importers.coords.crs import (
    CRS_ALIASES,
    UTM_ZONES,
    WGS84,
    crs_label,
    resolve_crs,
    to_lonlat,
    transformer_to_wgs84,
)
from importers.coords.locate import LocatedPoints, locate_points
from importers.coords.parse import (
    THAI_DIGITS,
    parse_coordinate,
    parse_coordinate_column,
    parse_coordinate_pair,
    parse_number,
    to_ascii_digits,
)
from importers.coords.thailand import (
    LAT_MAX,
    LAT_MIN,
    LON_MAX,
    LON_MIN,
    THAILAND_BOUNDS,
    in_thailand,
    in_thailand_outline,
)

__all__ = [
    "CRS_ALIASES",
    "LAT_MAX",
    "LAT_MIN",
    "LON_MAX",
    "LON_MIN",
    "THAILAND_BOUNDS",
    "THAI_DIGITS",
    "UTM_ZONES",
    "WGS84",
    "LocatedPoints",
    "crs_label",
    "in_thailand",
    "in_thailand_outline",
    "locate_points",
    "parse_coordinate",
    "parse_coordinate_column",
    "parse_coordinate_pair",
    "parse_number",
    "resolve_crs",
    "to_ascii_digits",
    "to_lonlat",
    "transformer_to_wgs84",
]
