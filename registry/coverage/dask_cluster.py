"""The Dask cluster coverage runs on when ``DASK_SCHEDULER`` is set.

One ``distributed.Client`` per scheduler address and process, opened on first use and kept:
opening a client costs about a second, far more than a coverage answer. ``geo/`` never opens
clients; it is handed this one. Dask is an optional dependency (``dask[distributed]``).
"""

from __future__ import annotations

import threading

from registry.errors import ConfigurationError

_lock = threading.Lock()
_clients: dict = {}


def client_for(address: str):
    """The client connected to the scheduler at ``address`` (e.g. ``tcp://10.0.0.5:8786``)."""
    with _lock:
        client = _clients.get(address)
        if client is not None and client.status == "running":
            return client
        try:
            from distributed import Client
        except ImportError as error:
            raise ConfigurationError(
                f"DASK_SCHEDULER is set to {address!r} but Dask is not installed ({error}); "
                "pip install 'dask[distributed]' or leave DASK_SCHEDULER empty"
            ) from None
        try:
            client = Client(address, set_as_default=False, timeout="10s")
        except OSError as error:
            raise ConfigurationError(
                f"cannot reach the Dask scheduler at {address!r} (DASK_SCHEDULER): {error}"
            ) from None
        _clients[address] = client
        return client


def close_clients() -> None:
    """Close every client this process opened (tests, shutdown)."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()
