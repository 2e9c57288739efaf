"""A WSGI application served over real HTTP on a free port of 127.0.0.1, from a thread."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server


class LiveServer:
    """``with LiveServer(app) as server: get(server.url + "/")``; ``wsgi`` wraps ``app`` when
    a test needs to see the requests (a request log, say)."""

    def __init__(self, app, wsgi=None) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, wsgi or app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
