"""HTTP load from wrk (Debian's ``wrk``), with the server's CPU time per answer.

A Lua script rotates through the given paths (each wrk thread from its own offset) and
prints wrk's own counters as one JSON line from ``done()``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import threading
from pathlib import Path

from bench.support.machine import CpuMeter
from bench.support.profiles import py_spy_worker

WRK_SCRIPT = """
local paths = %s
local counter = 0
local started = 0

function setup(thread)
  thread:set("offset", started * 7919)
  started = started + 1
end

function init(args)
  counter = offset or 0
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%%d,"duration_us":%%d,"bytes":%%d,"connect":%%d,"read":%%d,' ..
    '"write":%%d,"status":%%d,"timeout":%%d,"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,' ..
    '"mean_us":%%.1f,"max_us":%%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
"""


def lua_table(paths: list[str]) -> str:
    return "{\n" + ",\n".join(json.dumps(p) for p in paths) + "\n}"


def run_wrk(
    port: int,
    paths: list[str],
    seconds: int,
    work_dir: Path,
    *,
    threads: int,
    connections: int,
    name: str = "run",
    meter: CpuMeter | None = None,
) -> dict:
    """One wrk run: its counters, ``rps`` and ``errors``; with a meter, also ``cpu`` (the
    meter's shares, wrk's own CPU apart) and ``server_cpu_ms`` per answer."""
    script = work_dir / f"{name}.lua"
    script.write_text(WRK_SCRIPT % lua_table(paths))
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout", "10s",
        "-s", str(script),
        f"http://127.0.0.1:{port}",
    ]  # fmt: skip
    before = meter.sample() if meter else None
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    after = meter.sample() if meter else None
    for line in done.stdout.splitlines():
        if line.startswith("WRKJSON "):
            result = json.loads(line[len("WRKJSON ") :])
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            result["errors"] = sum(
                result[k] for k in ("connect", "read", "write", "status", "timeout")
            )
            if meter:
                wrk_cpu = (children_after.ru_utime + children_after.ru_stime) - (
                    children.ru_utime + children.ru_stime
                )
                result["cpu"] = meter.shares(before, after, wrk_cpu)
                result["server_cpu_ms"] = (
                    1e3 * result["cpu"]["server_s"] / max(result["requests"], 1)
                )
            return result
    raise RuntimeError(f"wrk gave no result: {done.stdout}\n{done.stderr}")


def wrk_with_py_spy(
    server, paths: list[str], seconds: int, spy_seconds: int, work_dir: Path, **wrk
) -> tuple[dict, str]:
    """One wrk run while py-spy samples the server's first worker; ``wrk`` as for run_wrk."""
    pid = server.worker_pids()[0]
    holder: dict[str, str] = {}

    def sample() -> None:
        holder["text"] = py_spy_worker(pid, min(spy_seconds, seconds), work_dir)

    thread = threading.Thread(target=sample)
    thread.start()
    result = run_wrk(server.port, paths, seconds, work_dir, **wrk)
    thread.join()
    return result, holder.get("text", "py-spy gave nothing")
