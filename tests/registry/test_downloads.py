"""Whole-list downloads, HTTP validators/Range/gzip/CORS, and MOPH codes in both forms."""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from pathlib import Path

import pytest

from importers.values import parse_hcode
from registry.facilities.export import ATTRIBUTION
from tests.registry.conftest import bearer
from tests.registry.helpers import BANGKOK, make_facility

DOWNLOAD = "/api/v1/facilities/download"


@pytest.fixture
def sites(session):
    made = [
        make_facility(session, name_th="รพ.เชียงใหม่", beds_total=120, hcode="10713"),
        make_facility(
            session,
            type="vaccination_site",
            name_th='=HYPERLINK("http://evil")',
            vaccine_brands=["pfizer", "sinovac"],
            walk_in=True,
        ),
        make_facility(session, name_th="รพ.กรุงเทพ", hcode="A00012345", **BANGKOK),
    ]
    session.commit()
    return made


def _fetch(client, sent=None, **query):
    """A download's answer, read whole and closed (the file stays open until then)."""
    answer = client.get(DOWNLOAD, query_string=query, headers=sent or {})
    answer.get_data()
    answer.close()
    return answer


def _get(client, **query):
    answer = _fetch(client, **query)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return answer


def test_csv_has_a_bom_thai_headers_dopa_codes_and_attribution(client, sites):
    answer = _get(client, format="csv", headers="th", province="TH50")
    raw = answer.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert answer.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    head, body = rows[0], rows[1:]
    assert "ชื่อภาษาไทย" in head and "รหัสจังหวัด (มท.)" in head and "รหัสจังหวัด (P-code)" in head
    assert len(body) == 2  # the Bangkok site is filtered out like the list does
    record = dict(zip(head, body[0], strict=True))
    assert record["รหัสจังหวัด (P-code)"] == "TH50" and record["รหัสจังหวัด (มท.)"] == "50"
    assert record["จังหวัด"] == "เชียงใหม่"
    assert record["attribution"] == ATTRIBUTION
    formula = dict(zip(head, body[1], strict=True))["ชื่อภาษาไทย"]
    assert formula.startswith("'=")  # a typed formula is never run by Excel


def test_geopackage_geojson_shapefile_and_xlsx_read_back(client, sites, tmp_path):
    import pyogrio
    from openpyxl import load_workbook

    for fmt, name in (("gpkg", "f.gpkg"), ("geojson", "f.geojson"), ("shp", "f.shp.zip")):
        path = tmp_path / name
        path.write_bytes(_get(client, format=fmt).get_data())
        source = f"/vsizip/{path}" if fmt == "shp" else str(path)
        frame = pyogrio.read_dataframe(source)
        assert len(frame) == 3
        assert frame.crs.to_epsg() == 4326
        names = set(frame["name_th"])
        assert "รพ.เชียงใหม่" in names  # Thai survives every format (.cpg in the zip)
        if fmt == "gpkg":
            assert pyogrio.read_info(path)["layer_metadata"]["DESCRIPTION"] == ATTRIBUTION
            assert str(frame["beds_total"].dtype).lower().startswith(("int", "float"))
    archive = zipfile.ZipFile(tmp_path / "f.shp.zip")
    assert {"facilities.cpg", "LICENCE.txt", "FIELDS.txt"} <= set(archive.namelist())
    assert archive.read("facilities.cpg").strip() == b"UTF-8"
    book = load_workbook(io.BytesIO(_get(client, format="xlsx").get_data()), read_only=True)
    rows = list(book["facilities"].values)
    assert len(rows) == 4 and rows[0][0] == "id"
    assert dict(book["about"].values)["attribution"] == ATTRIBUTION
    cells = [str(c) for row in rows for c in row if c is not None]
    assert not any(c.startswith("=") for c in cells)


def test_csv_is_its_rows_with_the_attribution_once(client, session, sites):
    for n in range(12):
        make_facility(session, name_th=f"จุดตรวจ {n}", type="covid_test_point", **BANGKOK)
    session.commit()
    raw = _get(client, format="csv").get_data()
    lines = raw.decode("utf-8-sig").split("\r\n")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    head, body = rows[0], rows[1:]
    assert len(body) == 15
    assert [row[head.index("attribution")] for row in body] == [ATTRIBUTION] + [""] * 14
    # Each site's own values, their commas and line ends: on every row, the attribution had
    # made the file more than half again as large.
    own = sum(len(",".join(row[:-1]).encode()) + 3 for row in body)
    assert len(raw) <= 1.1 * (len(lines[0].encode()) + len(ATTRIBUTION) + own)


