"""Logged values as people read them, for facility histories and facility pages.

The change log stores values as JSON: ISO UTC timestamps, ``[lon, lat]`` locations, area codes,
data-source keys, ``null``. Pages show Bangkok times (Buddhist era on Thai pages), "latitude,
longitude" (the order the forms ask for), area names with their level word and the page's
labels; officials also see the codes they work with (``with_codes``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from registry.db import db
from registry.i18n import current_language, local_time
from registry.nearest.place_labels import area_label
from registry.nearest.places import place_at
from registry.presentation import choice_label, field_label, source_label, status_label, type_label

AREA_FIELDS = frozenset(("province_code", "district_code", "subdistrict_code"))
TIME_FIELDS = frozenset(("status_confirmed_at", "deleted_at", "created_at", "updated_at"))
# The bundled lists the demo loads (Facility.source, see registry/demo.py and `registry demo`);
# a file an official imported keeps the source name they gave.
DATASET_LABELS: dict[str, tuple[str, str]] = {
    "moph_hospitals": ("รายชื่อโรงพยาบาล กระทรวงสาธารณสุข", "MOPH hospital list"),
    "moph_vaccination_sites": ("รายชื่อจุดฉีดวัคซีน กระทรวงสาธารณสุข", "MOPH vaccination site list"),
    "dmsc_covid_labs_2020-04-19": (
        "ห้องปฏิบัติการตรวจโควิด-19 กรมวิทยาศาสตร์การแพทย์ (19 เม.ย. 2563)",
        "DMSc COVID-19 laboratories (2020-04-19)",
    ),
    "covid_checkpoints_th": ("จุดคัดกรองโควิด-19 ทั่วประเทศ", "national COVID-19 checkpoint list"),
    "covid_checkpoints_phitsanulok": (
        "จุดคัดกรองโควิด-19 จังหวัดพิษณุโลก",
        "Phitsanulok COVID-19 checkpoint list",
    ),
}
NO_VALUE = "—"


def dataset_label(source: str | None) -> str:
    """A facility's data source by name: 'MOPH hospital list', not 'moph_hospitals'."""
    if not source:
        return ""
    labels = DATASET_LABELS.get(source)
    if labels is None:
        return source_label(source)  # a site added on the web, by the CLI, ...
    return labels[0] if current_language() == "th" else labels[1]


def area_name(code: str | None, *, with_codes: bool = False) -> str:
    """An area code as its name with its level word (and the code, for officials)."""
    if not code:
        return ""
    match = place_at(db.session, code)
    if match is None:
        return code
    return f"{area_label(match)} ({code})" if with_codes else area_label(match)


def change_value(field: str, value: Any, *, with_codes: bool = False) -> str:
    """One logged value of one field, as the page shows it."""
    if value is None or value == "" or value == []:
        return NO_VALUE
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field == "location" and isinstance(value, list | tuple) and len(value) == 2:
        lon, lat = value
        return f"{lat:.5f}, {lon:.5f}"
    if field in AREA_FIELDS and isinstance(value, str):
        return area_name(value, with_codes=with_codes)
    if field in TIME_FIELDS and isinstance(value, str):
        try:
            return local_time(datetime.fromisoformat(value))
        except ValueError:
            return value
    if field == "status" and isinstance(value, str):
        return _known(status_label, value)
    if field == "type" and isinstance(value, str):
        return _known(type_label, value)
    if field == "source" and isinstance(value, str):
        return dataset_label(value)
    if isinstance(value, list):
        return ", ".join(choice_label(str(v)) for v in value)
    if isinstance(value, dict):
        return "; ".join(
            f"{field_label(k)}: {change_value(k, v, with_codes=with_codes)}"
            for k, v in value.items()
        )
    return str(value)


def _known(label, value: str) -> str:
    try:
        return label(value)
    except KeyError:
        return value
