"""Each format reader on its own: raw text out, row numbers as the person sees them."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely

from importers.errors import ImportFormatError
from importers.formats import known_formats, reader_for, register_reader
from importers.formats.base import Reader, cell_text, column_letter, load_source
from importers.formats.delimited import decode_text, sniff_delimiter
from tests.importers.corpus import (
    BASE,
    HEADER,
    csv_text,
    feature,
    kml_document,
    kml_placemark,
    point,
    sites_frame,
    write_csv,
    write_geojson,
    write_xlsx,
    write_zipped_shapefile,
)


def read(path, **kw):
    return reader_for(path.name).read(path, **kw)


# --------------------------------------------------------------------------- registry


@pytest.mark.parametrize(
    ("name", "reader"),
    [
        ("a.csv", "csv"),
        ("A.CSV", "csv"),
        ("a.tsv", "csv"),
        ("a.txt", "csv"),
        ("a.xlsx", "xlsx"),
        ("a.xlsm", "xlsx"),
        ("a.geojson", "geojson"),
        ("a.json", "geojson"),
        ("a.kml", "kml"),
        ("a.gpkg", "gpkg"),
        ("a.zip", "zip"),
        ("a.kmz", "zip"),
    ],
)
def test_reader_by_extension(name, reader) -> None:
    assert reader_for(name).name == reader


@pytest.mark.parametrize(
    ("fmt", "reader"),
    [
        ("csv", "csv"),
        ("excel", "xlsx"),
        (".geojson", "geojson"),
        ("shapefile", "shapefile"),
        ("GPKG", "gpkg"),
    ],
)
def test_reader_by_name(fmt, reader) -> None:
    assert reader_for("upload.bin", format=fmt).name == reader


@pytest.mark.parametrize(
    ("name", "fmt", "says"),
    [
        ("a.pdf", None, "'.pdf' files cannot be imported; known formats: .csv, .tsv, .txt (CSV)"),
        ("a.xls", None, "Excel 97-2003 workbooks are not supported"),
        ("a.shp", None, "send a shapefile as a .zip"),
        ("noext", None, "has no file extension"),
        ("a.csv", "parquet", "format 'parquet' is not known; known formats: csv, geojson"),
    ],
)
def test_unknown_format_names_the_extension_and_the_known_ones(name, fmt, says) -> None:
    with pytest.raises(ImportFormatError, match=re.escape(says)) as caught:
        reader_for(name, format=fmt)
    assert caught.value.status_code == 422
    assert caught.value.to_dict()["error"] == "import_format"


def test_register_reader() -> None:
    class Dummy(Reader):
        name = "dummy-test-format"
        extensions = (".dummytest",)
        label = "Dummy"

    reader = register_reader(Dummy())
    assert reader_for("x.dummytest") is reader
    assert known_formats()["dummy-test-format"] == (".dummytest",)


def test_load_source_variants(tmp_path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"x")
    assert load_source(path) == (b"x", "a.csv")
    assert load_source(str(path)) == (b"x", "a.csv")
    assert load_source(b"y", "b.csv") == (b"y", "b.csv")
    assert load_source(io.BytesIO(b"z"), "c.csv") == (b"z", "c.csv")
    with pytest.raises(ImportFormatError, match="does not exist"):
        load_source(tmp_path / "missing.csv")
    with pytest.raises(ImportFormatError, match="folder"):
        load_source(tmp_path)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        ("x", "x"),
        (10697.0, "10697"),
        (13.75, "13.75"),
        (float("nan"), None),
        (True, "true"),
        (np.int64(5), "5"),
        (dt.datetime(2021, 6, 15), "2021-06-15"),
        (dt.datetime(2021, 6, 15, 10, 30), "2021-06-15T10:30:00"),
        (dt.date(2021, 6, 15), "2021-06-15"),
    ],
)
def test_cell_text(value, text) -> None:
    assert cell_text(value) == text


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 27, 701)] == ["A", "Z", "AA", "AB", "ZZ"]


# --------------------------------------------------------------------------- CSV


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("ชื่อ".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "ชื่อ".encode(), "utf-8-sig"),
        ("ชื่อ".encode("cp874"), "cp874"),
        ("ชื่อ".encode("utf-16"), "utf-16"),
    ],
)
def test_decode_text(data, encoding) -> None:
    assert decode_text(data, "a.csv") == ("ชื่อ", encoding)


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1,5;2;3\n", ";"),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
        ("a|b|c\n1|2|3\n", "|"),
        ("title only\na;b\n1;2\n3;4\n", ";"),
        ("single\n1\n", ","),
    ],
)
def test_sniff_delimiter(text, delimiter) -> None:
    assert sniff_delimiter(text) == delimiter


def test_csv_row_numbers_count_blank_lines_and_header(tmp_path) -> None:
    path = write_csv(tmp_path / "a.csv", [["title"], [], HEADER, BASE[1], [], ["", ""], BASE[2]])
    table = read(path)
    assert table.header_row == 3
    assert table.row_numbers.tolist() == [4, 7]
    assert table.columns == HEADER
    rows = list(table.rows())
    assert rows[0] == (4, list(BASE[1]))
    assert rows[1][1][5] is None  # empty cell
    assert any("header is row 3" in p.rule for p in table.problems)


def test_csv_quoted_fields_with_newlines_and_delimiters(tmp_path) -> None:
    path = tmp_path / "q.csv"
    path.write_text(
        'ชื่อ,ที่อยู่,lat,lon\n"รพ.ก","1 ถ.ก, ต.ข\nอ.ค",13.7,100.5\n"รพ.ข",,14,101\n', encoding="utf-8"
    )
    table = read(path)
    assert table.frame["ที่อยู่"].tolist() == ["1 ถ.ก, ต.ข\nอ.ค", None]
    assert table.row_numbers.tolist() == [2, 3]


def test_csv_duplicate_header_keeps_first_column(tmp_path) -> None:
    path = write_csv(tmp_path / "d.csv", [["ชื่อ", "lat", "lat"], ["ก", "1", "2"]])
    table = read(path)
    assert table.columns == ["ชื่อ", "lat"]
    assert table.frame["lat"].tolist() == ["1"]
    [problem] = [p for p in table.problems if p.is_error]
    assert problem.column == "lat" and "columns B and C" in problem.rule


def test_csv_unnamed_column_with_data_is_kept(tmp_path) -> None:
    path = write_csv(tmp_path / "u.csv", [["ชื่อ", "", "lat", ""], ["ก", "x", "1", ""]])
    table = read(path)
    assert table.columns == ["ชื่อ", "column B", "lat"]


def test_csv_explicit_headers_help_find_the_header(tmp_path) -> None:
    rows = [["รายงาน"], ["ชื่อสถานที่ฉีด", "พิกัดN", "พิกัดE"], ["ก", "13.7", "100.5"]]
    path = write_csv(tmp_path / "e.csv", rows)
    assert read(path).header_row == 1  # nothing recognised: first non-empty row
    table = read(path, extra_headers=["ชื่อสถานที่ฉีด", "พิกัดN", "พิกัดE"])
    assert table.header_row == 2


def test_csv_values_are_raw_text(tmp_path) -> None:
    path = write_csv(tmp_path / "r.csv", [["ชื่อ", "รหัส"], ["ก", "01234"], [" ข ", "10697.0"]])
    table = read(path)
    assert table.frame["รหัส"].tolist() == ["01234", "10697.0"]  # the reader interprets nothing
    assert table.frame["ชื่อ"].tolist() == ["ก", "ข"]


# --------------------------------------------------------------------------- Excel


def test_xlsx_title_rows_sheets_dates_and_numbers(tmp_path) -> None:
    rows = [
        ["รายชื่อจุดตรวจ"],
        [],
        ["ชื่อ", "lat", "lon", "รหัส", "วันที่", "เวลา"],
        ["ก", 13.75, 100.5, 10697, dt.datetime(2021, 6, 15), dt.datetime(2021, 6, 15, 9, 30)],
        [None, None, None, None, None, None],
        ["ข", 14, 101.25, 4007.0, dt.date(2021, 6, 16), None],
    ]
    path = write_xlsx(
        tmp_path / "a.xlsx", {"notes": [["อ่านก่อน"]], "data": rows}, merges={"data": ["A1:F1"]}
    )
    table = read(path)
    assert table.layer == "data"
    assert table.header_row == 3
    assert table.row_numbers.tolist() == [4, 6]
    assert table.frame["รหัส"].tolist() == ["10697", "4007"]
    assert table.frame["lat"].tolist() == ["13.75", "14"]
    assert table.frame["วันที่"].tolist() == ["2021-06-15", "2021-06-16"]
    assert table.frame["เวลา"].tolist()[0] == "2021-06-15T09:30:00"
    assert any(p.value == "data" and "'notes'" in p.rule for p in table.problems)


def test_xlsx_sheet_by_name_and_unknown_sheet(tmp_path) -> None:
    path = write_xlsx(tmp_path / "s.xlsx", {"A": BASE, "B": [["ชื่อ", "lat", "lon"], ["x", 1, 2]]})
    assert read(path, sheet="b").frame["ชื่อ"].tolist() == ["x"]
    assert read(path).layer == "A"
    with pytest.raises(ImportFormatError, match="has no sheet 'C'; its sheets are: 'A', 'B'"):
        read(path, sheet="C")


def test_xlsx_single_empty_sheet(tmp_path) -> None:
    path = write_xlsx(tmp_path / "empty.xlsx", {"Sheet1": []})
    with pytest.raises(ImportFormatError, match="empty"):
        read(path)


# --------------------------------------------------------------------------- GeoJSON


def test_geojson_properties_geometry_and_crs(tmp_path) -> None:
    features = [
        {**feature({"name": "ก", "code": 10697.0, "tags": ["a"]}, point(100.5, 13.7)), "id": 7},
        feature({"name": "ข", "lat": 14.0}, None),
        feature({"name": "ค"}, {"type": "MultiPoint", "coordinates": [[101.0, 15.0]]}),
    ]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32647"}}
    table = read(write_geojson(tmp_path / "a.geojson", features, crs=crs))
    assert table.columns == ["name", "code", "tags", "id", "lat"]
    assert table.frame["code"].tolist() == ["10697", None, None]
    assert table.frame["tags"].tolist()[0] == '["a"]'
    assert table.frame["id"].tolist() == ["7", None, None]
    assert table.crs == "urn:ogc:def:crs:EPSG::32647"
    assert table.geometry[0].tolist() == [100.5, 13.7]
    assert np.isnan(table.geometry[1]).all()
    assert table.geometry[2].tolist() == [101.0, 15.0]
    assert table.row_numbers.tolist() == [1, 2, 3]


def test_plain_json_records(tmp_path) -> None:
    path = tmp_path / "r.json"
    path.write_text(
        json.dumps([{"ชื่อ": "ก", "lat": 13.7, "lon": 100.5}], ensure_ascii=False), encoding="utf-8"
    )
    table = read(path)
    assert table.geometry is None
    assert table.frame.to_dict("records") == [{"ชื่อ": "ก", "lat": "13.7", "lon": "100.5"}]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"type": "FeatureCollection", "features": []}', "has no features"),
        (b"[1, 2]", "neither GeoJSON nor a list of records"),
        (b"\xff\xfe{}", "is not UTF-8"),
        (b'{"type": "FeatureCollection", "features": [', "cut off"),
    ],
)
def test_bad_geojson(content, says, tmp_path) -> None:
    path = tmp_path / "bad.geojson"
    path.write_bytes(content)
    with pytest.raises(ImportFormatError, match=says):
        read(path)


# --------------------------------------------------------------------------- KML


def test_kml_placemarks_extended_data_and_namespaces(tmp_path) -> None:
    schema_data = (
        '<Placemark><name>ข</name><ExtendedData><SchemaData schemaUrl="#s">'
        '<SimpleData name="รหัส">01234</SimpleData></SchemaData></ExtendedData>'
        "<MultiGeometry><Point><coordinates> 99.1,18.2 </coordinates></Point></MultiGeometry>"
        "</Placemark>"
    )
    placemarks = [
        kml_placemark(
            "ก",
            "<Point><coordinates>100.5,13.7,0</coordinates></Point>",
            {"โทรศัพท์": "081-234-5678"},
        ),
        schema_data,
        "<Placemark><name>ไม่มีจุด</name></Placemark>",
    ]
    path = tmp_path / "a.kml"
    path.write_text(kml_document(placemarks), encoding="utf-8")
    table = read(path)
    assert table.columns == ["name", "โทรศัพท์", "รหัส"]
    assert table.frame["รหัส"].tolist() == [None, "01234", None]
    assert table.geometry[:2].tolist() == [[100.5, 13.7], [99.1, 18.2]]
    assert np.isnan(table.geometry[2]).all()
    assert table.crs == "EPSG:4326"


def test_kml_refuses_entities_and_other_xml(tmp_path) -> None:
    path = tmp_path / "x.kml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "b">]><kml/>')
    with pytest.raises(ImportFormatError, match="DTD"):
        read(path)
    path.write_text("<svg/>")
    with pytest.raises(ImportFormatError, match="not KML"):
        read(path)


def test_kmz(tmp_path) -> None:
    path = tmp_path / "a.kmz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "doc.kml",
            kml_document(
                [kml_placemark("ก", "<Point><coordinates>100.5,13.7</coordinates></Point>")]
            ),
        )
    table = read(path)
    assert table.format == "kml" and table.frame["name"].tolist() == ["ก"]


# --------------------------------------------------------------------------- OGR formats


def test_zipped_shapefile_with_prj_and_cpg(tmp_path) -> None:
    table = read(write_zipped_shapefile(tmp_path / "a.zip", sites_frame("EPSG:32647")))
    assert table.format == "shapefile"
    assert table.crs == "EPSG:32647"
    assert table.columns == ["name", "code"]
    assert table.frame["code"].tolist() == ["10715", "01234"]
    assert table.geometry.shape == (2, 2) and table.geometry[0, 0] > 100_000


def test_zipped_shapefile_without_prj_warns(tmp_path) -> None:
    table = read(write_zipped_shapefile(tmp_path / "a.zip", sites_frame(), drop=(".prj",)))
    assert table.crs is None
    assert any(".prj" in p.rule for p in table.problems)


def test_zip_with_several_shapefiles_takes_a_layer(tmp_path) -> None:
    work = tmp_path / "parts"
    work.mkdir()
    sites_frame().to_file(work / "first.shp")
    sites_frame().iloc[:1].to_file(work / "second.shp")
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in sorted(work.iterdir()):
            archive.write(part, part.name)
    assert len(read(path, sheet="second")) == 1
    table = read(path)
    assert len(table) == 2 and table.layer == "first"
    assert any("'second'" in p.rule for p in table.problems)
    with pytest.raises(ImportFormatError, match="has no layer 'third'"):
        read(path, sheet="third")


def test_zip_holding_one_csv_is_read_as_csv(tmp_path) -> None:
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("export/sites.csv", csv_text(BASE))
        archive.writestr("__MACOSX/._sites.csv", b"junk")
    table = read(path)
    assert table.format == "csv" and len(table) == 2


@pytest.mark.parametrize(
    ("members", "says"),
    [
        ({"readme.pdf": b"x"}, "holds no shapefile and no file that can be imported"),
        ({"a.csv": b"a", "b.csv": b"b"}, "holds several files"),
    ],
)
def test_zip_without_one_readable_file(members, says, tmp_path) -> None:
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ImportFormatError, match=says):
        read(path)


def test_geopackage_layers(tmp_path) -> None:
    path = tmp_path / "a.gpkg"
    areas = gpd.GeoDataFrame(
        {"name": ["เขต"]}, geometry=[shapely.box(98, 18, 99, 19)], crs="EPSG:4326"
    )
    areas.to_file(path, layer="areas")
    sites_frame("EPSG:32648").to_file(path, layer="sites")
    table = read(path)
    assert table.layer == "sites"  # the first point layer
    assert table.crs == "EPSG:32648"
    assert any("'areas'" in p.rule for p in table.problems)
    polygons = read(path, sheet="areas")
    assert [(p.row, p.column, p.value) for p in polygons.problems] == [(1, "geometry", "Polygon")]


def test_damaged_geopackage(tmp_path) -> None:
    path = tmp_path / "a.gpkg"
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 50)
    with pytest.raises(ImportFormatError, match="GeoPackage"):
        read(path)
    path.write_bytes(b"not sqlite")
    with pytest.raises(ImportFormatError, match="not an SQLite database"):
        read(path)
