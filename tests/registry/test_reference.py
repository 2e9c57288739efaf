"""The DDC provincial vaccination report as a reference series: every value kept, provinces
matched to their codes, loading twice changes nothing, bad rows named with their value."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from registry.errors import ValidationError
from registry.models import Area, ReferenceVaccination
from registry.paths import DATA_DIR
from registry.stats import reference

REPORT = DATA_DIR / reference.DEMO_REFERENCE_FILE
SHARED = "vaccination/vaccinations_by_province_ddc_2021-11-17.csv"


def _rows() -> list[dict]:
    with REPORT.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _stored(session) -> dict[tuple[str, str], int]:
    return {
        (row.area_code, row.measure): row.value
        for row in session.scalars(
            select(ReferenceVaccination).where(ReferenceVaccination.series == "ddc-2021-11-17")
        )
    }


def test_the_bundled_file_is_the_shared_original(shared_data):
    assert REPORT.read_bytes() == (shared_data / SHARED).read_bytes()


def test_every_province_and_number_is_loaded(session):
    outcome = reference.load_demo_reference(session, DATA_DIR)
    assert (outcome.action, outcome.provinces, outcome.warnings) == ("created", 77, [])
    stored = _stored(session)
    rows = _rows()
    kept = [c for c in rows[0] if reference.measure_name(c)]
    assert len(stored) == outcome.values == 77 * len(kept)
    # Spot the mapping from English names to codes and the values, column by column.
    by_name = {row["Province"]: row for row in rows}
    for name, code in (("Bangkok", "TH10"), ("Chiang Mai", "TH50"), ("Narathiwat", "TH96")):
        for column in kept:
            expected = int(float(by_name[name][column]))
            assert stored[(code, reference.measure_name(column))] == expected, (name, column)
    assert {code for code, _m in stored} == {f"TH{c}" for c in _province_codes(session)}
    figures = reference.latest_figures(session, ["TH50"])
    assert figures.as_of.isoformat() == "2021-11-17" and "CC BY 4.0" in figures.source
    assert set(figures.values) == {"TH50"}


def _province_codes(session):
    return [code[2:] for code in session.scalars(select(Area.code).where(Area.level == 1))]


def test_column_names_become_measures():
    assert reference.measure_name("Vac Given 2 Cum") == "dose2"
    assert reference.measure_name("Vac Group Over 60 3 Cum") == "over_60_dose3"
    assert reference.measure_name("Vac Group Risk: Pregnant 1 Cum") == "risk_pregnant_dose1"
    assert reference.measure_name("Vac Population Over 60s") == "population_over_60s"
    assert reference.measure_name("Vac Allocated Sinovac") == "allocated_sinovac"
    assert reference.measure_name("Vac Given 1 %") is None  # derived: doses / population
    assert reference.measure_name("Province") is None


def test_loading_again_changes_nothing_and_a_new_version_replaces_the_series(session):
    reference.load_demo_reference(session, DATA_DIR)
    again = reference.load_demo_reference(session, DATA_DIR)
    assert again.action == "unchanged"
    count = session.scalar(select(func.count()).select_from(ReferenceVaccination))
    changed = REPORT.read_text(encoding="utf-8").replace(",192744.0,", ",192745.0,", 1)
    report = reference.read_ddc_report(changed.encode(), "changed.csv")
    outcome = reference.store_reference(session, "ddc-2021-11-17", reference.DDC_SOURCE, report)
    assert outcome.action == "replaced"
    assert session.scalar(select(func.count()).select_from(ReferenceVaccination)) == count
    assert _stored(session)[("TH37", "dose1")] == 192_745  # Amnat Charoen


def _edited(row_number: int, column: str, value: str) -> bytes:
    rows = list(csv.reader(io.StringIO(REPORT.read_text(encoding="utf-8"))))
    rows[row_number - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


@pytest.mark.parametrize(
    ("row", "column", "value", "message"),
    [
        (3, "Province", "Atlantis", "row 3, column 'Province': 'Atlantis' is not a province"),
        (4, "Province", "Amnat Charoen", "'Amnat Charoen' is Amnat Charoen (TH37) again; row 2"),
        (5, "Vac Given 2 Cum", "12.5", "row 5, column 'Vac Given 2 Cum': '12.5' is not a whole"),
        (6, "Vac Given 1 Cum", "-3", "row 6, column 'Vac Given 1 Cum': '-3' is not a whole"),
        (7, "Vac Population", "many", "row 7, column 'Vac Population': 'many' is not a whole"),
        (8, "Date", "2021-11-18", "row 8, column 'Date': '2021-11-18' differs"),
        (9, "Date", "17/11/2564", "row 9, column 'Date': '17/11/2564' is not a date"),
    ],
)
def test_bad_rows_are_named_with_their_value_and_nothing_is_written(
    session, row, column, value, message
):
    with pytest.raises(ValidationError) as caught:
        report = reference.read_ddc_report(_edited(row, column, value), "ddc.csv")
        reference.store_reference(session, "x", "tests", report)
    assert message in caught.value.message
    assert session.scalar(select(func.count()).select_from(ReferenceVaccination)) == 0


def test_a_misspelt_province_is_read_with_a_warning(session):
    report = reference.read_ddc_report(_edited(2, "Province", "Amnat Charoenn"), "ddc.csv")
    assert report.provinces == 77
    assert report.warnings == ["row 2: province 'Amnat Charoenn' read as Amnat Charoen (TH37)"]


def test_a_file_without_the_report_columns_is_refused():
    with pytest.raises(ValidationError, match="'Vac Given 1 Cum' missing"):
        reference.read_ddc_report(b"Date,Province\n2021-11-17,Bangkok\n", "other.csv")
    with pytest.raises(ValidationError, match="no rows"):
        reference.read_ddc_report(b"Date,Province,Vac Given 1 Cum\n", "empty.csv")
    with pytest.raises(ValidationError, match="not UTF-8"):
        reference.read_ddc_report("Date,จังหวัด".encode("cp874"), "thai.csv")
