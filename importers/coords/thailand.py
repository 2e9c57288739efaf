"""Where Thailand is: its envelope (to accept a point) and its coarse outline (to choose
between readings of the same numbers)."""

from __future__ import annotations

import numpy as np

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
