"""Where a request's time goes: cProfile in this process, py-spy on a serving worker."""

from __future__ import annotations

import cProfile
import io
import pstats
import subprocess
import sys
import time
from pathlib import Path

from bench.support.databases import registry_app
from registry.nearest.catalog import catalogs


def profile_in_process(url: str, paths: list[str], n: int) -> str:
    """cProfile of ``n`` GETs of ``paths`` through Flask's test client (no HTTP server),
    after 20 unprofiled ones that load the catalog; the two tables as text."""
    with registry_app(url) as app:
        client = app.test_client()
        for path in paths[:20]:  # load the catalog first
            client.get(path)
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.enable()
        for i in range(n):
            client.get(paths[i % len(paths)])
        profiler.disable()
        elapsed = time.perf_counter() - start
    out = io.StringIO()
    out.write(f"{n} answers in {elapsed:.2f} s under cProfile ({elapsed / n * 1e3:.2f} ms each)\n")
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(22)
    stats.sort_stats("cumulative").print_stats(35)
    catalogs.clear()
    return out.getvalue()


def py_spy_worker(pid: int, seconds: int, work_dir: Path) -> str:
    """Self and total time per function of one worker under load, from py-spy's samples."""
    raw = work_dir / "py-spy.txt"
    py_spy = Path(sys.executable).with_name("py-spy")
    subprocess.run(
        [str(py_spy), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200",
         "--format", "raw", "--output", str(raw), "--nonblocking"],
        capture_output=True, timeout=seconds + 60, check=False,
    )  # fmt: skip
    if not raw.exists():
        return "py-spy produced no samples (ptrace not permitted?)"
    self_time: dict[str, int] = {}
    total_time: dict[str, int] = {}
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        count = int(count)
        frames = stack.split(";")
        # Idle gthread workers wait in select/queue; count only samples doing request work.
        if not any("full_dispatch_request" in frame for frame in frames):
            continue
        samples += count
        self_time[frames[-1]] = self_time.get(frames[-1], 0) + count
        for frame in set(frames):
            total_time[frame] = total_time.get(frame, 0) + count
    if not samples:
        return "py-spy saw no request work"
    lines = [f"{samples} samples inside request handling; inclusive share of the top frames:"]
    for frame, count in sorted(total_time.items(), key=lambda kv: -kv[1])[:40]:
        lines.append(f"  {100 * count / samples:5.1f}%  {frame}")
    lines.append("self time (leaf frames):")
    for frame, count in sorted(self_time.items(), key=lambda kv: -kv[1])[:20]:
        lines.append(f"  {100 * count / samples:5.1f}%  {frame}")
    return "\n".join(lines)
