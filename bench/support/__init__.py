"""What the benchmarks share, one module per topic, so that no benchmark imports another.

- ``machine``: facts of the run (commit, cores, load), CPU time and memory read from /proc,
  and a child process's wall and CPU seconds and peak memory.
- ``timing``: a timed call or test-client request, step timers, the median run.
- ``profiles``: where a request's time goes (cProfile in process, py-spy on a worker).
- ``locations``: the real MOPH hospital and clinic points and jittered copies of them
  (no database: nearest_bench.py, coverage_bench.py).
- ``sites``: synthetic facilities for ``upsert_facilities``, each inside a Thai subdistrict.
- ``databases``: scratch databases with the real areas, and the PostGIS database of synthetic
  sites that nearest_load.py, map_page.py and ogcapi_bench.py measure.
- ``server``: gunicorn serving the bench app (bench/nearest_wsgi.py) or another app, and the
  plain HTTP clients that ask it.
- ``questions``: the paths a load benchmark asks (nearest, PostGIS KNN, place names, map views).
- ``wrk``: load from wrk, with the server's CPU time per answer.

``machine``, ``timing`` and ``locations`` import neither Flask nor the registry, so the
benchmarks of pure ``geo`` code measure their memory without the app loaded.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
