"""Prometheus metrics, served at /metrics to the configured clients only.

Under gunicorn every worker is a process of its own and a scrape reaches just one of them, so
the values live in prometheus_client's multiprocess mode: each process writes its numbers to
memory-mapped files in ``PROMETHEUS_MULTIPROC_DIR`` (``registry.operations.gunicorn_conf``
makes a fresh folder per server start and drops a worker's live gauges when it exits) and the
scrape adds them up. Counters and histograms are summed over every worker that ever ran since the
start; gauges say how they combine (``livesum``, ``livemin``). Without that variable (tests, the
development server) the process's own registry is used.

What is counted in the process: requests by route, method and status, their latency, the
database connections checked out, the catalog each worker holds, the status-feed items. What
is read from the database at scrape time (so it holds across workers, restarts and the CLI):
the registry's data version and the age of its newest change, and import batches by status.
"""

from __future__ import annotations

import os
import time
from functools import cache
from typing import Any

from sqlalchemy import Engine, event, func, select

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


@cache
def _metrics() -> dict[str, Any]:
    """The process's metric objects, made once (prometheus_client is imported here, after the
    server set PROMETHEUS_MULTIPROC_DIR)."""
    from prometheus_client import Counter, Gauge, Histogram

    return {
        "requests": Counter(
            "registry_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
        ),
        "latency": Histogram(
            "registry_http_request_duration_seconds",
            "Time to answer a request (to the first byte of the body), by route and method.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
        ),
        "checked_out": Gauge(
            "registry_db_pool_checked_out",
            "Database connections in use, over every live worker.",
            multiprocess_mode="livesum",
        ),
        "pool_size": Gauge(
            "registry_db_pool_size",
            "Configured connections kept by the pools, over every live worker.",
            multiprocess_mode="livesum",
        ),
        "pool_overflow": Gauge(
            "registry_db_pool_overflow",
            "Connections opened beyond the pool size, over every live worker.",
            multiprocess_mode="livesum",
        ),
        "catalog_version": Gauge(
            "registry_catalog_data_version",
            "Data version of the facility catalog in memory, the stalest live worker's.",
            multiprocess_mode="livemin",
        ),
        "catalog_sites": Gauge(
            "registry_catalog_sites",
            "Facilities in the in-memory catalog (largest over live workers).",
            multiprocess_mode="livemax",
        ),
        "catalog_loaded": Gauge(
            "registry_catalog_loaded_timestamp_seconds",
            "When the catalog in memory last changed (Unix time), the stalest live worker's.",
            multiprocess_mode="livemin",
        ),
        "feed_items": Counter(
            "registry_status_feed_items",
            "Items of POST /api/v1/status by result (updated, unchanged, rejected).",
            ["result"],
        ),
        "feed_batches": Counter(
            "registry_status_feed_batches",
            "Status feeds received, by whether they were written.",
            ["applied"],
        ),
    }


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    metrics = _metrics()
    method = method if method in _METHODS else "other"
    metrics["requests"].labels(route, method, str(status)).inc()
    metrics["latency"].labels(route, method).observe(seconds)


def count_feed(counts: dict[str, int], applied: bool) -> None:
    metrics = _metrics()
    metrics["feed_batches"].labels("true" if applied else "false").inc()
    for result, number in counts.items():
        if number:
            metrics["feed_items"].labels(result).inc(number)


_observed: list = [None]  # the snapshot last written to the gauges (by identity)


def observe_catalog(snapshot) -> None:
    """The catalog this worker holds; the gauges change only when the snapshot does."""
    if snapshot is None or snapshot is _observed[0]:
        return
    _observed[0] = snapshot
    metrics = _metrics()
    metrics["catalog_version"].set(snapshot.data_version)
    metrics["catalog_sites"].set(len(snapshot))
    metrics["catalog_loaded"].set(time.time())


def observe_pool(engine: Engine) -> None:
    """The pool's size and overflow now (also called by gunicorn_conf in each new worker)."""
    pool = engine.pool
    if hasattr(pool, "size") and hasattr(pool, "overflow"):
        metrics = _metrics()
        metrics["pool_size"].set(pool.size())
        metrics["pool_overflow"].set(max(pool.overflow(), 0))


