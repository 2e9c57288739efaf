"""Facilities, areas and changes as GeoJSON (RFC 7946) and plain JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from geoalchemy2.shape import to_shape
from shapely.geometry import mapping

from importers.vocabulary import TYPE_FIELDS
from registry.models import Area, Facility, FacilityChange


def iso(value: datetime | None) -> str | None:
    """UTC ISO 8601 with a Z, or None."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


COMMON_PROPERTIES = (
    "type",
    "name_th",
    "name_en",
    "address",
    "province_code",
    "district_code",
    "subdistrict_code",
    "area_note",
    "phone",
    "opening_hours",
    "status",
    "status_confirmed_by",
    "source",
    "source_id",
    "hcode",
    "version",
)


def facility_properties(facility: Facility) -> dict[str, Any]:
    props: dict[str, Any] = {"id": facility.id}
    props.update({name: getattr(facility, name) for name in COMMON_PROPERTIES})
    props["status_confirmed_at"] = iso(facility.status_confirmed_at)
    props.update({spec.name: getattr(facility, spec.name) for spec in TYPE_FIELDS[facility.type]})
    props["created_at"] = iso(facility.created_at)
    props["updated_at"] = iso(facility.updated_at)
    props["deleted_at"] = iso(facility.deleted_at)
    if facility.deleted_at is not None:
        props["deleted_reason"] = facility.deleted_reason
    return props


def facility_feature(facility: Facility) -> dict[str, Any]:
    point = to_shape(facility.geom)
    return {
        "type": "Feature",
        "id": facility.id,
        "geometry": {"type": "Point", "coordinates": [round(point.x, 7), round(point.y, 7)]},
        "properties": facility_properties(facility),
    }


def area_feature(area: Area, *, with_geometry: bool) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": area.code,
        "geometry": mapping(to_shape(area.geom)) if with_geometry else None,
        "properties": {
            "code": area.code,
            "dopa_code": area.dopa_code,
            "level": area.level,
            "name_th": area.name_th,
            "name_en": area.name_en,
            "parent_code": area.parent_code,
        },
    }


def change_dict(change: FacilityChange) -> dict[str, Any]:
    return {
        "id": change.id,
        "facility_id": change.facility_id,
        "change_set": change.change_set,
        "facility_version": change.facility_version,
        "field": change.field,
        "old_value": change.old_value,
        "new_value": change.new_value,
        "changed_by": change.changed_by,
        "changed_at": iso(change.changed_at),
        "source": change.source,
        "source_ref": change.source_ref,
        "reverts_change_id": change.reverts_change_id,
    }
