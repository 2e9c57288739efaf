"""Resident pages: find the nearest site, one facility, the all-sites map."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from geoalchemy2.shape import to_shape
from sqlalchemy.exc import DBAPIError

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
from geo.places import PlaceMatch
from importers.vocabulary import (
    AGE_GROUPS,
    DOSES,
    FACILITY_TYPES,
    TEST_METHODS,
    TYPE_FIELDS,
    VACCINE_BRANDS,
)
from registry.accounts.access import ROLES
from registry.areas.service import assign_areas, locators
from registry.assets import map_assets
from registry.db import db
from registry.errors import OutsideThailandError, PlaceNotFoundError, ValidationError
from registry.facilities.change_values import change_value, dataset_label
from registry.facilities.service import AREA_FIELDS, facility_history, get_facility
from registry.i18n import current_language
from registry.message_text import error_text, shown
from registry.nearest.by_road import answer_by, parse_by
from registry.nearest.place_choice import PlaceResolution, province_of, resolve_place
from registry.nearest.place_labels import place_label, village_label
from registry.nearest.places import place_at
from registry.nearest.search import CachedSite, parse_query
from registry.nearest.village_search import VillageMatch
from registry.operations import outage
from registry.presentation import (
    directions_links,
    facility_name,
    field_label,
    resident_status,
    status_label,
    type_label,
)

bp = Blueprint("public", __name__)

THAILAND_CENTRE = (13.0, 101.0)
THAILAND_BOUNDS = [[5.6, 97.3], [20.5, 105.7]]


def basemap() -> Basemap | None:
    url = current_app.config.get("TILE_URL")
    # The default attribution is a msgid (Thai pages credit OpenStreetMap in Thai); one an
    # operator configured is shown as written.
    return Basemap(url, _(current_app.config["TILE_ATTRIBUTION"])) if url else None


def _legend() -> Legend:
    title = "สถานะ" if current_language() == "th" else "Status"
    return Legend(title, [(colour, status_label(s)) for s, colour in STATUS_COLOURS.items()])


def _lon_lat(facility) -> tuple[float, float]:
    """A Facility's point, or a CachedSite's (answers drawn while the database is down)."""
    if isinstance(facility, CachedSite):
        return facility.lon, facility.lat
    point = to_shape(facility.geom)
    return point.x, point.y


def _marker(facility, status: str, lines: tuple[str, ...]) -> SiteMarker:
    lon, lat = _lon_lat(facility)
    return SiteMarker(
        lon=lon,
        lat=lat,
        name=facility_name(facility),
        status=status,
        lines=(type_label(facility.type), status_label(status), *lines),
        url=url_for("public.facility_page", facility_id=facility.id),
        link_text="รายละเอียด" if current_language() == "th" else "Details",
    )


HOME_PROVINCE_COOKIE = "home_province"
_PROVINCE_CODE = re.compile(r"TH[0-9]{2}")
_ONE_YEAR = 365 * 24 * 3600


def _home_province() -> str | None:
    """The province of this browser's last settled search, to rank candidates (never to hide)."""
    code = request.cookies.get(HOME_PROVINCE_COOKIE, "")
    return code if _PROVINCE_CODE.fullmatch(code) else None


def _located(query) -> PlaceMatch | None:
    """The subdistrict a searched point lies in (a location search), if any."""
    try:
        locator = locators.get(db.session)
        found = locator.locate(
            [query.lon], [query.lat], tolerance_m=current_app.config["COAST_TOLERANCE_M"]
        )
        code = found.codes[0]
        return place_at(db.session, code) if code else None
    except ValidationError:  # no areas loaded: the page gives the coordinates instead
        return None
    except DBAPIError as error:  # the database is down: the answer shows without the name
        if not outage.unavailable(error):
            raise
        db.session.rollback()
        return None


def _choice_url(match) -> str:
    """This search again, from one candidate area (a PlaceMatch) or village (VillageMatch)."""
    args = {k: v for k, v in request.args.items() if k not in ("lat", "lon", "area", "village")}
    if isinstance(match, VillageMatch):
        return url_for("public.index", **args, village=match.village.code)
    return url_for("public.index", **args, area=match.code)


