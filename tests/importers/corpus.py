"""A corpus of realistic bad (and a few good) facility files, written at test time.

Each :class:`Case` builds one file in a temporary folder and states what the importer must say
about it: an error or a warning on an exact row and column, or an ImportFormatError. The files
imitate what officials send: Excel sheets with merged Thai title rows, CSV in TIS-620, UTM
coordinates, Buddhist-era dates, swapped columns, points geocoded into Malaysia or the sea.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import geopandas as gpd
import openpyxl
import shapely
from pyproj import Transformer

Kind = Literal["error", "warning", "format_error", "ok"]

HEADER = ["ชื่อ", "ประเภท", "ละติจูด", "ลองจิจูด", "สถานะ", "โทรศัพท์", "จังหวัด", "รหัส"]
GOOD_ROW = ["รพ.นครพิงค์", "โรงพยาบาล", "18.8456", "98.9697", "เปิด", "053-999200", "เชียงใหม่", "10713"]
SECOND_ROW = ["จุดฉีดเซ็นทรัลเฟสติวัล", "จุดฉีดวัคซีน", "18.8073", "99.0172", "เต็ม", "", "เชียงใหม่", ""]

# A point in Chiang Mai old town and its coordinates in the CRSs officials use.
CHIANG_MAI = (98.9853, 18.7883)


def project(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Coordinates of a WGS 84 point in another CRS (x, y)."""
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)


# --------------------------------------------------------------------------- writers


