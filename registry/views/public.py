"""Resident pages: find the nearest site, one facility, the all-sites map."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from geoalchemy2.shape import to_shape

from geo.maps import (
    STATUS_COLOURS,
    Basemap,
    Legend,
    SiteMarker,
    ViewportLayer,
    add_search_point,
    add_sites,
    offline_map,
    render_parts,
)

from ..db import db
from ..errors import ValidationError
from ..i18n import current_language
from ..presentation import (
    directions_links,
    facility_name,
    field_label,
    resident_status,
    status_label,
    type_label,
)
from ..services.facilities import facility_history, get_facility
from ..services.search import answer, parse_query
from ..vocabulary import (
    AGE_GROUPS,
    DOSES,
    FACILITY_TYPES,
    TEST_METHODS,
    TYPE_FIELDS,
    VACCINE_BRANDS,
)
from .assets import map_assets

bp = Blueprint("public", __name__)

THAILAND_CENTRE = (13.0, 101.0)
THAILAND_BOUNDS = [[5.6, 97.3], [20.5, 105.7]]


def _basemap() -> Basemap | None:
    url = current_app.config.get("TILE_URL")
    # The default attribution is a msgid (Thai pages credit OpenStreetMap in Thai); one an
    # operator configured is shown as written.
    return Basemap(url, _(current_app.config["TILE_ATTRIBUTION"])) if url else None


def _legend() -> Legend:
    title = "สถานะ" if current_language() == "th" else "Status"
    return Legend(title, [(colour, status_label(s)) for s, colour in STATUS_COLOURS.items()])


def _marker(facility, status: str, lines: tuple[str, ...]) -> SiteMarker:
    point = to_shape(facility.geom)
    return SiteMarker(
        lon=point.x,
        lat=point.y,
        name=facility_name(facility),
        status=status,
        lines=(type_label(facility.type), status_label(status), *lines),
        url=url_for("public.facility_page", facility_id=facility.id),
        link_text="รายละเอียด" if current_language() == "th" else "Details",
    )


@bp.get("/")
def index():
    """Find the nearest open site from a place name or the browser's location."""
    error, result, rows = None, None, []
    asked = any(request.args.get(name) for name in ("place", "lat", "lon"))
    if asked:
        try:
            result = answer(db.session, parse_query(db.session, request.args))
        except ValidationError as exc:
            error = exc.message
    centre, zoom = THAILAND_CENTRE, 6
    fmap = None
    if result is not None:
        query = result.query
        centre, zoom = (query.lat, query.lon), 12
        markers = []
        for facility, distance, bearing in zip(
            result.facilities, result.distance_m, result.bearing_deg, strict=True
        ):
            status = resident_status(facility)
            point = to_shape(facility.geom)
            rows.append(
                {
                    "facility": facility,
                    "name": facility_name(facility),
                    "type": type_label(facility.type),
                    "status": status,
                    "status_label": status_label(status),
                    "distance_km": distance / 1000,
                    "bearing": bearing,
                    "directions": directions_links(query.lat, query.lon, (point.y, point.x)),
                }
            )
            markers.append(_marker(facility, status, (f"{distance / 1000:.1f} km",)))
        fmap = offline_map(centre, zoom, basemap=_basemap(), assets=map_assets())
        add_search_point(fmap, query.lat, query.lon, _search_label(query))
        add_sites(fmap, markers)
        if markers:
            lats = [m.lat for m in markers] + [query.lat]
            lons = [m.lon for m in markers] + [query.lon]
            fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(20, 20))
        _legend().add_to(fmap)
    else:
        fmap = offline_map(centre, zoom, basemap=_basemap(), assets=map_assets())
    return render_template(
        "index.html",
        args=request.args,
        error=error,
        result=result,
        rows=rows,
        map=render_parts(fmap),
        facility_types=FACILITY_TYPES,
        type_label=type_label,
        choices={
            "vaccine_brand": VACCINE_BRANDS,
            "dose": DOSES,
            "age_group": AGE_GROUPS,
            "test_method": TEST_METHODS,
        },
    )


def _search_label(query) -> str:
    if query.place is None:
        return "ตำแหน่งของคุณ" if current_language() == "th" else "Your location"
    return query.place.name_th if current_language() == "th" else query.place.name_en


@bp.get("/facility/<int:facility_id>")
def facility_page(facility_id: int):
    """Everything about one facility, a small map and its recent changes."""
    facility = get_facility(db.session, facility_id)
    status = resident_status(facility)
    point = to_shape(facility.geom)
    fmap = offline_map((point.y, point.x), 15, basemap=_basemap(), assets=map_assets())
    add_sites(fmap, [_marker(facility, status, ())])
    history = facility_history(db.session, facility_id)[:20]
    return render_template(
        "facility.html",
        facility=facility,
        name=facility_name(facility),
        type_name=type_label(facility.type),
        status=status,
        status_text=status_label(status),
        point=point,
        directions=directions_links(None, None, (point.y, point.x)),
        history=history,
        type_fields=TYPE_FIELDS[facility.type],
        field_label=field_label,
        map=render_parts(fmap),
    )


@bp.get("/map")
def all_sites_map():
    """Every facility, loaded by view: clusters when zoomed out, sites when zoomed in."""
    fmap = offline_map(
        THAILAND_CENTRE, 6, basemap=_basemap(), assets=map_assets(viewport=True), canvas=True
    )
    ViewportLayer(
        url_for("api.map_features"),
        facility_url=url_for("public.facility_page", facility_id=0).rsplit("/", 1)[0] + "/",
        api_facility_url=url_for("api.show_facility", facility_id=0).rsplit("/", 1)[0] + "/",
        types={t: type_label(t) for t in FACILITY_TYPES},
        language=current_language(),
    ).add_to(fmap)
    _legend().add_to(fmap)
    fmap.fit_bounds(THAILAND_BOUNDS)
    return render_template("map.html", map=render_parts(fmap))
