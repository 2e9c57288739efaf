"""The threads geo's batch computations may use.

Nearest distances for many points (:mod:`geo.nearest`) and coverage from chord bounds
(:mod:`geo.coverage`) split their work over threads: KD-tree queries, ``Geod.inv`` and NumPy's
sums release the GIL, so the threads share the cores.
"""

from __future__ import annotations

import os

# Threads one batch computation uses at the most, however many CPUs the machine has.
MAX_THREADS = 8


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask on Linux), at least 1.

    >>> available_cpus() >= 1
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def thread_count() -> int:
    """Threads for one batch computation: the CPUs available, at most :data:`MAX_THREADS`.

    >>> 1 <= thread_count() <= MAX_THREADS
    True
    """
    return min(MAX_THREADS, available_cpus())
