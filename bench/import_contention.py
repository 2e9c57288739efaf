"""Other writers', sign-ins' and readers' latency while one long import runs.

    PYTHONPATH=$PWD .venv/bin/python bench/import_contention.py [--rows 60000]
        [--backend spatialite|postgis ...] [--postgis-server URL]

A fresh database per backend (migrated, real boundaries), served by a threaded werkzeug
server on a free local port. One official previews then commits a ``--rows`` list through
the import page while 10 API writers, 5 sign-ins and 5 readers loop (tests/contention.py);
prints each kind's latency by the import's phase and the 5xx counts. Run with PYTHONPATH
pointing at any checkout to measure that code.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def _database(backend: str, folder: Path, server: str) -> str:
    from bench.support.databases import scratch_url, with_areas

    url = scratch_url(backend, server, f"registry_bench_contention_{os.getpid()}", folder)
    with_areas(url).dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--backend", action="append", choices=["spatialite", "postgis"])
    parser.add_argument("--postgis-server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per request

    from bench.support.machine import load_average
    from registry.app import create_app
    from registry.db import drop_postgis_database
    from tests.contention import prepare, run

    print(f"cores: {os.cpu_count()}, load: {load_average()}, import of {args.rows:,} rows")
    for backend in args.backend or ["spatialite", "postgis"]:
        with tempfile.TemporaryDirectory(prefix="contention-") as tmp:
            url = _database(backend, Path(tmp), args.postgis_server)
            app = create_app(
                {
                    "DATABASE_URL": url,
                    "SECRET_KEY": "bench",
                    "SESSION_COOKIE_SECURE": False,
                    "REMEMBER_COOKIE_SECURE": False,
                    "LOGIN_MAX_FAILURES_PER_CLIENT": 10_000,
                }
            )
            app.instance_path = tmp
            prepared = prepare(app)
            server = make_server("127.0.0.1", 0, app, threaded=True)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            started = time.perf_counter()
            try:
                result = run(f"http://127.0.0.1:{server.server_port}", prepared, args.rows)
            finally:
                server.shutdown()
                if backend == "postgis":
                    with app.app_context():
                        from registry.db import db

                        db.engine.dispose()
                    drop_postgis_database(args.postgis_server, url.rsplit("/", 1)[1])
            print(f"--- {backend}: {time.perf_counter() - started:.1f} s in all")
            for phase, seconds in result.import_seconds.items():
                print(f"import {phase}: {seconds:.1f} s, HTTP {result.import_status[phase]}")
            for line in result.summary():
                print(line)
            print(f"503 answers without Retry-After: {result.missing_retry_after}", flush=True)


if __name__ == "__main__":
    main()