def test_geopackage_keeps_types_and_times(client, sites, tmp_path):
    import pandas as pd
    import pyogrio

    path = tmp_path / "f.gpkg"
    path.write_bytes(_get(client, format="gpkg").get_data())
    frame = pyogrio.read_dataframe(path).set_index("id").sort_index()
    assert list(frame.index) == sorted(s.id for s in sites)
    first = sites[0]
    stored = frame.loc[first.id, "updated_at"]
    assert abs((stored - first.updated_at).total_seconds()) < 0.001  # GeoPackage keeps ms
    assert frame.loc[sites[1].id, "walk_in"] == True  # noqa: E712 (numpy's bool)
    assert pd.isna(frame.loc[first.id, "walk_in"])
    assert frame.loc[first.id, "beds_total"] == 120
    assert frame.loc[first.id, "geometry"].x == frame.loc[first.id, "lon"]


def test_downloads_answer_304_range_and_gzip(client, sites):
    first = _get(client, format="csv")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    again = _fetch(client, {"If-None-Match": etag}, format="csv")
    assert again.status_code == 304
    part = _fetch(client, {"Range": "bytes=3-12"}, format="csv")
    assert part.status_code == 206
    assert part.get_data() == first.get_data()[3:13]
    zipped = _fetch(client, {"Accept-Encoding": "gzip"}, format="csv")
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()) == first.get_data()


