"""Statistics pages and downloads: no small count of people in any public page, CSV, XLSX or
JSON; exact counts for the area's administrators only; Thai and English; errors that explain."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from registry.facilities.service import create_facility
from registry.paths import DATA_DIR
from registry.stats import service as service_stats
from registry.stats.reference import load_demo_reference
from tests.registry.conftest import sign_in
from tests.registry.helpers import CHIANG_MAI, OFFICIAL
from tests.registry.test_stats import survey  # noqa: F401  (fixture)

PAGES = ["/stats", "/stats/TH50", "/stats/TH5001", "/stats/TH5002"]
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(autouse=True)
def fresh_survey_parts():
    """Survey parts are cached by a stamp that rolled-back tests could repeat."""
    service_stats.survey_parts.clear()
    yield
    service_stats.survey_parts.clear()


def _json(client, path: str, table: str = "all") -> dict:
    base = path if path != "/stats" else "/stats/TH"
    response = client.get(f"{base}/{table}.json")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _kinds(body: dict) -> dict[str, dict[str, str]]:
    return {
        name: {c["name"]: c["kind"] for c in table["columns"]}
        for name, table in body["tables"].items()
    }


def _public_value_ok(kind: str, value, below: int = 5, base: int = 5) -> bool:
    """What the public view may show: 0, '<5', or a rounded count of at least 5."""
    if kind == "people":
        if value in (None, "", 0, "0", f"<{below}"):
            return True
        number = int(value)
        return number >= below and number % base == 0
    if kind == "published":
        return value in (None, "", f"<{below}") or int(value) == 0 or int(value) >= below
    return True


def _small_people_cells(html: str, people: set[str]) -> list[str]:
    """People cells of a page (table cells, figures, chart values) showing 1 to 4."""
    found = []
    for column, text in re.findall(r'<(?:td|dd) data-column="(\w+)"[^>]*>([^<]*)<', html):
        if column in people:
            number = text.split("(")[0].strip().replace(",", "")
            if number.isdigit() and 0 < int(number) < 5:
                found.append(f"{column}={text}")
    groups = html[html.index('id="chart-groups"') :]
    groups = groups[: groups.index("</figure>")]
    found += [v for v in re.findall(r'class="bar-value">([^<]*)<', groups) if v in "1234"]
    found += [v for v in re.findall(r": (\S+) (?:unvaccinated|ยังไม่ได้รับวัคซีน)", html) if v in "1234"]
    return found


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.usefixtures("survey")
def test_no_public_page_or_download_shows_a_small_count_of_people(client, session, path):
    body = _json(client, path)
    assert body["view"] == "public" and body["suppression"]["below"] == 5
    kinds = _kinds(body)
    assert "stale_facilities" not in kinds and "survey_subdistricts" not in kinds
    for name, table in body["tables"].items():
        for row in table["rows"]:
            for column, value in row.items():
                assert _public_value_ok(kinds[name][column], value), (name, column, value)

    people = {c for columns in kinds.values() for c, kind in columns.items() if kind == "people"}
    html = client.get(path).get_data(as_text=True)
    assert _small_people_cells(html, people) == []

    base = path if path != "/stats" else "/stats/TH"
    for name in kinds:
        response = client.get(f"{base}/{name}.csv")
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        for row in csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))):
            for column, value in row.items():
                assert _public_value_ok(kinds[name][column], value), (name, column, value)

    book = load_workbook(io.BytesIO(client.get(f"{base}/all.xlsx").get_data()))
    assert set(book.sheetnames) == {*kinds, "about"}
    for name in kinds:
        rows = book[name].iter_rows(values_only=True)
        header = next(rows)
        for row in rows:
            for column, value in zip(header, row, strict=True):
                assert _public_value_ok(kinds[name][column], value), (name, column, value)


@pytest.mark.usefixtures("survey")
def test_small_counts_really_are_there_and_hidden(client, session):
    """The survey has unvaccinated elderly 2 + 4 and students 1 in Chiang Mai: hidden, and the
    page and files say so with '<5'; the share that would give them back is left empty."""
    rows = {r["group"]: r for r in _json(client, "/stats/TH50")["tables"]["survey_groups"]["rows"]}
    assert rows["students_12_18"]["unvaccinated"] == "<5"
    assert rows["students_12_18"]["share_unvaccinated"] is None
    assert rows["elderly"]["unvaccinated"] == 5  # 6, rounded
    assert rows["children_5_11"]["unvaccinated"] == 30
    html = client.get("/stats/TH50?lang=en").get_data(as_text=True)
    assert "&lt;5" in html and "<5<" not in html
    csv_text = client.get("/stats/TH50/survey_groups.csv").get_data().decode("utf-8-sig")
    assert "students_12_18,นักเรียน 12-18 ปี,Students 12-18,10,<5," in csv_text.replace("\r", "")


@pytest.mark.usefixtures("survey")
def test_administrators_of_the_area_see_exact_counts(client, session, accounts):
    sign_in(client, accounts["provincial_admin"])  # Chiang Mai
    body = _json(client, "/stats/TH50")
    assert body["view"] == "exact"
    rows = {r["group"]: r for r in body["tables"]["survey_groups"]["rows"]}
    assert rows["students_12_18"]["unvaccinated"] == 1
    assert rows["elderly"]["unvaccinated"] == 6
    assert {"stale_facilities", "survey_subdistricts"} <= set(body["tables"])
    # The page shows them too, where the public check looks (so that check can fail).
    people = {c for cs in _kinds(body).values() for c, kind in cs.items() if kind == "people"}
    small = _small_people_cells(client.get("/stats/TH50?lang=en").get_data(as_text=True), people)
    assert "unvaccinated=1" in small and "1" in small  # the students' table cell and bar
    page = client.get("/stats/TH5001?lang=en")
    assert page.headers["Cache-Control"] == "private, no-store"
    html = page.get_data(as_text=True)
    assert "Administrator view" in html and 'id="table-survey_subdistricts"' in html
    assert client.get("/stats/TH5001/survey_subdistricts.csv").status_code == 200
    # Their view of what everyone sees.
    public = client.get("/stats/TH50/all.json?view=public").get_json()
    assert public["view"] == "public" and "survey_subdistricts" not in public["tables"]
    # Outside their province, and for the whole country: the public view.
    assert _json(client, "/stats/TH10")["view"] == "public"
    assert _json(client, "/stats")["view"] == "public"
    assert "Cache-Control" not in client.get("/stats/TH10").headers


@pytest.mark.parametrize(
    ("account", "path", "view"),
    [
        ("national_admin", "/stats", "exact"),
        ("national_admin", "/stats/TH10", "exact"),
        ("official", "/stats/TH50", "public"),
        ("district_official", "/stats/TH5001", "public"),
        ("volunteer", "/stats/TH5001", "public"),
        ("planner", "/stats", "public"),
    ],
)
def test_only_administrators_get_the_exact_view(client, session, accounts, account, path, view):
    sign_in(client, accounts[account])
    assert _json(client, path)["view"] == view


@pytest.mark.usefixtures("survey")
def test_administrator_tables_are_refused_to_everyone_else(client, session):
    response = client.get("/stats/TH50/survey_subdistricts.csv?lang=en")
    assert response.status_code == 403
    assert "administrators" in response.get_data(as_text=True)
    thai = client.get("/stats/TH50/survey_subdistricts.csv?lang=th").get_data(as_text=True)
    assert "สำหรับผู้ดูแลของพื้นที่เท่านั้น" in thai
    assert client.get("/stats/TH50/stale_facilities.json").status_code == 403


def test_the_oldest_unconfirmed_sites_link_to_their_edit_page_and_escape_names(
    client, session, accounts
):
    site = create_facility(
        session,
        {"type": "hospital", "name_th": XSS, **CHIANG_MAI},
        OFFICIAL,
        confirm_status=False,
    ).facility
    session.commit()
    sign_in(client, accounts["provincial_admin"])
    html = client.get("/stats/TH50").get_data(as_text=True)
    assert f"/official/facility/{site.id}/edit" in html
    assert XSS not in html and "&lt;img src=x" in html


@pytest.mark.usefixtures("survey")
def test_the_page_speaks_thai_and_english(client, session):
    thai = client.get("/stats/TH50?lang=th").get_data(as_text=True)
    assert "สถิติ" in thai and "เชียงใหม่" in thai and "ผู้สูงอายุ (60 ปีขึ้นไป)" in thai
    assert "Statistics" not in thai
    english = client.get("/stats/TH50?lang=en").get_data(as_text=True)
    assert "Statistics: Chiang Mai" in english and "Elderly (60+)" in english
    for html in (thai, english):
        for chart in ("chart-facilities", "chart-freshness", "chart-groups", "chart-trend"):
            assert f'id="{chart}"' in html
        assert html.count("<svg") >= 20
        # Everything comes from the app itself: no CDN, no script.
        sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
        assert sources and all(s.startswith("/") for s in sources), sources
        assert "<script" not in html


def test_the_reference_report_is_shown_with_its_date_and_source(client, session):
    load_demo_reference(session, DATA_DIR)
    session.commit()
    with (DATA_DIR / "vaccinations_by_province_ddc_2021-11-17.csv").open(encoding="utf-8") as f:
        bangkok = next(row for row in csv.DictReader(f) if row["Province"] == "Bangkok")
    dose1 = int(float(bangkok["Vac Given 1 Cum"]))
    html = client.get("/stats?lang=en").get_data(as_text=True)
    assert f"{dose1:,}" in html and "Department of Disease Control" in html
    assert "Nov 17, 2021" in html
    rows = _json(client, "/stats/TH10", "reference")["tables"]["reference"]["rows"]
    assert rows == [pytest.approx(rows[0])] and rows[0]["dose1"] == dose1
    assert rows[0]["share_dose1"] == pytest.approx(
        dose1 / int(float(bangkok["Vac Population"])), abs=1e-6
    )
    district = client.get("/stats/TH5001?lang=en").get_data(as_text=True)
    assert "figures of the whole province" in district


@pytest.mark.usefixtures("survey")
def test_the_threshold_is_a_setting(app, client, session):
    app.config["STATS_SUPPRESS_BELOW"] = 10
    rows = {r["group"]: r for r in _json(client, "/stats/TH50")["tables"]["survey_groups"]["rows"]}
    assert rows["elderly"]["unvaccinated"] == "<10"
    assert "&lt;10" in client.get("/stats/TH50").get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/stats/TH99", 404, "no area 'TH99'"),
        ("/stats/Chiang%20Mai", 404, "'Chiang Mai' is not an area code"),
        ("/stats/TH500102", 404, "is a subdistrict"),
        ("/stats/TH50/nothing.csv", 404, "'nothing' is not one of"),
        ("/stats/TH50/all.csv", 400, "a CSV file holds one table"),
        ("/stats/TH50?threshold_km=500", 400, "'threshold_km': '500' is not between 0 and 200"),
        ("/stats/TH50?rank=best", 400, "'rank': 'best' is not one of"),
    ],
)
def test_bad_requests_say_what_is_wrong(client, session, path, status, words):
    response = client.get(path + ("&" if "?" in path else "?") + "lang=en")
    assert response.status_code == status
    assert words in response.get_data(as_text=True).replace("&#39;", "'")


def test_area_codes_in_other_spellings_are_redirected(client):
    assert client.get("/stats/th50").headers["Location"].endswith("/stats/TH50")
    assert client.get("/stats/TH?lang=en").headers["Location"].endswith("/stats?lang=en")


def test_another_distance_changes_the_coverage_asked_for(client, session):
    html = client.get("/stats/TH50?threshold_km=2.5&lang=en").get_data(as_text=True)
    assert '<option value="2.5" selected>' in html
    assert "threshold_km=2.5" in html  # kept in the download links
