"""Every message the importers give is coded, and reads in Thai without an English sentence.

The bad files are the corpus's (undecodable text, cut-off files, swapped and impossible
coordinates, unknown and misspelled provinces, ...) plus a zip bomb, unknown formats, headers
that name nothing, bad options and files that are not road files. Each refusal must carry a
:class:`~importers.messages.Text` and each reported problem a code; rendered on a Thai page,
the sentence (every template and clause, with the file's own values left out) must hold no
English words. That every rule has its Thai is checked with the registry's rules, in
tests/registry/test_thai_refusals.py.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from importers import ImportFormatError, ImportOptionError, read_facilities
from importers.limits import ImportLimits
from importers.messages import Text, text_of
from importers.roads import read_road_file
from registry import i18n
from tests.hostile_files import blank_lines_zip
from tests.importers.corpus import BAD_CASES, Case

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Words no Thai sentence of the importers needs; technical names (GeoJSON, UTF-8, crs=,
# `registry import`, EPSG:32647) and the header names people type (name, lat) may stay.
ENGLISH = re.compile(
    r"\b(?:the|is|are|was|not|no|and|or|of|to|a|an|be|it|its|has|have|with|than|more|"
    r"file|files|column|row|rows|read|cannot|can|does|only|each|every|one|first|like|as|"
    r"in|at|by|for|from|per|looks|holds|pass|give|save|use|send|this|which|nothing)\b"
)
THAI_LETTER = re.compile(r"[\u0e01-\u0e5b]")


# --------------------------------------------------------------------------- the bad files


def _corpus(case: Case) -> Callable[[Path], Any]:
    return lambda folder: read_facilities(case.build(folder), **case.options)


def _bytes(data: bytes | str, name: str | None, **options) -> Callable[[Path], Any]:
    raw = data.encode() if isinstance(data, str) else data
    named = {"file_name": name} if name else {}
    return lambda folder: read_facilities(raw, **named, **options)


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "ชื่อ,lat,lon\nก,18.7,98.9\n")
    return buffer.getvalue()


def _road(name: str, data: bytes) -> Callable[[Path], Any]:
    def read(folder: Path):
        (folder / name).write_bytes(data)
        return read_road_file(folder / name)

    return read


SMALL = ImportLimits(expanded_bytes=1000, rows=3, rows_read=6, cells=40, members=2)
TEN_ROWS = "ชื่อ,lat,lon\n" + "รพ.หนึ่ง,18.7,98.9\n" * 10
BOMB_NAME, BOMB = blank_lines_zip()

FILES: dict[str, Callable[[Path], Any]] = {
    **{f"corpus {case.id}": _corpus(case) for case in BAD_CASES},
    "zip bomb": _bytes(BOMB, BOMB_NAME),
    "too many rows": _bytes(TEN_ROWS, "rows.csv", limits=ImportLimits(rows=3)),
    "too many lines": _bytes(TEN_ROWS, "lines.csv", limits=SMALL),
    "too many bytes": _bytes(TEN_ROWS * 10, "bytes.csv", limits=SMALL),
    "too many members": _bytes(_zip("a.csv", "b.csv", "c.csv"), "m.zip", limits=SMALL),
    "several files in a zip": _bytes(_zip("a.csv", "b.csv"), "two.zip"),
    "nothing readable in a zip": _bytes(_zip("readme.md"), "readme.zip"),
    "empty zip": _bytes(_zip(), "empty.zip"),
    "unknown extension": _bytes("a,b\n1,2\n", "sites.xyz"),
    "no extension": _bytes("a,b\n1,2\n", "sites"),
    "unknown format name": _bytes("a,b\n1,2\n", "sites", format="pdf"),
    "ods": _bytes("a", "sites.ods"),
    "header names nothing": _bytes("a,b,c\n1,2,3\n", "nothing.csv"),
    "only longitude": _bytes("ชื่อ,ประเภท,lon\nก,โรงพยาบาล,98.9\n", "lon.csv"),
    "bad coordinates": _bytes(
        'ชื่อ,ประเภท,พิกัด,lat,lon\nก,โรงพยาบาล,abc,,\nข,โรงพยาบาล,"13°45.5\'30",,\n'
        "ค,โรงพยาบาล,,1880.5,98.95\nง,โรงพยาบาล,,,98.95\nจ,โรงพยาบาล,,,\n"
        "ฉ,โรงพยาบาล,,18.7,\nช,โรงพยาบาล,,๑๘.๗,inf\n",
        "coordinates.csv",
    ),
    "unknown province": _bytes(
        "ชื่อ,ประเภท,lat,lon,จังหวัด\nก,โรงพยาบาล,18.7,98.9,แอตแลนติส\nข,โรงพยาบาล,18.7,98.9,เชียงใม่\n",
        "provinces.csv",
    ),
    "bad values": _bytes(
        "ชื่อ,ประเภท,lat,lon,beds_total,oxygen,วันที่,โทร,รหัส,id,วัคซีน\n"
        "ก,โรงพยาบาลสนาม,18.7,98.9,สิบ,maybe,32/13/2564,12345,4007,7,\n"
        "ข,โรงพยาบาลสนาม,18.7,98.9,-3,ใช่,15 ฟฟฟ 2564,,x1,7,\n"
        "ค,จุดฉีดวัคซีน,18.7,98.9,,,15/06/2480,,,8,Novavax\n"
        "ง,จุดฉีดวัคซีน,18.7,98.9,,,hello,,,9,\n",
        "values.csv",
    ),
    "mapping problems": _bytes(
        "ชื่อ,ประเภท,lat,latitude,lon\nก,โรงพยาบาล,18.7,18.7,98.9\n",
        "mapped.csv",
        mapping={"missing column": "name_th", "latitude": "lat"},
    ),
    "empty type cell": _bytes(
        "ชื่อ,ประเภท,lat,lon\nก,,18.7,98.9\nข,โรงพยาบาล,18.7,98.9\n", "types.csv"
    ),
    "english name only and a bad choice": _bytes(
        "name_en,ประเภท,lat,lon,beds_total,oxygen\nSite,โรงพยาบาล,18.7,98.9,5,maybe\n",
        "english.csv",
    ),
    "declared CRS overridden": _bytes(
        '{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": '
        '"EPSG:32647"}}, "features": [{"type": "Feature", "properties": {"name": "ก", '
        '"type": "hospital"}, "geometry": {"type": "Point", "coordinates": [98.9, 18.7]}}]}',
        "crs.geojson",
        crs="EPSG:4326",
    ),
    "bad facility type": _bytes("a,b\n", "a.csv", facility_type="castle"),
    "bad crs": _bytes("a,b\n", "a.csv", crs="EPSG:99999"),
    "bad mapping": _bytes("a,b\n", "a.csv", mapping={"a": "castle"}),
    "bytes without a name": _bytes("a,b\n", None),
    "not a road file": _road("roads.csv", b"x"),
    "json that is no road file": _road("roads.json", b'{"a": 1}'),
    "graph without edges": _road("e.graph.json", b'{"coords": [1, 2], "edges": []}'),
    "graph with a bad edge": _road("b.graph.json", b'{"coords": [1, 2], "edges": [0, 5, 3]}'),
    "overpass without a list": _road("o.json", b'{"elements": 5}'),
}


def _messages(read: Callable[[Path], Any], folder: Path) -> list[tuple[str, Text | None]]:
    """(English, its Text) for the refusal, or for every problem of the report; the API's and
    the stored report's JSON must hold their parameters."""
    try:
        result = read(folder)
    except (ImportFormatError, ImportOptionError) as error:
        json.dumps(error.to_dict())
        return [(error.message, error.text)]
    report = result.report if hasattr(result, "report") else None
    assert report is not None, "the file was read without a report"
    json.dumps(report.as_dicts())
    return [(p.rule, text_of({"code": p.code, "params": p.params})) for p in report]


