"""DOPA 2021 by subdistrict as the default layer: exact counts, placed within.

The expected numbers are read straight from the bundled DOPA table with the csv module, not
through the registry's reader, so the two are independent.
"""

from __future__ import annotations

import csv
import gzip

import pytest

from registry.coverage import population
from registry.coverage.admin_counts import read_admin_counts
from registry.coverage.population_measured import (
    DOPA_2021_FILE,
    DOPA_2021_LAYER,
    ensure_dopa_2021_layer,
    known_area_codes,
)
from registry.errors import ValidationError
from registry.paths import DATA_DIR
from tests.registry.coverage_layout import fresh_caches  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("fresh_caches")

# DOPA subdistricts newer than the 2019 boundaries (13 Bangkok khwaeng, one Uttaradit tambon).
NOT_JOINING = {
    "TH100910": "TH1009",
    "TH101406": "TH1014",
    "TH102602": "TH1026",
    "TH103402": "TH1034",
    "TH103403": "TH1034",
    "TH104402": "TH1044",
    "TH104403": "TH1044",
    "TH104702": "TH1047",
    "TH104703": "TH1047",
    "TH105002": "TH1050",
    "TH105003": "TH1050",
    "TH105004": "TH1050",
    "TH105005": "TH1050",
    "TH530407": "TH5304",
}


def dopa_totals() -> dict[str, int]:
    with gzip.open(DATA_DIR / DOPA_2021_FILE, "rt", encoding="utf-8") as handle:
        return {row["pcode"]: int(row["total"]) for row in csv.DictReader(handle)}


def _coverage(client, level: str, province: str = "") -> dict[str, int]:
    where = f"&province={province}" if province else ""
    body = client.get(
        f"/api/v1/coverage?type=vaccination_site&threshold_km=10&level={level}{where}"
    ).get_json()
    assert body["layer"]["name"] == DOPA_2021_LAYER
    assert body["layer"]["measure"] == "measured by subdistrict, placed within it"
    assert body["layer"]["year"] == 2021 and "DOPA" in body["layer"]["source"]
    return {item["code"]: item["population"] for item in body["items"]}


def test_coverage_population_equals_the_dopa_table(app, client, session):
    outcome, counts = ensure_dopa_2021_layer(session, DATA_DIR)
    session.commit()
    file = dopa_totals()
    national = sum(people for code, people in file.items() if len(code) == 4)
    assert outcome.layer.total_population == national == 66_171_439
    # The loader names every subdistrict that does not join and where its people went.
    assert {r.code: r.assigned_to for r in counts.reassigned} == NOT_JOINING
    notes = "\n".join(outcome.notes)
    assert all(code in notes for code in NOT_JOINING)

    provinces = _coverage(client, "province")
    assert sum(provinces.values()) == national
    assert provinces == {code: people for code, people in file.items() if len(code) == 4}

    districts = _coverage(client, "district")
    for code in ("TH1047", "TH1050", "TH5001", "TH5304", "TH9601", "TH5713"):
        assert districts[code] == file[code], code
    assert sum(districts.values()) == national

    subdistricts = _coverage(client, "subdistrict", "TH50")
    for code in ("TH500101", "TH500102", "TH502501", "TH501101"):
        assert subdistricts[code] == file[code], code
    # Chiang Mai's subdistricts all join: its table is the file's, row for row.
    assert subdistricts == {
        code: people for code, people in file.items() if len(code) == 8 and code[:4] == "TH50"
    }
    # Bang Na's new khwaeng are counted in their district, in a row of its own: not lost.
    bangkok = _coverage(client, "subdistrict", "TH10")
    assert bangkok["TH1047"] == file["TH104702"] + file["TH104703"]
    assert sum(bangkok.values()) == file["TH10"]

    # Bang Na's statistics page has a row for them too, naming the layer (public view:
    # people rounded to fives).
    body = client.get("/stats/TH1047/coverage.json").get_json()
    assert body["coverage_layer"]["measure"] == "measured by subdistrict, placed within it"
    rows = body["tables"]["coverage"]["rows"]
    newer = [row for row in rows if row["code"] is None]
    assert len(newer) == 1 and newer[0]["name_en"].startswith("Subdistricts newer")
    assert abs(newer[0]["population"] - bangkok["TH1047"]) <= 2
    total = next(row for row in rows if row["code"] == "TH1047")
    assert abs(total["population"] - file["TH1047"]) <= 2
    assert {row["population_year"] for row in rows} == {"2021"}


