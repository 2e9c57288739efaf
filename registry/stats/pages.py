"""Statistics pages: /stats for the country, /stats/<area code> for a province or district.

Everyone sees the public view (small counts of people hidden, the rest rounded; see
registry/stats/tables.py); signed-in provincial administrators of the area and
national administrators see exact counts, the oldest unconfirmed facilities and the survey
per subdistrict (``?view=public`` shows them what everyone else sees). Every table downloads
as CSV, XLSX or JSON from /stats/<code>/<table>.<format>, in the view of the page.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request
from flask import url_for as flask_url_for
from flask_babel import gettext as _
from flask_login import current_user

from importers.vocabulary import FACILITY_TYPES, STATUSES, SURVEY_GROUP_LABELS
from registry.accounts.access import NATIONAL_ADMIN, OFFICIAL, PROVINCIAL_ADMIN, covers
from registry.db import db
from registry.errors import ForbiddenError, NotFoundError, ValidationError
from registry.i18n import current_language, local_date, local_time
from registry.presentation import status_label, type_label
from registry.stats import charts, export, service
from registry.stats.messages import ADMIN_TABLE, NOT_A_TABLE, ONE_TABLE_PER_CSV
from registry.stats.tables import DEFAULT_ROUND_TO, DEFAULT_SUPPRESS_BELOW

bp = Blueprint("stats", __name__)

THRESHOLD_CHOICES = (1, 2, 3, 5, 10, 15, 20, 30)
# Rows listed on the page for long administrator lists; the downloads hold them all.
PAGE_ROWS = {
    "stale_facilities": 50,
    "survey_subdistricts": 200,
    "villages_not_surveyed": 200,
    "unlisted_villages": 100,
}
PAGE_TABLES = (
    "facilities",
    "freshness",
    "capacity",
    "survey_summary",
    "survey_groups",
    "survey_trend",
    "village_progress",
    "coverage",
    "ranking",
    "reference",
    "stale_facilities",
    "survey_subdistricts",
    "villages_not_surveyed",
    "unlisted_villages",
)


@bp.record_once
def _defaults(state) -> None:
    """The suppression settings, overridable like any other (REGISTRY_STATS_SUPPRESS_BELOW)."""
    state.app.config.setdefault("STATS_SUPPRESS_BELOW", DEFAULT_SUPPRESS_BELOW)
    state.app.config.setdefault("STATS_ROUND_TO", DEFAULT_ROUND_TO)


def _is_admin(scope: service.Scope) -> bool:
    """A signed-in provincial administrator of the area, or a national administrator."""
    if not current_user.is_authenticated:
        return False
    if current_user.role not in (NATIONAL_ADMIN, PROVINCIAL_ADMIN):
        return False
    return covers(current_user, scope.code)


def _is_official(scope: service.Scope) -> bool:
    """A signed-in official or administrator of the area: sees the village lists."""
    if not current_user.is_authenticated:
        return False
    if current_user.role not in (OFFICIAL, NATIONAL_ADMIN, PROVINCIAL_ADMIN):
        return False
    return covers(current_user, scope.code)


def _statistics(code: str | None):
    """The page's statistics in the view the visitor may see, and whether they may see more."""
    scope = service.find_scope(db.session, code)
    admin = _is_admin(scope)
    exact = admin and request.args.get("view") != "public"
    stats = service.area_statistics(
        db.session,
        scope,
        current_app.config,
        threshold_km=service.parse_threshold(request.args.get("threshold_km")),
        ranking=service.parse_ranking(request.args.get("rank")),
        link=lambda facility_id: flask_url_for(
            "official.edit", facility_id=facility_id, _external=True
        ),
        admin_tables=exact,
        official_tables=_is_official(scope),
    )
    if not exact:
        stats = stats.public()
    return stats, admin


def _private(response: Response, stats) -> Response:
    if stats.view == "exact":
        # Exact counts are for the signed-in administrator only: never kept by caches.
        response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/stats")
def country():
    """Statistics of the whole country."""
    return _page(None)


@bp.get("/stats/<code>")
def area(code: str):
    """Statistics of a province or a district."""
    normalised = service.normalise_code(code)
    if normalised is None or normalised != code:
        target = "stats.country" if normalised is None else "stats.area"
        values = {} if normalised is None else {"code": normalised}
        # The query string is kept as sent: its names are not url_for's arguments (code=,
        # endpoint=, _method=, ...).
        query = request.query_string.decode("latin-1")
        location = flask_url_for(target, **values) + (f"?{query}" if query else "")
        return redirect(location, code=301)
    return _page(normalised)


