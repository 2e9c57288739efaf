"""read_facilities end to end on small files: the frame, the rules, the options."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pandas as pd
import pytest

from importers import ImportFormatError, ImportOptionError, read_facilities
from importers.normalize import BASE_COLUMNS
from tests.importers.corpus import (
    BASE,
    CHIANG_MAI,
    HEADER,
    feature,
    point,
    project,
    write_csv,
    write_geojson,
)


def csv_file(tmp_path, rows, name="sites.csv", **kw):
    return write_csv(tmp_path / name, rows, **kw)


def messages(result, severity=None):
    return [p.message for p in result.report.sorted() if severity in (None, p.severity)]


def test_frame_shape_and_types(tmp_path) -> None:
    rows = [
        [*HEADER, "วันที่", "อำเภอ", "ตำบล"],
        [*BASE[1], "15/06/2564", "เมืองเชียงใหม่", "ศรีภูมิ"],
        [*BASE[2], "", "  เมือง  เชียงใหม่ ", ""],
    ]
    path = csv_file(tmp_path, rows)
    result = read_facilities(path)
    frame = result.frame
    assert list(frame.columns[: len(BASE_COLUMNS)]) == list(BASE_COLUMNS)
    assert {
        "name_th",
        "source",
        "source_id",
        "hcode",
        "phone",
        "status",
        "status_confirmed_at",
    } <= set(frame.columns)
    assert frame["row"].tolist() == [2, 3]
    assert frame["type"].tolist() == ["hospital", "vaccination_site"]
    assert frame["status"].tolist() == ["open", "full"]
    assert frame["province_code_stated"].tolist() == ["TH50", "TH50"]
    assert frame["district_stated"].tolist() == ["เมืองเชียงใหม่", "เมือง เชียงใหม่"]
    assert frame["subdistrict_stated"].tolist() == ["ศรีภูมิ", None]
    assert frame["phone"].tolist() == ["053999200", None]
    assert frame["hcode"].tolist() == ["10713", None]
    assert frame["source_id"].tolist() == ["10713", None]
    assert frame["source"].tolist() == ["sites.csv", "sites.csv"]
    assert frame.loc[0, "status_confirmed_at"] == pd.Timestamp("2021-06-14 17:00", tz="UTC")
    assert pd.isna(frame.loc[1, "status_confirmed_at"])
    assert frame["lat"].dtype == float and frame["row"].dtype == "int64"
    assert frame["name_th"].dtype == object
    assert result.ok and result.rejected_rows == []
    assert result.format == "csv" and result.file_name == "sites.csv"
    assert result.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.columns["name_th"] == "ชื่อ"
    assert result.rows_read == 2


def test_type_from_column_else_argument(tmp_path) -> None:
    rows = [
        ["ชื่อ", "ประเภท", "lat", "lon"],
        ["ก", "", "18.79", "98.98"],
        ["ข", "จุดตรวจ", "18.79", "98.98"],
    ]
    result = read_facilities(csv_file(tmp_path, rows), facility_type="จุดพักคอย")
    assert result.frame["type"].tolist() == ["waiting_centre", "covid_test_point"]
    without = read_facilities(csv_file(tmp_path, rows, name="b.csv"))
    assert without.rejected_rows == [2]
    assert "row 2, column 'ประเภท': the type is empty" in messages(without)[0]


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"facility_type": "pharmacy"}, "facility_type 'pharmacy' is not a facility type"),
        ({"crs": "EPSG:0"}, "crs 'EPSG:0' is not a coordinate reference system"),
        ({"mapping": {"ชื่อ": "nickname"}}, "'nickname' is not a registry field"),
    ],
)
def test_bad_options_raise_before_reading(options, says, tmp_path) -> None:
    with pytest.raises(ImportOptionError, match=says):
        read_facilities(tmp_path / "never-read.csv", **options)


def test_bytes_need_a_name_or_format(tmp_path) -> None:
    data = "ชื่อ,lat,lon\nก,18.79,98.98\n".encode()
    with pytest.raises(ImportOptionError, match="file_name= or format="):
        read_facilities(data, facility_type="hospital")
    by_format = read_facilities(data, format="csv", facility_type="hospital")
    by_name = read_facilities(data, file_name="upload.csv", facility_type="hospital")
    assert by_format.frame["name_th"].tolist() == by_name.frame["name_th"].tolist() == ["ก"]
    assert by_name.file_name == "upload.csv"


def test_hcode_rules(tmp_path) -> None:
    rows = [
        ["ชื่อ", "lat", "lon", "main_code"],
        ["ก", "18.79", "98.98", "10697.0"],
        ["ข", "18.79", "98.98", "4007"],
        ["ค", "18.79", "98.98", "24531(245"],
        ["ง", "18.79", "98.98", "f1002"],
        ["จ", "18.79", "98.98", "04007"],
        ["ฉ", "18.79", "98.98", "A00012345"],
        ["ช", "18.79", "98.98", "b12345678"],
    ]
    result = read_facilities(csv_file(tmp_path, rows), facility_type="hospital")
    codes = ["10697", "04007", None, "F1002", "A00012345", "B12345678"]
    assert result.frame["hcode"].tolist() == codes
    assert result.frame["source_id"].tolist() == codes
    assert result.rejected_rows == [6]
    assert messages(result) == [
        "row 3, column 'main_code': '4007' was read as '04007' (leading zeros restored)",
        "row 4, column 'main_code': '24531(245' is not an MOPH hcode (5 or 9 letters or "
        "digits, like 10697, 04007 or A00012345); dropped",
        "row 6, column 'main_code': '04007' repeats the hcode of row 3; each hcode may appear "
        "only once in a file",
    ]


def test_source_id_from_id_column_and_its_duplicates(tmp_path) -> None:
    rows = [
        ["ชื่อ", "lat", "lon", "id", "hcode"],
        ["ก", "18.79", "98.98", "A-1", "10697"],
        ["ข", "18.79", "98.98", "", "10698"],
        ["ค", "18.79", "98.98", "A-1", "10699"],
        ["ง", "18.79", "98.98", "7.0", ""],
    ]
    result = read_facilities(csv_file(tmp_path, rows), facility_type="hospital")
    assert result.frame["source_id"].tolist() == ["A-1", "10698", "7"]
    assert result.rejected_rows == [4]
    assert "row 4, column 'id': 'A-1' repeats the id of row 2" in messages(result)[0]


def test_english_name_only_is_used_as_thai_name(tmp_path) -> None:
    rows = [
        ["name_th", "name_en", "lat", "lon"],
        ["", "Bangkok Hospital", "13.7", "100.5"],
        ["", "", "13.7", "100.5"],
    ]
    result = read_facilities(csv_file(tmp_path, rows), facility_type="hospital")
    assert result.frame["name_th"].tolist() == ["Bangkok Hospital"]
    assert result.frame["name_en"].tolist() == ["Bangkok Hospital"]
    assert result.rejected_rows == [3]
    assert "used as the Thai name" in messages(result, "warning")[0]


def test_no_name_column_rejects_every_row_once(tmp_path) -> None:
    rows = [["หมายเลข", "lat", "lon"], ["1", "13.7", "100.5"], ["2", "13.7", "100.5"]]
    result = read_facilities(csv_file(tmp_path, rows), facility_type="hospital")
    assert result.rejected_rows == [2, 3]
    assert result.frame.empty
    [error] = result.report.errors()
    assert error.row is None and "no column holds the facility name" in error.rule


def test_no_location_column(tmp_path) -> None:
    result = read_facilities(csv_file(tmp_path, [["ชื่อ"], ["ก"]]), facility_type="hospital")
    [error] = result.report.errors()
    assert "no column holds the location" in error.rule
    assert result.rejected_rows == [2]


def test_missing_or_half_coordinates(tmp_path) -> None:
    rows = [["ชื่อ", "lat", "lon"], ["ก", "", ""], ["ข", "13.7", ""], ["ค", "", "100.5"]]
    result = read_facilities(csv_file(tmp_path, rows), facility_type="hospital")
    assert messages(result) == [
        "row 2, column 'lat': the location is missing; every facility needs a point",
        "row 3, column 'lon': the longitude is empty (latitude '13.7')",
        "row 4, column 'lat': the latitude is empty (longitude '100.5')",
    ]


def test_coordinates_in_one_column(tmp_path) -> None:
    rows = [["ชื่อ", "พิกัด"], ["ก", "18.7883, 98.9853"], ["ข", "98.9853, 18.7883"], ["ค", "ใกล้ตลาด"]]
    result = read_facilities(csv_file(tmp_path, rows), facility_type="hospital")
    assert result.frame[["lat", "lon"]].values.tolist() == [[18.7883, 98.9853]] * 2
    assert result.rejected_rows == [4]
    assert any("row 3, column 'พิกัด'" in m and "swapped" in m for m in messages(result))


def test_explicit_crs_and_mapping(tmp_path) -> None:
    x, y = project(*CHIANG_MAI, "EPSG:32647")
    rows = [["สถานที่ฉีด", "ตะวันออก", "เหนือ", "หมายเหตุ"], ["ก", f"{x:.2f}", f"{y:.2f}", "x"]]
    mapping = tmp_path / "map.json"
    mapping.write_text(
        json.dumps({"สถานที่ฉีด": "name_th", "ตะวันออก": "lon", "เหนือ": "lat", "หมายเหตุ": "ignore"}),
        encoding="utf-8",
    )
    result = read_facilities(
        csv_file(tmp_path, rows), facility_type="vaccination_site", crs="UTM 47N", mapping=mapping
    )
    assert result.ok and result.report.problems == []
    assert result.crs == "EPSG:32647"
    assert (result.frame.loc[0, "lon"], result.frame.loc[0, "lat"]) == pytest.approx(CHIANG_MAI)


def test_crs_argument_overrides_the_file_crs_with_a_warning(tmp_path) -> None:
    x, y = project(*CHIANG_MAI, "EPSG:24047")
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32647"}}
    path = write_geojson(tmp_path / "a.geojson", [feature({"name": "ก"}, point(x, y))], crs=crs)
    declared_by_file = read_facilities(path, facility_type="hospital")
    assert declared_by_file.crs == "urn:ogc:def:crs:EPSG::32647"
    assert declared_by_file.frame.loc[0, "lon"] != pytest.approx(CHIANG_MAI[0], abs=1e-4)
    result = read_facilities(path, facility_type="hospital", crs=24047)
    assert (result.frame.loc[0, "lon"], result.frame.loc[0, "lat"]) == pytest.approx(CHIANG_MAI)
    assert "crs=EPSG:24047 was used instead" in messages(result, "warning")[0]


def test_geojson_null_geometry_falls_back_to_lat_lon_properties(tmp_path) -> None:
    features = [
        feature({"name": "ก", "lat": 18.79, "lon": 98.98}, None),
        feature({"name": "ข"}, None),
    ]
    result = read_facilities(
        write_geojson(tmp_path / "a.geojson", features), facility_type="hospital"
    )
    assert result.frame[["lat", "lon"]].values.tolist() == [[18.79, 98.98]]
    assert "row 2, column 'lat': the location is missing" in messages(result)[0]


def test_source_precedence(tmp_path) -> None:
    rows = [
        ["ชื่อ", "lat", "lon", "แหล่งข้อมูล"],
        ["ก", "13.7", "100.5", "อสม."],
        ["ข", "13.7", "100.5", ""],
    ]
    path = csv_file(tmp_path, rows)
    assert read_facilities(path, facility_type="hospital", source="pho-cm").frame[
        "source"
    ].tolist() == ["อสม.", "pho-cm"]


def test_vaccination_site_fields(tmp_path) -> None:
    rows = [
        ["ชื่อ", "lat", "lon", "วัคซีน", "เข็ม", "กลุ่มอายุ", "walk-in", "รับได้ต่อวัน"],
        [
            "ก",
            "13.7",
            "100.5",
            "Pfizer; Moderna; Novavax",
            "เข็ม 1, 2",
            "60+",
            "ไม่ต้องนัด",
            "๑,๐๐๐ คน",
        ],
        ["ข", "13.7", "100.5", "", "", "", "ต้องนัด", ""],
        ["ค", "13.7", "100.5", "", "", "", "บางวัน", "หลายคน"],
    ]
    result = read_facilities(csv_file(tmp_path, rows), facility_type="vaccination_site")
    frame = result.frame
    assert frame["vaccine_brands"].tolist() == [["pfizer", "moderna"], None]
    assert frame["doses"].tolist() == [["1", "2"], None]
    assert frame["age_groups"].tolist() == [["elderly"], None]
    assert frame["walk_in"].tolist() == [True, False]
    assert frame["walk_in"].dtype == "boolean"
    assert frame["daily_capacity"].tolist()[0] == 1000
    assert frame["daily_capacity"].dtype == "Int64"
    assert result.rejected_rows == [4]
    assert {(p.row, p.column, p.severity) for p in result.report} == {
        (2, "วัคซีน", "warning"),
        (4, "walk-in", "error"),
        (4, "รับได้ต่อวัน", "error"),
    }


def test_field_hospital_fields(tmp_path) -> None:
    rows = [
        [
            "ชื่อ",
            "ประเภท",
            "lat",
            "lon",
            "เตียง",
            "เตียงสีเขียว",
            "เตียงสีเขียวว่าง",
            "ออกซิเจน",
            "เงื่อนไขการรับ",
        ],
        [
            "รพ.สนาม ก",
            "โรงพยาบาลสนาม",
            "13.7",
            "100.5",
            "200",
            "150",
            "12",
            "มี",
            "ผู้ป่วยสีเขียว  อายุไม่เกิน 60",
        ],
        ["จุดตรวจ ข", "จุดตรวจ", "13.7", "100.5", "", "", "", "ไม่มี", ""],
    ]
    result = read_facilities(csv_file(tmp_path, rows))
    first = result.frame.iloc[0]
    assert (first["beds_total"], first["beds_green_total"], first["beds_green_available"]) == (
        200,
        150,
        12,
    )
    assert first["oxygen"] is True or first["oxygen"] == True  # noqa: E712 (pandas boolean)
    assert first["admission_rules"] == "ผู้ป่วยสีเขียว อายุไม่เกิน 60"
    assert pd.isna(result.frame.iloc[1]["oxygen"])
    [warning] = result.report.warnings()
    assert warning.column == "ออกซิเจน" and "covid_test_point" in warning.rule


def test_empty_markers_are_empty(tmp_path) -> None:
    rows = [["ชื่อ", "lat", "lon", "โทรศัพท์", "สถานะ"], ["ก", "13.7", "100.5", "-", "N/A"]]
    result = read_facilities(csv_file(tmp_path, rows), facility_type="hospital")
    assert result.report.problems == []
    assert result.frame.loc[0, "phone"] is None and result.frame.loc[0, "status"] is None


def test_status_confirmed_at_is_utc(tmp_path) -> None:
    rows = [["ชื่อ", "lat", "lon", "อัปเดต"], ["ก", "13.7", "100.5", "15 มิ.ย. 64 10.30 น."]]
    result = read_facilities(csv_file(tmp_path, rows), facility_type="hospital")
    value = result.frame.loc[0, "status_confirmed_at"]
    assert value.to_pydatetime() == dt.datetime(2021, 6, 15, 3, 30, tzinfo=dt.UTC)


def test_report_summary_and_rejected_rows_agree(tmp_path) -> None:
    rows = [HEADER, BASE[1], ["", "โรงพยาบาล", "99", "13", "ปิด", "", "", ""], BASE[2]]
    result = read_facilities(csv_file(tmp_path, rows))
    assert result.rejected_rows == result.report.rows_with_errors == [3]
    assert not result.ok
    assert result.frame["row"].tolist() == [2, 4]
    assert result.report.summary().startswith("'sites.csv': 3 rows read, 1 rejected")


def test_empty_and_header_only_files(tmp_path) -> None:
    with pytest.raises(ImportFormatError, match=r"'e\.csv': the file is empty"):
        read_facilities(csv_file(tmp_path, [], name="e.csv"))
    with pytest.raises(ImportFormatError, match="has a header but no data rows"):
        read_facilities(csv_file(tmp_path, [HEADER, [], []], name="h.csv"))


def test_many_rows_keep_their_numbers(tmp_path) -> None:
    rows = [["ชื่อ", "lat", "lon", "รหัส"]]
    rows += [[f"จุด {i}", f"{13 + i / 10000:.5f}", "100.5", f"{i:05d}"] for i in range(2000)]
    rows[1500][1] = "1375.5"  # file row 1501: the header is row 1
    result = read_facilities(csv_file(tmp_path, rows), facility_type="covid_test_point")
    assert len(result.frame) == 1999
    assert result.rejected_rows == [1501]
    assert result.frame["hcode"].iloc[0] is None  # "00000" is no hcode
    assert [(p.row, p.severity) for p in result.report.warnings()] == [(2, "warning")]