@bp.get("/")
def index():
    """Find the nearest open site from a place name or the browser's location."""
    error, result, rows, road = None, None, [], None
    choice = unknown = searched = None
    asked = any(request.args.get(name) for name in ("place", "lat", "lon", "area", "village"))
    if asked:
        try:
            query = parse_query(db.session, request.args, home_province=_home_province())
            if query.resolution is not None and not query.resolution.settled:
                choice = query.resolution
            else:
                # "By road": a travel profile ranks by minutes where a road layer reaches.
                profile = (request.args.get("profile") or "").strip()
                by, profile = parse_by(
                    {"by": "travel_time" if profile else "distance", "profile": profile}
                )
                result, road = answer_by(db.session, query, by, profile)
        except PlaceNotFoundError:
            typed = request.args.get("place", "")
            unknown = resolve_place(db.session, typed, home_province=_home_province())
        except ValidationError as exc:
            if exc.field == "place":  # empty after punctuation, too long, too many parts
                unknown = PlaceResolution(request.args.get("place", ""), "unknown", None, ())
            else:
                error = error_text(exc)
    fmap = None
    if result is not None:
        query = result.query
        searched = query.place or _located(query)
        # Directions from a named area would start at its middle: only a located search
        # gives the maps app an origin; otherwise the phone uses where the person is.
        origin = (None, None) if query.place else (query.lat, query.lon)
        fmap = offline_map((query.lat, query.lon), 12, basemap=basemap(), assets=map_assets())
        markers = []
        minutes = [t / 60.0 for t in road.travel_time_s] or [None] * len(result.facilities)
        route_km = [m / 1000.0 for m in road.route_m] or [None] * len(result.facilities)
        for facility, distance, bearing, travel_min, travel_km in zip(
            result.facilities,
            result.distance_m,
            result.bearing_deg,
            minutes,
            route_km,
            strict=True,
        ):
            status = resident_status(facility)
            lon, lat = _lon_lat(facility)
            rows.append(
                {
                    "facility": facility,
                    "name": facility_name(facility),
                    "type": type_label(facility.type),
                    "status": status,
                    "status_label": status_label(status),
                    "distance_km": distance / 1000,
                    "travel_min": travel_min,
                    "route_km": travel_km,
                    "bearing": bearing,
                    "directions": directions_links(*origin, (lat, lon)),
                }
            )
            reach = f"{distance / 1000:.1f} km"
            if travel_min is not None:
                reach = f"{travel_min:.0f} min · {travel_km:.1f} km"
            markers.append(_marker(facility, status, (reach,)))
        add_search_point(fmap, query.lat, query.lon, _search_label(query))
        add_sites(fmap, markers)
        if markers:
            lats = [m.lat for m in markers] + [query.lat]
            lons = [m.lon for m in markers] + [query.lon]
            fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(20, 20))
        _legend().add_to(fmap)
    elif choice is None and unknown is None:
        fmap = offline_map(THAILAND_CENTRE, 6, basemap=basemap(), assets=map_assets())
    response = make_response(
        render_template(
            "nearest/index.html",
            args=request.args,
            error=error,
            result=result,
            road=road,
            measures=(
                ("", _("Straight line")),
                ("motorcycle", _("By road: motorcycle")),
                ("car", _("By road: car")),
                ("walking", _("By road: on foot")),
            ),
            rows=rows,
            searched=searched,
            choice=choice,
            unknown=unknown,
            place_label=place_label,
            village_label=village_label,
            choice_url=_choice_url,
            map=render_parts(fmap) if fmap is not None else None,
            facility_types=FACILITY_TYPES,
            type_label=type_label,
            choices={
                "vaccine_brand": VACCINE_BRANDS,
                "dose": DOSES,
                "age_group": AGE_GROUPS,
                "test_method": TEST_METHODS,
            },
        )
    )
    if searched is not None:
        response.set_cookie(
            HOME_PROVINCE_COOKIE,
            province_of(searched.code),
            max_age=_ONE_YEAR,
            samesite="Lax",
            httponly=True,
        )
    return response


def _search_label(query) -> str:
    if query.place is None:
        return "ตำแหน่งของคุณ" if current_language() == "th" else "Your location"
    return query.place.name_th if current_language() == "th" else query.place.name_en


def _writes_facilities() -> bool:
    """Officials and administrators also see the codes they work with."""
    if not current_user.is_authenticated:
        return False
    role = ROLES.get(current_user.role)
    return bool(role and role.writes_facilities)


@bp.get("/facility/<int:facility_id>")
def facility_page(facility_id: int):
    """Everything about one facility, a small map and its recent changes."""
    facility = get_facility(db.session, facility_id)
    status = resident_status(facility)
    point = to_shape(facility.geom)
    fmap = offline_map((point.y, point.x), 15, basemap=basemap(), assets=map_assets())
    add_sites(fmap, [_marker(facility, status, ())])
    history = facility_history(db.session, facility_id, limit=20)
    codes = [facility.province_code, facility.district_code, facility.subdistrict_code]
    codes = [code for code in codes if code]
    area = place_at(db.session, codes[-1]) if codes else None
    area_text = place_label(area) if area else " / ".join(codes)
    area_note = _area_note(facility, point)
    official_view = _writes_facilities()
    if official_view and codes:
        area_text += f" ({' / '.join(codes)})"
    return render_template(
        "nearest/facility.html",
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
        change_value=change_value,
        dataset_label=dataset_label,
        area_text=area_text,
        area_note=area_note,
        official_view=official_view,
        map=render_parts(fmap),
    )


def _area_note(facility, point) -> str | None:
    """The note on the facility's areas in the page's language: worked out again from its
    point and the areas its source stated, as the write did (the stored note is English)."""
    if not facility.area_note:
        return None
    stated = {name: getattr(facility, f"stated_{name}") for name in AREA_FIELDS}
    try:
        notes = assign_areas(
            db.session,
            point.x,
            point.y,
            tolerance_m=current_app.config["COAST_TOLERANCE_M"],
            stated={name: code for name, code in stated.items() if code},
        ).warnings
    except OutsideThailandError:  # a tolerance made stricter since it was written
        return facility.area_note
    return "; ".join(shown(note) for note in notes) if notes else facility.area_note


@bp.get("/map")
def all_sites_map():
    """Every facility, loaded by view: clusters when zoomed out, sites when zoomed in."""
    fmap = offline_map(
        THAILAND_CENTRE, 6, basemap=basemap(), assets=map_assets(viewport=True), canvas=True
    )
    ViewportLayer(
        url_for("api.map_features"),
        facility_url=url_for("public.facility_page", facility_id=0).rsplit("/", 1)[0] + "/",
        api_facility_url=url_for("api.show_facility", facility_id=0).rsplit("/", 1)[0] + "/",
        types={t: type_label(t) for t in FACILITY_TYPES},
        statuses={s: status_label(s) for s in STATUS_COLOURS},
        language=current_language(),
    ).add_to(fmap)
    _legend().add_to(fmap)
    fmap.fit_bounds(THAILAND_BOUNDS)
    return render_template("nearest/map.html", map=render_parts(fmap))
