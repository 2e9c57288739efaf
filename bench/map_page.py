"""The all-sites map with 150,000 facilities: our /map page against a naive Folium map.

    .venv/bin/python bench/map_page.py            # recreates registry_bench_nearest, then measures
    .venv/bin/python bench/map_page.py --reuse    # measure the database nearest_load.py left

(a) Our ``/map`` page, served by gunicorn (``bench/nearest_wsgi.py``), in headless Chromium
    through Playwright, desktop and phone viewports, each in a fresh browser context (cold
    cache): bytes transferred (document, assets, the JSON the page fetches for its first view),
    time to DOMContentLoaded, to the 'load' event and to "markers rendered", i.e. until
    ``document.querySelector('.folium-map').dataset.loadedMode`` is set (plus two animation
    frames for the canvas to paint).
(b) A naive Folium map: ``folium.Map`` with one ``folium.Marker`` per active facility (its Thai
    name as tooltip; a popup would need jQuery), and by default a second one with the first
    10,000 sites only, to show how it scales (``--naive-sizes``); each saved with ``m.save`` and
    served by a static HTTP server on 127.0.0.1. Folium's CDN links are rewritten to local
    copies of Leaflet from the ``xstatic.pkg.leaflet`` wheel; its other CDN assets (jQuery,
    Bootstrap, Font Awesome, awesome-markers) are dropped, since plain markers do not use them.
    Measured the same way: bytes, 'load' event, and the time until the markers exist (they are
    created by the page's inline script, so they exist at DOMContentLoaded), each bounded by
    ``--timeout``.

Both maps ask for OpenStreetMap tiles. Chromium resolves every host other than 127.0.0.1 to
nothing (``--host-resolver-rules``), so no request leaves the machine and tiles fail fast for
both pages alike; they are counted as "blocked", not as bytes.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import html
import http.server
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import folium  # noqa: E402
import xstatic.pkg.leaflet  # noqa: E402
from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.support.databases import (  # noqa: E402
    add_site_arguments,
    database_summary,
    database_url,
    reuse_or_load,
)
from bench.support.machine import print_run_header  # noqa: E402
from bench.support.server import (  # noqa: E402
    BenchServer,
    add_server_arguments,
    first_answer_per_worker,
)
from registry.db import make_engine  # noqa: E402

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    # Nothing but this machine: other hosts do not resolve, so tiles fail at once.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1366, "height": 768}, "device_scale_factor": 1},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    },
}
# Records, in page time (ms since navigation start), when the viewport layer says what it
# loaded, the next painted frame, DOMContentLoaded and how many marker icons exist then.
INIT_SCRIPT = """
window.__bench = {};
new MutationObserver(function () {
  var map = document.querySelector('.folium-map');
  if (map && map.dataset.loadedMode && window.__bench.loadedAt === undefined) {
    window.__bench.loadedAt = performance.now();
    window.__bench.mode = map.dataset.loadedMode;
    window.__bench.count = map.dataset.loadedCount;
    requestAnimationFrame(function () { requestAnimationFrame(function () {
      window.__bench.paintedAt = performance.now();
    }); });
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-loaded-mode']});
document.addEventListener('DOMContentLoaded', function () {
  window.__bench.dcl = performance.now();
  window.__bench.markersAtDcl = document.querySelectorAll('.leaflet-marker-icon').length;
  requestAnimationFrame(function () { requestAnimationFrame(function () {
    window.__bench.dclPaintedAt = performance.now();
  }); });
});
"""
PAGE_FACTS = """() => {
  var nav = performance.getEntriesByType('navigation')[0];
  return {
    responseStart: nav.responseStart, responseEnd: nav.responseEnd,
    domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
    heap: performance.memory ? performance.memory.usedJSHeapSize : null,
    nodes: document.getElementsByTagName('*').length,
    bench: window.__bench
  };
}"""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_site_arguments(parser, database="registry_bench_nearest")
    add_server_arguments(parser)
    add = parser.add_argument
    add("--repeat", type=int, default=3, help="page loads per viewport of our map (median)")
    add(
        "--naive-sizes",
        default="all,10000",
        help="comma-separated marker counts of naive maps to load ('all': every active site)",
    )
    add("--naive-phone", action="store_true", help="also load the naive map on a phone")
    add("--timeout", type=float, default=120.0, help="seconds before a page load is given up")
    add("--chromium", default=os.environ.get("REGISTRY_CHROMIUM", "/usr/bin/chromium"))
    return parser.parse_args(argv)


# -- browser ------------------------------------------------------------------------------------


def load_page(browser, url: str, viewport: str, *, wait_for: str, timeout_s: float) -> dict:
    """One cold page load; returns times (ms from navigation start), bytes and page facts.

    ``wait_for`` is "viewport" (our layer's data-loaded-mode) or "markers" (DOMContentLoaded
    of a page whose inline script creates the markers).
    """
    context = browser.new_context(**VIEWPORTS[viewport])
    page = context.new_page()
    page.add_init_script(INIT_SCRIPT)
    finished, failed = [], []
    page.on("requestfinished", lambda request: finished.append(request))
    page.on("requestfailed", lambda request: failed.append(request))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    out: dict = {"viewport": viewport, "timed_out": [], "wall_to_document_ms": None}

    def document_done(request) -> None:
        if request.resource_type == "document" and out["wall_to_document_ms"] is None:
            out["wall_to_document_ms"] = (time.perf_counter() - start) * 1e3

    page.on("requestfinished", document_done)
    deadline = time.monotonic() + timeout_s
    start = time.perf_counter()
    try:
        page.goto(url, wait_until="load", timeout=timeout_s * 1000)
    except PlaywrightTimeout:
        out["timed_out"].append("load")
    out["wall_to_load_s"] = time.perf_counter() - start
    remaining_ms = max(1_000.0, (deadline - time.monotonic()) * 1000)
    condition = (
        "() => window.__bench && window.__bench.paintedAt !== undefined"
        if wait_for == "viewport"
        else "() => window.__bench && window.__bench.dclPaintedAt !== undefined"
    )
    try:
        page.wait_for_function(condition, timeout=remaining_ms)
    except PlaywrightTimeout:
        out["timed_out"].append("markers")
    out["wall_to_markers_s"] = time.perf_counter() - start
    # Read through a polled function so that a page still busy in its script cannot hang us.
    try:
        handle = page.wait_for_function(PAGE_FACTS, timeout=10_000)
        out["facts"] = handle.json_value()
    except (PlaywrightTimeout, PlaywrightError):
        out["facts"] = None
    out["requests"] = _sizes(finished)
    out["blocked"] = len(failed)
    out["errors"] = errors
    with contextlib.suppress(PlaywrightError):
        context.close()
    return out


def _sizes(requests) -> list[dict]:
    rows = []
    for request in requests:
        try:
            sizes = request.sizes()
        except PlaywrightError:
            continue
        rows.append(
            {
                "url": request.url,
                "type": request.resource_type,
                "bytes": sizes["responseBodySize"] + sizes["responseHeadersSize"],
                "body": sizes["responseBodySize"],
            }
        )
    return rows


def summarize(run: dict) -> dict:
    kinds = {"document": 0, "assets": 0, "json": 0}
    for row in run["requests"]:
        if row["type"] == "document":
            kinds["document"] += row["bytes"]
        elif row["type"] in ("fetch", "xhr"):
            kinds["json"] += row["bytes"]
        else:
            kinds["assets"] += row["bytes"]
    facts = run["facts"] or {}
    bench = facts.get("bench") or {}
    return {
        **{f"{k} bytes": v for k, v in kinds.items()},
        "total bytes": sum(kinds.values()),
        "requests": len(run["requests"]),
        "json requests": sum(1 for r in run["requests"] if r["type"] in ("fetch", "xhr")),
        "blocked": run["blocked"],
        "document ms": facts.get("responseEnd"),
        "DOMContentLoaded ms": facts.get("domContentLoaded"),
        "load ms": facts.get("load"),
        "markers ms": bench.get("paintedAt", bench.get("dclPaintedAt")),
        "markers set ms": bench.get("loadedAt", bench.get("dcl")),
        "mode": bench.get("mode", "markers"),
        "sites": int(bench["count"]) if bench.get("count") else bench.get("markersAtDcl"),
        "heap MB": facts["heap"] / 2**20 if facts.get("heap") else None,
        "DOM nodes": facts.get("nodes"),
        "timed out": ", ".join(run["timed_out"]) or "",
        "wall to document ms": run["wall_to_document_ms"],
        "wall to load s": run["wall_to_load_s"],
        "wall to markers s": run["wall_to_markers_s"],
        "errors": len(run["errors"]),
    }


def median_of(runs: list[dict]) -> dict:
    out = {}
    for key in runs[0]:
        values = [r[key] for r in runs]
        numbers = [v for v in values if isinstance(v, int | float) and v is not None]
        if len(numbers) == len(values) and not isinstance(values[0], bool):
            out[key] = statistics.median(numbers)
        else:
            out[key] = values[0]
    return out


# -- naive folium -------------------------------------------------------------------------------


def naive_map(url: str, directory: Path, limit: int) -> dict:
    """Write naive.html (one folium.Marker per active site) and the Leaflet files beside it."""
    engine = make_engine(url)
    with engine.connect() as conn:
        query = (
            "SELECT id, name_th, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM facility "
            "WHERE deleted_at IS NULL ORDER BY id"
        )
        if limit:
            query += f" LIMIT {int(limit)}"
        rows = conn.execute(text(query)).all()
    engine.dispose()
    start = time.perf_counter()
    fmap = folium.Map(location=[13.0, 101.0], zoom_start=6)
    for row in rows:
        folium.Marker([row.lat, row.lon], tooltip=html.escape(row.name_th)).add_to(fmap)
    built = time.perf_counter() - start
    path = directory / "naive.html"
    start = time.perf_counter()
    fmap.save(str(path))
    saved = time.perf_counter() - start
    original = path.read_text(encoding="utf-8")
    page, rewritten, dropped = rewrite_cdn_links(original)
    path.write_text(page, encoding="utf-8")
    shutil.copytree(xstatic.pkg.leaflet.BASE_DIR, directory / "leaflet")
    return {
        "markers": len(rows),
        "build s": built,
        "save s": saved,
        "html bytes": path.stat().st_size,
        "rewritten": rewritten,
        "dropped": dropped,
    }


_CDN_TAG = re.compile(r"<(script|link)\b[^>]*?(?:src|href)=\"(https?://[^\"]+)\"[^>]*>(</script>)?")


def rewrite_cdn_links(page: str) -> tuple[str, list[str], list[str]]:
    """Leaflet from the local copy; every other CDN script or stylesheet dropped."""
    rewritten, dropped = [], []

    def replace(match: re.Match) -> str:
        link = match.group(2)
        name = link.rsplit("/", 1)[-1]
        if "leaflet@" in link and name in ("leaflet.js", "leaflet.css"):
            rewritten.append(link)
            return match.group(0).replace(link, f"leaflet/{name}")
        dropped.append(link)
        return ""

    page = _CDN_TAG.sub(replace, page)
    return page, rewritten, dropped


class StaticServer:
    """A quiet, threaded static file server on 127.0.0.1 in a background thread."""

    def __init__(self, directory: Path) -> None:
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

        handler = functools.partial(Quiet, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StaticServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# -- report -------------------------------------------------------------------------------------


def _fmt(value, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "B":
        if value >= 2**20:
            return f"{value / 2**20:,.2f} MB"
        return f"{value / 1024:,.1f} KB"
    if unit == "ms":
        return f"{value:,.0f} ms" if value < 10_000 else f"{value / 1000:,.1f} s"
    if unit == "MB":
        return f"{value:,.1f} MB"
    return f"{value:,}" if isinstance(value, int | float) else str(value)


def print_table(columns: dict[str, dict], naive_keys: list[str], ours_key: str) -> None:
    rows = [
        ("sites on the map", "sites", "n"),
        ("what the page draws", "mode", ""),
        ("document (HTML) bytes", "document bytes", "B"),
        ("assets bytes (JS, CSS, images)", "assets bytes", "B"),
        ("JSON bytes (first view)", "json bytes", "B"),
        ("JSON requests", "json requests", "n"),
        ("total bytes transferred", "total bytes", "B"),
        ("requests (local)", "requests", "n"),
        ("tile requests blocked", "blocked", "n"),
        ("document received", "document ms", "ms"),
        ("document received (wall)", "wall to document ms", "ms"),
        ("DOMContentLoaded", "DOMContentLoaded ms", "ms"),
        ("'load' event", "load ms", "ms"),
        ("markers set (data / DOM)", "markers set ms", "ms"),
        ("markers painted", "markers ms", "ms"),
        ("JS heap used", "heap MB", "MB"),
        ("DOM elements", "DOM nodes", "n"),
        ("timed out", "timed out", ""),
        ("page errors", "errors", "n"),
    ]
    names = list(columns)
    width = 22
    ratio_width = 12
    header = f"{'':<32}" + "".join(f"{name:>{width}}" for name in names)
    header += "".join(f"{f'ratio {n + 1}':>{ratio_width}}" for n in range(len(naive_keys)))
    print(header)
    for label, key, unit in rows:
        line = f"{label:<32}" + "".join(
            f"{_fmt(columns[name].get(key), unit):>{width}}" for name in names
        )
        for naive_key in naive_keys:
            ours, naive = columns[ours_key].get(key), columns[naive_key].get(key)
            ratio = "-"
            comparable = unit in ("B", "ms", "MB") or key == "DOM nodes"
            numbers = isinstance(ours, int | float) and isinstance(naive, int | float)
            if comparable and numbers and ours and naive:
                share = naive / ours
                ratio = f"{share:,.0f}x" if share >= 10 else f"{share:.1f}x"
            line += f"{ratio:>{ratio_width}}"
        print(line)
    print("  times are page times (ms since navigation start) of the median load")
    for n, naive_key in enumerate(naive_keys, start=1):
        print(f"  ratio {n}: {naive_key} / {ours_key}")


def main(argv=None) -> None:
    args = parse_args(argv)
    url = database_url(args)
    print_run_header("map_page", url)
    timings = reuse_or_load(args)
    if timings is not None:
        print(f"loaded in {timings['total']:.0f} s ({timings['counts']})")
    summary = database_summary(url)
    print(f"active facilities: {summary['active']:,}")

    columns: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="map_page_") as tmp:
        work_dir = Path(tmp)
        server = BenchServer(
            url, work_dir, workers=args.workers, threads=args.worker_threads, port=args.port
        )
        try:
            server.start()
            features = "/api/v1/map/features?bbox=97,5,106,21&zoom=6"
            cold = first_answer_per_worker(server.port, [features], args.workers)
            firsts = ", ".join(f"{t * 1e3:,.0f} ms" for t in cold["first"].values())
            print(
                f"gunicorn on 127.0.0.1:{server.port}; first map/features per worker (catalog "
                f"loaded by the master): {firsts}; warm median {cold['later median'] * 1e3:,.1f} ms"
            )
            page_url = f"http://127.0.0.1:{server.port}/map"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=args.chromium, args=CHROMIUM_ARGS
                )
                try:
                    for viewport in ("desktop", "phone"):
                        runs, errors = [], []
                        for _ in range(args.repeat):
                            run = load_page(
                                browser,
                                page_url,
                                viewport,
                                wait_for="viewport",
                                timeout_s=args.timeout,
                            )
                            runs.append(summarize(run))
                            errors += run["errors"]
                        columns[f"our /map {viewport}"] = median_of(runs)
                        print(
                            f"  our /map {viewport}: markers painted at "
                            f"{_fmt(columns[f'our /map {viewport}']['markers ms'], 'ms')}",
                            flush=True,
                        )
                        if errors:
                            print(f"    page errors: {errors[:3]}")
                finally:
                    browser.close()
        finally:
            server.stop()

        naive_runs: list[tuple[str, dict]] = []
        for size in args.naive_sizes.split(","):
            limit = 0 if size.strip() in ("all", "0") else int(size)
            directory = work_dir / f"naive_{limit or 'all'}"
            directory.mkdir()
            print(f"building a naive Folium map ({size.strip()}) ...", flush=True)
            naive = naive_map(url, directory, limit)
            print(
                f"naive map: {naive['markers']:,} folium.Marker built in {naive['build s']:.1f} "
                f"s, m.save in {naive['save s']:.1f} s, {naive['html bytes'] / 2**20:,.1f} MB of "
                f"HTML; CDN links rewritten: {len(naive['rewritten'])}, dropped: "
                f"{len(naive['dropped'])}",
                flush=True,
            )
            with StaticServer(work_dir) as static, sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=args.chromium, args=CHROMIUM_ARGS
                )
                try:
                    for viewport in ("desktop", "phone") if args.naive_phone else ("desktop",):
                        run = load_page(
                            browser,
                            f"http://127.0.0.1:{static.port}/{directory.name}/naive.html",
                            viewport,
                            wait_for="markers",
                            timeout_s=args.timeout,
                        )
                        result = summarize(run)
                        if run["timed_out"]:
                            result["sites"] = naive["markers"]
                        name = f"naive {naive['markers']:,} {viewport}"
                        columns[name] = result
                        naive_runs.append((name, naive))
                        print(
                            f"  {name}: load {_fmt(result['load ms'], 'ms')}, markers "
                            f"{_fmt(result['markers ms'], 'ms')}"
                            + (
                                f" TIMED OUT ({result['timed out']})" if result["timed out"] else ""
                            ),
                            flush=True,
                        )
                        if run["errors"]:
                            print(f"    page errors: {run['errors'][:3]}")
                finally:
                    _close(browser)
            shutil.rmtree(directory)

    print(f"\n== All-sites map, {summary['active']:,} active facilities ==")
    naive_desktop = [name for name, _ in naive_runs if name.endswith("desktop")]
    print_table(columns, naive_desktop, "our /map desktop")
    for name, naive in naive_runs:
        print(
            f"{name}: building {naive['markers']:,} folium.Marker took {naive['build s']:.1f} s "
            f"and m.save {naive['save s']:.1f} s (per request, if a server rendered it)"
        )
    for name, column in columns.items():
        if column.get("timed out"):
            print(
                f"{name}: gave up after {args.timeout:.0f} s waiting for {column['timed out']} "
                f"(document received after {_fmt(column['wall to document ms'], 'ms')} wall "
                "time; the page was still running its inline script)"
            )


def _close(browser) -> None:
    # A renderer stuck in a long script may refuse a clean close; leaving the
    # sync_playwright() block then stops the browser it launched.
    with contextlib.suppress(PlaywrightError):
        browser.close()


if __name__ == "__main__":
    main()
