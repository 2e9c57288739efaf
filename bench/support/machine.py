"""Facts of a benchmark run and what the machine spends, read from git and /proc (Linux).

The machine is shared: the CPU time of the process under test and of everything else are
read separately, so that a result can say how busy the machine was while it was measured.
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.support import ROOT

TICK = os.sysconf("SC_CLK_TCK")


def code_state() -> str:
    """The commit measured and whether the working tree differs from it (read-only git)."""
    git = ["git", "--no-optional-locks", "-C", str(ROOT)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "code: not a git checkout"
    return f"code: {head}" + (f" + uncommitted changes in {len(changed)} files" if changed else "")


def print_run_header(bench: str, what: str) -> None:
    """The first lines of a run: when, how many CPUs, what is measured, which code."""
    print(f"{bench}: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, {what}")
    print(code_state())


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as "1.02 / 0.87 / 0.55"."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


# -- CPU time -------------------------------------------------------------------------------------


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, over all cores."""
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    total = sum(fields[:8])
    return (total - fields[3] - fields[4]) / TICK, total / TICK


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of one process so far; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def busy_cores(seconds: float = 2.0) -> float:
    """Cores the whole machine kept busy over the next ``seconds``."""
    busy, total = machine_cpu_seconds()
    time.sleep(seconds)
    busy_after, total_after = machine_cpu_seconds()
    return (busy_after - busy) / max(total_after - total, 1e-9) * (os.cpu_count() or 1)


def wait_until_quiet(
    cores_in_use: Callable[[], float],
    limit: float,
    timeout: float,
    *,
    pause: float = 0.0,
    say: bool = False,
) -> float:
    """Measure ``cores_in_use()`` until it is at most ``limit`` or ``timeout`` seconds have
    passed; the last value. With ``say``, each wait is printed."""
    deadline = time.monotonic() + timeout
    cores = cores_in_use()
    while cores > limit and time.monotonic() < deadline:
        if say:
            print(f"  waiting: other processes use {cores:.2f} cores", flush=True)
        time.sleep(pause)
        cores = cores_in_use()
    return cores


# -- memory ---------------------------------------------------------------------------------------


def status_mb(field: str, pid: int | str = "self") -> float:
    """A size field of /proc/<pid>/status (VmRSS, VmHWM...) in MB.

    Where it cannot be read: this process's peak (getrusage), 0 for another process.
    """
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    if pid != "self":
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def reset_peak(pid: int | str = "self") -> float:
    """Reset a process's peak-RSS mark (VmHWM) where the kernel allows; its RSS in MB.

    Writing 5 to clear_refs resets VmHWM (Linux 4.0+), so that what ran before the measured
    work (making its inputs) does not hide the work's own peak.
    """
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    return status_mb("VmRSS", pid)


def child_run(command: list[str], env: dict | None = None) -> tuple[dict, str]:
    """Run one child process to its end: its wall seconds ``s``, CPU seconds ``cpu s`` and peak
    resident memory ``peak MB``, and what it printed on stdout. A failure ends the benchmark.

    The peak is the child's own VmHWM, sampled every 20 ms, not ru_maxrss: a forked child's
    ru_maxrss starts at the size of its parent. Its CPU seconds (user and system, from
    wait4) say more than its wall time on a shared machine.
    """
    # Files, not pipes: a child that fills a pipe nobody reads yet would wait forever.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        peak = 0.0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, status_mb("VmHWM", process.pid))
            time.sleep(0.02)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        printed = out.read().decode(errors="replace")
        if code != 0:
            error = err.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"{command[0]} failed with {code}: {error}")
    return {"s": elapsed, "cpu s": usage.ru_utime + usage.ru_stime, "peak MB": peak}, printed


# -- a server under load --------------------------------------------------------------------------


class CpuMeter:
    """CPU time of the machine, of the server under test (gunicorn's master and workers, and
    the PostgreSQL backends serving the bench database) and of everything else, from /proc.

    ``server`` is a ``bench.support.server.Gunicorn``; ``database`` None when there is no
    database server (SpatiaLite runs inside the workers, its CPU is theirs).
    """

    def __init__(self, server, database: str | None) -> None:
        self.server = server
        self.database = database

    def _server_pids(self) -> tuple[list[int], list[int]]:
        """(gunicorn pids, pids of the PostgreSQL backends of the bench database)."""
        app = []
        if self.server.process is not None:
            app = [self.server.process.pid, *self.server.worker_pids()]
        pids: list[int] = []
        if self.database is None:
            return app, pids
        marker = f" {self.database} ".encode()
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                    cmdline = handle.read().replace(b"\0", b" ")
            except OSError:
                continue
            if cmdline.startswith(b"postgres:") and marker in cmdline:
                pids.append(int(entry.name))
        return app, pids

    def sample(self) -> dict:
        busy, total = machine_cpu_seconds()
        app, database = self._server_pids()
        return {
            "wall": time.perf_counter(),
            "busy": busy,
            "total": total,
            "app": {pid: process_cpu_seconds(pid) for pid in app},
            "pg": {pid: process_cpu_seconds(pid) for pid in database},
        }

    def shares(self, before: dict, after: dict, wrk_s: float) -> dict:
        wall = after["wall"] - before["wall"]
        busy = after["busy"] - before["busy"]
        used = {
            part: sum(t - before[part].get(pid, 0.0) for pid, t in after[part].items())
            for part in ("app", "pg")
        }
        server = used["app"] + used["pg"]
        others = max(busy - server - wrk_s, 0.0)
        return {
            "wall": wall,
            "busy_cores": busy / wall,
            "server_cores": server / wall,
            "wrk_cores": wrk_s / wall,
            "others_cores": others / wall,
            "server_s": server,
            "app_s": used["app"],
            "pg_s": used["pg"],
        }

    def others_now(self, seconds: float = 2.0) -> float:
        """Cores used by processes other than the (idle) server over a short interval."""
        before = self.sample()
        time.sleep(seconds)
        after = self.sample()
        return self.shares(before, after, 0.0)["others_cores"]

    def wait_quiet(self, limit_cores: float, timeout_s: float) -> float:
        return wait_until_quiet(self.others_now, limit_cores, timeout_s, pause=5, say=True)
