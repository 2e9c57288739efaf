"""Planner map layers and the coverage chart: pure map building, no Flask, no I/O.

The choropleth is drawn by Leaflet's own ``L.geoJSON`` with colours chosen here, not by
``folium.Choropleth`` or ``folium.GeoJson``: those pull d3 and branca's colormap script from
CDNs, and the map must load only what the application serves. Every label reaching a tooltip
is HTML-escaped here and travels as JSON (see :class:`geo.maps.Bound` for why not Folium's
tooltips).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from branca.element import MacroElement
from jinja2 import Template

#: Colour classes of the share of people *not* covered: (upper bound, colour), YlOrRd.
UNCOVERED_CLASSES: tuple[tuple[float, str], ...] = (
    (0.05, "#ffffb2"),
    (0.15, "#fecc5c"),
    (0.30, "#fd8d3c"),
    (0.50, "#f03b20"),
    (1.00, "#bd0026"),
)
NO_PEOPLE_COLOUR = "#bdbdbd"
FACILITY_COLOUR = "#1a9850"
UNCOVERED_COLOUR = "#54278f"
SUGGESTION_COLOUR = "#08519c"


def uncovered_colour(share_uncovered: float) -> str:
    """The class colour of a share of people left uncovered; grey when there is nobody.

    Examples
    --------
    >>> uncovered_colour(0.0), uncovered_colour(0.05), uncovered_colour(0.6)
    ('#ffffb2', '#fecc5c', '#bd0026')
    >>> uncovered_colour(float("nan"))
    '#bdbdbd'
    """
    if share_uncovered is None or not math.isfinite(share_uncovered):
        return NO_PEOPLE_COLOUR
    for upper, colour in UNCOVERED_CLASSES:
        if share_uncovered < upper:
            return colour
    return UNCOVERED_CLASSES[-1][1]


def legend_items(no_people_label: str) -> list[tuple[str, str]]:
    """(colour, label) pairs for :class:`geo.maps.Legend`: percent uncovered per class.

    Examples
    --------
    >>> legend_items("No people")[0], legend_items("No people")[-1]
    (('#ffffb2', '0–5 %'), ('#bdbdbd', 'No people'))
    """
    items = []
    lower = 0.0
    for upper, colour in UNCOVERED_CLASSES:
        top = "100" if upper >= 1 else f"{upper * 100:g}"
        items.append((colour, f"{lower * 100:g}–{top} %"))
        lower = upper
    items.append((NO_PEOPLE_COLOUR, no_people_label))
    return items


@dataclass(frozen=True)
class AreaShape:
    """One area of the choropleth: its GeoJSON geometry, uncovered share and plain-text label."""

    code: str
    geometry: dict
    share_uncovered: float
    label_lines: tuple[str, ...]


@dataclass(frozen=True)
class MapPoint:
    """A point drawn on the planner map, with a plain-text label and a radius in pixels."""

    lon: float
    lat: float
    label: str
    radius: float = 4.0


@dataclass(frozen=True)
class LayerNames:
    """Names of the four overlays in the layer switcher (plain text)."""

    areas: str = "Share not covered"
    uncovered: str = "People not covered"
    facilities: str = "Sites"
    suggestions: str = "Suggested sites"


class CoverageLayers(MacroElement):
    """The choropleth, uncovered people, facilities and suggestions, with a layer switcher.

    Areas and suggested sites are SVG paths (classes ``coverage-area`` and
    ``suggested-site``); the many small points are drawn on one canvas. ``bounds`` is
    ``[[south, west], [north, east]]`` to fit the map to, or None.

    Drawn by ``RegistryMapLayers`` of the app's ``js/map-layers.js``, which the page loads
    (see MapAssets).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        RegistryMapLayers.coverage({{ this._parent.get_name() }}, {{ this.data|tojson }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        areas: Sequence[AreaShape],
        uncovered: Sequence[MapPoint],
        facilities: Sequence[MapPoint],
        suggestions: Sequence[MapPoint],
        *,
        names: LayerNames | None = None,
        bounds: list | None = None,
    ) -> None:
        super().__init__()
        self._name = "CoverageLayers"
        self.areas = list(areas)
        self.uncovered = list(uncovered)
        self.facilities = list(facilities)
        self.suggestions = list(suggestions)
        self.names = names or LayerNames()
        self.bounds = bounds

    @property
    def data(self) -> dict:
        return {
            "areas": {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "id": area.code,
                        "geometry": area.geometry,
                        "properties": {
                            "fill": uncovered_colour(area.share_uncovered),
                            "label": "<br>".join(escape(line) for line in area.label_lines),
                        },
                    }
                    for area in self.areas
                ],
            },
            "uncovered": [_point_row(p) for p in self.uncovered],
            "facilities": [_point_row(p) for p in self.facilities],
            "suggestions": [_point_row(p) for p in self.suggestions],
            "names": {
                "areas": escape(self.names.areas),
                "uncovered": escape(self.names.uncovered),
                "facilities": escape(self.names.facilities),
                "suggestions": escape(self.names.suggestions),
            },
            "colours": {
                "uncovered": UNCOVERED_COLOUR,
                "facility": FACILITY_COLOUR,
                "suggestion": SUGGESTION_COLOUR,
            },
            "bounds": self.bounds,
        }


