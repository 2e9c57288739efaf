from __future__ import annotations

import json

import pytest

from importers import vocabulary
from importers.columns import (
    HEADER_ALIASES,
    TARGETS,
    field_for_header,
    load_mapping,
    normalise_header,
    plan_columns,
)
from importers.errors import ImportOptionError
from importers.vocabulary import ALL_TYPE_FIELD_NAMES, COMMON_FIELDS


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("name", "name_th"),
        ("ชื่อ", "name_th"),
        ("ชื่อหน่วยบริการ", "name_th"),
        ("ชื่อ หน่วยบริการ", "name_th"),
        ("ชื่อ\nหน่วยบริการ", "name_th"),
        ("h_name", "name_th"),
        ("H_NAME", "name_th"),
        ("check_name", "name_th"),
        ("name_en", "name_en"),
        ("lat", "lat"),
        ("Latitude", "lat"),
        ("ละติจูด", "lat"),
        ("Y", "lat"),
        ("lon", "lon"),
        ("lng", "lon"),
        ("long", "lon"),
        ("Longitude", "lon"),
        ("ลองจิจูด", "lon"),
        ("X", "lon"),
        ("ละติจูด (Latitude)", "lat"),
        ("Longitude (X)", "lon"),
        ("พิกัด", "coordinates"),
        ("type", "type"),
        ("ประเภท", "type"),
        ("status", "status"),
        ("สถานะ", "status"),
        ("code", "hcode"),
        ("hcode", "hcode"),
        ("รหัส", "hcode"),
        ("main_code", "hcode"),
        ("h_code", "hcode"),
        ("รหัสหน่วยบริการ", "hcode"),
        ("phone", "phone"),
        ("Tel", "phone"),
        ("โทรศัพท์", "phone"),
        ("เบอร์โทร", "phone"),
        ("province", "province"),
        ("จังหวัด", "province"),
        ("prov_code", "province"),
        ("district", "district"),
        ("อำเภอ", "district"),
        ("เขต", "district"),
        ("subdistrict", "subdistrict"),
        ("ตำบล", "subdistrict"),
        ("แขวง", "subdistrict"),
        ("address", "address"),
        ("ที่อยู่", "address"),
        ("address_th", "address"),
        ("source_id", "source_id"),
        ("id", "source_id"),
        ("confirmed date", "status_confirmed_at"),
        ("วันที่", "status_confirmed_at"),
        ("updated", "status_confirmed_at"),
        ("beds", "beds_total"),
        ("เตียง", "beds_total"),
        ("bed_total", "beds_total"),
        ("เตียงสีเขียว", "beds_green_total"),
        ("เตียงสีแดงว่าง", "beds_red_available"),
        ("วัคซีน", "vaccine_brands"),
        ("Walk-in", "walk_in"),
        ("หมายเหตุ", None),
        ("", None),
    ],
)
def test_headers(header, target) -> None:
    assert field_for_header(header) == target


def test_every_registry_field_name_is_a_header() -> None:
    for name in [s.name for s in COMMON_FIELDS] + list(ALL_TYPE_FIELD_NAMES):
        assert field_for_header(name) == name
        assert name in TARGETS


def test_registry_display_labels_read_back() -> None:
    labels = getattr(vocabulary, "FIELD_LABELS", {})
    for target, (thai, english) in labels.items():
        assert field_for_header(thai) == target, thai
        assert field_for_header(english) == target, english


def test_aliases_are_unambiguous() -> None:
    seen: dict[str, str] = {}
    for target, aliases in HEADER_ALIASES.items():
        assert target in TARGETS
        for alias in aliases:
            key = normalise_header(alias)
            assert seen.setdefault(key, target) == target, alias


def test_normalise_header_keeps_thai_marks() -> None:
    assert normalise_header("ชื่อ หน่วย-บริการ") == "ชื่อหน่วยบริการ"
    assert normalise_header("ลําปาง") == normalise_header("ลำปาง")


def test_plan_reports_unmapped_and_second_columns() -> None:
    plan = plan_columns(["ชื่อ", "lat", "latitude", "long", "หมายเหตุ"])
    assert plan.fields == {"name_th": "ชื่อ", "lat": "lat", "lon": "long"}
    assert plan.unmapped == ["หมายเหตุ"]
    messages = {(p.column, p.severity): p.rule for p in plan.problems}
    assert "already read from column 'lat'" in messages[("latitude", "warning")]
    assert "is not a registry field" in messages[("หมายเหตุ", "warning")]


def test_explicit_mapping_wins_and_can_ignore() -> None:
    plan = plan_columns(
        ["lat", "พิกัด N", "พิกัด E", "หมายเหตุ", "ชื่อ"],
        {"พิกัด N": "lat", "พิกัด e": "longitude", "หมายเหตุ": None, "ไม่มี": "phone"},
    )
    assert plan.fields["lat"] == "พิกัด N"
    assert plan.fields["lon"] == "พิกัด E"
    assert plan.ignored == ["หมายเหตุ"]
    columns = {p.column for p in plan.problems}
    assert "lat" in columns  # the guessed 'lat' column lost to the explicit one
    assert "ไม่มี" in columns  # a mapped header the file lacks is reported


def test_load_mapping_from_files(tmp_path) -> None:
    json_file = tmp_path / "map.json"
    json_file.write_text(json.dumps({"Nom": "name_th", "Remarque": "ignore"}), encoding="utf-8")
    assert load_mapping(json_file) == {"Nom": "name_th", "Remarque": None}
    csv_file = tmp_path / "map.csv"
    csv_file.write_text("source,field\nNom,name\nPos N,lat\nRemarque,\n", encoding="utf-8")
    assert load_mapping(str(csv_file)) == {"Nom": "name_th", "Pos N": "lat", "Remarque": None}
    headerless = tmp_path / "plain.csv"
    headerless.write_text("Nom,name_th\n", encoding="utf-8")
    assert load_mapping(headerless) == {"Nom": "name_th"}


@pytest.mark.parametrize(
    ("mapping", "says"),
    [
        ({"Nom": "nom"}, "'nom' is not a registry field"),
        ({"": "name_th"}, "is not a column header"),
        ("missing.json", "cannot be read"),
        ("map.yaml", "cannot be read"),
    ],
)
def test_bad_mappings(mapping, says, tmp_path) -> None:
    if isinstance(mapping, str):
        mapping = tmp_path / mapping
    with pytest.raises(ImportOptionError, match=says):
        load_mapping(mapping)


def test_mapping_file_of_the_wrong_shape(tmp_path) -> None:
    path = tmp_path / "map.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ImportOptionError, match="one JSON object"):
        load_mapping(path)
    path = tmp_path / "map.txt"
    path.write_text("only-one-cell\n", encoding="utf-8")
    with pytest.raises(ImportOptionError, match="expected two cells"):
        load_mapping(path)
