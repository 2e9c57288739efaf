"""gunicorn settings for the registry: the facility catalog is loaded once, before the fork.

    gunicorn -c python:registry.operations.gunicorn_conf --bind 127.0.0.1:8000 \
        'registry.app:create_app()'

The app is imported in the master (``preload_app``), which loads the in-memory facility
catalog of nearest-site search and the map (seconds for a national registry) and then closes
its database connections; every worker starts with that catalog already in its memory (the
pages are shared until written) and only catches up with what changed since, on its first
request. Each worker starts its own listener for the registry's data version on its first
answer (registry.version_watch); the master's is stopped before the fork. Command-line options
override what is set here. ``registry serve`` uses these same
settings and adds bind, workers, threads, timeouts and logging from the app's configuration.

Signals (to the master, e.g. ``systemctl reload`` / ``stop``): HUP starts new workers and
stops the old ones gracefully, TERM stops gracefully; both let requests in flight finish
within ``graceful_timeout``. USR1 reopens gunicorn's own log files.

Metrics under several workers: prometheus_client's multiprocess mode. Unless the operator set
``PROMETHEUS_MULTIPROC_DIR`` (to a folder of its own, emptied here at start), a fresh
temporary folder is made when this file is loaded, before the app imports prometheus_client,
and removed when the master exits.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import tempfile
import time

from registry.operations.observability import logging_config

preload_app = True
worker_class = "gthread"
threads = 4
# The workers' heartbeat files in memory, not on a disk that may stall (containers, VMs).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No control socket (gunicorn 25.1+): its default path is shared by every server of the user;
# signals and `systemctl reload` do what it would.
control_socket_disable = True
# The app writes the access log (registry.access, with the request id); gunicorn's is off.
accesslog = None
logconfig_dict = logging_config(
    os.environ.get("REGISTRY_LOG_FORMAT", "json"),
    os.environ.get("REGISTRY_LOG_LEVEL", "INFO"),
    os.environ.get("REGISTRY_LOG_FILE", "-"),
)

log = logging.getLogger("gunicorn.error")


def _metrics_folder() -> str | None:
    """Set up the multiprocess metrics folder before the app is imported; ours to remove?"""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        folder = tempfile.mkdtemp(prefix="registry-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        return folder
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):  # numbers left by an earlier server
        if name.endswith(".db"):
            os.unlink(os.path.join(folder, name))
    return None


_OWN_METRICS_DIR = _metrics_folder()


def child_exit(server, worker) -> None:
    """A worker is gone (stopped, replaced or killed): its live gauges stop counting."""
    from registry.operations.metrics import mark_process_dead

    mark_process_dead(worker.pid)


def on_exit(server) -> None:
    if _OWN_METRICS_DIR:
        shutil.rmtree(_OWN_METRICS_DIR, ignore_errors=True)


def _flask_app(server):
    """The Flask app the master imported (preload_app), or None for another WSGI callable."""
    app = server.app.wsgi()
    return app if hasattr(app, "app_context") and "registry_db" in app.extensions else None


def when_ready(server) -> None:
    """In the master, before any worker exists: load the catalog, close the connections."""
    from registry.db import db
    from registry.nearest.catalog import catalogs
    from registry.nearest.village_search import village_index

    app = _flask_app(server)
    if app is None:
        log.warning("not the registry's Flask app: each worker loads the catalog itself")
        return
    start = time.perf_counter()
    try:
        with app.app_context():
            session = db.session
            snapshot = catalogs.get(session).snapshot(session)
    except Exception as error:  # the database is down or unreadable: start all the same
        log.warning(
            "facility catalog not loaded before the fork (%s); each worker loads it "
            "once the database answers, and /readyz says not ready until then",
            error,
        )
        snapshot = None
    # The village list of place search (seconds to index, read from a file, no database).
    village_index()
    db.state(app).engine.dispose()
    # The master serves nothing: only its workers' live gauges count in /metrics.
    from registry.operations.metrics import mark_process_dead

    mark_process_dead(os.getpid())
    # The workers share the catalog's memory with the master until either writes to it; the
    # collector would write to every object it tracks, so it leaves these alone for good.
    gc.freeze()
    if snapshot is None:
        return
    log.info(
        "facility catalog loaded: %d sites at data version %d in %.1f s",
        len(snapshot),
        snapshot.data_version,
        time.perf_counter() - start,
    )


def post_fork(server, worker) -> None:
    """In each new worker: never reuse a connection object inherited from the master."""
    from registry.db import db

    app = _flask_app(server)
    if app is not None:
        db.state(app).engine.dispose(close=False)
        from registry.operations.metrics import observe_pool

        observe_pool(db.state(app).engine)
