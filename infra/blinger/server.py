"""The console's HTTP routes.

Blinger's side (recorded in `console.calls`):
  POST {SEND_PATH}                      the bot's customer messages (1 MB at most, else 413)
  POST {REST_PATH}close                 Blinger's REST API (Authentication token): closes a conversation
  GET  /files/<id>/<name>               operators' uploads, as the bot and Telegram fetch them
  anything else                         404 (recorded: a bot aiming at a wrong URL shows up)
The operator's page and its JSON API (not recorded):
  GET  /  and  /static/<name>           the page
  GET  /console/api/conversations?since=<version>     list; {"changed": false} when nothing moved
  GET  /console/api/conversations/<client_id>         one thread
  POST /console/api/conversations/<client_id>/<action>   reply {type, data, operator},
       assign {operator}, unassign, close, read  (JSON only, so other sites cannot post here)
  POST /console/api/files  raw bytes, X-Filename header (URL-encoded)   -> {url, type}
"""

from __future__ import annotations

import json
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from infra.blinger.console import REST_PATH, SEND_PATH
from infra.blinger.conversations import UnknownConversationError

if TYPE_CHECKING:
    from infra.blinger.console import BlingerConsole

MAX_MESSAGE_BODY = 1024 * 1024  # the bot's JSON posts
MAX_UPLOAD = 20 * 1024 * 1024  # operators' files (Telegram takes documents by URL up to 20 MB)
MAX_DRAIN = 64 * 1024 * 1024  # read and drop an oversized body up to this, so the client sees the 413

STATIC = Path(__file__).parent / "static"
STATIC_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
STATIC_FILES = {p.name: p for p in STATIC.iterdir() if p.suffix in STATIC_TYPES}
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src * data: blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