def watch_pool(engine: Engine) -> None:
    """Keep the pool gauges current through the pool's own events (in each worker)."""
    metrics = _metrics()

    def sizes() -> None:
        observe_pool(engine)

    def checked_out(*_args) -> None:
        metrics["checked_out"].inc()
        sizes()

    def given_back(*_args) -> None:  # checked in, or detached (db.autocommit_int keeps those)
        metrics["checked_out"].dec()
        sizes()

    event.listen(engine.pool, "checkout", checked_out)
    event.listen(engine.pool, "checkin", given_back)
    event.listen(engine.pool, "detach", given_back)


def _database_families(engine: Engine):
    """Numbers read from the database at scrape time; nothing when it cannot be reached."""
    from prometheus_client.core import GaugeMetricFamily

    from registry.models import Facility, ImportBatch, RegistryState

    up = GaugeMetricFamily("registry_database_up", "1 when the scrape could read the database.")
    try:
        with engine.connect() as connection:
            version = connection.scalar(
                select(RegistryState.data_version).where(RegistryState.id == 1)
            )
            newest = connection.scalar(select(func.max(Facility.updated_at)))  # indexed
            batches = connection.execute(
                select(ImportBatch.status, func.count()).group_by(ImportBatch.status)
            ).all()
    except Exception:
        up.add_metric([], 0)
        yield up
        return
    up.add_metric([], 1)
    yield up
    yield GaugeMetricFamily(
        "registry_data_version", "The registry's data version in the database.", value=version or 0
    )
    age = GaugeMetricFamily(
        "registry_catalog_age_seconds",
        "Seconds since the newest facility write in the registry (how old its data is).",
    )
    if newest is not None:
        age.add_metric([], max(time.time() - newest.timestamp(), 0.0))
    yield age
    imports = GaugeMetricFamily(
        "registry_import_batches", "Committed import batches, by status.", labels=["status"]
    )
    for status, count in batches:
        imports.add_metric([status], count)
    yield imports


class _DatabaseCollector:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self):
        yield from _database_families(self.engine)


def exposition(engine: Engine) -> tuple[bytes, str]:
    """The text of one scrape and its content type."""
    from prometheus_client import (
        CONTENT_TYPE_LATEST,
        REGISTRY,
        CollectorRegistry,
        generate_latest,
        multiprocess,
    )

    _metrics()  # make sure the process's metrics exist, even before the first request
    directory = multiprocess_dir()
    if directory:
        registry = CollectorRegistry()
        registry.register(_WorkerFiles(directory, multiprocess.MultiProcessCollector))
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    registry.register(_DatabaseCollector(engine))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _WorkerFiles:
    """Every worker's metric files, added up, leaving out a file that is still empty.

    A worker makes its file on its first write of a kind of metric: the file exists for a
    moment with no bytes before it is sized, and prometheus_client's reader fails on such a
    file (it cannot read the header), which made the whole scrape an error while any worker
    wrote its first request. An empty file holds no numbers, so leaving it out loses nothing;
    a file once sized never shrinks, so one that is sized here reads whole.
    """

    def __init__(self, directory: str, collector) -> None:
        self.directory = directory
        self.merge = collector.merge

    def collect(self):
        names = sorted(os.listdir(self.directory))
        files = []
        for name in names:
            path = os.path.join(self.directory, name)
            try:
                if name.endswith(".db") and os.path.getsize(path) > 0:
                    files.append(path)
            except FileNotFoundError:  # a dead worker's live gauges, removed meanwhile
                continue
        return self.merge(files, accumulate=True)


class _Forward:
    """The process's default registry, inside a registry of one scrape."""

    def __init__(self, source) -> None:
        self.source = source

    def collect(self):
        yield from self.source.collect()


def mark_process_dead(pid: int) -> None:
    """A worker exited: its live gauges no longer count (gunicorn's child_exit hook)."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
