"""The planner page: who lives too far from an open site, where, and where new sites would help.

Public, like the rest of the read side, for the published layers: it shows aggregates of
population layers only. Layers counted from survey records (COVERAGE_PRIVATE_LAYERS) are
for signed-in accounts: per-village counts of unvaccinated people are not for everyone.
"""

from __future__ import annotations

import math

import shapely
from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from shapely.geometry import mapping
from sqlalchemy import func, select

from geo.coverage_map import (
    AreaShape,
    CoverageLayers,
    LayerNames,
    MapPoint,
    coverage_chart_svg,
    legend_items,
    rounded_geometry,
)
from geo.maps import Legend, offline_map, render_parts
from geo.travel_map import TravelBands, band_legend_items
from importers.vocabulary import AGE_GROUPS, DOSES, FACILITY_TYPES, TEST_METHODS, VACCINE_BRANDS
from registry.assets import map_assets
from registry.auth import signed_in
from registry.cache import PerDatabase
from registry.coverage import query as coverage_query
from registry.coverage import service
from registry.coverage import suggestions as coverage_suggestions
from registry.coverage import travel_time as coverage_roads
from registry.coverage.population import check_layer_access, visible_layers
from registry.db import db
from registry.errors import RegistryError
from registry.i18n import current_language
from registry.message_text import error_text
from registry.models import Area, Facility
from registry.nearest.pages import THAILAND_BOUNDS, THAILAND_CENTRE, basemap
from registry.presentation import measure_label, type_label

bp = Blueprint("planner", __name__)


@bp.before_request
def _private_layers_need_an_account() -> None:
    layer = request.args.get("layer") or None
    check_layer_access(db.session, layer, current_app.config, signed_in=signed_in())


DEFAULTS = {"type": "vaccination_site", "threshold_km": "10", "level": "district"}
DEFAULT_MINUTES = "30"
TABLE_ROWS = 50
# Uncovered units drawn on the map, most people first; the downloads hold every area.
MAP_UNCOVERED_POINTS = 3_000
# Simplification of boundaries drawn on the page, in degrees, by level (~500, 200, 100 m).
_SIMPLIFY = {1: 0.005, 2: 0.002, 3: 0.001}


def _page_shapes(session) -> dict[str, dict]:
    """Every area's boundary, simplified for drawing and with coordinates rounded."""
    table = service.area_tables.get(session)
    levels = table.names["level"]
    shapes = {}
    for code, geometry in table.geometry.items():
        simple = shapely.simplify(geometry, _SIMPLIFY[int(levels[code])], preserve_topology=True)
        shapes[code] = rounded_geometry(mapping(simple))
    return shapes


page_shapes = PerDatabase(
    _page_shapes, lambda session: session.scalar(select(func.count()).select_from(Area))
)


def _args() -> dict[str, str]:
    args = {name: request.args.get(name, "") for name in request.args}
    if "type" in request.args:
        args["type"] = ",".join(v for v in request.args.getlist("type") if v)
    # The form holds both thresholds; the measure chosen (a travel profile, or none for the
    # straight line) says which one counts.
    if args.get("profile"):
        args.pop("threshold_km", None)
        args["threshold_min"] = args.get("threshold_min") or DEFAULT_MINUTES
    else:
        args.pop("threshold_min", None)
    for name, value in DEFAULTS.items():
        if name == "threshold_km" and args.get("profile"):
            continue
        if not args.get(name):
            args[name] = value
    return args


def _name(row) -> str:
    name_th, name_en = row["name_th"], row["name_en"]
    return name_th if current_language() == "th" or not name_en else name_en


