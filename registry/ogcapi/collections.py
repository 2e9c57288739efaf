"""The feature collections: every facility, one per facility type, and the three area levels.

Each collection declares its properties once (name, JSON type, column); the queryables, the
schema GDAL sees, the CQL2 translation and the encoded features all come from that list, so
a layer's fields are the same on every page and for every filter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement

from importers.values import parse_hcode
from importers.vocabulary import ALL_TYPE_FIELD_NAMES, FACILITY_TYPES, TYPE_FIELDS, TYPE_LABELS
from registry.errors import NotFoundError, ValidationError
from registry.models import Area, Facility
from registry.serialize import COMMON_PROPERTIES

_KIND_TYPES = {"text": "string", "choice": "string", "int": "integer", "bool": "boolean"}


@dataclass(frozen=True)
class Property:
    """One property of a collection's features and the column it is read from."""

    name: str
    type: str  # JSON Schema type: string, integer, number, boolean, array
    column: Any
    format: str | None = None  # date-time for times
    enum: tuple[str, ...] = ()
    queryable: bool = True
    # The stored form of a value given in a query or filter; raises ValueError (its message
    # says why) for one the property cannot hold.
    normalise: Callable[[str], str] | None = None

    def normalised(self, value: str, parameter: str) -> str:
        """``value`` in its stored form, or a 400 naming ``parameter`` and saying why."""
        try:
            return self.normalise(value) if self.normalise else value
        except ValueError as error:
            why = str(error).removesuffix("; dropped")  # an importer's note on the row
            raise ValidationError(
                f"parameter '{parameter}': {value!r} {why}", field=parameter
            ) from None

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"title": self.name, "type": self.type}
        if self.type == "array":
            schema["items"] = {"type": "string"}
        if self.format:
            schema["format"] = self.format
        if self.enum:
            schema["enum"] = list(self.enum)
        return schema


@dataclass(frozen=True)
class Collection:
    id: str
    title_en: str
    title_th: str
    description: str
    model: Any  # Facility or Area
    properties: tuple[Property, ...]
    geometry_type: str  # Point or MultiPolygon
    facility_type: str | None = None
    level: int | None = None
    temporal: Any = None  # the column datetime= filters on, when there is one

    @property
    def is_facility(self) -> bool:
        return self.model is Facility

    @property
    def key_column(self) -> Any:
        return Facility.id if self.is_facility else Area.code

    def property_named(self, name: str) -> Property | None:
        return self._by_name.get(name)

    @property
    def _by_name(self) -> dict[str, Property]:
        return {p.name: p for p in self.properties}

    def conditions(self) -> list[ColumnElement[bool]]:
        """What every query of the collection is restricted to (its type or level)."""
        if self.facility_type:
            return [Facility.type == self.facility_type]
        if self.level:
            return [Area.level == self.level]
        return []


def _property_for(name: str) -> Property:
    column = getattr(Facility, name)
    if name in ALL_TYPE_FIELD_NAMES:
        spec = next(s for specs in TYPE_FIELDS.values() for s in specs if s.name == name)
        if spec.kind == "list":
            return Property(name, "array", column, queryable=False)
        return Property(name, _KIND_TYPES[spec.kind], column)
    if name == "hcode":
        return Property(name, "string", column, normalise=_hcode)
    if name in ("version",):
        return Property(name, "integer", column)
    if name == "status":
        from importers.vocabulary import STATUSES

        return Property(name, "string", column, enum=STATUSES)
    if name == "type":
        return Property(name, "string", column, enum=FACILITY_TYPES)
    return Property(name, "string", column)


def _hcode(raw: str) -> str:
    """An MOPH code as /api/v1's ?hcode= reads it: 5 or 9 characters, any case, Thai digits,
    leading zeros a spreadsheet dropped put back."""
    code, _note = parse_hcode(raw)
    return code


def _time(name: str) -> Property:
    return Property(name, "string", getattr(Facility, name), format="date-time")


def _facility_properties(type_fields: tuple[str, ...]) -> tuple[Property, ...]:
    common = [_property_for(name) for name in COMMON_PROPERTIES]
    times = [_time("status_confirmed_at")]
    specific = [_property_for(name) for name in type_fields]
    return (
        *common,
        *times,
        *specific,
        _time("created_at"),
        _time("updated_at"),
        _time("deleted_at"),
    )


def _facility_collections() -> list[Collection]:
    made = [
        Collection(
            "facilities",
            "All facilities",
            "สถานพยาบาลและจุดบริการทั้งหมด",
            "Every active site of every type, with every type's fields (empty where a type "
            "does not carry one), so the layer's schema never changes.",
            Facility,
            _facility_properties(ALL_TYPE_FIELD_NAMES),
            "Point",
            temporal=Facility.updated_at,
        )
    ]
    for facility_type in FACILITY_TYPES:
        thai, english = TYPE_LABELS[facility_type]
        made.append(
            Collection(
                facility_type,
                english,
                thai,
                f"{english} sites with the fields that type carries.",
                Facility,
                _facility_properties(tuple(s.name for s in TYPE_FIELDS[facility_type])),
                "Point",
                facility_type=facility_type,
                temporal=Facility.updated_at,
            )
        )
    return made


def _area_collections() -> list[Collection]:
    properties = (
        Property("code", "string", Area.code),
        Property("dopa_code", "string", Area.code, queryable=False),
        Property("level", "integer", Area.level, queryable=False),
        Property("name_th", "string", Area.name_th),
        Property("name_en", "string", Area.name_en),
        Property("parent_code", "string", Area.parent_code),
    )
    return [
        Collection(
            collection_id,
            english,
            thai,
            f"{english} of Thailand (HDX COD-AB, Royal Thai Survey Department 2019), with "
            "the P-code (code) and the DOPA code.",
            Area,
            properties,
            "MultiPolygon",
            level=level,
        )
        for collection_id, english, thai, level in (
            ("provinces", "Provinces", "จังหวัด", 1),
            ("districts", "Districts", "อำเภอ", 2),
            ("subdistricts", "Subdistricts", "ตำบล", 3),
        )
    ]


COLLECTIONS: dict[str, Collection] = {
    c.id: c for c in _facility_collections() + _area_collections()
}


def get_collection(collection_id: str) -> Collection:
    try:
        return COLLECTIONS[collection_id]
    except KeyError:
        raise NotFoundError(
            f"no collection {collection_id!r}; the collections are: {', '.join(COLLECTIONS)}"
        ) from None
