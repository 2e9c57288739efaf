"""Timing a call, a request through Flask's test client or the named steps of a loop, and
choosing the run that stands for several."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence


def timed(function: Callable, *args, **kwargs) -> tuple[object, float]:
    """(what ``function(*args, **kwargs)`` returns, its wall seconds)."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def timed_get(client, path: str) -> tuple[float, bytes]:
    """Wall seconds and body of one GET through a Flask test client.

    Any answer but 200 ends the run: a benchmark of an error page measures nothing.
    """
    start = time.perf_counter()
    response = client.get(path)
    seconds = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code} {response.get_data(as_text=True)[:300]}")
    return seconds, response.get_data()


def median_run(runs: Sequence[dict], key: str) -> dict:
    """The run whose ``key`` is the median (the lower one of an even count): a real run,
    with all its other figures, rather than a mix of several."""
    return sorted(runs, key=lambda run: run[key])[(len(runs) - 1) // 2]


class StepTimer:
    """Collects wall and CPU durations per step name: ``with timer("step"): ...``."""

    def __init__(self) -> None:
        self.steps: dict[str, list[tuple[float, float]]] = {}
        self._name = ""
        self._start = (0.0, 0.0)

    def __call__(self, name: str) -> StepTimer:
        self._name = name
        return self

    def __enter__(self) -> None:
        self._start = (time.perf_counter(), time.process_time())

    def __exit__(self, *exc) -> None:
        wall, cpu = time.perf_counter() - self._start[0], time.process_time() - self._start[1]
        self.steps.setdefault(self._name, []).append((wall, cpu))

    def medians(self) -> dict[str, tuple[float, float]]:
        """Per step, (median wall seconds, mean CPU seconds)."""
        return {
            name: (statistics.median(w for w, _ in values), statistics.mean(c for _, c in values))
            for name, values in self.steps.items()
        }
