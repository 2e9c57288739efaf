"""Coordinate reference systems: what people call them, and the transformation to WGS 84."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from importers import rules
from importers.errors import ImportOptionError
from importers.messages import Text
from importers.report import quote

WGS84 = "EPSG:4326"
UTM_ZONES: dict[str, str] = {"EPSG:32647": "UTM zone 47N", "EPSG:32648": "UTM zone 48N"}

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
    elif text.isdecimal():
        text = f"EPSG:{text}"
    try:
        crs = CRS.from_user_input(text)
    except CRSError:
        raise ImportOptionError(rules.CRS_UNKNOWN(value=quote(value))) from None
    if not (crs.is_geographic or crs.is_projected):
        raise ImportOptionError(rules.CRS_NOT_FOR_POINTS(value=quote(value)))
    return crs


@lru_cache(maxsize=32)
def cached_crs(text: str) -> CRS:
    return resolve_crs(text)


def crs_label(crs_text: str) -> Text:
    """``"EPSG:32647 (WGS 84 / UTM zone 47N)"`` for messages."""
    crs = cached_crs(crs_text)
    epsg = crs.to_epsg()
    if epsg:
        return rules.CRS_NAMED(code=f"EPSG:{epsg}", name=crs.name)
    return rules.DECLARED_CRS(name=crs.name)


@lru_cache(maxsize=32)
def is_wgs84(crs_text: str) -> bool:
    crs = cached_crs(crs_text)
    return crs.to_epsg() == 4326 or crs.equals(CRS("OGC:CRS84"))


@lru_cache(maxsize=32)
def transformer_to_wgs84(crs_text: str) -> Transformer:
    """A cached transformer from ``crs_text`` to WGS 84 longitude/latitude (always x, y)."""
    return Transformer.from_crs(cached_crs(crs_text), "EPSG:4326", always_xy=True)


def to_lonlat(x: np.ndarray, y: np.ndarray, crs_text: str) -> tuple[np.ndarray, np.ndarray]:
    """Transform x, y arrays in ``crs_text`` to longitude, latitude arrays (inf on failure)."""
    if is_wgs84(crs_text):
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    lon, lat = transformer_to_wgs84(crs_text).transform(x, y)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
