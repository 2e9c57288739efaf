from __future__ import annotations

import dataclasses

import pytest

from importers.report import ImportReport, Problem


def test_message_quotes_value_and_rule() -> None:
    problem = Problem(17, "lat", "1375.5", "is not a latitude between 5 and 21")
    assert problem.message == "row 17, column 'lat': '1375.5' is not a latitude between 5 and 21"
    assert str(problem) == problem.message
    assert problem.is_error


@pytest.mark.parametrize(
    ("row", "column", "value", "expected"),
    [
        (None, "หมายเหตุ", None, "column 'หมายเหตุ': is ignored"),
        (4, None, None, "row 4: is ignored"),
        (None, None, None, "file: is ignored"),
        (None, None, "x" * 200, "file: '" + "x" * 79 + "…' is ignored"),
    ],
)
def test_message_shapes(row, column, value, expected) -> None:
    assert Problem(row, column, value, "is ignored", "warning").message == expected


def test_problem_is_frozen_and_checks_severity() -> None:
    problem = Problem(1, "a", "b", "rule")
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.row = 2  # type: ignore[misc]
    with pytest.raises(ValueError, match="severity"):
        Problem(1, "a", "b", "rule", "fatal")  # type: ignore[arg-type]


def test_report_helpers() -> None:
    report = ImportReport(file_name="sites.csv", rows_read=5)
    report.error(5, "lat", "x", "is not a number")
    report.error(2, "ชื่อ", None, "the name is empty")
    report.error(5, "lon", "y", "is not a number")
    report.warning(3, "โทร", "12", "is not a phone number")
    report.error(None, "lat", None, "appears twice")
    assert len(report) == 5
    assert report.rows_with_errors == [2, 5]
    assert [p.row for p in report.warnings()] == [3]
    assert len(report.errors()) == 4
    assert report.has_errors
    assert [p.column for p in report.file_errors] == ["lat"]
    assert [p.column for p in report.for_row(5)] == ["lat", "lon"]
    dicts = report.as_dicts()
    assert dicts[0]["row"] is None  # file-level first
    assert dicts[1] == {
        "row": 2,
        "column": "ชื่อ",
        "value": None,
        "rule": "the name is empty",
        "severity": "error",
        "code": None,
        "params": {},
        "message": "row 2, column 'ชื่อ': the name is empty",
    }


def test_summary_counts_and_limits() -> None:
    report = ImportReport(file_name="sites.csv", rows_read=100)
    for row in range(2, 52):
        report.error(row, "lat", "x", "is not a number")
    report.warning(7, "โทร", "12", "is not a phone number")
    text = report.summary(max_lines=3)
    lines = text.splitlines()
    assert lines[0] == "'sites.csv': 100 rows read, 50 rejected, 50 errors, 1 warnings"
    assert lines[1] == "Errors:"
    assert lines[2] == "  row 2, column 'lat': 'x' is not a number"
    assert "  ... and 47 more" in lines
    assert lines[-1] == "  row 7, column 'โทร': '12' is not a phone number"


def test_empty_report() -> None:
    report = ImportReport()
    assert not report.has_errors
    assert report.summary() == "the file: 0 rows read, 0 rejected, 0 errors, 0 warnings"