def test_loader_reads_mixed_levels_thai_names_and_reports_by_row(session):
    known = known_area_codes(session)
    text = (
        "ระดับ,รหัส,ชื่อ,ประชากร\n"
        'จังหวัด,50,เชียงใหม่,"๑,๐๐๐"\n'
        "อำเภอ,5001,เมืองเชียงใหม่,990\n"
        "ตำบล,500101,ศรีภูมิ,600\n"
        "ตำบล,500102,พระสิงห์,400\n"
        "ตำบล,500199,ตำบลใหม่,7\n"
    )
    counts = read_admin_counts(text.encode("cp874"), "dopa.csv", known)
    assert counts.level == 3 and counts.columns["population"] == "ประชากร"
    people = dict(zip(counts.codes, counts.population.tolist(), strict=True))
    assert people == {"TH5001": 7, "TH500101": 600, "TH500102": 400}
    messages = [p.message for p in counts.report.warnings()]
    assert "row 3, column 'ประชากร': '990' is not the sum of the 3 finer rows under TH5001" in (
        "\n".join(messages)
    )
    assert any(
        m.startswith("row 6, column 'รหัส': 'TH500199' (ตำบลใหม่, 7 people) is not a subdistrict")
        and "assigned to TH5001" in m
        for m in messages
    )
    # Mueang Chiang Mai's other subdistricts have no row: named, not silently empty.
    assert "TH500103" in counts.without_row
    assert "TH500199 ตำบลใหม่ (7 people) -> TH5001" in counts.summary()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "level,code,total\nsubdistrict,7265,10\n",
            "row 2, column 'level': 'subdistrict' "
            "contradicts the code TH7265, which has 4 digits (a district code)",
        ),
        (
            "code,total\n500101,10\n500101,12\n",
            "row 3, column 'code': '500101' repeats the area of row 2",
        ),
        ("code,total\n500101,ten\n", "row 2, column 'total': 'ten' is not a whole number"),
        ("code,total\n5001011,10\n", "row 2, column 'code': '5001011' is not a DOPA area code"),
        ("code,total\n990101,10\n", "'TH990101' is not an area of the registry's boundaries"),
    ],
)
def test_loader_refuses_bad_rows_naming_row_column_value_and_rule(session, text, message):
    with pytest.raises(ValidationError) as caught:
        read_admin_counts(text.encode(), "bad.csv", known_area_codes(session))
    assert message in caught.value.message
    assert "nothing was loaded" in caught.value.message


def test_load_areas_command_takes_the_dopa_file_as_published(app, session):
    result = app.test_cli_runner().invoke(
        args=[
            "population",
            "load-areas",
            str(DATA_DIR / DOPA_2021_FILE),
            "--name",
            "dopa-cli",
            "--title",
            "DOPA 2021",
            "--source",
            "กรมการปกครอง (DOPA)",
            "--kind",
            "measured",
            "--placement",
            "within",
            "--as-of",
            "2021-12-31",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "8441 rows read, 0 rejected, 0 errors" in result.output
    assert "columns used: code 'geocode', population 'total', level 'level', name 'name_th'" in (
        result.output
    )
    for code, district in NOT_JOINING.items():
        assert f"{code} " in result.output and f"-> {district}" in result.output
    assert "TH104701" in result.output  # Bang Na of 2019, split since: no row of its own
    assert "created; 59,440 units, 66,171,439 people" in result.output
    info = population.find_layer(session, "dopa-cli")
    assert info.measure == "measured by subdistrict, placed within it"