def _page(code: str | None):
    stats, admin = _statistics(code)
    args = {
        name: request.args[name]
        for name in ("threshold_km", "rank", "view", "lang")
        if request.args.get(name)
    }

    def child_link(row: dict) -> str | None:
        code = row.get("code")
        if not code or len(code) > 6 or code == stats.scope.url_code:
            return None  # subdistricts have no page of their own
        return flask_url_for("stats.area", code=code, **_keep(args))

    reference_date = (
        date.fromisoformat(stats.reference["as_of"]) if stats.reference is not None else None
    )
    response = Response(
        render_template(
            "stats/area.html",
            stats=stats,
            admin=admin,
            charts=_charts(stats, child_link),
            legend=[(f"status-{status}", status_label(status)) for status in STATUSES],
            child_link=child_link,
            keep=_keep(args),
            reference_date=reference_date,
            tables={name: stats.tables[name] for name in PAGE_TABLES if name in stats.tables},
            page_rows=PAGE_ROWS,
            args=args,
            thresholds=_thresholds(stats.threshold_km),
            rankings=_ranking_labels(),
            labels=column_labels(),
            cell=cell,
            row_label=row_label,
            status_label=status_label,
            type_label=type_label,
            statuses=STATUSES,
            download=lambda name, fmt: _download_url(stats, name, fmt, args),
            stats_url=lambda code: flask_url_for("stats.area", code=code, **_keep(args)),
        )
    )
    return _private(response, stats)


def _charts(stats, child_link) -> dict:
    tables = stats.tables
    return {
        "facilities": charts.facilities_chart(tables["facilities"]),
        "freshness": charts.share_chart(
            tables["freshness"], "share_in_time", lambda row: row_label(row, "type"), cell
        ),
        "groups": charts.groups_chart(tables["survey_groups"], row_label, cell),
        "trend": charts.trend_chart(tables["survey_trend"], cell, local_date),
        "ranking": charts.ranking_chart(
            tables["ranking"],
            stats.ranking,
            row_label,
            cell,
            lambda code: child_link({"code": code}),
        ),
    }


def _keep(args: dict) -> dict:
    return {k: v for k, v in args.items() if k in ("threshold_km", "rank", "view")}


def _download_url(stats, name: str, fmt: str, args: dict) -> str:
    return flask_url_for(
        "stats.download", code=stats.scope.url_code, table=name, fmt=fmt, **_keep(args)
    )


def _thresholds(current: float) -> list[float]:
    choices = {float(km) for km in THRESHOLD_CHOICES} | {current}
    return sorted(choices)


