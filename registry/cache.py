"""Values computed once per database and kept in the process, rebuilt when their stamp moves."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from registry.nearest.catalog import committed_version

T = TypeVar("T")


class PerDatabase(Generic[T]):
    """One value per database URL.

    ``stamp(session)`` is a cheap query whose answer changes when the value must be rebuilt
    (for example the number of areas); ``build(session)`` makes the value.

    With ``follows_data_version``, what the stamp watches changes only in writes that raise
    the registry's data version (the areas: services.areas.load_boundaries), so while the
    committed version (version_watch: pushed, no query) stands, the stamp is not asked again.
    """

    def __init__(
        self,
        build: Callable[[Session], T],
        stamp: Callable[[Session], Hashable],
        *,
        follows_data_version: bool = False,
    ) -> None:
        self._build = build
        self._stamp = stamp
        self._follows = follows_data_version
        self._lock = threading.Lock()
        self._values: dict[str, tuple[Hashable, T, int | None]] = {}

    def get(self, session: Session) -> T:
        bind = session.get_bind()
        key = str(bind.engine.url)
        version = None
        if self._follows and isinstance(bind, Engine):
            version = committed_version(bind)
            cached = self._values.get(key)
            if cached is not None and cached[2] == version:
                return cached[1]
        stamp = self._stamp(session)
        with self._lock:
            cached = self._values.get(key)
        if cached is not None and cached[0] == stamp:
            if version is not None:
                with self._lock:
                    self._values[key] = (stamp, cached[1], version)
            return cached[1]
        value = self._build(session)
        with self._lock:
            self._values[key] = (stamp, value, version)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
