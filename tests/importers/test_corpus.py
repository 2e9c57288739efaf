"""Every file of the bad-file corpus gets the exact problem, on the exact row and column."""

from __future__ import annotations

import re

import pytest

from importers import ImportFormatError, read_facilities
from tests.importers.corpus import BAD_CASES, CHIANG_MAI, GOOD_CASES, Case


def _matching(result, case: Case):
    return [
        p
        for p in result.report
        if p.severity == case.kind
        and p.row == case.row
        and p.column == case.column
        and case.says in p.message
    ]


@pytest.mark.parametrize("case", BAD_CASES, ids=[c.id for c in BAD_CASES])
def test_bad_file_is_reported_exactly(case: Case, tmp_path) -> None:
    path = case.build(tmp_path)
    if case.kind == "format_error":
        with pytest.raises(ImportFormatError, match=re.escape(case.says)) as caught:
            read_facilities(path, **case.options)
        assert path.name in str(caught.value)  # the message names the file
        return
    result = read_facilities(path, **case.options)
    found = _matching(result, case)
    assert found, (
        f"expected {case.kind} at row {case.row}, column {case.column!r} saying "
        f"{case.says!r}; got:\n{result.report.summary()}"
    )
    if case.kind == "error" and case.row is not None:
        assert case.row in result.rejected_rows
        assert case.row not in result.frame["row"].tolist()
    if case.kind == "warning" and case.row is not None:
        assert case.row not in result.rejected_rows


def test_corpus_is_large_enough() -> None:
    assert len(BAD_CASES) >= 20
    assert len({c.id for c in BAD_CASES + GOOD_CASES}) == len(BAD_CASES) + len(GOOD_CASES)


@pytest.mark.parametrize("case", GOOD_CASES, ids=[c.id for c in GOOD_CASES])
def test_messy_but_valid_file_reads_cleanly(case: Case, tmp_path) -> None:
    result = read_facilities(case.build(tmp_path), **case.options)
    assert not result.report.errors(), result.report.summary()
    assert result.rejected_rows == []
    assert len(result.frame) >= 1
    first = result.frame.iloc[0]
    assert first["name_th"].startswith(("รพ.", "โรงพยาบาล", "จุดตรวจ"))
    # Every file describes a site in Chiang Mai; the readings land within ~40 m of it
    # (GOOD_ROW is 6 km away from CHIANG_MAI, so compare the latitude band only there).
    assert 18.7 < first["lat"] < 18.9
    assert 98.9 < first["lon"] < 99.1


def test_utm_guess_lands_on_the_point(tmp_path) -> None:
    case = next(c for c in BAD_CASES if c.id == "utm-47n-without-crs")
    result = read_facilities(case.build(tmp_path), **case.options)
    assert result.crs == "EPSG:32647"
    assert result.frame.loc[0, "lon"] == pytest.approx(CHIANG_MAI[0], abs=1e-6)
    assert result.frame.loc[0, "lat"] == pytest.approx(CHIANG_MAI[1], abs=1e-6)


def test_indian_1975_declared_matches_and_undeclared_is_300_m_off(tmp_path) -> None:
    declared = next(c for c in GOOD_CASES if c.id == "indian-1975-declared")
    result = read_facilities(declared.build(tmp_path), **declared.options)
    assert result.frame.loc[0, "lon"] == pytest.approx(CHIANG_MAI[0], abs=1e-6)
    assert result.frame.loc[0, "lat"] == pytest.approx(CHIANG_MAI[1], abs=1e-6)

    guessed = next(c for c in BAD_CASES if c.id == "indian-1975-without-crs")
    other = tmp_path / "other"
    other.mkdir()
    result = read_facilities(guessed.build(other), **guessed.options)
    shift_m = abs(result.frame.loc[0, "lon"] - CHIANG_MAI[0]) * 105_000
    shift_m += abs(result.frame.loc[0, "lat"] - CHIANG_MAI[1]) * 110_000
    assert 100 < shift_m < 1000


def test_tis620_text_is_decoded(tmp_path) -> None:
    case = next(c for c in GOOD_CASES if c.id == "tis620")
    result = read_facilities(case.build(tmp_path))
    assert result.frame["name_th"].tolist() == ["รพ.นครพิงค์", "จุดฉีดเซ็นทรัลเฟสติวัล"]
    assert result.frame["province_code_stated"].tolist() == ["TH50", "TH50"]


def test_merged_title_workbook_reads_the_list_sheet(tmp_path) -> None:
    case = next(c for c in BAD_CASES if c.id == "merged-excel-title-rows")
    result = read_facilities(case.build(tmp_path))
    assert result.layer == "รายชื่อ"
    assert result.frame["row"].tolist() == [4, 5]
    assert result.frame.loc[1, "lat"] == pytest.approx(18.8073)
    sheet_notes = [p for p in result.report.warnings() if p.value == "รายชื่อ"]
    assert sheet_notes and "'สรุป'" in sheet_notes[0].message


def test_shapefile_in_tis620_without_cpg(tmp_path) -> None:
    case = next(c for c in GOOD_CASES if c.id == "zipped-shapefile-utm-tis620")
    result = read_facilities(case.build(tmp_path), **case.options)
    assert result.frame["name_th"].tolist()[0] == "โรงพยาบาลมหาราชนครเชียงใหม่"
    assert result.frame["hcode"].tolist() == ["10715", "01234"]
    assert result.crs == "EPSG:32647"
    assert result.frame.loc[0, "lon"] == pytest.approx(CHIANG_MAI[0], abs=1e-6)