def test_a_write_changes_the_etag(client, session, sites):
    first = client.get("/api/ogc/collections/facilities/items")
    make_facility(session, name_th="ใหม่")
    session.commit()
    again = client.get(
        "/api/ogc/collections/facilities/items", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 200
    assert again.get_json()["numberMatched"] == 4


def test_lists_and_items_gzip_and_304(client, sites):
    answer = client.get("/api/v1/facilities", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["Content-Encoding"] == "gzip"
    assert b"FeatureCollection" in gzip.decompress(answer.get_data())
    plain = client.get("/api/v1/facilities")
    cached = client.get("/api/v1/facilities", headers={"If-None-Match": plain.headers["ETag"]})
    assert cached.status_code == 304
    item = client.get(f"/api/ogc/collections/hospital/items/{sites[0].id}")
    again = client.get(
        f"/api/ogc/collections/hospital/items/{sites[0].id}",
        headers={"If-None-Match": item.headers["ETag"]},
    )
    assert again.status_code == 304


def test_cors_only_on_reads(client, session, accounts, sites):
    read = client.get("/api/v1/facilities", headers={"Origin": "https://example.org"})
    assert read.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in read.headers
    preflight_read = client.options(
        "/api/ogc/collections", headers={"Access-Control-Request-Method": "GET"}
    )
    assert preflight_read.headers["Access-Control-Allow-Origin"] == "*"
    preflight_write = client.options(
        "/api/v1/status",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in preflight_write.headers
    write = client.post(
        "/api/v1/status", headers={**bearer(session, accounts["official"])}, json=[]
    )
    assert "Access-Control-Allow-Origin" not in write.headers


@pytest.mark.parametrize(
    ("raw", "code"),
    [("10713", "10713"), ("10713.0", "10713"), ("4007", "04007"), ("a00012345", "A00012345")],
)
def test_both_moph_code_forms_are_read(raw, code):
    assert parse_hcode(raw)[0] == code


def test_hcode_filter_takes_both_forms(client, sites):
    five = client.get("/api/v1/facilities?hcode=10713").get_json()
    nine = client.get("/api/v1/facilities?hcode=a00012345").get_json()
    assert [f["id"] for f in five["features"]] == [sites[0].id]
    assert [f["id"] for f in nine["features"]] == [sites[2].id]
    bad = client.get("/api/v1/facilities?hcode=12-34")
    assert bad.status_code == 400 and "'12-34'" in bad.get_json()["message"]


def test_status_feed_finds_sites_by_the_nine_character_code(client, session, accounts):
    site = make_facility(session, name_th="รพ.เก้าหลัก", hcode="B12345678")
    session.commit()
    headers = bearer(session, accounts["official"])
    answer = client.post(
        "/api/v1/status", headers=headers, json=[{"hcode": "b12345678", "status": "full"}]
    )
    assert answer.status_code == 200, answer.get_json()
    session.expire_all()
    assert site.status == "full"
    bad = client.post("/api/v1/status", headers=headers, json=[{"hcode": "??", "status": "full"}])
    assert bad.status_code == 400


def test_national_table_has_one_row_per_province(client, session, sites):
    from openpyxl import load_workbook

    body = client.get("/api/v1/statistics/provinces").get_json()
    rows = {row["code"]: row for row in body["rows"]}
    assert len(rows) == 77 and body["attribution"] == ATTRIBUTION
    chiang_mai, bangkok = rows["TH50"], rows["TH10"]
    assert (chiang_mai["sites"], chiang_mai["sites_hospital"], chiang_mai["beds_total"]) == (
        2,
        1,
        120,
    )
    assert chiang_mai["dopa_code"] == "50" and chiang_mai["sites_open"] == 2
    assert bangkok["sites"] == 1 and rows["TH11"]["sites"] == 0
    assert chiang_mai["subdistricts"] > 100  # the denominator of survey progress
    table = client.get("/api/v1/statistics/provinces?format=csv").get_data()
    assert table.startswith(b"\xef\xbb\xbf") and len(table.splitlines()) == 78
    book = load_workbook(
        io.BytesIO(client.get("/api/v1/statistics/provinces?format=xlsx").get_data()),
        read_only=True,
    )
    assert len(list(book["provinces"].values)) == 78


def test_download_files_are_keyed_by_database_and_its_last_change():
    """Apps on two databases sharing an instance folder, or a database recreated at the same
    data version, never serve each other's files."""
    from datetime import UTC, datetime

    from registry.facilities.export_api import file_key

    when = datetime(2026, 12, 7, 1, 2, 3, tzinfo=UTC)
    asked = ("csv", "en", [("province", "TH50")])
    one = file_key("postgresql+psycopg://postgres@127.0.0.1/a", 7, when, *asked)
    assert one == file_key("postgresql+psycopg://postgres@127.0.0.1/a", 7, when, *asked)
    assert one != file_key("postgresql+psycopg://postgres@127.0.0.1/b", 7, when, *asked)
    assert one != file_key("postgresql+psycopg://postgres@127.0.0.1/a", 7, None, *asked)
    assert one != file_key("postgresql+psycopg://postgres@127.0.0.1/a", 8, when, *asked)
    assert one != file_key("postgresql+psycopg://postgres@127.0.0.1/a", 7, when, "gpkg", "en", [])


def _files(app) -> list[str]:
    return sorted(path.name for path in (Path(app.instance_path) / "downloads").iterdir())


def test_kept_downloads_stay_within_their_size_bound(app, client, sites):
    """bbox and updated_since have endless values: every new file must not stay for good."""
    app.config["DOWNLOAD_CACHE_MB"] = 0.000_001  # one byte: only the newest file stays
    boxes = ["97,5,106,21", "97,5,106,20", "97,5,106,19"]
    answers = [_get(client, format="csv", bbox=box) for box in boxes]
    assert len(_files(app)) == 1
    # The swept files are written again when asked for, whole and with the same validator.
    again = _get(client, format="csv", bbox=boxes[0])
    assert again.get_data() == answers[0].get_data()
    assert again.headers["ETag"] == answers[0].headers["ETag"]
    app.config["DOWNLOAD_CACHE_MB"] = 100
    for box in boxes:
        _get(client, format="csv", bbox=box)
    assert len(_files(app)) == 3


def test_the_least_recently_served_download_goes_first(app, client, sites):
    folder = Path(app.instance_path) / "downloads"
    _get(client, format="csv")
    geojson = _get(client, format="geojson").get_data()
    older = sum(path.stat().st_size for path in folder.iterdir())
    _get(client, format="csv")  # served again: now the most recent
    app.config["DOWNLOAD_CACHE_MB"] = (older + 10) / 1_000_000
    nowhere = _get(client, format="csv", bbox="100,0,100.001,0.001").get_data()  # no site
    assert 10 < len(nowhere) < len(geojson)  # so exactly one older file has to go
    kept = _files(app)
    assert len(kept) == 2 and not any(name.endswith(".geojson") for name in kept), kept


def test_a_download_swept_by_another_worker_mid_request_is_written_again(
    app, client, sites, monkeypatch
):
    """Another worker may sweep the file between our check and its opening (a newer data
    version's download, or the size bound): the answer is still the whole file."""
    from registry.facilities import export_api

    expected = _get(client, format="csv").get_data()
    real_send_file, swept = export_api.send_file, []

    def sweep_first(path, **options):
        if not swept:
            swept.append(path)
            Path(path).unlink()  # as the other worker would, just before we open it
        return real_send_file(path, **options)

    monkeypatch.setattr(export_api, "send_file", sweep_first)
    answer = _get(client, format="csv")
    assert swept and answer.get_data() == expected


def _read(client, url, **headers):
    answer = client.get(url, headers=headers)
    answer.get_data()
    answer.close()
    return answer


def test_refusals_keep_the_headers_that_explain_them(client, sites):
    """RFC 9110 §15.5.6: a 405 names the methods allowed; §15.5.17: a 416 the length."""
    refused = client.post("/api/ogc/collections")
    assert refused.status_code == 405
    assert "GET" in refused.headers["Allow"]
    length = len(_read(client, f"{DOWNLOAD}?format=gpkg").get_data())
    beyond = _read(client, f"{DOWNLOAD}?format=gpkg", Range=f"bytes={length + 10}-")
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{length}"


@pytest.mark.parametrize(
    "url",
    [
        f"{DOWNLOAD}?format=csv,xlsx",
        f"{DOWNLOAD}?headers=en,th",
        "/api/v1/statistics/provinces?format=csv,xlsx",
        "/api/v1/nearest?lat=18.79&lon=98.98&by=distance,travel_time",
        "/api/v1/reference?lang=th,en",
    ],
)
def test_a_single_choice_takes_one_value(client, sites, url):
    refused = client.get(url)
    assert refused.status_code == 400, url
    name, _, value = url.rsplit("&", 1)[-1].rsplit("?", 1)[-1].partition("=")
    message = refused.get_json()["message"]
    assert f"'{name}'" in message and repr(value) in message and "give one" in message


def _lists_and_downloads(sites) -> list[str]:
    """Every kind of answer the validators cover: OGC items and item, the /api/v1 list (its
    ETag from the body), downloads and the statistics table."""
    return [
        "/api/ogc/collections/facilities/items",
        f"/api/ogc/collections/facilities/items/{sites[0].id}",
        "/api/v1/facilities",
        f"{DOWNLOAD}?format=csv",
        f"{DOWNLOAD}?format=gpkg",
        "/api/v1/statistics/provinces",
        "/api/v1/statistics/provinces?format=csv",
    ]


def _vary(answer) -> set[str]:
    return {name.strip().lower() for name in answer.headers.get("Vary", "").split(",") if name}


def test_every_answer_that_may_be_gzipped_says_it_varies_by_accept_encoding(client, sites):
    for url in _lists_and_downloads(sites):
        answer = _read(client, url)
        compressible = answer.mimetype in ("application/json", "application/geo+json", "text/csv")
        assert ("accept-encoding" in _vary(answer)) == compressible, url


@pytest.mark.parametrize(
    ("accept", "gzipped"),
    [
        ("gzip", True),
        ("deflate, GZIP;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip;q=0, identity", False),
        ("*;q=0", False),
        ("*, gzip;q=0", False),
        ("identity", False),
        ("nogzip", False),
    ],
)
def test_accept_encoding_is_read_with_its_qualities(client, sites, accept, gzipped):
    """RFC 9110 §12.5.3: q=0 refuses a coding; only gzip by name (or x-gzip, or *) is gzip."""
    answer = _read(client, "/api/ogc/collections/facilities/items", **{"Accept-Encoding": accept})
    assert (answer.headers.get("Content-Encoding") == "gzip") is gzipped
    assert "accept-encoding" in _vary(answer)


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_the_etag_a_client_was_given_gets_a_304_with_the_headers_of_the_200(
    client, sites, encoding
):
    """Gzipped or not: a client sends back the ETag it got (RFC 9110 §13.1.2, §15.4.5)."""
    gzipped = 0
    for url in _lists_and_downloads(sites):
        first = _read(client, url, **{"Accept-Encoding": encoding, "Origin": "https://x.org"})
        assert first.status_code == 200, url
        gzipped += first.headers.get("Content-Encoding") == "gzip"
        again = _read(
            client,
            url,
            **{
                "Accept-Encoding": encoding,
                "Origin": "https://x.org",
                "If-None-Match": first.headers["ETag"],
            },
        )
        assert again.status_code == 304, url
        for name in ("ETag", "Cache-Control", "Access-Control-Allow-Origin"):
            assert again.headers.get(name) == first.headers.get(name), (url, name)
        assert _vary(again) == _vary(first), url
    assert gzipped >= (4 if encoding == "gzip" else 0)


# An OGC API page, a download, and an /api/v1 answer (validators from its bytes, by the hook).
RANGED = ("/api/ogc/collections/facilities/items", f"{DOWNLOAD}?format=gpkg", "/api/v1/facilities")


@pytest.mark.parametrize("url", RANGED)
def test_ranges_are_answered_as_rfc_9110_says(client, sites, url):
    whole = _read(client, url)
    body, length, etag = whole.get_data(), len(whole.get_data()), whole.headers["ETag"]
    assert whole.headers["Accept-Ranges"] == "bytes"  # what GDAL's /vsicurl/ looks for
    first = _read(client, url, Range="bytes=0-99")
    assert first.status_code == 206 and first.get_data() == body[:100]

    longer = _read(client, url, Range=f"bytes=-{length * 10}")  # §14.1.3: the whole
    assert longer.status_code == 206 and longer.get_data() == body
    assert longer.headers["Content-Range"] == f"bytes 0-{length - 1}/{length}"
    for ignored in ("items=0-5", "bytes=0-0,5-9"):  # §14.2: an unknown unit; several ranges
        answer = _read(client, url, Range=ignored)
        assert answer.status_code == 200 and answer.get_data() == body, ignored
    # §13.1.5: a weak ETag never matches If-Range, so the Range is ignored.
    weak = _read(client, url, Range="bytes=0-9", **{"If-Range": f"W/{etag}"})
    assert weak.status_code == 200 and weak.get_data() == body
    strong = _read(client, url, Range="bytes=0-9", **{"If-Range": etag})
    assert strong.status_code == 206 and strong.get_data() == body[:10]


@pytest.mark.parametrize("url", RANGED)
def test_a_failed_if_match_is_a_short_412(client, sites, url):
    whole = _read(client, url)
    failed = _read(client, url, **{"If-Match": '"nope"'})
    assert failed.status_code == 412
    assert failed.get_json()["error"] == "precondition_failed"
    assert len(failed.get_data()) < 500 < len(whole.get_data())
    kept = _read(client, url, **{"If-Match": whole.headers["ETag"]})
    assert kept.status_code == 200 and kept.get_data() == whole.get_data()


def test_the_statistics_etag_is_weak_and_follows_the_table(client, sites, monkeypatch):
    """The table moves with the clock (a confirmed status goes stale) and each answer is
    stamped with its time: a strong ETag would stand for bytes that change on every call."""
    from datetime import timedelta

    from registry import models

    url = "/api/v1/statistics/provinces"
    first = _read(client, url)
    etag = first.headers["ETag"]
    assert etag.startswith("W/")
    assert _read(client, url, Range="bytes=0-9").status_code == 200  # no Range on a weak tag
    assert _read(client, url, **{"If-None-Match": etag}).status_code == 304
    now = models.utcnow()
    monkeypatch.setattr(models, "utcnow", lambda: now + timedelta(days=1000))
    later = _read(client, url, **{"If-None-Match": etag})
    assert later.status_code == 200 and later.headers["ETag"] != etag
    stale = {row["code"]: row["confirmed_in_time"] for row in later.get_json()["rows"]}
    fresh = {row["code"]: row["confirmed_in_time"] for row in first.get_json()["rows"]}
    assert stale != fresh