@bp.get("/coverage")
def coverage_page():
    """Coverage gaps by area: map, table, chart, suggested sites and downloads."""
    args = _args()
    session = db.session
    config = current_app.config
    context = {
        "args": args,
        "chosen_types": args["type"].split(","),
        "facility_types": FACILITY_TYPES,
        "type_label": type_label,
        "levels": tuple(coverage_query.LEVELS),
        "candidate_kinds": coverage_query.CANDIDATE_KINDS,
        "choices": {
            "vaccine_brand": VACCINE_BRANDS,
            "dose": DOSES,
            "age_group": AGE_GROUPS,
            "test_method": TEST_METHODS,
        },
        "provinces": _provinces(session),
        "layers": visible_layers(session, config, signed_in=signed_in()),
        "measures": _measures(),
        "answer": None,
        "error": None,
    }
    fmap = offline_map(THAILAND_CENTRE, 6, basemap=basemap(), assets=map_assets())
    try:
        query = coverage_query.parse_coverage_query(args)
        k, candidates = coverage_query.parse_suggestion_args(args)
        answer = service.coverage(session, query, config)
        curve = service.curve(session, query, config)
        uncovered = service.uncovered_units(session, query, config)
        picks = coverage_suggestions.suggestions(session, query, config, k=k, candidates=candidates)
    except RegistryError as error:
        context["error"] = error_text(error)
        fmap.fit_bounds(THAILAND_BOUNDS)
        context["map"] = render_parts(fmap)
        return render_template("coverage/planner.html", **context), error.status_code
    _add_layers(fmap, session, query, answer, uncovered, picks)
    rows = answer.areas.sort_values(["uncovered", "code"], ascending=[False, True])
    context.update(
        answer=answer,
        coverage_query=query,
        picks=picks,
        rows=rows.head(TABLE_ROWS).to_dict("records"),
        row_name=_name,
        uncovered_shown=min(len(uncovered), MAP_UNCOVERED_POINTS),
        uncovered_total=len(uncovered),
        busiest=_busiest(session, answer),
        chart=_chart(query, curve),
        downloads={
            fmt: url_for("coverage_api.coverage", **query.as_args(), format=fmt)
            for fmt in ("csv", "geojson", "xlsx")
        },
        suggestions_csv=url_for(
            "coverage_api.coverage_suggestions",
            **query.as_args(),
            k=picks.k,
            candidates=picks.candidates,
            format="csv",
        ),
        map=render_parts(fmap),
        percent=_percent,
        km=_km,
        minutes=_minutes,
    )
    return render_template("coverage/planner.html", **context)


def _measures() -> list[tuple[str, str]]:
    """The measure choices: straight line, or travel time with each profile."""
    return [
        ("", _("Straight-line distance")),
        ("motorcycle", _("Travel time by motorcycle")),
        ("car", _("Travel time by car")),
        ("walking", _("Travel time on foot")),
    ]


def _chart(query, curve) -> str:
    if query.by_time:
        return coverage_chart_svg(
            list(curve["threshold_min"]),
            list(curve["share_covered"]),
            current_km=query.threshold_min,
            title=_("People covered by travel time to the nearest site"),
            x_label=_("Travel time threshold (minutes)"),
            y_label=_("People covered"),
        )
    return coverage_chart_svg(
        list(curve["threshold_km"]),
        list(curve["share_covered"]),
        current_km=query.threshold_m / 1000,
        title=_("People covered by distance to the nearest site"),
        x_label=_("Distance threshold (km)"),
        y_label=_("People covered"),
    )


def _minutes(seconds) -> str:
    return "–" if seconds is None or not math.isfinite(seconds) else f"{seconds / 60:.1f}"


def _provinces(session) -> list[tuple[str, str]]:
    names = service.area_tables.get(session).names
    provinces = names[names["level"] == 1]
    pairs = [(code, _name(row)) for code, row in provinces.iterrows()]
    return sorted(pairs, key=lambda pair: pair[1])


def _percent(share) -> str:
    return "–" if share is None or not math.isfinite(share) else f"{share * 100:.1f}%"


def _km(metres) -> str:
    return "–" if metres is None or not math.isfinite(metres) else f"{metres / 1000:.1f}"


def _add_layers(fmap, session, query, answer, uncovered, picks) -> None:
    shapes = page_shapes.get(session)
    areas = []
    for row in answer.areas.to_dict("records"):
        share = row["share_covered"]
        areas.append(
            AreaShape(
                code=row["code"],
                geometry=shapes[row["code"]],
                share_uncovered=1 - share if math.isfinite(share) else math.nan,
                label_lines=(
                    f"{_name(row)} ({row['code']})",
                    _("%(uncovered)s of %(population)s people not covered (%(share)s)")
                    % {
                        "uncovered": f"{row['uncovered']:,}",
                        "population": f"{row['population']:,}",
                        "share": _percent(1 - share if math.isfinite(share) else math.nan),
                    },
                    _median_line(query, row),
                ),
            )
        )
    shown = uncovered.head(MAP_UNCOVERED_POINTS)
    largest = float(shown["population"].max()) if len(shown) else 1.0
    far = shown["travel_time_s"] if query.by_time else shown["distance_m"]
    uncovered_points = [
        MapPoint(
            lon,
            lat,
            _uncovered_label(query, people, value),
            radius=1.5 + 4 * math.sqrt(people / largest),
        )
        for lon, lat, people, value in zip(
            shown["lon"], shown["lat"], shown["population"], far, strict=True
        )
    ]
    bounds = _bounds(session, query, answer)
    facilities = _facility_points(session, answer, bounds)
    suggested = [
        MapPoint(
            pick["lon"],
            pick["lat"],
            _("Suggestion %(rank)s: %(name)s, +%(gain)s people")
            % {"rank": pick["rank"], "name": _name(pick), "gain": f"{pick['gain']:,}"},
            radius=9,
        )
        for pick in picks.picks.to_dict("records")
    ]
    names = LayerNames(
        areas=_("Share not covered"),
        uncovered=_("People not covered"),
        facilities=_("Sites counted"),
        suggestions=_("Suggested sites"),
    )
    CoverageLayers(
        areas, uncovered_points, facilities, suggested, names=names, bounds=bounds
    ).add_to(fmap)
    if query.by_time:
        _add_bands(fmap, session, query, answer)
    title = _("Share of people not covered") + " (" + measure_label(answer.layer.measure) + ")"
    Legend(title, legend_items(_("No people"))).add_to(fmap)


