"""The local stand-ins' HTTP server: ThreadingHTTPServer that takes a client going away calmly.

A browser tab closed while the page long-polls, or a client that timed out, leaves the server
writing to a closed socket; that is normal for a local server and not worth a traceback.
"""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer
from typing import Any

CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class LocalHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], CLIENT_GONE):
            return
        super().handle_error(request, client_address)
