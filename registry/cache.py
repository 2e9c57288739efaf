"""Values computed once per database and kept in the process, rebuilt when their stamp moves."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


class PerDatabase(Generic[T]):
    """One value per database URL.

    ``stamp(session)`` is a cheap query whose answer changes when the value must be rebuilt
    (for example the number of areas); ``build(session)`` makes the value.
    """

    def __init__(self, build: Callable[[Session], T], stamp: Callable[[Session], Hashable]) -> None:
        self._build = build
        self._stamp = stamp
        self._lock = threading.Lock()
        self._values: dict[str, tuple[Hashable, T]] = {}

    def get(self, session: Session) -> T:
        key = str(session.get_bind().engine.url)
        stamp = self._stamp(session)
        with self._lock:
            cached = self._values.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        value = self._build(session)
        with self._lock:
            self._values[key] = (stamp, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