def csv_text(rows: Sequence[Sequence[object]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def write_csv(
    path: Path,
    rows: Sequence[Sequence[object]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    bom: bytes = b"",
) -> Path:
    path.write_bytes(bom + csv_text(rows, delimiter).encode(encoding))
    return path


def write_xlsx(
    path: Path,
    sheets: dict[str, Sequence[Sequence[object]]],
    merges: dict[str, Sequence[str]] | None = None,
) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
        for cells in (merges or {}).get(name, ()):
            sheet.merge_cells(cells)
    workbook.save(path)
    return path


def feature(properties: dict, geometry: dict | None) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def point(x: float, y: float) -> dict:
    return {"type": "Point", "coordinates": [x, y]}


def write_geojson(path: Path, features: list[dict], **members: object) -> Path:
    document = {"type": "FeatureCollection", **members, "features": features}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def kml_document(placemarks: Sequence[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder>'
        + "".join(placemarks)
        + "</Folder></Document></kml>"
    )


def kml_placemark(name: str, geometry: str, data: dict[str, str] | None = None) -> str:
    extended = "".join(
        f'<Data name="{k}"><value>{v}</value></Data>' for k, v in (data or {}).items()
    )
    return (
        f"<Placemark><name>{name}</name><ExtendedData>{extended}</ExtendedData>"
        f"{geometry}</Placemark>"
    )


def write_zipped_shapefile(
    path: Path,
    frame: gpd.GeoDataFrame,
    *,
    encoding: str = "UTF-8",
    drop: Sequence[str] = (),
    folder: str = "",
) -> Path:
    work = path.parent / f"{path.stem}-parts"
    work.mkdir()
    frame.to_file(work / "sites.shp", encoding=encoding)
    with zipfile.ZipFile(path, "w") as archive:
        for part in sorted(work.iterdir()):
            if part.suffix.lower() in drop:
                continue
            archive.write(part, f"{folder}{part.name}")
    return path


def truncate(path: Path, fraction: float = 0.6) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def sites_frame(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    x, y = CHIANG_MAI if crs == "EPSG:4326" else project(*CHIANG_MAI, crs)
    return gpd.GeoDataFrame(
        {"name": ["โรงพยาบาลมหาราชนครเชียงใหม่", "จุดตรวจสนามบิน"], "code": ["10715", "01234"]},
        geometry=[shapely.Point(x, y), shapely.Point(x + 0.01, y + 0.01)],
        crs=crs,
    )


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One file and what the importer must report about it.

    ``row``/``column`` name the problem's location (None: file level); ``says`` is a piece of
    the message. For ``format_error`` cases ``says`` is matched against the exception.
    """

    id: str
    build: Callable[[Path], Path]
    kind: Kind
    row: int | None = None
    column: str | None = None
    says: str = ""
    options: dict = field(default_factory=dict)


def _csv(name: str, rows, **kw) -> Callable[[Path], Path]:
    return lambda folder: write_csv(folder / name, rows, **kw)


def _bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        (folder / name).write_bytes(data)
        return folder / name

    return build


def _with(rows: list[list[object]], **changes: dict[int, object]) -> list[list[object]]:
    """Copy of ``rows`` with cells replaced: ``_with(rows, r2={3: "x"})`` sets row 2 col 3."""
    out = [list(r) for r in rows]
    for key, cells in changes.items():
        for column, value in cells.items():
            out[int(key[1:]) - 1][column] = value
    return out


BASE = [HEADER, GOOD_ROW, SECOND_ROW]


def _utm_rows(crs: str) -> list[list[object]]:
    x, y = project(*CHIANG_MAI, crs)
    return [["ชื่อ", "x", "y"], ["รพ.สต.ช้างคลาน", f"{x:.2f}", f"{y:.2f}"]]


def _merged_title_workbook(folder: Path) -> Path:
    rows = [
        ["รายชื่อจุดฉีดวัคซีนโควิด-19 จังหวัดเชียงใหม่"],
        ["ข้อมูล ณ วันที่ 15 มิ.ย. 2564"],
        HEADER,
        GOOD_ROW,
        _with([SECOND_ROW], r1={2: "๑๘.๘๐๗๓", 3: 99.0172})[0],
        ["ศูนย์ฉีดวัคซีนกลางเวียง", "จุดฉีดวัคซีน", 1375.5, 98.99, "เปิด", None, None, None],
    ]
    return write_xlsx(
        folder / "merged_title.xlsx",
        {"สรุป": [["จังหวัด", "จำนวน"], ["เชียงใหม่", 3]], "รายชื่อ": rows},
        merges={"รายชื่อ": ["A1:H1", "A2:H2"]},
    )


def _truncated_xlsx(folder: Path) -> Path:
    return truncate(write_xlsx(folder / "cut.xlsx", {"Sheet1": BASE}), 0.5)


def _truncated_geojson(folder: Path) -> Path:
    features = [feature({"name": "รพ.ก"}, point(*CHIANG_MAI)) for _ in range(20)]
    return truncate(write_geojson(folder / "cut.geojson", features), 0.7)


def _truncated_shapefile_zip(folder: Path) -> Path:
    return truncate(write_zipped_shapefile(folder / "cut.zip", sites_frame()), 0.5)


def _shapefile_without_dbf(folder: Path) -> Path:
    return write_zipped_shapefile(folder / "nodbf.zip", sites_frame(), drop=(".dbf",))


def _geojson_polygon(folder: Path) -> Path:
    square = {"type": "Polygon", "coordinates": [[[98, 18], [98.1, 18], [98.1, 18.1], [98, 18]]]}
    features = [
        feature({"name": "รพ.ก"}, point(*CHIANG_MAI)),
        feature({"name": "เขตบริการ"}, square),
    ]
    return write_geojson(folder / "polygon.geojson", features)


def _kml_with_line(folder: Path) -> Path:
    placemarks = [
        kml_placemark("จุดตรวจหน้าด่าน", "<Point><coordinates>98.98,18.79,0</coordinates></Point>"),
        kml_placemark("เส้นทาง", "<LineString><coordinates>98,18 99,19</coordinates></LineString>"),
    ]
    path = folder / "sites.kml"
    path.write_text(kml_document(placemarks), encoding="utf-8")
    return path


def _truncated_kml(folder: Path) -> Path:
    path = _kml_with_line(folder)
    return truncate(path, 0.5)


def _latin1_csv(folder: Path) -> Path:
    rows = [["name", "lat", "lon"], ["Clinique Médicale Café Résumé", "13.7", "100.5"]]
    return write_csv(folder / "latin1.csv", rows, encoding="latin-1")


def _random_bytes(folder: Path) -> Path:
    path = folder / "random.csv"
    path.write_bytes(bytes(range(128, 256)) * 8)
    return path


def _utf16_without_bom(folder: Path) -> Path:
    path = folder / "utf16.csv"
    path.write_bytes(csv_text(BASE).encode("utf-16-le"))
    return path


BAD_CASES: list[Case] = [
    Case("utf16-without-bom", _utf16_without_bom, "format_error", says="NUL bytes"),
    Case("random-bytes", _random_bytes, "format_error", says="neither UTF-8 nor TIS-620"),
    Case("latin1-not-thai", _latin1_csv, "format_error", says="does not read as Thai"),
    Case(
        "swapped-coordinates",
        _csv("swapped.csv", _with(BASE, r3={2: "99.0172", 3: "18.8073"})),
        "warning",
        row=3,
        column="ละติจูด",
        says="look swapped",
    ),
    Case(
        "utm-47n-without-crs",
        lambda folder: write_csv(folder / "utm.csv", _utm_rows("EPSG:32647")),
        "warning",
        row=None,
        column="x",
        says="read as EPSG:32647",
        options={"facility_type": "hospital"},
    ),
    Case(
        "indian-1975-without-crs",
        lambda folder: write_csv(folder / "indian.csv", _utm_rows("EPSG:24047")),
        "warning",
        row=None,
        column="x",
        says="Indian 1975 UTM is EPSG:24047",
        options={"facility_type": "hospital"},
    ),
    Case(
        "utm-outside-any-zone",
        _csv("utm_far.csv", [["ชื่อ", "x", "y"], ["ผิด", "612000", "2450000"]]),
        "error",
        row=2,
        column="x",
        says="looks like metres",
        options={"facility_type": "hospital"},
    ),
    Case(
        "merged-excel-title-rows",
        _merged_title_workbook,
        "error",
        row=6,
        column="ละติจูด",
        says="'1375.5' is not a latitude between 5.61 and 20.47",
    ),
    Case(
        "merged-excel-title-rows-header-note",
        _merged_title_workbook,
        "warning",
        row=None,
        column=None,
        says="the header is row 3",
    ),
    Case(
        "empty-rows-keep-numbering",
        _csv("blank.csv", [HEADER, GOOD_ROW, [], [""] * 8, _with([SECOND_ROW], r1={0: ""})[0]]),
        "error",
        row=5,
        column="ชื่อ",
        says="the name is empty",
    ),
    Case(
        "duplicated-header",
        _csv("dup_header.csv", [[*HEADER, "ละติจูด"], [*GOOD_ROW, "13.7"]]),
        "error",
        row=None,
        column="ละติจูด",
        says="appears 2 times in the header (columns C and I)",
    ),
    Case(
        "unknown-type",
        _csv("type.csv", _with(BASE, r2={1: "ร้านขายยา"})),
        "error",
        row=2,
        column="ประเภท",
        says="'ร้านขายยา' is not a facility type; accepted: covid_test_point: จุดตรวจ",
    ),
    Case(
        "unknown-status",
        _csv("status.csv", _with(BASE, r3={4: "รอเปิด"})),
        "error",
        row=3,
        column="สถานะ",
        says="'รอเปิด' is not a status; accepted: open: เปิด",
    ),
    Case("truncated-geojson", _truncated_geojson, "format_error", says="cut off"),
    Case("truncated-xlsx", _truncated_xlsx, "format_error", says="cut off or damaged"),
    Case("truncated-shapefile-zip", _truncated_shapefile_zip, "format_error", says="cut off"),
    Case(
        "truncated-csv-inside-quotes",
        _bytes("cut.csv", b'name,lat,lon\n"Hospital A,13.7,100.5\n'),
        "format_error",
        says="cut off inside a quoted value",
    ),
    Case("truncated-kml", _truncated_kml, "format_error", says="not valid XML"),
    Case(
        "geocoded-into-malaysia",
        _csv("malaysia.csv", _with(BASE, r3={2: "5.462659", 3: "101.044347"})),
        "error",
        row=3,
        column="ละติจูด",
        says="'5.462659' is not a latitude between 5.61 and 20.47",
    ),
    Case(
        "geocoded-into-andaman-sea",
        _csv("sea.csv", _with(BASE, r2={2: "8.0", 3: "96.9"})),
        "error",
        row=2,
        column="ลองจิจูด",
        says="'96.9' is not a longitude between 97.34 and 105.64",
    ),
    Case(
        "missing-name",
        _csv("noname.csv", _with(BASE, r3={0: "  "})),
        "error",
        row=3,
        column="ชื่อ",
        says="every facility needs a name",
    ),
    Case(
        "missing-name-dash",
        _csv("dashname.csv", _with(BASE, r2={0: "-"})),
        "error",
        row=2,
        column="ชื่อ",
        says="every facility needs a name",
    ),
    Case(
        "duplicated-codes",
        _csv("dup_codes.csv", [*BASE, _with([SECOND_ROW], r1={7: "10713.0"})[0]]),
        "error",
        row=4,
        column="รหัส",
        says="'10713.0' repeats the hcode of row 2",
    ),
    Case(
        "bad-phone",
        _csv("phone.csv", _with(BASE, r3={5: "02-123-4567 / 12345"})),
        "warning",
        row=3,
        column="โทรศัพท์",
        says="'12345' is not a Thai phone number",
    ),
    Case(
        "bad-dms",
        _csv("dms.csv", _with(BASE, r2={2: "18°84'30\"N"})),
        "error",
        row=2,
        column="ละติจูด",
        says="has minutes or seconds of 60 or more",
    ),
    Case(
        "unreadable-latitude",
        _csv("text_lat.csv", _with(BASE, r3={2: "ดูใน google map"})),
        "error",
        row=3,
        column="ละติจูด",
        says="is not a number or a degrees-minutes-seconds coordinate",
    ),
    Case(
        "unknown-province",
        _csv("province.csv", _with(BASE, r3={6: "มาเลเซีย"})),
        "warning",
        row=3,
        column="จังหวัด",
        says="'มาเลเซีย' is not a Thai province name or code",
    ),
    Case(
        "misspelled-province",
        _csv("misspelled.csv", _with(BASE, r2={6: "จ.เชียงใหมม"})),
        "warning",
        row=2,
        column="จังหวัด",
        says="was read as เชียงใหม่ (Chiang Mai, TH50), the closest spelling",
    ),
    Case(
        "be-date-impossible",
        _csv(
            "date.csv",
            [[*HEADER, "วันที่"], [*GOOD_ROW, "15/06/2564"], [*SECOND_ROW, "31 ก.พ. 64"]],
        ),
        "error",
        row=3,
        column="วันที่",
        says="is not a valid date",
    ),
    Case(
        "kml-linestring",
        _kml_with_line,
        "error",
        row=2,
        column="geometry",
        says="not a point",
        options={"facility_type": "covid_test_point"},
    ),
    Case(
        "geojson-polygon",
        _geojson_polygon,
        "error",
        row=2,
        column="geometry",
        says="'Polygon' is not a point",
        options={"facility_type": "hospital"},
    ),
    Case(
        "header-only",
        _csv("header_only.csv", [HEADER]),
        "format_error",
        says="has a header but no data rows",
    ),
    Case("empty-file", _bytes("empty.csv", b"  \n\n"), "format_error", says="the file is empty"),
    Case(
        "unknown-extension",
        _bytes("sites.pdf", b"%PDF-1.4"),
        "format_error",
        says="'.pdf' files cannot be imported; known formats: .csv",
    ),
    Case(
        "xls-named-xlsx",
        _bytes("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64),
        "format_error",
        says="Excel 97-2003",
    ),
    Case("shapefile-without-dbf", _shapefile_without_dbf, "format_error", says="no sites.dbf"),
    Case(
        "json-not-geojson",
        _bytes("x.geojson", b'{"hello": "world"}'),
        "format_error",
        says="not GeoJSON",
    ),
    Case(
        "latitude-column-only",
        _csv("lat_only.csv", [["ชื่อ", "ประเภท", "lat"], ["รพ.ก", "โรงพยาบาล", "13.7"]]),
        "error",
        row=None,
        column="lat",
        says="is the only coordinate column",
    ),
    Case(
        "no-type-anywhere",
        _csv("no_type.csv", [["ชื่อ", "lat", "lon"], ["รพ.ก", "18.79", "98.98"]]),
        "error",
        row=None,
        column=None,
        says="no facility_type was given",
    ),
    Case(
        "repeated-header-row",
        _csv("repeated.csv", [*BASE, HEADER, [*GOOD_ROW[:-1], "10714"]]),
        "warning",
        row=4,
        column=None,
        says="repeats the header row",
    ),
    Case(
        "type-specific-field-on-wrong-type",
        _csv("beds.csv", [[*HEADER, "เตียง"], [*GOOD_ROW, "400"], [*SECOND_ROW, "20"]]),
        "warning",
        row=None,
        column="เตียง",
        says="has values in 1 row whose type (vaccination_site) has no field beds_total",
    ),
    Case(
        "unmapped-column",
        _csv("remarks.csv", [[*HEADER, "หมายเหตุ"], [*GOOD_ROW, "ตึกใหม่"]]),
        "warning",
        row=None,
        column="หมายเหตุ",
        says="is not a registry field",
    ),
]


# Files that are messy the way real files are, and must read cleanly.
GOOD_CASES: list[Case] = [
    Case("utf8-bom", _csv("bom.csv", BASE, bom=codecs.BOM_UTF8), "ok"),
    Case("utf16-with-bom", _csv("utf16bom.csv", BASE, encoding="utf-16"), "ok"),
    Case("tis620", _csv("tis.csv", BASE, encoding="cp874"), "ok"),
    Case(
        "semicolon-comma-decimals",
        _csv("semi.csv", _with(BASE, r2={2: "18,8456", 3: "98,9697"}), delimiter=";"),
        "ok",
    ),
    Case("tab-separated", _csv("tab.tsv", BASE, delimiter="\t"), "ok"),
    Case("thai-digits", _csv("digits.csv", _with(BASE, r2={2: "๑๘.๘๔๕๖", 3: "๙๘.๙๖๙๗"})), "ok"),
    Case("dms", _csv("dms_ok.csv", _with(BASE, r2={2: "18°50'44.2\"N", 3: "98 58 10.9 E"})), "ok"),
    Case(
        "utm-declared",
        lambda folder: write_csv(folder / "utm_ok.csv", _utm_rows("EPSG:32647")),
        "ok",
        options={"facility_type": "hospital", "crs": "EPSG:32647"},
    ),
    Case(
        "indian-1975-declared",
        lambda folder: write_csv(folder / "indian_ok.csv", _utm_rows("EPSG:24047")),
        "ok",
        options={"facility_type": "hospital", "crs": "EPSG:24047"},
    ),
    Case(
        "zipped-shapefile-utm-tis620",
        lambda folder: write_zipped_shapefile(
            folder / "shp.zip",
            sites_frame("EPSG:32647"),
            encoding="cp874",
            drop=(".cpg",),
            folder="data/",
        ),
        "ok",
        options={"facility_type": "hospital"},
    ),
    Case(
        "kml",
        lambda folder: _kml_point_only(folder),
        "ok",
        options={"facility_type": "covid_test_point"},
    ),
]


def _kml_point_only(folder: Path) -> Path:
    placemarks = [
        kml_placemark(
            "จุดตรวจหน้าด่าน",
            "<Point><coordinates>98.9853,18.7883,0</coordinates></Point>",
            {"phone": "081-234-5678", "ประเภท": "จุดตรวจ"},
        )
    ]
    path = folder / "ok.kml"
    path.write_text(kml_document(placemarks), encoding="utf-8")
    return path
