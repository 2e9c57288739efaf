"""How facilities read to people: labels in the page's language, status as residents see it."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app

from importers.vocabulary import (
    CHOICE_LABELS,
    COMMON_FIELD_LABELS,
    FIELD_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
)
from registry.i18n import current_language
from registry.models import Facility, utcnow

UNCONFIRMED_LABELS = ("ยังไม่ยืนยัน", "Unconfirmed")


def _pick(labels: tuple[str, str]) -> str:
    return labels[0] if current_language() == "th" else labels[1]


def type_label(facility_type: str) -> str:
    return _pick(TYPE_LABELS[facility_type])


def field_label(name: str) -> str:
    labels = FIELD_LABELS.get(name) or COMMON_FIELD_LABELS.get(name)
    return _pick(labels) if labels else name


def source_label(source: str) -> str:
    """Where a change came from (web, import, ...), in the page's language."""
    return _pick(SOURCE_LABELS[source]) if source in SOURCE_LABELS else source


def choice_label(value: str) -> str:
    """A vaccine brand, dose, age group or test method as people call it."""
    return _pick(CHOICE_LABELS[value]) if value in CHOICE_LABELS else value


def status_label(status: str) -> str:
    if status == "unconfirmed":
        return _pick(UNCONFIRMED_LABELS)
    return _pick(STATUS_LABELS[status])


def facility_name(facility: Facility) -> str:
    """The name in the page's language, falling back to the Thai name."""
    if current_language() == "en" and facility.name_en:
        return facility.name_en
    return facility.name_th


def resident_status(facility: Facility, now: datetime | None = None) -> str:
    """'open' counts only while confirmed within the type's time; past it, 'unconfirmed'."""
    ttl = (current_app.config.get("FRESHNESS_TTL_HOURS") or {}).get(facility.type)
    if facility.status != "open" or ttl is None:
        return facility.status
    confirmed = facility.status_confirmed_at
    now = now or utcnow()
    if confirmed is None or (now - confirmed).total_seconds() > ttl * 3600:
        return "unconfirmed"
    return "open"


def directions_links(from_lat: float | None, from_lon: float | None, facility_point) -> dict:
    lat, lon = facility_point
    origin = f"{from_lat},{from_lon}" if from_lat is not None else ""
    google = f"https://www.google.com/maps/dir/?api=1&destination={lat},{lon}"
    osm = f"https://www.openstreetmap.org/directions?route={origin};{lat},{lon}"
    if origin:
        google += f"&origin={origin}"
    return {"google": google, "osm": osm}


def measure_label(measure: str) -> str:
    """What a population layer measures and what it places (LayerInfo.measure), translated."""
    from flask_babel import gettext as _

    labels = {
        "modelled": _("modelled"),
        "measured": _("measured"),
        "measured by subdistrict, placed within it": _("measured by subdistrict, placed within it"),
        "measured by district, placed within it": _("measured by district, placed within it"),
        "measured by province, placed within it": _("measured by province, placed within it"),
    }
    return labels.get(measure, measure)


def init_app(app: Flask) -> None:
    """The labels above, for templates."""
    app.jinja_env.globals.update(
        choice_label=choice_label, measure_label=measure_label, source_label=source_label
    )