def _median_line(query, row) -> str:
    if query.by_time:
        return _("Median travel time: %(minutes)s min") % {
            "minutes": _minutes(row["median_min"] * 60)
        }
    return _("Median distance: %(km)s km") % {"km": _km(row["median_m"])}


def _uncovered_label(query, people, value) -> str:
    if query.by_time:
        if not math.isfinite(value):
            return _("%(people)s people, no site reachable by road") % {"people": f"{people:,}"}
        return _("%(people)s people, %(minutes)s min from a site") % {
            "people": f"{people:,}",
            "minutes": _minutes(value),
        }
    return _("%(people)s people, %(km)s km from a site") % {
        "people": f"{people:,}",
        "km": _km(value),
    }


def _add_bands(fmap, session, query, answer) -> None:
    """Travel-time bands (quarters of the threshold) on the roads, with their attribution."""
    times = service.travel_time_context(session, query, current_app.config)
    bands = coverage_roads.bands(times, query.threshold_s)
    attribution = "; ".join(dict.fromkeys(road["attribution"] for road in answer.roads or []))
    TravelBands(bands, label=_("Travel time"), attribution=attribution).add_to(fmap)
    Legend(
        _("Minutes to the nearest site"),
        band_legend_items([band["minutes"] for band in bands], _("min")),
    ).add_to(fmap)


def _bounds(session, query, answer=None) -> list:
    # By travel time, the view is the roads' extent: that is where the answer lives.
    if query.by_time and answer is not None and answer.roads:
        boxes = [road["bbox"] for road in answer.roads]
        west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
        east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
        return [[south, west], [north, east]]
    if not query.province:
        return THAILAND_BOUNDS
    west, south, east, north = service.area_tables.get(session).geometry[query.province].bounds
    return [[south, west], [north, east]]


def _facility_points(session, answer, bounds) -> list[MapPoint]:
    """Eligible sites inside the view (with a margin), named in the page's language."""
    (south, west), (north, east) = bounds
    margin = 0.3
    facilities = answer.facilities
    inside = (
        (facilities.lon >= west - margin)
        & (facilities.lon <= east + margin)
        & (facilities.lat >= south - margin)
        & (facilities.lat <= north + margin)
    )
    ids = [int(i) for i in facilities.ids[inside]]
    names = _facility_names(session, ids)
    return [
        MapPoint(float(lon), float(lat), names.get(int(i), f"#{int(i)}"), radius=4)
        for i, lon, lat in zip(
            facilities.ids[inside], facilities.lon[inside], facilities.lat[inside], strict=True
        )
    ]


def _facility_names(session, ids: list[int]) -> dict[int, str]:
    names = {}
    english = current_language() == "en"
    for start in range(0, len(ids), 900):
        statement = select(Facility.id, Facility.name_th, Facility.name_en).where(
            Facility.id.in_(ids[start : start + 900])
        )
        for row in session.execute(statement):
            names[row.id] = (row.name_en if english and row.name_en else row.name_th) or ""
    return names


def _busiest(session, answer) -> list[dict]:
    """The ten sites serving the most people (capacity types only)."""
    if answer.load is None or answer.load.empty:
        return []
    top = answer.load.sort_values(["served_population", "facility_id"], ascending=[False, True])
    top = top.head(10).to_dict("records")
    names = _facility_names(session, [int(row["facility_id"]) for row in top])
    return [
        {
            "id": int(row["facility_id"]),
            "name": names.get(int(row["facility_id"]), ""),
            "served": int(row["served_population"]),
            "beds": row.get("beds"),
            "per_10k": row.get("beds_per_10k_served"),
        }
        for row in top
    ]
