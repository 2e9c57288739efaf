"""Start real servers for the tests of: gunicorn through `registry serve`, on free ports.

Every server is a child process of the test, started in its own process group and stopped by
its own pid (TERM, then KILL after a grace period).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(url: str, *, timeout: float = 30, headers: dict | None = None, data=None, **kw) -> Answer:
    """GET (or POST with ``data``) without raising on 4xx/5xx; the context goes to urlopen."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout, **kw) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


def base_env(**extra: str) -> dict[str, str]:
    """The test's environment without anything that would point a server elsewhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REGISTRY_", "PROMETHEUS"))}
    env.pop("PYTHONPATH", None)
    env.update(extra)
    return env


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log_path: Path
    pid_file: Path | None = None
    stopped: bool = field(default=False)

    @property
    def master_pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str, **kw) -> Answer:
        return fetch(self.url + path, **kw)

    def wait_ready(self, path: str = "/readyz", timeout: float = 90) -> Answer:
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited ({self.process.returncode}):\n{self.log()}")
            try:
                answer = self.get(path, timeout=5)
                if answer.status == 200:
                    return answer
                last = answer.status
            except OSError as error:
                last = error
            time.sleep(0.3)
        raise AssertionError(f"{self.url}{path} not ready in {timeout} s ({last}):\n{self.log()}")

    def signal(self, signum: int) -> None:
        os.kill(self.master_pid, signum)

    def stop(self, timeout: float = 40) -> int:
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.stopped = True
        return self.process.returncode


def start_server(
    args: list[str], env: dict[str, str], log_path: Path, *, cwd: Path, port: int
) -> Server:
    log = log_path.open("ab")
    process = subprocess.Popen(
        args, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.close()
    return Server(process, f"http://127.0.0.1:{port}", log_path)


def gunicorn_serve(
    app: str, env: dict[str, str], log_path: Path, *, cwd: Path, extra: tuple[str, ...] = ()
) -> Server:
    """The documented gunicorn line (``-c python:registry.operations.gunicorn_conf``), free port."""
    port = free_port()
    args = [str(VENV_BIN / "gunicorn"), "-c", "python:registry.operations.gunicorn_conf"]
    args += ["--bind", f"127.0.0.1:{port}", *extra, app]
    return start_server(args, env, log_path, cwd=cwd, port=port)


def registry_serve(
    registry: Path | str,
    env: dict[str, str],
    log_path: Path,
    *,
    cwd: Path,
    options: tuple[str, ...] = (),
) -> Server:
    """``registry serve`` on a free loopback port (workers and threads from ``env`` or
    ``options``)."""
    port = free_port()
    args = [str(registry), "serve", "--bind", f"127.0.0.1:{port}", *options]
    return start_server(args, env, log_path, cwd=cwd, port=port)
