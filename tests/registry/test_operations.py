"""Health, readiness, metrics, request ids, logs and the 500 answer, both databases."""

from __future__ import annotations

import json
import logging
import re

import pytest

from registry.app import create_app
from registry.operations.health import client_allowed
from registry.operations.observability import JsonFormatter, RequestIdFilter, logging_config
from tests.registry.helpers import make_facility

SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


def samples(text: str) -> dict[tuple[str, str], float]:
    """Prometheus text as {(name, labels): value}."""
    found = {}
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match:
            found[match["name"], match["labels"] or ""] = float(match["value"])
    return found


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_checks_database_migrations_and_catalog(client, session):
    make_facility(session, name_th="รพ.พร้อม")
    session.commit()
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ready"
    checks = body["checks"]
    assert (checks["database"], checks["migrations"], checks["catalog"]) == ("ok", "ok", "ok")
    assert checks["catalog_sites"] >= 1


def test_readyz_is_503_on_a_database_without_the_schema(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"] == "ok"
    assert checks["migrations"].startswith("at None, newest is ")
    assert checks["catalog"] == "not checked"


def test_readyz_is_503_when_the_database_cannot_be_reached(tmp_path):
    missing = tmp_path / "no-such-folder" / "registry.sqlite"
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{missing}"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body == {
        "status": "not ready",
        "checks": {"database": "unreachable", "catalog": "not checked"},
    }
    assert str(tmp_path) not in response.get_data(as_text=True)  # no paths or hosts leak


def test_a_sane_request_id_is_kept_and_others_replaced(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "req-42.abc:def"})
    assert kept.headers["X-Request-ID"] == "req-42.abc:def"
    for hostile in ("has space", "x" * 129, "tab\there", "ไทย", '"quoted"', "<script>"):
        answer = client.get("/healthz", headers={"X-Request-ID": hostile})
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"]), hostile
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_metrics_count_requests_by_route_and_status(client):
    before = samples(client.get("/metrics").get_data(as_text=True))
    client.get("/api/v1/facilities/999999999")
    client.get("/api/v1/facilities/999999999")
    client.get("/no/such/page")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    after = samples(response.get_data(as_text=True))
    key = (
        "registry_http_requests_total",
        'method="GET",route="/api/v1/facilities/<int:facility_id>",status="404"',
    )
    assert after[key] - before.get(key, 0) == 2
    unmatched = ("registry_http_requests_total", 'method="GET",route="(unmatched)",status="404"')
    assert after[unmatched] - before.get(unmatched, 0) == 1
    count = (
        "registry_http_request_duration_seconds_count",
        'method="GET",route="/api/v1/facilities/<int:facility_id>"',
    )
    assert after[count] - before.get(count, 0) == 2
    assert after["registry_database_up", ""] == 1
    assert ("registry_data_version", "") in after
    assert ("registry_db_pool_checked_out", "") in after


def test_a_scrape_reads_every_worker_even_while_one_makes_its_first_file(
    client, tmp_path, monkeypatch
):
    """A worker's metric file is empty for a moment after it is made; the scrape is whole."""
    from prometheus_client.mmap_dict import MmapedDict

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    written = MmapedDict(str(tmp_path / "counter_101.db"))
    labels = {"route": "/healthz", "method": "GET", "status": "200"}
    key = json.dumps(
        ["registry_http_requests", "registry_http_requests_total", labels, "HTTP requests."],
        sort_keys=True,
    )
    written.write_value(key, 7.0, 0.0)
    written.close()
    (tmp_path / "counter_102.db").touch()  # the other worker, between open and sizing
    (tmp_path / "gauge_livesum_103.db").touch()
    response = client.get("/metrics")
    assert response.status_code == 200
    found = samples(response.get_data(as_text=True))
    assert found["registry_http_requests_total", 'method="GET",route="/healthz",status="200"'] == 7
    assert found["registry_database_up", ""] == 1


def test_metrics_are_refused_outside_the_allowed_clients(app, client):
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert outside.status_code == 403
    assert b"registry_http" not in outside.get_data()
    app.config["METRICS_ALLOWED_CLIENTS"] = ["203.0.113.0/24"]
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 200
    assert client.get("/metrics").status_code == 403  # loopback no longer listed


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.1", False),
        ("", False),
        (None, False),
        ("not-an-address", False),
    ],
)
def test_client_allowed_by_cidr(address, allowed):
    assert client_allowed(address, ("127.0.0.0/8", "::1/128")) is allowed


def test_an_unexpected_error_shows_no_traceback_and_names_the_request(app, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        raise RuntimeError("secret detail in /srv/registry/registry.py line 12")

    app.add_url_rule("/api/v1/broken", "broken_api", broken)
    app.add_url_rule("/broken", "broken_page", broken)
    client = app.test_client()
    with caplog.at_level(logging.ERROR):
        api = client.get("/api/v1/broken", headers={"X-Request-ID": "trace-me-1"})
    assert api.status_code == 500
    body = api.get_json()
    assert body["error"] == "internal_error"
    assert body["request_id"] == "trace-me-1"
    assert "trace-me-1" in body["message"]
    page = client.get("/broken?lang=en")
    assert page.status_code == 500
    text = page.get_data(as_text=True)
    assert page.headers["X-Request-ID"] in text
    for answer in (api.get_data(as_text=True), text):
        assert "Traceback" not in answer
        assert "secret detail" not in answer
        assert "RuntimeError" not in answer
    # The traceback is in the log, where the request id finds it.
    logged = [r for r in caplog.records if r.exc_info and "secret detail" in str(r.exc_info[1])]
    assert logged


def test_json_log_lines_carry_the_request_id(app):
    formatter, id_filter = JsonFormatter(), RequestIdFilter()
    with app.test_request_context("/x"):
        from flask import g

        g.request_id = "abc123"
        record = logging.LogRecord(
            "registry", logging.INFO, __file__, 1, "hello %s", ("ไทย",), None
        )
        record.http = {"status": 200}
        id_filter.filter(record)
        line = json.loads(formatter.format(record))
    assert line["message"] == "hello ไทย"
    assert line["request_id"] == "abc123"
    assert line["level"] == "info"
    assert line["http"] == {"status": 200}
    assert line["time"].endswith("+00:00")


def test_access_log_line_per_request(client, caplog):
    with caplog.at_level(logging.INFO, logger="registry.access"):
        response = client.get("/healthz?probe=1", headers={"X-Request-ID": "acc-1"})
    lines = [r for r in caplog.records if r.name == "registry.access"]
    assert len(lines) == 1
    record = lines[0]
    assert record.request_id == "acc-1"
    assert record.http["status"] == response.status_code == 200
    assert record.http["route"] == "/healthz"
    assert record.http["query"] == "probe=1"
    assert record.http["duration_ms"] >= 0


def test_logging_config_rejects_an_unknown_format():
    with pytest.raises(ValueError, match="LOG_FORMAT 'xml'"):
        logging_config("xml")
    file_config = logging_config("text", "debug", "/var/log/registry/registry.log")
    assert file_config["handlers"]["main"]["class"] == "logging.handlers.WatchedFileHandler"
    assert file_config["root"]["level"] == "DEBUG"
