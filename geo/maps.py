"""Folium maps that work offline: every asset from the app, tiles optional.

Pure map building: takes plain values and asset URLs, returns Folium objects or HTML strings.
Folium's stock maps pull Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; these maps
reference only the URLs in ``MapAssets`` (set per map instance, never through
``add_js_link``, which would change the defaults of every map in the process). Text from
users is HTML-escaped before it reaches a popup, tooltip or legend.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape

import folium
from branca.element import Element, MacroElement
from jinja2 import Template

STATUS_COLOURS = {
    "open": "#1a9850",
    "full": "#fdae61",
    "temporarily_closed": "#d73027",
    "closed": "#636363",
    "unconfirmed": "#9e9ac8",
}


@dataclass(frozen=True)
class MapAssets:
    """URLs the page's map loads, all served by the application itself."""

    leaflet_js: str
    leaflet_css: str
    extra_js: tuple[tuple[str, str], ...] = ()
    extra_css: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Basemap:
    """A tile layer; when its tiles fail to load the map keeps working without them."""

    url: str
    attribution: str
    max_zoom: int = 19


@dataclass(frozen=True)
class SiteMarker:
    """One site on a map. All text is plain and gets escaped here."""

    lon: float
    lat: float
    name: str
    status: str  # a key of STATUS_COLOURS
    lines: tuple[str, ...] = ()  # more plain-text lines for the popup
    url: str | None = None
    link_text: str = "Details"


def offline_map(
    center: tuple[float, float],
    zoom: int,
    *,
    basemap: Basemap | None,
    assets: MapAssets,
    min_zoom: int = 4,
    canvas: bool = False,
) -> folium.Map:
    """A Leaflet map that loads only the given assets.

    Parameters
    ----------
    center : (lat, lon)
    zoom : int
    basemap : Basemap or None
        None draws no tiles at all (the page's own layers still show).
    assets : MapAssets
    canvas : bool
        Draw vector markers on one canvas (thousands of sites) instead of SVG elements.

    Examples
    --------
    >>> assets = MapAssets("/static/leaflet.js", "/static/leaflet.css")
    >>> html = offline_map((13.75, 100.5), 6, basemap=None, assets=assets).get_root().render()
    >>> "cdn" in html, "/static/leaflet.js" in html
    (False, True)
    """
    max_zoom = basemap.max_zoom if basemap else 19
    # With tiles=None Leaflet has no maxZoom unless the map sets one, and clustering breaks.
    fmap = folium.Map(
        location=list(center),
        zoom_start=zoom,
        tiles=None,
        # Folium gives max_zoom only to its own tile layer; the map needs it too.
        maxZoom=max_zoom,
        minZoom=min_zoom,
        control_scale=True,
        prefer_canvas=canvas,
    )
    fmap.default_js = [("leaflet", assets.leaflet_js), *assets.extra_js]
    fmap.default_css = [("leaflet_css", assets.leaflet_css), *assets.extra_css]
    if basemap is not None:
        folium.TileLayer(
            tiles=basemap.url,
            attr=basemap.attribution,
            max_zoom=max_zoom,
            name="basemap",
            control=False,
        ).add_to(fmap)
    return fmap


def _popup_html(site: SiteMarker) -> str:
    parts = [f"<strong>{escape(site.name)}</strong>"]
    parts += [escape(line) for line in site.lines]
    if site.url:
        parts.append(f'<a href="{escape(site.url)}">{escape(site.link_text)}</a>')
    return "<br>".join(parts)


def add_sites(fmap: folium.Map, sites: list[SiteMarker], *, radius: int = 8) -> folium.FeatureGroup:
    """Circle markers coloured by status, each with an escaped popup and tooltip."""
    group = folium.FeatureGroup(name="sites")
    for site in sites:
        colour = STATUS_COLOURS.get(site.status, STATUS_COLOURS["unconfirmed"])
        marker = folium.CircleMarker(
            location=[site.lat, site.lon],
            radius=radius,
            color="#ffffff",
            weight=2,
            fill=True,
            fill_color=colour,
            fill_opacity=0.95,
        )
        # Leaflet inserts tooltips and popups as HTML: escape user text first.
        marker.add_child(Bound("bindTooltip", escape(site.name)))
        marker.add_child(Bound("bindPopup", _popup_html(site), maxWidth=280))
        marker.add_to(group)
    group.add_to(fmap)
    return group


def add_search_point(fmap: folium.Map, lat: float, lon: float, label: str) -> None:
    """The point a search started from: a dark ring."""
    marker = folium.CircleMarker(
        location=[lat, lon],
        radius=10,
        color="#08306b",
        weight=4,
        fill=True,
        fill_color="#ffffff",
        fill_opacity=1,
    )
    marker.add_child(Bound("bindTooltip", escape(label)))
    marker.add_to(fmap)


class Bound(MacroElement):
    """A popup or tooltip bound to its parent layer, with content passed as a JSON string.

    Folium's own Popup and Tooltip paste their HTML into a JavaScript template literal (and
    the Popup needs jQuery), so a name containing a backtick or ``${...}`` would run as code.
    Here the (already escaped) HTML travels as JSON, which cannot break out of its string.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.{{ this.method }}({{ this.content|tojson }},
            {{ this.options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, method: str, content: str, **options) -> None:
        if method not in ("bindPopup", "bindTooltip"):
            raise ValueError(f"method {method!r} is not bindPopup or bindTooltip")
        super().__init__()
        self._name = "Bound"
        self.method = method
        self.content = content
        self.options = options


class Legend(MacroElement):
    """A Leaflet control listing colours and labels (labels escaped).

    Drawn by ``RegistryMapLayers`` of the app's ``js/map-layers.js``, which the page loads
    (see MapAssets).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        RegistryMapLayers.legend({{ this._parent.get_name() }}, {{ this.html|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, title: str, items: list[tuple[str, str]]) -> None:
        super().__init__()
        self._name = "Legend"
        rows = "".join(
            f'<div><span class="swatch" style="background:{escape(colour)}"></span>'
            f"{escape(label)}</div>"
            for colour, label in items
        )
        self.html = f"<strong>{escape(title)}</strong>{rows}"


class ViewportLayer(MacroElement):
    """Loads only what the current view needs from a JSON endpoint, as the map moves.

    The page must load the script that defines ``RegistryViewportLayer`` (see MapAssets).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = new RegistryViewportLayer({{ this.options|tojson }});
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, url: str, *, colours: dict[str, str] | None = None, **options) -> None:
        super().__init__()
        self._name = "ViewportLayer"
        self.options = {"url": url, "colours": colours or STATUS_COLOURS, **options}


@dataclass(frozen=True)
class MapParts:
    """A rendered map split for embedding in a page: head links, the div, the script."""

    header: str
    html: str
    script: str
    names: dict[str, str] = field(default_factory=dict)


def render_parts(fmap: folium.Map) -> MapParts:
    """Render a map into pieces a page template can place (no iframe, no data URI)."""
    root = fmap.get_root()
    root.render()
    return MapParts(
        header=root.header.render(),
        html=root.html.render(),
        script=root.script.render(),
        names={"map": fmap.get_name()},
    )


def geojson_script(variable: str, data: dict) -> Element:
    """A script element defining a JS variable from JSON, safe inside <script>."""
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return Element(f"<script>var {variable} = {text};</script>")
