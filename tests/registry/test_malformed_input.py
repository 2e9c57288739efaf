"""Malformed input found by the attack is a clear 4xx, never a 500.

Each case is one the attack hit on SpatiaLite or PostGIS; every one runs on both.
"""

from __future__ import annotations

import io

import pytest

from tests.registry.conftest import bearer, sign_in
from tests.registry.helpers import make_facility

BIG = 2**31  # one above PostgreSQL's integer


def _deep_json(depth: int) -> bytes:
    return b'{"type": "FeatureCollection", "features": ' + b"[" * depth + b"]" * depth + b"}"


def _clear(response, *statuses) -> dict | str:
    assert response.status_code in (statuses or (400, 404, 409, 413, 422)), (
        response.status_code,
        response.get_data(as_text=True)[:300],
    )
    if response.is_json:
        body = response.get_json()
        assert body["message"]
        return body
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/facilities/{BIG}",
        f"/api/v1/facilities/{BIG}/history",
        f"/facility/{BIG}",
        f"/api/v1/facilities/{10**30}",
        "/api/v1/facilities?updated_since=9999-12-31T23:59:59-23:59",
        "/api/v1/facilities?updated_since=0001-01-01T00:00:00%2B23:59",
        f"/api/v1/facilities?after={BIG}",
        "/stats/50?code=x",
        "/stats/50?endpoint=x",
        "/stats/50?_method=x",
        "/stats/50?_external=1&_anchor=x&_scheme=ftp",
        "/api/v1/areas/%00",
        "/api/v1/coverage?layer=%00&type=vaccination_site",
        "/api/v1/nearest?lat=18.7&lon=98.9&type=%00",
        "/api/v1/places?q=%00",
        "/%00",
    ],
)
def test_hostile_reads_are_clear_refusals(client, path):
    response = client.get(path)
    assert response.status_code < 500, (path, response.status_code)
    if path.startswith("/stats/50"):
        assert response.status_code == 301
        assert response.headers["Location"].startswith("/stats/TH50")
    else:
        _clear(response)


def test_huge_version_and_ids_in_writes(client, session, accounts):
    facility = make_facility(session)
    session.commit()
    headers = bearer(session, accounts["official"])
    body = _clear(
        client.patch(
            f"/api/v1/facilities/{facility.id}",
            json={"version": 10**23, "status": "full"},
            headers=headers,
        ),
        400,
        409,
    )
    assert "version" in body["message"]
    feed = f"id,version,status\n{BIG},1,full\n".encode()
    response = client.post(
        "/api/v1/status", data=feed, headers={**headers, "Content-Type": "text/csv"}
    )
    assert response.status_code < 500
    response = client.post(
        "/api/v1/status", json=[{"id": 10**23, "status": "full"}], headers=headers
    )
    assert response.status_code < 500
    response = client.post(
        "/api/v1/status", json=[{"hcode": "\x00", "status": "full"}], headers=headers
    )
    assert response.status_code < 500


def test_nul_bytes_in_json_writes(client, session, accounts):
    facility = make_facility(session)
    session.commit()
    headers = bearer(session, accounts["official"])
    response = client.patch(
        f"/api/v1/facilities/{facility.id}",
        json={"version": facility.version, "name_th": "โรง\x00พยาบาล"},
        headers=headers,
    )
    body = _clear(response, 400)
    assert "NUL" in body["message"]


def test_deeply_nested_json_is_refused(client, session, accounts):
    headers = bearer(session, accounts["official"])
    response = client.post(
        "/api/v1/facilities",
        data=_deep_json(100_000),
        headers={**headers, "Content-Type": "application/json"},
    )
    _clear(response, 400)


def test_deeply_nested_geojson_upload_is_refused(client, session, accounts):
    csrf = sign_in(client, accounts["official"])
    response = client.post(
        "/official/import/preview",
        data={"csrf_token": csrf, "file": (io.BytesIO(_deep_json(100_000)), "deep.geojson")},
        content_type="multipart/form-data",
    )
    _clear(response)


@pytest.mark.parametrize("long", [True, False])
def test_long_upload_file_name(client, session, accounts, long):
    csrf = sign_in(client, accounts["official"])
    name = "ก" * 400 + ".csv" if long else "short.csv"
    data = "name_th,lat,lon,type\nโรงพยาบาลทดสอบ,18.7877,98.9934,hospital\n".encode()
    preview = client.post(
        "/official/import/preview",
        data={"csrf_token": csrf, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    assert preview.status_code < 500
    token = preview.get_data(as_text=True).split('name="token" value="')[1].split('"')[0]
    commit = client.post("/official/import/commit", data={"csrf_token": csrf, "token": token})
    assert commit.status_code < 500, commit.get_data(as_text=True)[:500]


@pytest.mark.parametrize("path", ["/official/import/commit", "/survey/upload/commit"])
@pytest.mark.parametrize("token", ["x" * 500, "../../etc/passwd", "\x00", "a" * 5000])
def test_hostile_import_tokens(client, accounts, path, token):
    csrf = sign_in(client, accounts["official"])
    response = client.post(path, data={"csrf_token": csrf, "token": token})
    _clear(response, 400, 404)


@pytest.mark.parametrize("name", ["official", "\x00", "x" * 5000])
def test_hostile_sign_in_values(client, accounts, name):
    from tests.registry.conftest import csrf_token

    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(client),
            "username": name,
            "password": "p\x00" * 3,
            "next": "/official/\r\nx",
        },
    )
    assert response.status_code in (400, 401)
