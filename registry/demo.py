"""The real demo data bundled in data/: MOPH hospitals and COVID checkpoints as facility records.

Each reader turns one bundled file into records for ``upsert_facilities``; see data/README.md
for sources and licences.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# MOPH codes of COVID-19 units in the hospital list: hospitels and a field hospital.
FIELD_HOSPITAL_CODES = {"F1002", "F1004", "F1301"}
# The MOPH list carries one placeholder row ("example hospital", code 0); it is not a site.
PLACEHOLDER_CODES = {"0"}


def _features(path: Path) -> Iterator[tuple[int, dict[str, Any], list[float]]]:
    with path.open(encoding="utf-8") as handle:
        collection = json.load(handle)
    for number, feature in enumerate(collection["features"], start=1):
        yield number, feature["properties"], feature["geometry"]["coordinates"]


def hcode(raw: Any) -> str | None:
    """A MOPH hcode as the 5 characters it is: '4007' and 4007.0 become '04007'."""
    if raw is None:
        return None
    text = str(raw).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return text.zfill(5) if text.isdecimal() else text


def moph_hospitals(path: Path) -> Iterator[dict[str, Any]]:
    """Hospitals; the COVID units among them become field hospitals."""
    for number, props, (lon, lat) in _features(path):
        code = hcode(props["main_code"])
        if props["main_code"] in PLACEHOLDER_CODES:
            continue
        province = props.get("prov_code")
        yield {
            "row": number,
            "type": "field_hospital" if code in FIELD_HOSPITAL_CODES else "hospital",
            "name_th": props["name"].strip(),
            "lon": lon,
            "lat": lat,
            "hcode": code,
            "source": "moph_hospitals",
            "source_id": code,
            "beds_total": int(props["bed_total"]) if props.get("bed_total") else None,
            "province_code": f"TH{int(province):02d}" if province else None,
        }


def covid_checkpoints(path: Path) -> Iterator[dict[str, Any]]:
    """The 2020 national list of COVID screening checkpoints, as COVID test points."""
    return _checkpoints(path, "covid_checkpoints_th", name="name", key="Id")


def phitsanulok_checkpoints(path: Path) -> Iterator[dict[str, Any]]:
    """Phitsanulok's checkpoint list, as COVID test points."""
    return _checkpoints(path, "covid_checkpoints_phitsanulok", name="check_name", key="gid")


def _checkpoints(path: Path, source: str, *, name: str, key: str) -> Iterator[dict[str, Any]]:
    """A checkpoint list whose name and id are in the given properties, as COVID test points."""
    for number, props, (lon, lat) in _features(path):
        yield {
            "row": number,
            "type": "covid_test_point",
            "name_th": props[name].strip(),
            "lon": lon,
            "lat": lat,
            "source": source,
            "source_id": str(props[key]),
        }


# Loaded through the importer (registry.imports.service), as an official's list would be:
# file, facility type, source kept with every record, header mapping (None: recognised).
DEMO_VACCINATION_SITES = "vaccination_sites_2021-06-20.geojson"
# The Department of Medical Sciences' 130 COVID-19 laboratories (2020-04-19), as test points.
DEMO_COVID_LABS = "covid_labs_2020-04-19.geojson"
DEMO_IMPORTS = (
    (DEMO_VACCINATION_SITES, "vaccination_site", "moph_vaccination_sites", None),
    (
        DEMO_COVID_LABS,
        "covid_test_point",
        "dmsc_covid_labs_2020-04-19",
        {"name": "name_th", "add": "address", "prov": "province", "lat": "lat", "long": "lon"},
    ),
)

DEMO_FACILITY_FILES = (
    ("moph_hospitals_geojson_health.geojson", moph_hospitals),
    ("covid_checkpoints_chkpnt_th.geojson", covid_checkpoints),
    ("covid_checkpoints_checkpoint.geojson", phitsanulok_checkpoints),
)

# Roads of one city: travel time on the resident and coverage pages there.
DEMO_ROADS = "chiangmai_roads.graph.json.gz"
DEMO_ROADS_LAYER = "chiang-mai"
