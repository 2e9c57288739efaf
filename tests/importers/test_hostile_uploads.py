"""Hostile uploads are refused within seconds and bounded memory, naming the limit.

Each file is made in the test (tests/hostile_files.py): a few kilobytes to megabytes that
expand, or multiply work, far beyond their size. Memory is the peak resident growth around
the read (Linux), time the wall clock; both bounds are generous for a busy CI machine and far
below what the same files cost before the limits (see docs/benchmarks.md: gigabytes, minutes).
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from importers import read_facilities
from importers.errors import ImportFormatError
from importers.limits import Budget, ImportLimitError, ImportLimits
from registry.imports.duplicates import similar_among
from tests import hostile_files as hostile

MAX_SECONDS = 15.0
MAX_MB = 200.0

REFUSED = [
    (hostile.blank_lines_zip, "sites.csv expands to 256 MB, more than the limit of 64 MB"),
    (hostile.newline_csv, "holds more than 150,000 lines or rows (blank ones included)"),
    (hostile.delimiter_rows_csv, "holds more than 150,000 lines or rows (blank ones included)"),
    (hostile.huge_dbf_zip, "sites.dbf expands to 1,024 MB, more than the limit of 64 MB"),
    (hostile.blank_rows_xlsx, "holds more than 150,000 lines or rows"),
    (hostile.wide_rows_xlsx, "holds more than 5,000,000 cells, values or elements"),
    (hostile.empty_features_geojson_zip, "holds more than 5,000,000 cells, values or elements"),
    (hostile.placemarks_kml_zip, "has more than 100,000 rows, the limit per import"),
]


@pytest.mark.parametrize(("make", "limit"), REFUSED, ids=[m.__name__ for m, _ in REFUSED])
def test_a_hostile_file_is_refused_quickly_in_bounded_memory(make, limit):
    name, data = make()
    measured = hostile.measure(
        lambda: read_facilities(data, file_name=name), catch=ImportFormatError
    )
    assert isinstance(measured.error, ImportLimitError), measured.error
    assert measured.error.status_code == 413
    message = measured.error.message
    assert message.startswith(f"'{name}"), message
    assert limit in message, message
    assert "registry import" in message  # where a bigger file can go
    assert measured.seconds < MAX_SECONDS, f"{name}: {measured.seconds:.1f} s"
    assert measured.peak_mb < MAX_MB, f"{name}: {measured.peak_mb:.0f} MB"


def test_identical_rows_are_read_in_bounded_memory_and_flagged_linearly():
    """91,000 copies of one site (5 KB zipped) read, and their duplicates found, in seconds."""
    name, data = hostile.identical_rows_zip(91_000)
    read = hostile.measure(lambda: read_facilities(data, file_name=name, facility_type="hospital"))
    assert read.error is None, read.error
    assert len(read.result.frame) == 91_000
    assert read.seconds < 30 and read.peak_mb < 400, (read.seconds, read.peak_mb)

    frame = read.result.frame
    created = pd.DataFrame(
        {
            "id": np.arange(1, len(frame) + 1),
            "type": frame["type"],
            "name_th": frame["name_th"],
            "hcode": None,
            "lon": frame["lon"],
            "lat": frame["lat"],
        }
    )
    notes: list[str] = []
    flagged = hostile.measure(lambda: similar_among(created, notes=notes))
    assert flagged.seconds < 10 and flagged.peak_mb < 300, (flagged.seconds, flagged.peak_mb)
    pairs = flagged.result
    # One group: every copy paired with the first, never each with each.
    assert len(pairs) == 90_999
    assert set(pairs) == {(1, i) for i in range(2, 91_001)}
    assert notes == []


def test_many_different_names_at_one_point_are_not_compared_pair_by_pair():
    """20,000 sites at one point with different names: 200 million pairs, not compared."""
    n = 20_000
    created = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "type": "hospital",
            "name_th": [f"site {i}" for i in range(n)],
            "hcode": None,
            "lon": 98.9853,
            "lat": 18.7883,
        }
    )
    notes: list[str] = []
    measured = hostile.measure(lambda: similar_among(created, max_comparisons=1_000, notes=notes))
    assert measured.result == {}
    assert measured.seconds < 10, measured.seconds
    assert [str(note) for note in notes] == [
        "names were not compared among the new facilities: 199,990,000 pairs lie within 100 m "
        "of each other, more than the limit of 1,000 comparisons per import"
    ]


def test_blank_lines_and_rows_are_dropped_as_read_and_rows_keep_their_file_numbers():
    text = (
        "ชื่อ,ประเภท,ละติจูด,ลองจิจูด\n\n,,,\nรพ.สต.ก,โรงพยาบาล,18.79,98.98\n\n \n"
        "รพ.สต.ข,โรงพยาบาล,18.80,98.99\n" + "\n" * 1_000
    )
    result = read_facilities(text.encode(), file_name="gaps.csv")
    assert result.frame["row"].tolist() == [4, 7]
    assert result.report.rows_read == 2


def test_blank_rows_of_a_sheet_are_dropped_and_rows_keep_their_numbers():
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ชื่อ", "ประเภท", "ละติจูด", "ลองจิจูด"])
    sheet.append([])
    sheet.append(["รพ.สต.ก", "โรงพยาบาล", 18.79, 98.98])
    sheet.cell(row=9, column=1, value="รพ.สต.ข")
    for column, value in ((2, "โรงพยาบาล"), (3, 18.8), (4, 98.99)):
        sheet.cell(row=9, column=column, value=value)
    sheet.cell(row=40, column=30, value=" ")  # a stray blank far away
    out = io.BytesIO()
    book.save(out)
    result = read_facilities(out.getvalue(), file_name="gaps.xlsx")
    assert result.frame["row"].tolist() == [3, 9]


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        (ImportLimits(rows=3), "has more than 3 rows, the limit per import"),
        (ImportLimits(rows_read=4), "holds more than 4 lines or rows (blank ones included)"),
        (ImportLimits(cells=8), "holds more than 8 cells, values or elements"),
        (ImportLimits(expanded_bytes=100), "expands to more than 100 bytes of data, the limit"),
    ],
)
def test_each_limit_is_stated_in_its_refusal(limits, expected):
    text = "ชื่อ,ประเภท,ละติจูด,ลองจิจูด\n" + "รพ.สต.ก,โรงพยาบาล,18.79,98.98\n" * 5
    with pytest.raises(ImportLimitError) as refused:
        read_facilities(text.encode(), file_name="five.csv", limits=limits)
    assert expected in refused.value.message


def test_a_file_within_the_limits_of_the_command_line_but_not_the_web_reads_there():
    text = "ชื่อ,ประเภท,ละติจูด,ลองจิจูด\n" + "รพ.สต.ก,โรงพยาบาล,18.79,98.98\n" * 5
    web, cli = ImportLimits(rows=3), ImportLimits(rows=10)
    with pytest.raises(ImportLimitError):
        read_facilities(text.encode(), file_name="five.csv", limits=web)
    assert len(read_facilities(text.encode(), file_name="five.csv", limits=cli).frame) == 5


def test_limits_come_from_configuration_and_refuse_unknown_names():
    limits = ImportLimits.from_config({"expanded_mb": 1, "rows": 7})
    assert (limits.expanded_bytes, limits.rows) == (1 << 20, 7)
    with pytest.raises(ValueError, match="unknown import limits: lines"):
        ImportLimits.from_config({"lines": 3})


def test_a_zip_member_is_refused_on_its_declared_size_before_it_is_inflated():
    name, data = hostile.blank_lines_zip(8 << 20)
    budget = Budget(ImportLimits(expanded_bytes=1 << 20), name)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.infolist()[0]
        with pytest.raises(
            ImportLimitError, match=r"sites\.csv expands to 8 MB, more than the limit of 1 MB"
        ):
            budget.read_member(archive, info)
    assert budget.bytes == 0  # nothing was read


@pytest.mark.parametrize(
    ("encoding", "comment"),
    [("utf-16", 0), ("utf-8", 10_000), ("utf-16", 10_000)],
)
def test_kml_declaring_entities_is_refused_whatever_its_encoding_or_comments(encoding, comment):
    name, data = hostile.entity_kml(encoding, comment)
    with pytest.raises(ImportFormatError, match="declares a DTD or entities"):
        read_facilities(data, file_name=name, facility_type="hospital")


def test_utf16_kml_without_a_dtd_reads():
    text = (
        '<?xml version="1.0" encoding="utf-16"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        "<Document><Folder><Placemark><name>รพ.สต.ก</name><Point><coordinates>98.98,18.79"
        "</coordinates></Point></Placemark></Folder><Placemark><name>รพ.สต.ข</name><Point>"
        "<coordinates>98.99,18.8</coordinates></Point></Placemark></Document></kml>"
    )
    result = read_facilities(text.encode("utf-16"), file_name="sites.kml", facility_type="hospital")
    assert result.frame["name_th"].tolist() == ["รพ.สต.ก", "รพ.สต.ข"]
    assert result.frame["lat"].tolist() == [18.79, 18.8]
