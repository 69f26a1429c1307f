"""The local stand-ins' HTTP server: ThreadingHTTPServer that takes a client going away calmly.

A browser tab closed while the page long-polls, or a client that timed out, leaves the server
writing to a closed socket; that is normal for a local server and not worth a traceback.
"""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class LocalHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], CLIENT_GONE):
            return
        super().handle_error(request, client_address)


class BackgroundServer:
    """A :class:`LocalHTTPServer` serving from a daemon thread: ``start``/``stop``, ``with``, ``base_url``.

    Subclasses hook their own start and stop work into ``_on_start`` and ``_on_stop``.
    """

    thread_name = "local-server"

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str, port: int) -> None:
        self._httpd = LocalHTTPServer((host, port), handler)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        if self._thread is None:
            self._on_start()
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, args=(0.05,), name=self.thread_name, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self._on_stop()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def _on_start(self) -> None:
        """Work to do before serving (nothing by default)."""

    def _on_stop(self) -> None:
        """Work to do before the server shuts down (nothing by default)."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
