"""Hostile uploads made on the fly (kept out of the repository), and a meter for one call.

Each maker returns ``(file name, bytes)``: a small upload that expands, or multiplies work,
far beyond its size. The big parts are written through a compressing stream, so making them
costs time but not memory. Used by tests/importers/test_hostile_uploads.py and
bench/hostile_uploads.py (which measures the same files before and after a change).
"""

from __future__ import annotations

import io
import struct
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HEADER = "ชื่อ,ประเภท,ละติจูด,ลองจิจูด\n"
ROW = "รพ.สต.บ้านซ้ำ,โรงพยาบาล,18.7883,98.9853\n"
_CHUNK = 1 << 20


def _stream_member(
    archive: zipfile.ZipFile, name: str, head: bytes, body: bytes, size: int, tail: bytes = b""
) -> None:
    """Write ``head``, ``body`` repeated up to about ``size`` bytes, then ``tail``."""
    with archive.open(name, "w", force_zip64=True) as member:
        member.write(head)
        block = body * max(1, _CHUNK // len(body))
        left = size - len(head) - len(tail)
        left -= left % len(body)  # whole repetitions only: the file stays well-formed
        while left > 0:
            piece = block[: min(left, len(block))]
            member.write(piece)
            left -= len(piece)
        member.write(tail)


def _zip(name: str, head: bytes, body: bytes, size: int, tail: bytes = b"") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        _stream_member(archive, name, head, body, size, tail)
    return out.getvalue()


def blank_lines_zip(expanded: int = 256 << 20) -> tuple[str, bytes]:
    """A zipped CSV: a header, then ``expanded`` bytes of empty lines (256 MB in 0.26 MB)."""
    return "blank-lines.zip", _zip("sites.csv", HEADER.encode(), b"\n", expanded)


def newline_csv(size: int = 16 << 20) -> tuple[str, bytes]:
    """A plain CSV of a header and newlines only."""
    head = HEADER.encode()
    return "newlines.csv", head + b"\n" * (size - len(head))


def delimiter_rows_csv(size: int = 16 << 20) -> tuple[str, bytes]:
    """A plain CSV whose rows are only delimiters (blank rows that are not blank lines)."""
    head = HEADER.encode()
    return "commas.csv", head + b",,,\n" * ((size - len(head)) // 4)


def identical_rows_csv(rows: int = 4_000) -> tuple[str, bytes]:
    """The same site ``rows`` times, at one point (no id: every row is a new facility)."""
    return f"same-{rows}.csv", (HEADER + ROW * rows).encode()


def identical_rows_zip(rows: int = 91_000) -> tuple[str, bytes]:
    """``identical_rows_csv`` zipped: 91,000 rows in a few kilobytes."""
    row = ROW.encode()
    return f"same-{rows}.zip", _zip(
        "sites.csv", HEADER.encode(), row, len(HEADER.encode()) + len(row) * rows
    )


def _dbf_header(records: int, width: int) -> bytes:
    fields = struct.pack("<11sc4xBB14x", b"NAME", b"C", width, 0)
    header_length = 32 + len(fields) + 1
    return (
        struct.pack("<B3BIHH20x", 3, 121, 6, 1, records, header_length, 1 + width) + fields + b"\r"
    )


def huge_dbf_zip(dbf_size: int = 1 << 30) -> tuple[str, bytes]:
    """A zipped shapefile whose .dbf holds ``dbf_size`` bytes of blank records (1 GB in ~1 MB)."""
    import geopandas as gpd
    from shapely import Point

    width = 254
    records = dbf_size // (width + 1)
    out = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        frame = gpd.GeoDataFrame({"NAME": ["x"]}, geometry=[Point(98.98, 18.79)], crs=4326)
        frame.to_file(Path(folder) / "sites.shp", engine="pyogrio")
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for suffix in (".shp", ".shx", ".prj"):
                archive.write(Path(folder) / f"sites{suffix}", f"sites{suffix}")
            _stream_member(
                archive, "sites.dbf", _dbf_header(records, width), b" " * (width + 1), dbf_size
            )
    return "huge-dbf.zip", out.getvalue()


def _xlsx(sheet_rows: bytes, count: int) -> bytes:
    """A workbook with a header row, then ``sheet_rows`` (with {n} for the row number) x count."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["ชื่อ", "ประเภท", "ละติจูด", "ลองจิจูด"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename != "xl/worksheets/sheet1.xml":
                dest.writestr(item.filename, data)
                continue
            head, tail = data.split(b"</sheetData>")
            head = head.replace(b'<dimension ref="A1:D1"/>', b"")
            with dest.open(item.filename, "w", force_zip64=True) as member:
                member.write(head)
                for start in range(2, count + 2, 10_000):
                    stop = min(start + 10_000, count + 2)
                    member.write(
                        b"".join(sheet_rows.replace(b"{n}", b"%d" % n) for n in range(start, stop))
                    )
                member.write(b"</sheetData>" + tail)
    return out.getvalue()


def blank_rows_xlsx(rows: int = 2_000_000) -> tuple[str, bytes]:
    """An .xlsx (itself a zip) whose sheet has a header and then ``rows`` empty rows."""
    return "blank-rows.xlsx", _xlsx(b'<row r="{n}"/>', rows)


def wide_rows_xlsx(rows: int = 20_000) -> tuple[str, bytes]:
    """An .xlsx whose rows each hold one empty cell in the last column (XFD): 16,384 cells."""
    cell = b'<row r="{n}"><c r="XFD{n}" t="inlineStr"><is><t> </t></is></c></row>'
    return "wide-rows.xlsx", _xlsx(cell, rows)


def empty_features_geojson_zip(expanded: int = 64 << 20) -> tuple[str, bytes]:
    """A zipped FeatureCollection of ``{}`` features (millions of objects)."""
    head = b'{"type":"FeatureCollection","features":[{}'
    return "features.zip", _zip("sites.geojson", head, b",{}", expanded - 2, b"]}")


def placemarks_kml_zip(expanded: int = 64 << 20) -> tuple[str, bytes]:
    """A zipped KML of empty Placemarks (millions of elements)."""
    head = b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
    body, tail = b"<Placemark/>", b"</Document></kml>"
    return "placemarks.kmz", _zip("doc.kml", head, body, expanded, tail)


ENTITY_BOMB = (
    '<?xml version="1.0" encoding="{encoding}"?>\n{comment}'
    '<!DOCTYPE kml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
    '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&d;</name>'
    "<Point><coordinates>98.98,18.79</coordinates></Point></Placemark></Document></kml>"
)


def entity_kml(encoding: str = "utf-16", comment_size: int = 0) -> tuple[str, bytes]:
    """A KML declaring entities, in ``encoding``, after a comment of ``comment_size`` bytes."""
    comment = f"<!--{'x' * comment_size}-->\n" if comment_size else ""
    text = ENTITY_BOMB.format(encoding=encoding, comment=comment)
    return "entities.kml", text.encode(encoding)


@dataclass
class Measured:
    """What one call cost: wall seconds, peak memory growth (bytes), and its result or error."""

    seconds: float
    peak_bytes: int
    result: object = None
    error: BaseException | None = None

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / (1 << 20)


def _status(key: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM (the peak resident size) to the current size
        return True
    except OSError:
        return False


def measure(call: Callable[[], object], *, catch: type[BaseException] = Exception) -> Measured:
    """Run ``call`` once; peak resident memory growth (Linux), else Python allocations."""
    by_rss = _reset_peak() and _status("VmHWM") is not None
    before = _status("VmRSS") if by_rss else 0
    if not by_rss:
        tracemalloc.start()
    start = time.perf_counter()
    result, error = None, None
    try:
        result = call()
    except catch as exc:
        error = exc
    seconds = time.perf_counter() - start
    if by_rss:
        peak = (_status("VmHWM") or 0) - (before or 0)
    else:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return Measured(seconds, max(peak, 0), result, error)


HOSTILE: dict[str, Callable[[], tuple[str, bytes]]] = {
    "zip of 256 MB blank lines": blank_lines_zip,
    "16 MB newline file": newline_csv,
    "16 MB of delimiter-only rows": delimiter_rows_csv,
    "zipped shapefile, 1 GB .dbf": huge_dbf_zip,
    "4,000 identical rows": identical_rows_csv,
    "zip of 91,000 identical rows": identical_rows_zip,
    "xlsx, 2 million blank rows": blank_rows_xlsx,
    "xlsx, 20,000 rows 16,384 cells wide": wide_rows_xlsx,
    "zip of 64 MB GeoJSON {} features": empty_features_geojson_zip,
    "kmz of 64 MB empty Placemarks": placemarks_kml_zip,
}


def write_all(folder: Path) -> dict[str, Path]:
    """Every hostile file written to ``folder``; label -> path."""
    paths = {}
    for label, make in HOSTILE.items():
        name, data = make()
        path = folder / name
        path.write_bytes(data)
        paths[label] = path
    return paths
