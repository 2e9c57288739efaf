"""Travel-time bands on a Leaflet map: road segments coloured by minutes to the nearest site.

The bands come from :func:`geo.routing.coverage.band_lines` (one multi-source pass); each band
is one MultiLineString drawn as an SVG path of class ``travel-band travel-band-N``, with the
roads' attribution (OpenStreetMap's ODbL notice) added to the map's attribution control.
Labels and attribution are escaped and travel as JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from branca.element import MacroElement
from jinja2 import Template

#: Colours of the bands, nearest first: blues, apart from the green sites and yellow-red areas.
BAND_COLOURS = ("#08306b", "#2171b5", "#6baed6", "#9ecae1")


def band_legend_items(minutes: Sequence[float], unit_label: str) -> list[tuple[str, str]]:
    """(colour, label) pairs for :class:`geo.maps.Legend`, e.g. ("#1a9850", "0-7.5 min").

    >>> band_legend_items([15, 30], "min")
    [('#08306b', '0–15 min'), ('#2171b5', '15–30 min')]
    """
    items, low = [], 0.0
    for index, high in enumerate(minutes):
        colour = BAND_COLOURS[min(index, len(BAND_COLOURS) - 1)]
        items.append((colour, f"{low:g}–{high:g} {unit_label}"))
        low = high
    return items


class TravelBands(MacroElement):
    """Road segments by travel-time band, one layer per band.

    Drawn in Leaflet's overlay pane: added after :class:`geo.coverage_map.CoverageLayers`,
    the bands share the areas' SVG and lie above them, below the canvas of points.

    Drawn by ``RegistryMapLayers`` of the app's ``js/map-layers.js``, which the page loads
    (see MapAssets).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        RegistryMapLayers.travelBands({{ this._parent.get_name() }}, {{ this.data|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, bands: Sequence[dict], *, label: str, attribution: str) -> None:
        """``bands``: dicts with ``minutes`` (upper bound) and ``lines`` (see band_lines)."""
        super().__init__()
        self._name = "TravelBands"
        items = band_legend_items([band["minutes"] for band in bands], "min")
        self.data = {
            "bands": [
                {"lines": band["lines"], "colour": colour, "label": escape(f"{label}: {text}")}
                for band, (colour, text) in zip(bands, items, strict=True)
            ],
            "attribution": escape(attribution),
        }