class _Answer(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


def handler_for(console: BlingerConsole) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "blinger-console"
        sys_version = ""

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def log_message(self, format: str, *args: Any) -> None:
            pass  # console.calls is the log

        # -- routing -------------------------------------------------------------------------------

        def _route(self, method: str) -> None:
            url = urlsplit(self.path)
            path = url.path
            if path == "/" or path.startswith(("/static/", "/console/")):
                try:
                    self._console(method, path, parse_qs(url.query))
                except _Answer as answer:
                    self.close_connection = True  # the body may be unread
                    self._json(answer.status, {"ok": False, "error": answer.error})
                return
            headers = dict(self.headers.items())
            raw = self._body(MAX_MESSAGE_BODY)
            if raw is None:
                status, body = 413, {"ok": False, "error": f"body over {MAX_MESSAGE_BODY} bytes"}
            elif path.rstrip("/") == SEND_PATH:
                status, body = (
                    console.customer_message(headers, raw)
                    if method == "POST"
                    else (405, {"ok": False, "error": "use POST"})
                )
            elif path.startswith(REST_PATH) and method == "POST":
                status, body = console.rest_call(path.removeprefix(REST_PATH).strip("/"), headers, raw)
            elif path.startswith("/files/") and method == "GET":
                status, body = self._file(path), None
            else:
                status, body = 404, {"ok": False, "error": "not found"}
            console.record(method, self.path, headers, raw or b"", status)
            if body is not None:
                self._json(status, body)

        def _console(self, method: str, path: str, query: dict[str, list[str]]) -> None:
            if method == "GET" and path == "/":
                self._static("index.html")
            elif method == "GET" and path.startswith("/static/"):
                self._static(path.removeprefix("/static/"))
            elif path == "/console/api/conversations" and method == "GET":
                since = query.get("since", [""])[0]
                version = console.inbox.version
                if since == str(version):
                    self._json(200, {"version": version, "changed": False})
                    return
                conversations = [c.to_json(with_messages=False) for c in console.inbox.all()]
                self._json(200, {"version": version, "changed": True, "conversations": conversations})
            elif path == "/console/api/files" and method == "POST":
                self._upload()
            elif path.startswith("/console/api/conversations/"):
                client_id, _, action = path.removeprefix("/console/api/conversations/").partition("/")
                self._conversation(method, unquote(client_id), action)
            else:
                raise _Answer(404, "not found")

        # -- the page's API ------------------------------------------------------------------------

        def _conversation(self, method: str, client_id: str, action: str) -> None:
            if method == "GET" and not action:
                conv = console.conversation(client_id)
                if conv is None:
                    raise _Answer(404, "no such conversation")
                self._json(200, {"version": console.inbox.version, "conversation": conv.to_json()})
                return
            if method != "POST" or action not in ("reply", "assign", "unassign", "close", "read"):
                raise _Answer(404, "not found")
            body = self._json_body()
            try:
                if action == "read":
                    console.inbox.mark_read(client_id)
                    self._json(200, {"ok": True})
                    return
                if action == "reply":
                    operator = body.get("operator")
                    delivery = console.reply(
                        client_id,
                        str(body.get("type")),
                        body.get("data"),
                        operator=str(operator or "Operator"),
                    )
                elif action == "assign":
                    delivery = console.assign(client_id, str(body.get("operator") or "Operator"))
                elif action == "unassign":
                    delivery = console.unassign(client_id)
                else:
                    delivery = console.close(client_id)
            except UnknownConversationError:
                raise _Answer(404, "no such conversation") from None
            except ValueError as error:
                raise _Answer(400, str(error)) from None
            self._json(200, {"ok": True, "delivery": asdict(delivery) | {"ok": delivery.ok}})

        def _upload(self) -> None:
            name = self.headers.get("X-Filename")
            if not name:  # a header a plain cross-site form cannot send
                raise _Answer(400, "X-Filename header required")
            data = self._body(MAX_UPLOAD)
            if data is None:
                raise _Answer(413, f"file over {MAX_UPLOAD} bytes")
            if not data:
                raise _Answer(400, "empty file")
            content_type = self.headers.get("Content-Type") or "application/octet-stream"
            url = console.add_file(unquote(name), data, content_type)
            kind = "image" if content_type.startswith("image/") else "file"
            self._json(200, {"ok": True, "url": url, "type": kind})

        def _json_body(self) -> dict[str, Any]:
            if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
                raise _Answer(415, "Content-Type must be application/json")
            raw = self._body(MAX_MESSAGE_BODY)
            if raw is None:
                raise _Answer(413, f"body over {MAX_MESSAGE_BODY} bytes")
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                raise _Answer(400, "body is not JSON") from None
            if not isinstance(body, dict):
                raise _Answer(400, "body must be a JSON object")
            return body

        # -- plumbing ------------------------------------------------------------------------------

        def _body(self, limit: int) -> bytes | None:
            """The request body, or None when it is over `limit` (drained if not absurd)."""
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = MAX_DRAIN + 1
            if length <= limit:
                return self.rfile.read(length) if length > 0 else b""
            self.close_connection = True
            while 0 < length <= MAX_DRAIN:
                chunk = self.rfile.read(min(length, 1 << 16))
                if not chunk:
                    break
                length -= len(chunk)
            return None

        def _file(self, path: str) -> int:
            file_id, _, name = path.removeprefix("/files/").partition("/")
            stored = console.file(file_id)
            if stored is None or unquote(name) != stored.name:
                self._json(404, {"ok": False, "error": "no such file"})
                return 404
            self._send(200, stored.data, stored.content_type, {"Cache-Control": "no-store"})
            return 200

        def _static(self, name: str) -> None:
            path = STATIC_FILES.get(name)
            if path is None:
                raise _Answer(404, "not found")
            headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
            if path.suffix == ".html":
                headers["Content-Security-Policy"] = PAGE_POLICY
            content_type = STATIC_TYPES[path.suffix] + "; charset=utf-8"
            self._send(200, path.read_bytes(), content_type, headers)

        def _json(self, status: int, body: dict[str, Any]) -> None:
            # <, > and & only occur inside JSON strings: escaped, no answer can be read as markup.
            text = json.dumps(body, ensure_ascii=False)
            data = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()
            self._send(status, data, "application/json; charset=utf-8", {"Cache-Control": "no-store"})

        def _send(self, status: int, data: bytes, content_type: str, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
