"""Which file column holds which registry field.

Headers are matched to fields case-, space- and punctuation-insensitively against the Thai and
English names seen in real lists (``ชื่อหน่วยบริการ``, ``h_name``, ``ละติจูด``, ``main_code``...).
An explicit mapping (a dict, or a JSON or two-column CSV file: source header -> field) takes
precedence. Columns that map to nothing are reported as warnings, never dropped silently.

Besides the registry's own field names (:mod:`importers.vocabulary`), a column may map to one of
these import-only targets: ``lat``, ``lon``, ``coordinates`` (one cell holding "lat, lon"),
``type``, ``province``, ``district``, ``subdistrict``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from importers import rules, vocabulary
from importers.errors import ImportOptionError
from importers.report import WARNING, Problem, quote
from importers.vocabulary import ALL_TYPE_FIELD_NAMES, COMMON_FIELDS

FIELD_NAMES: tuple[str, ...] = tuple(s.name for s in COMMON_FIELDS) + ALL_TYPE_FIELD_NAMES
IMPORT_TARGETS: tuple[str, ...] = (
    "lat",
    "lon",
    "coordinates",
    "type",
    "province",
    "district",
    "subdistrict",
)
TARGETS: tuple[str, ...] = FIELD_NAMES + IMPORT_TARGETS

_COLOURS = {"green": ("เขียว",), "yellow": ("เหลือง",), "red": ("แดง",)}


def _bed_aliases() -> dict[str, tuple[str, ...]]:
    aliases: dict[str, tuple[str, ...]] = {}
    for colour, (thai,) in _COLOURS.items():
        aliases[f"beds_{colour}_total"] = (
            f"{colour} beds",
            f"{colour} beds total",
            f"beds {colour}",
            f"เตียงสี{thai}",
            f"เตียง{thai}",
            f"เตียงสี{thai}ทั้งหมด",
            f"เตียง{thai}ทั้งหมด",
        )
        aliases[f"beds_{colour}_available"] = (
            f"{colour} beds available",
            f"{colour} available",
            f"beds {colour} available",
            f"เตียงสี{thai}ว่าง",
            f"เตียง{thai}ว่าง",
            f"เตียงสี{thai}คงเหลือ",
        )
    return aliases


# Headers seen in real facility lists, by target. The target's own name always matches too.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name_th": (
        "name",
        "ชื่อ",
        "ชื่อหน่วยบริการ",
        "ชื่อสถานที่",
        "ชื่อสถานพยาบาล",
        "ชื่อโรงพยาบาล",
        "ชื่อจุด",
        "ชื่อจุดบริการ",
        "ชื่อภาษาไทย",
        "ชื่อไทย",
        "สถานที่",
        "h_name",
        "hname",
        "check_name",
        "facility_name",
        "site_name",
        "hospital_name",
        "name thai",
    ),
    "name_en": ("name_en", "name_eng", "english name", "name english", "ชื่อภาษาอังกฤษ"),
    "lat": ("lat", "latitude", "ละติจูด", "ละติจุด", "y", "northing", "พิกัด y", "lat_wgs84"),
    "lon": (
        "lon",
        "lng",
        "long",
        "longitude",
        "ลองจิจูด",
        "ลองติจูด",
        "ลองจิจุด",
        "x",
        "easting",
        "พิกัด x",
        "lon_wgs84",
    ),
    "coordinates": (
        "coordinates",
        "coordinate",
        "พิกัด",
        "พิกัดภูมิศาสตร์",
        "latlong",
        "latlng",
        "lat lon",
        "lat long",
        "lat lng",
    ),
    "type": (
        "ประเภท",
        "ประเภทสถานที่",
        "ประเภทหน่วยบริการ",
        "ประเภทจุดบริการ",
        "facility type",
        "facility_type",
        "kind",
        "category",
    ),
    "status": ("สถานะ", "สถานะการให้บริการ", "สถานะบริการ", "state"),
    "hcode": (
        "code",
        "hcode",
        "h_code",
        "hospcode",
        "main_code",
        "รหัส",
        "รหัสหน่วยบริการ",
        "รหัสสถานพยาบาล",
        "รหัสโรงพยาบาล",
        "รหัส 5 หลัก",
    ),
    "source_id": ("id", "uid", "gid", "รหัสอ้างอิง", "รหัสแหล่งข้อมูล"),
    "phone": (
        "tel",
        "telephone",
        "phone number",
        "tel no",
        "โทร",
        "โทรศัพท์",
        "เบอร์โทร",
        "เบอร์โทรศัพท์",
        "เบอร์ติดต่อ",
        "หมายเลขโทรศัพท์",
        "เบอร์",
    ),
    "province": (
        "province",
        "จังหวัด",
        "prov",
        "changwat",
        "prov_code",
        "province_code",
        "รหัสจังหวัด",
        "province_th",
        "province_en",
    ),
    "district": ("district", "อำเภอ", "เขต", "อำเภอ/เขต", "เขต/อำเภอ", "amphoe", "amphur", "khet"),
    "subdistrict": (
        "subdistrict",
        "sub_district",
        "ตำบล",
        "แขวง",
        "ตำบล/แขวง",
        "แขวง/ตำบล",
        "tambon",
        "khwaeng",
    ),
    "address": ("ที่อยู่", "ที่ตั้ง", "address_th", "street", "addr"),
    "opening_hours": (
        "hours",
        "opening hours",
        "open hours",
        "เวลาทำการ",
        "เวลาเปิด",
        "เวลาเปิดปิด",
        "เวลาเปิด-ปิด",
        "เวลาให้บริการ",
        "วันเวลาให้บริการ",
    ),
    "status_confirmed_at": (
        "confirmed",
        "confirmed date",
        "confirmed_at",
        "date",
        "วันที่",
        "updated",
        "update",
        "updated_at",
        "update_at",
        "last update",
        "last_updated",
        "วันที่ปรับปรุง",
        "วันที่อัปเดต",
        "วันที่อัพเดท",
        "ข้อมูล ณ วันที่",
        "อัปเดต",
        "อัพเดท",
    ),
    "status_confirmed_by": ("confirmed_by", "reported_by", "ผู้ยืนยัน", "ผู้รายงาน", "ผู้บันทึก"),
    "source": ("แหล่งข้อมูล", "ที่มา", "data source"),
    "beds_total": ("beds", "bed", "bed_total", "total beds", "เตียง", "จำนวนเตียง", "เตียงทั้งหมด"),
    "covid_beds_total": ("covid beds", "เตียงโควิด", "จำนวนเตียงโควิด", "เตียงผู้ป่วยโควิด"),
    "covid_beds_occupied": (
        "covid beds used",
        "covid_beds_used",
        "เตียงโควิดที่ใช้",
        "เตียงโควิดที่ใช้ไป",
        "ผู้ป่วยโควิดครองเตียง",
        "ครองเตียง",
    ),
    "daily_capacity": (
        "capacity",
        "capacity per day",
        "per day",
        "รับได้ต่อวัน",
        "จำนวนที่รับได้ต่อวัน",
        "ความสามารถต่อวัน",
        "ศักยภาพต่อวัน",
        "โควตาต่อวัน",
    ),
    "walk_in": ("walkin", "walk in", "วอล์กอิน", "วอล์คอิน", "ไม่ต้องนัด", "walk-in"),
    "appointment": ("appointment", "booking", "นัดหมาย", "ต้องนัด", "ต้องนัดหมาย", "จองคิว"),
    "test_methods": (
        "test method",
        "methods",
        "method",
        "test",
        "tests",
        "วิธีตรวจ",
        "วิธีการตรวจ",
        "ประเภทการตรวจ",
        "การตรวจ",
    ),
    "vaccine_brands": (
        "vaccine",
        "vaccines",
        "vaccine brand",
        "brand",
        "brands",
        "วัคซีน",
        "ยี่ห้อวัคซีน",
        "ชนิดวัคซีน",
    ),
    "doses": ("dose", "เข็ม", "เข็มที่", "โดส", "dose number"),
    "age_groups": ("age", "ages", "age group", "กลุ่มอายุ", "อายุ", "ช่วงอายุ", "กลุ่มเป้าหมาย"),
    "oxygen": ("o2", "ออกซิเจน", "มีออกซิเจน"),
    "admission_rules": ("admission", "เงื่อนไขการรับ", "เกณฑ์การรับ", "เกณฑ์การรับผู้ป่วย"),
    **_bed_aliases(),
}

# Cell values that mean "ignore this column" in an explicit mapping.
_IGNORE = {"", "-", "ignore", "skip", "none"}
_PARENTHESES = re.compile(r"\(([^)]*)\)|\[([^\]]*)\]")


def normalise_header(text: str) -> str:
    """Header text reduced to what identifies it: lower case, no spaces or punctuation.

    Thai vowel and tone marks are kept (they are combining marks, not punctuation), and
    ``ํา`` (nikhahit + sara aa, a common typing) is read as ``ำ``.

    Examples
    --------
    >>> normalise_header(" Latitude "), normalise_header("h_name"), normalise_header("ชื่อ หน่วยบริการ")
    ('latitude', 'hname', 'ชื่อหน่วยบริการ')
    """
    text = unicodedata.normalize("NFKC", str(text)).replace("\u0e4d\u0e32", "\u0e33").casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "ZPSC")


def _build_alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for target in TARGETS:
        for alias in (target, *HEADER_ALIASES.get(target, ())):
            key = normalise_header(alias)
            if index.get(key, target) != target:
                raise RuntimeError(f"header alias {alias!r} names both {index[key]} and {target}")
            index[key] = target
    # The registry's own display labels, so its exports read back; the aliases above win.
    for target, labels in getattr(vocabulary, "FIELD_LABELS", {}).items():
        if target in TARGETS:
            for label in labels:
                index.setdefault(normalise_header(label), target)
    return index


_ALIAS_INDEX = _build_alias_index()


def field_for_header(header: str) -> str | None:
    """The target a header names, or None.

    A header with a parenthesised part (``"ละติจูด (Latitude)"``, ``"Beds (total)"``) is also
    tried without it and by its content.

    Examples
    --------
    >>> field_for_header("ชื่อหน่วยบริการ"), field_for_header("Longitude (X)"), field_for_header("?")
    ('name_th', 'lon', None)
    """
    key = normalise_header(header)
    if key in _ALIAS_INDEX:
        return _ALIAS_INDEX[key]
    if "(" in header or "[" in header:
        outside = normalise_header(_PARENTHESES.sub(" ", header))
        if outside in _ALIAS_INDEX:
            return _ALIAS_INDEX[outside]
        for match in _PARENTHESES.finditer(header):
            inside = normalise_header(match.group(1) or match.group(2) or "")
            if inside in _ALIAS_INDEX:
                return _ALIAS_INDEX[inside]
    return None


def recognised_fields(cells: Iterable[str], extra_headers: Collection[str] = ()) -> set[str]:
    """The distinct targets named by a row of header candidates (used to find the header)."""
    extra = {normalise_header(h) for h in extra_headers}
    found = set()
    for cell in cells:
        if not cell:
            continue
        if normalise_header(cell) in extra:
            found.add(f"explicit:{normalise_header(cell)}")
            continue
        target = field_for_header(cell)
        if target is not None:
            found.add(target)
    return found


MappingSource = Mapping[str, str | None] | str | PathLike[str]


def load_mapping(mapping: MappingSource) -> dict[str, str | None]:
    """Read an explicit mapping: source header -> target (None to ignore the column).

    Parameters
    ----------
    mapping : dict, or path of a ``.json`` object or a two-column ``.csv`` (header optional)
        Targets are registry field names or import targets (``lat``, ``lon``, ``type``...);
        any header alias is accepted too (``"latitude"`` -> ``lat``). ``None``, ``""``,
        ``"-"`` or ``"ignore"`` mark a column to skip without a warning.

    Returns
    -------
    dict
        Source header -> target name or None.

    Examples
    --------
    >>> load_mapping({"พิกัด N": "latitude", "หมายเหตุ": None})
    {'พิกัด N': 'lat', 'หมายเหตุ': None}
    """
    if isinstance(mapping, Mapping):
        pairs = list(mapping.items())
    else:
        pairs = _read_mapping_file(Path(mapping))
    result: dict[str, str | None] = {}
    for source, target in pairs:
        if not isinstance(source, str) or not source.strip():
            raise ImportOptionError(rules.MAPPING_NOT_A_HEADER(source=quote(source)))
        result[source.strip()] = _mapping_target(source, target)
    return result


def _mapping_target(source: str, target: object) -> str | None:
    if target is None or (isinstance(target, str) and target.strip().casefold() in _IGNORE):
        return None
    if isinstance(target, str):
        name = target.strip()
        if name in TARGETS:
            return name
        found = field_for_header(name)
        if found is not None:
            return found
    raise ImportOptionError(
        rules.MAPPING_NOT_A_TARGET(
            source=quote(source), target=quote(target), targets=", ".join(TARGETS)
        )
    )


def _read_mapping_file(path: Path) -> list[tuple[str, object]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportOptionError(
            rules.MAPPING_FILE_UNREADABLE(file=quote(path), why=str(exc))
        ) from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportOptionError(
                rules.MAPPING_FILE_NOT_JSON(file=quote(path.name), why=str(exc))
            ) from None
        if not isinstance(data, dict):
            raise ImportOptionError(rules.MAPPING_FILE_NOT_OBJECT(file=quote(path.name)))
        return list(data.items())
    if path.suffix.lower() in (".csv", ".txt"):
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
        if rows and rows[0][1:2] and _is_mapping_header(rows[0]):
            rows = rows[1:]
        pairs: list[tuple[str, object]] = []
        for number, row in enumerate(rows, start=1):
            if len(row) < 2:
                raise ImportOptionError(
                    rules.MAPPING_FILE_SHORT_LINE(
                        file=quote(path.name), line=number, got=quote(",".join(row))
                    )
                )
            pairs.append((row[0], row[1]))
        return pairs
    raise ImportOptionError(rules.MAPPING_FILE_KIND(file=quote(path.name)))


def _is_mapping_header(row: list[str]) -> bool:
    first, second = normalise_header(row[0]), normalise_header(row[1])
    return first in {"source", "header", "column", "sourceheader", "sourcecolumn"} or second in {
        "field",
        "target",
        "registryfield",
    }


@dataclass
class ColumnPlan:
    """How the file's columns map to targets.

    Attributes
    ----------
    fields : dict
        Target -> source column, for every target found.
    ignored : list of str
        Columns the explicit mapping said to skip.
    unmapped : list of str
        Columns that name no target (reported as warnings).
    problems : list of Problem
    """

    fields: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def column(self, target: str) -> str | None:
        return self.fields.get(target)


def plan_columns(
    columns: Iterable[str], mapping: Mapping[str, str | None] | None = None
) -> ColumnPlan:
    """Assign the file's columns to targets: the explicit mapping first, then by header name.

    When two columns name the same target, the first is read and the other reported.

    Examples
    --------
    >>> plan = plan_columns(["ชื่อ", "lat", "long", "หมายเหตุ"])
    >>> plan.fields, plan.unmapped
    ({'name_th': 'ชื่อ', 'lat': 'lat', 'lon': 'long'}, ['หมายเหตุ'])
    """
    columns = list(columns)
    plan = ColumnPlan()
    explicit: dict[str, str | None] = {}
    if mapping:
        by_exact = {c: c for c in columns}
        by_norm = {normalise_header(c): c for c in reversed(columns)}
        for source, target in mapping.items():
            column = by_exact.get(source) or by_norm.get(normalise_header(source))
            if column is None:
                plan.problems.append(
                    Problem(None, source, None, rules.MAPPED_COLUMN_ABSENT(), WARNING)
                )
                continue
            explicit[column] = _mapping_target(source, target)

    # Explicitly mapped columns claim their targets before any header is guessed.
    ordered = [c for c in columns if c in explicit] + [c for c in columns if c not in explicit]
    for column in ordered:
        if column in explicit:
            target = explicit[column]
            if target is None:
                plan.ignored.append(column)
                continue
        else:
            target = field_for_header(column)
            if target is None:
                plan.unmapped.append(column)
                continue
        if target in plan.fields:
            plan.problems.append(
                Problem(
                    None,
                    column,
                    None,
                    rules.ALSO_HOLDS(field=target, column=quote(plan.fields[target])),
                    WARNING,
                )
            )
            continue
        plan.fields[target] = column

    for column in plan.unmapped:
        plan.problems.append(Problem(None, column, None, rules.NOT_A_FIELD(), WARNING))
    return plan