@bp.get("/stats/<code>/<table>.<any(csv, xlsx, json):fmt>")
def download(code: str, table: str, fmt: str):
    """One table (or ``all`` tables, XLSX and JSON) of the page, in the visitor's view."""
    stats, _admin = _statistics(service.normalise_code(code))
    if table == "all":
        if fmt == "csv":
            raise ValidationError(ONE_TABLE_PER_CSV(tables=", ".join(stats.tables)), field="table")
        names = [name for name in PAGE_TABLES if name in stats.tables]
    elif table in stats.tables:
        names = [table]
    elif table in PAGE_TABLES:
        raise ForbiddenError(ADMIN_TABLE(table=repr(table)))
    else:
        raise NotFoundError(
            NOT_A_TABLE(table=repr(table), tables=", ".join(stats.tables)), field="table"
        )
    filename = f"stats-{stats.scope.url_code}-{table}-{stats.view}.{fmt}"
    if fmt == "json":
        response = jsonify(export.stats_json(stats, names))
    else:
        body = (
            export.table_csv(stats.tables[names[0]])
            if fmt == "csv"
            else export.stats_xlsx(stats, names)
        )
        response = Response(body, mimetype=export.MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _private(response, stats)


# -- how values read on the page --------------------------------------------------------------


def cell(kind: str, value) -> str:
    """A value as the page shows it, in the page's language."""
    if value is None:
        return "–"
    if isinstance(value, str) and kind in ("count", "people", "published"):
        return value  # a suppressed count: "<5"
    if kind in ("count", "people", "published"):
        return f"{value:,}"
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "date":
        return local_date(value)
    if kind == "datetime":
        return local_time(value)
    return str(value)


def row_label(row: dict, key: str) -> str:
    """The row's name in the page's language: key_th / key_en (``name``: name_th / name_en)."""
    prefix = "name" if key == "name" else key
    thai, english = row.get(f"{prefix}_th"), row.get(f"{prefix}_en")
    return (english or thai) if current_language() == "en" else (thai or english or "")


def _ranking_labels() -> dict[str, str]:
    return {
        "coverage": _("Share within reach of a vaccination site"),
        "survey": _("Share of subdistricts surveyed"),
        "freshness": _("Share of sites confirmed in time"),
        "unvaccinated": _("Unvaccinated residents counted"),
        "facilities": _("Sites"),
    }


def column_labels() -> dict[str, str]:
    """Column headings of every table, in the page's language."""
    labels = {
        "total": _("Total"),
        "ttl_hours": _("Trusted for (hours)"),
        "facilities": _("Sites"),
        "open": _("Open"),
        "confirmed_in_time": _("Confirmed in time"),
        "share_in_time": _("Share confirmed in time"),
        "never_confirmed": _("Never confirmed"),
        "oldest_confirmation": _("Oldest confirmation"),
        "beds_kind": _("Kind of beds"),
        "facilities_reporting": _("Sites reporting"),
        "beds": _("Beds"),
        "occupied": _("Occupied"),
        "available": _("Available"),
        "occupancy": _("Occupancy"),
        "subdistricts": _("Subdistricts"),
        "subdistricts_reported": _("Subdistricts surveyed"),
        "share_reported": _("Share surveyed"),
        "villages_reported": _("Villages surveyed"),
        "records": _("Survey records"),
        "residents": _("Residents counted"),
        "unvaccinated": _("Unvaccinated"),
        "share_unvaccinated": _("Share unvaccinated"),
        "referred_site": _("Referred to a site"),
        "referred_home_visit": _("Referred to a home visit"),
        "first_survey_date": _("First survey"),
        "last_survey_date": _("Latest survey"),
        "week_start": _("Week from"),
        "records_in_week": _("Surveys that week"),
        "population": _("People"),
        "covered": _("Within reach"),
        "uncovered": _("Farther"),
        "share_covered": _("Share within reach"),
        "rank": _("Rank"),
        "name": _("Area"),
        "type": _("Type"),
        "group": _("Target group"),
        "dose1": _("1st doses"),
        "dose2": _("2nd doses"),
        "dose3": _("3rd doses"),
        "share_dose1": _("1st dose, share of population"),
        "share_dose2": _("2nd dose, share of population"),
        "over_60_dose1": _("Over 60: 1st doses"),
        "over_60_dose2": _("Over 60: 2nd doses"),
        "over_60_dose3": _("Over 60: 3rd doses"),
        "share_over_60_dose1": _("Over 60: 1st dose, share"),
        "id": _("Site"),
        "status": _("Status"),
        "status_confirmed_at": _("Confirmed at"),
        "status_confirmed_by": _("Confirmed by"),
        "area_code": _("Area code"),
        "code": _("Code"),
        "name_th": _("Name"),
        "url": _("Link"),
        "residents_bedridden": _("Bedridden residents"),
        "villages": _("Villages (DOPA)"),
        "share_villages_reported": _("Share of villages surveyed"),
        "villages_not_reported": _("Villages not yet surveyed"),
        "unlisted_village_entries": _("Entries naming unlisted villages"),
        "village_code": _("DOPA village code"),
        "village_no": _("Village no. (Moo)"),
        "village_name": _("Village name"),
        "record_id": _("Survey entry"),
        "survey_date": _("Survey date"),
        "entered_by": _("Entered by"),
        "bed_all": _("All beds"),
        "bed_covid": _("COVID beds"),
        "bed_green": _("Green beds"),
        "bed_yellow": _("Yellow beds"),
        "bed_red": _("Red beds"),
    }
    for group, (thai, english) in SURVEY_GROUP_LABELS.items():
        label = thai if current_language() == "th" else english
        labels[f"unvaccinated_{group}"] = _("Unvaccinated: %(group)s", group=label)
    labels.update({status: status_label(status) for status in STATUSES})
    labels.update({f"type_{t}": type_label(t) for t in FACILITY_TYPES})
    return labels