def _point_row(point: MapPoint) -> list:
    return [round(point.lon, 6), round(point.lat, 6), round(point.radius, 1), escape(point.label)]


def rounded_geometry(geometry: dict, digits: int = 5) -> dict:
    """A GeoJSON geometry with coordinates rounded (5 digits: about a metre), to lighten pages.

    Examples
    --------
    >>> rounded_geometry({"type": "Point", "coordinates": (98.9934123, 18.7877456)})
    {'type': 'Point', 'coordinates': [98.99341, 18.78775]}
    """

    def walk(value):
        if isinstance(value, int | float):
            return round(float(value), digits)
        return [walk(item) for item in value]

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def coverage_chart_svg(
    thresholds_km: Sequence[float],
    shares: Sequence[float],
    *,
    current_km: float | None,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 560,
    height: int = 260,
) -> str:
    """An inline SVG line chart of the share covered against the threshold.

    Shares are 0-1 (NaN points are skipped); the current threshold is a dashed line. All
    text is escaped.

    Examples
    --------
    >>> svg = coverage_chart_svg([1, 2, 3], [0.1, 0.5, 0.9], current_km=2, title="t",
    ...                          x_label="km", y_label="%")
    >>> svg.startswith("<svg") and svg.count("<circle") == 3
    True
    """
    left, right, top, bottom = 48, 12, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    low_km = min(thresholds_km) if thresholds_km else 0.0
    high_km = max(thresholds_km) if thresholds_km else 1.0
    span = (high_km - low_km) or 1.0

    def x(km: float) -> float:
        return left + (km - low_km) / span * plot_w

    def y(share: float) -> float:
        return top + (1 - share) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" class="coverage-chart">',
        f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            'class="grid"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick * 100:.0f}%</text>'
        )
    for km in thresholds_km:
        if km in (low_km, high_km) or km % 5 == 0:
            parts.append(
                f'<text x="{x(km):.1f}" y="{top + plot_h + 16}" text-anchor="middle">{km:g}</text>'
            )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    if current_km is not None and low_km <= current_km <= high_km:
        parts.append(
            f'<line x1="{x(current_km):.1f}" x2="{x(current_km):.1f}" y1="{top}" '
            f'y2="{top + plot_h}" class="current"/>'
        )
    points = [
        (km, share)
        for km, share in zip(thresholds_km, shares, strict=True)
        if share is not None and math.isfinite(share)
    ]
    if points:
        path = " ".join(f"{x(km):.1f},{y(share):.1f}" for km, share in points)
        parts.append(f'<polyline points="{path}" class="line"/>')
        for km, share in points:
            parts.append(
                f'<circle cx="{x(km):.1f}" cy="{y(share):.1f}" r="3"><title>{km:g} km: '
                f"{share * 100:.1f}%</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)
