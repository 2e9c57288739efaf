"""The servers under test and the clients that ask them, all on 127.0.0.1.

``Gunicorn`` runs any WSGI app in its own process group and always stops it by its own pid;
``BenchServer`` is the registry as production serves it
(``registry/operations/gunicorn_conf.py``: the master loads the catalog before forking) with the
bench-only routes of bench/nearest_wsgi.py.
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.support import ROOT


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the gunicorn that serves the bench app."""
    add = parser.add_argument
    add("--port", type=int, default=0, help="gunicorn port on 127.0.0.1 (0: a free one)")
    add("--workers", type=int, default=2)
    add("--worker-threads", type=int, default=4)


class Gunicorn:
    """gunicorn in its own process group, always stopped by its own pid.

    ``start`` waits until ``ready_path`` answers 200 and returns the seconds that took; the
    server is stopped at exit at the latest.
    """

    def __init__(
        self,
        app: str,
        log_path: Path,
        *,
        workers: int,
        threads: int,
        port: int = 0,
        options: Sequence[str] = (),
        env: dict[str, str] | None = None,
        ready_path: str = "/",
        ready_within: float = 300,
    ) -> None:
        self.app = app
        self.log_path = log_path
        self.workers, self.threads = workers, threads
        self.port = port or free_port()
        self.options = list(options)
        self.env = env if env is not None else dict(os.environ)
        self.ready_path, self.ready_within = ready_path, ready_within
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        return [
            str(gunicorn),
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers),
            "--worker-class", "gthread",
            "--threads", str(self.threads),
            *self.options,
            self.app,
        ]  # fmt: skip

    def start(self) -> float:
        start = time.perf_counter()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        atexit.register(self.stop)
        deadline = time.monotonic() + self.ready_within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {self.process.returncode}; see {self.log_path.name}"
                )
            try:
                status, _, _ = get(self.port, self.ready_path)
                if status == 200:
                    return time.perf_counter() - start
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(
            f"gunicorn did not answer within {self.ready_within:.0f} s; see {self.log_path.name}"
        )

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return [int(p) for p in out.split()]

    def leave_running(self) -> int:
        """Forget the server without stopping it, even at exit; its master's pid."""
        atexit.unregister(self.stop)
        pid = self.process.pid
        self.process = None
        return pid

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


class BenchServer(Gunicorn):
    """bench/nearest_wsgi.py on the database at ``url``, served as in production.

    ``instance``, when given, is the app's instance folder (REGISTRY_INSTANCE_PATH) instead of
    the checkout's: the files it writes there (downloads) then start afresh with the run.
    """

    def __init__(
        self,
        url: str,
        log_dir: Path,
        *,
        workers: int,
        threads: int,
        port: int = 0,
        instance: Path | None = None,
    ) -> None:
        env = {**os.environ, "BENCH_DATABASE_URL": url}
        if instance is not None:
            env["REGISTRY_INSTANCE_PATH"] = str(instance)
        super().__init__(
            "bench.nearest_wsgi:app",
            log_dir / "gunicorn.log",
            workers=workers,
            threads=threads,
            port=port,
            # preload_app: the master loads the catalog once, the workers inherit it.
            options=["--chdir", str(ROOT), "--config", "python:registry.operations.gunicorn_conf",
                     "--timeout", "120"],
            env=env,
            ready_path="/bench/trivial",
        )  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- clients --------------------------------------------------------------------------------------


def get(port: int, path: str, conn: http.client.HTTPConnection | None = None):
    """(status, headers, body) of one GET; a fresh connection unless one is given."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), body
    finally:
        if own:
            conn.close()


def first_answer_per_worker(
    port: int, paths: list[str], workers: int, tries: int = 60, absent: int | None = None
) -> dict:
    """Latency of each worker's first answer, using a fresh connection per request.

    Workers are told apart by the ``X-Bench-Worker`` header of the bench app. With
    ``absent``, also count the answers that still list that facility id ("stale").
    """
    seen: dict[str, float] = {}
    later: list[float] = []
    stale = answers = 0
    for i in range(tries):
        start = time.perf_counter()
        status, headers, body = get(port, paths[i % len(paths)])
        elapsed = time.perf_counter() - start
        if status != 200:
            raise RuntimeError(f"{paths[i % len(paths)]} answered {status}")
        if absent is not None:
            answers += 1
            stale += absent in [f["id"] for f in json.loads(body)["features"]]
        pid = headers.get("X-Bench-Worker", "?")
        if pid not in seen:
            seen[pid] = elapsed
        else:
            later.append(elapsed)
        if len(seen) >= workers and len(later) >= 5:
            break
    return {
        "first": seen,
        "later median": statistics.median(later) if later else float("nan"),
        "stale": (stale, answers),
    }


def keep_asking(
    port: int,
    clients: int,
    seconds: float,
    next_path: Callable[[int], Callable[[], str]],
    on_answer: Callable[[str, int, float, bytes], None],
) -> float:
    """``clients`` threads, each on one keep-alive connection, asking for paths until
    ``seconds`` have passed; the wall seconds it took.

    ``next_path(n)`` gives client n its source of paths. Every answer goes to
    ``on_answer(path, status, seconds, body)``, from the client's thread; a request that
    fails on the connection counts as status 0 and the client connects again.
    """
    deadline = time.monotonic() + seconds

    def client(number: int) -> None:
        paths = next_path(number)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < deadline:
            path = paths()
            start = time.perf_counter()
            try:
                status, _, body = get(port, path, conn)
            except (OSError, http.client.HTTPException):
                status, body = 0, b""
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            on_answer(path, status, time.perf_counter() - start, body)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    begin = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - begin
