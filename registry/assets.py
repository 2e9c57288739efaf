"""Leaflet and its plugins, served by the app from their Python wheels: no CDN, works offline."""

from __future__ import annotations

from flask import Blueprint, abort, send_from_directory, url_for

from geo.maps import MapAssets

bp = Blueprint("assets", __name__)


def _vendor_dirs() -> dict[str, str]:
    import xstatic.pkg.leaflet
    import xstatic.pkg.leaflet_markercluster

    return {
        "leaflet": xstatic.pkg.leaflet.BASE_DIR,
        "markercluster": xstatic.pkg.leaflet_markercluster.BASE_DIR,
    }


VENDOR_DIRS = _vendor_dirs()


@bp.get("/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str):
    """A file of a bundled front-end package (long cache: versions are pinned by the wheel)."""
    directory = VENDOR_DIRS.get(package)
    if directory is None:
        abort(404)
    return send_from_directory(directory, filename, max_age=7 * 24 * 3600)


def map_assets(*, viewport: bool = False) -> MapAssets:
    """What a page's Folium map loads, as URLs of this app."""
    # Leaflet's controls in the page's language (see leaflet-locale.js): before any map.
    extra_js = [
        ("leaflet_locale", url_for("static", filename="js/leaflet-locale.js")),
        # Legends, coverage layers and travel bands (geo's map elements call into it).
        ("map_layers", url_for("static", filename="js/map-layers.js")),
    ]
    if viewport:
        extra_js.append(("viewport", url_for("static", filename="js/viewport-layer.js")))
    return MapAssets(
        leaflet_js=url_for("assets.vendor", package="leaflet", filename="leaflet.js"),
        leaflet_css=url_for("assets.vendor", package="leaflet", filename="leaflet.css"),
        extra_js=tuple(extra_js),
        extra_css=(("site", url_for("static", filename="css/map.css")),),
    )
