"""The importer on the real facility lists in ../shared/data (optional: skipped without them).

Expected counts are computed here from the raw JSON, independently of the importer, rather
than copied from SOURCES.md.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import geopandas as gpd
import pytest

from importers import read_facilities

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
FACILITIES = SHARED / "facilities"
PROVINCES = SHARED / "admin" / "th_adm1_provinces.geojson"

pytestmark = pytest.mark.skipif(
    not FACILITIES.is_dir() or not PROVINCES.is_file(),
    reason=f"real data not found at {SHARED} (the shared development data folder)",
)


def features(name: str) -> list[dict]:
    return json.loads((FACILITIES / name).read_text(encoding="utf-8"))["features"]


def test_vaccination_sites_all_valid() -> None:
    raw = features("vaccination_sites_2021-06-20.geojson")
    result = read_facilities(
        FACILITIES / "vaccination_sites_2021-06-20.geojson", facility_type="vaccination_site"
    )
    assert result.report.errors() == []
    assert len(result.frame) == len(raw) == 1363
    assert (result.frame["type"] == "vaccination_site").all()
    codes = [f["properties"]["h_code"] for f in raw]
    assert result.frame["hcode"].tolist() == codes
    assert result.frame["source_id"].tolist() == codes
    assert result.frame["name_th"].tolist() == [f["properties"]["h_name"].strip() for f in raw]
    assert result.frame["province_code_stated"].notna().all()
    assert result.frame["lon"].tolist() == [f["geometry"]["coordinates"][0] for f in raw]


def test_moph_hospitals() -> None:
    raw = features("moph_hospitals_geojson_health.geojson")
    result = read_facilities(
        FACILITIES / "moph_hospitals_geojson_health.geojson", facility_type="hospital"
    )
    assert result.report.errors() == []
    assert len(result.frame) == len(raw) == 1384
    hcodes = dict(zip(result.frame["row"], result.frame["hcode"], strict=True))
    for number, item in enumerate(raw, start=1):
        code = item["properties"]["main_code"]
        if len(code) == 5:
            assert hcodes[number] == code
    # The two codes that are not 5 characters: 4007 lost its leading zero, 0 is a placeholder.
    repaired = {p.value: p.rule for p in result.report.warnings() if p.column == "main_code"}
    assert set(repaired) == {"4007", "0"}
    assert "04007" in repaired["4007"]
    stated = result.frame["province_code_stated"].tolist()
    expected = [
        None if f["properties"]["prov_code"] is None else f"TH{int(f['properties']['prov_code'])}"
        for f in raw
    ]
    assert stated == expected
    assert result.frame["beds_total"].tolist()[0] == int(raw[0]["properties"]["bed_total"])
    assert result.frame["name_th"].str.startswith(" ").sum() == 0  # names are stripped


def test_moph_clinics_duplicates_and_points_outside_thailand() -> None:
    raw = features("moph_clinics_geojson_clinic.geojson")

    # Later occurrences of a code already seen (rows are 1-based feature numbers).
    seen: dict[str, int] = {}
    repeated: dict[int, int] = {}
    for number, item in enumerate(raw, start=1):
        code = item["properties"]["main_code"]
        if code:
            if code in seen:
                repeated[number] = seen[code]
            else:
                seen.setdefault(code, number)
    # Points outside the bounding box of the province polygons.
    west, south, east, north = gpd.read_file(PROVINCES).total_bounds
    outside = {
        number
        for number, item in enumerate(raw, start=1)
        if not (
            west <= item["geometry"]["coordinates"][0] <= east
            and south <= item["geometry"]["coordinates"][1] <= north
        )
    }

    result = read_facilities(
        FACILITIES / "moph_clinics_geojson_clinic.geojson", facility_type="hospital"
    )
    duplicate_errors = {
        p.row: p for p in result.report.errors() if "repeats the hcode of row" in p.rule
    }
    outside_errors = {p.row for p in result.report.errors() if "outside Thailand" in p.rule}

    assert set(duplicate_errors) == set(repeated)
    for row, problem in duplicate_errors.items():
        assert problem.column == "main_code"
        assert f"repeats the hcode of row {repeated[row]};" in problem.rule
    assert outside_errors == outside
    assert len(outside) == 17
    assert set(result.rejected_rows) == set(repeated) | outside
    assert len(result.frame) == len(raw) - len(set(repeated) | outside)

    # SOURCES.md counts 669 duplicated codes: the 454 real repeats plus the 215 repeats of
    # the empty code (216 clinics have none), which the importer does not treat as duplicates.
    missing = sum(1 for f in raw if not f["properties"]["main_code"])
    assert len(repeated) + (missing - 1) == 669
    assert Counter(p.severity for p in result.report)["error"] == len(repeated) + len(outside)