def _skeleton(value: Any) -> Any:
    """The sentence without the file's own values: clauses kept, text parameters blanked."""
    text = text_of(value) if isinstance(value, Text | Mapping) else None
    if text is not None:
        return Text(text.code, {k: _skeleton(v) for k, v in text.params.items()})
    return "…" if isinstance(value, str) else value


@pytest.fixture(scope="module")
def thai_app(tmp_path_factory):
    from flask import Flask

    app = Flask(__name__, instance_path=str(tmp_path_factory.mktemp("instance")))
    i18n.init_app(app)
    return app


@pytest.mark.parametrize("name", list(FILES))
def test_every_message_for_a_bad_file_is_coded_and_reads_in_thai(name, thai_app, tmp_path):
    from registry.message_text import shown

    messages = _messages(FILES[name], tmp_path)
    assert messages, f"{name}: the importer said nothing"
    with thai_app.test_request_context("/?lang=th"):
        for english, text in messages:
            assert text is not None, f"{name}: not coded: {english!r}"
            assert text.english == english
            thai = shown(_skeleton(text))
            assert THAI_LETTER.search(thai), f"{name}: {thai!r}"
            found = ENGLISH.findall(thai)
            assert not found, f"{name}: English {found} in the Thai {thai!r} of {english!r}"
