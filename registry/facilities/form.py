"""The official's facility form: which fields it shows and how submitted text becomes changes.

The form carries each field's value as it was read (``orig-<name>``) besides the edited one, so
a save sends only what the official changed. After a conflict the form is shown again on the
current version with the official's own edits kept, and saving re-applies just those.
"""

from __future__ import annotations

from typing import Any

from geoalchemy2.shape import to_shape
from werkzeug.datastructures import MultiDict

from importers.vocabulary import FieldSpec, fields_for
from registry.errors import ValidationError
from registry.facilities.messages import PLACE_ON_MAP
from registry.models import Facility

# Kept by the system, not typed by officials.
NOT_IN_FORM = {"status_confirmed_by", "status_confirmed_at", "source", "source_id"}
LOCATION = ("lat", "lon")


def form_fields(facility_type: str) -> list[FieldSpec]:
    return [spec for spec in fields_for(facility_type) if spec.name not in NOT_IN_FORM]


def as_text(spec: FieldSpec, value: Any) -> str:
    """A stored value as the text the form shows and compares."""
    if value is None:
        return ""
    if spec.kind == "bool":
        return "true" if value else "false"
    if spec.kind == "list":
        return ",".join(value)
    return str(value)


def facility_texts(facility: Facility) -> dict[str, str]:
    texts = {
        spec.name: as_text(spec, getattr(facility, spec.name))
        for spec in form_fields(facility.type)
    }
    point = to_shape(facility.geom)
    texts["lat"], texts["lon"] = f"{point.y:.6f}", f"{point.x:.6f}"
    return texts


def submitted_texts(form: MultiDict, facility_type: str, prefix: str = "") -> dict[str, str]:
    texts = {}
    for spec in form_fields(facility_type):
        key = prefix + spec.name
        if spec.kind == "list":
            texts[spec.name] = ",".join(v for v in form.getlist(key) if v)
        else:
            texts[spec.name] = (form.get(key) or "").strip()
    for name in LOCATION:
        texts[name] = (form.get(prefix + name) or "").strip()
    return texts


def _value(spec: FieldSpec, text: str) -> Any:
    if text == "":
        return None
    if spec.kind == "bool":
        return {"true": True, "false": False}.get(text, text)
    if spec.kind == "list":
        return text.split(",")
    return text  # the service checks and converts numbers and choices


def _location_changed(edited: dict[str, str], orig: dict[str, str]) -> bool:
    try:
        return any(abs(float(edited[n]) - float(orig[n])) > 5e-7 for n in LOCATION)
    except ValueError:
        return True  # let the service name the bad number


def changes_from_form(
    form: MultiDict, facility_type: str, *, only_edited: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """The changes to send and the edited texts (to show the form again)."""
    edited = submitted_texts(form, facility_type)
    orig = submitted_texts(form, facility_type, prefix="orig-") if only_edited else None
    changes: dict[str, Any] = {}
    for spec in form_fields(facility_type):
        text = edited[spec.name]
        # A new facility sends what was filled in; an edit sends what differs from the read.
        edited_here = text != "" if orig is None else text != orig[spec.name]
        if edited_here:
            changes[spec.name] = _value(spec, text)
    if orig is None or _location_changed(edited, orig):
        if not (edited["lat"] and edited["lon"]):
            raise ValidationError(PLACE_ON_MAP(), field="lat")
        changes["lat"], changes["lon"] = edited["lat"], edited["lon"]
    if form.get("confirm_status") and "status" not in changes and edited.get("status"):
        changes["status"] = edited["status"]  # re-confirm an unchanged status
    return changes, edited


def changes_from_form_quietly(form: MultiDict, facility_type: str) -> dict[str, str]:
    """The texts of a new site's form, for checks made before the service validates them."""
    return submitted_texts(form, facility_type)
