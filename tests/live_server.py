"""A WSGI application served over real HTTP on a free port of 127.0.0.1, from a thread."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server


def _closing(app):
    """``app`` whose answer is closed even when the client goes away mid-answer.

    Werkzeug's development server skips ``close()`` when the browser drops a connection while
    a file is still being sent (a page left before leaflet.js arrived): the open file is then
    reported as a ResourceWarning, which the test settings turn into a failure of whichever
    test runs next. A generator's ``finally`` runs when it is closed or collected.
    """

    def closing_app(environ, start_response):
        answer = app(environ, start_response)
        try:
            yield from answer
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()

    return closing_app


class LiveServer:
    """``with LiveServer(app) as server: get(server.url + "/")``; ``wsgi`` wraps ``app`` when
    a test needs to see the requests (a request log, say)."""

    def __init__(self, app, wsgi=None) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, _closing(wsgi or app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
