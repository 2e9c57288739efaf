"""gunicorn settings for the registry: the facility catalog is loaded once, before the fork.

    gunicorn -c python:registry.gunicorn_conf --bind 127.0.0.1:8000 'registry:create_app()'

The app is imported in the master (``preload_app``), which loads the in-memory facility
catalog of nearest-site search and the map (seconds for a national registry) and then closes
its database connections; every worker starts with that catalog already in its memory (the
pages are shared until written) and only catches up with what changed since, on its first
request. Command-line options override what is set here.
"""

from __future__ import annotations

import gc
import logging
import time

preload_app = True
worker_class = "gthread"
threads = 4

log = logging.getLogger("gunicorn.error")


def _flask_app(server):
    """The Flask app the master imported (preload_app), or None for another WSGI callable."""
    app = server.app.wsgi()
    return app if hasattr(app, "app_context") and "registry_db" in app.extensions else None


def when_ready(server) -> None:
    """In the master, before any worker exists: load the catalog, close the connections."""
    from registry.db import db
    from registry.services.catalog import catalogs
    from registry.services.villages import village_index

    app = _flask_app(server)
    if app is None:
        log.warning("not the registry's Flask app: each worker loads the catalog itself")
        return
    start = time.perf_counter()
    with app.app_context():
        session = db.session
        snapshot = catalogs.get(session).snapshot(session)
    # The village list of place search (seconds to index, read from a file, no database).
    village_index()
    db.state(app).engine.dispose()
    # The workers share the catalog's memory with the master until either writes to it; the
    # collector would write to every object it tracks, so it leaves these alone for good.
    gc.freeze()
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
