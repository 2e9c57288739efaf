"""Health, readiness and metrics for the people and machines that run the service.

- ``/healthz``: the process answers (200). It touches nothing else, so a load balancer or
  systemd watchdog restarts only a process that is really stuck.
- ``/readyz``: the database answers, its schema is at the newest migration and the facility
  catalog is in memory: 200 when all three hold, else 503 naming the check that failed, so a
  proxy sends no traffic to a worker that would fail it. The answer names checks, not error
  messages (those go to the log: they can carry host names).
- ``/metrics``: Prometheus text, only for clients in ``METRICS_ALLOWED_CLIENTS`` (CIDRs;
  loopback by default); everyone else gets 403.
"""

from __future__ import annotations

import ipaddress
import logging

from flask import Blueprint, Response, abort, current_app, jsonify, request

from registry import migrate
from registry.db import db
from registry.nearest.catalog import catalogs
from registry.operations import metrics

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)
_NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"}), 200, _NO_STORE


def _check_database() -> dict:
    engine = db.engine
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
            revision = migrate.current_revision(connection)
    except Exception as error:  # any failure to reach it means "not ready"
        log.warning("readiness: database unreachable: %s", error)
        return {"database": "unreachable"}
    checks = {"database": "ok"}
    head = migrate.head_revision()
    checks["migrations"] = "ok" if revision == head else f"at {revision}, newest is {head}"
    return checks


def _check_catalog() -> dict:
    bind = db.bind
    try:
        snapshot = catalogs.get(bind).snapshot(bind)
    except Exception as error:
        log.warning("readiness: catalog not loaded: %s", error)
        return {"catalog": "not loaded"}
    metrics.observe_catalog(snapshot)
    return {
        "catalog": "ok",
        "catalog_sites": len(snapshot),
        "catalog_data_version": snapshot.data_version,
    }


@bp.get("/readyz")
def readyz():
    checks = _check_database()
    if checks["database"] == "ok" and checks["migrations"] == "ok":
        checks |= _check_catalog()
    else:
        checks["catalog"] = "not checked"
    ready = all(checks[name] == "ok" for name in ("database", "migrations", "catalog"))
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return jsonify(body), 200 if ready else 503, _NO_STORE


def client_allowed(address: str | None, allowed: tuple[str, ...] | list[str]) -> bool:
    """Whether ``address`` (REMOTE_ADDR, after ProxyFix) is inside one of the CIDRs."""
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(cidr, strict=False) for cidr in allowed)


@bp.get("/metrics")
def prometheus_metrics():
    if not client_allowed(request.remote_addr, current_app.config["METRICS_ALLOWED_CLIENTS"]):
        abort(403)
    body, content_type = metrics.exposition(db.engine)
    return Response(body, content_type=content_type, headers=_NO_STORE)
