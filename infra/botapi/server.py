"""The stand-in over real HTTP on localhost, so the bot's own HTTP client is exercised too.

Routes, as api.telegram.org: `/bot<token>/<method>` (GET or POST; parameters from the query string,
application/x-www-form-urlencoded, application/json or multipart/form-data, merged in that order)
and `/file/bot<token>/<file_path>` for downloads. Answers are always Telegram-shaped JSON.

The sandbox, on the same server and for loopback clients only (no token): the web chat page at
`/` and `/sandbox/` (files in `static/`), its JSON API under `/sandbox/api/` (`sandbox.py`), and a
`WebhookDeliverer` (`webhook.py`) that posts pending updates to the webhook set by setWebhook.
"""

from __future__ import annotations

import ipaddress
import json
from email import message_from_bytes
from email.message import Message as EmailMessage
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from infra.botapi import sandbox
from infra.botapi.methods import Reply, dispatch
from infra.botapi.validation import UploadedFile
from infra.botapi.webhook import DeliveryConfig, WebhookDeliverer
from infra.botapi.world import World
from infra.httpserver import BackgroundServer

MAX_BODY = 60 * 1024 * 1024  # Telegram takes uploads up to 50 MB
STATIC = Path(__file__).with_name("static")
STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


class BotApiServer(BackgroundServer):
    """The Bot API (and the sandbox page) served from a daemon thread for one World.

    >>> with BotApiServer(World()) as server:
    ...     server.base_url.startswith("http://127.0.0.1:")
    True
    """

    thread_name = "botapi"

    def __init__(
        self,
        world: World,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        delivery: DeliveryConfig | None = None,
        deliver_webhooks: bool = True,
    ) -> None:
        self.world = world
        super().__init__(_handler_for(world), host, port)
        self.deliverer = WebhookDeliverer(world, delivery) if deliver_webhooks else None

    @property
    def api_url(self) -> str:
        """pyTelegramBotAPI's `apihelper.API_URL` template for this server."""
        return self.base_url + "/bot{0}/{1}"

    @property
    def file_url(self) -> str:
        """pyTelegramBotAPI's `apihelper.FILE_URL` template for this server."""
        return self.base_url + "/file/bot{0}/{1}"

    @property
    def sandbox_url(self) -> str:
        """The web chat page."""
        return self.base_url + "/sandbox/"

    def _on_start(self) -> None:
        if self.deliverer is not None:
            self.deliverer.start()

    def _on_stop(self) -> None:
        if self.deliverer is not None:
            self.deliverer.stop()


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Parameters from a request body of any of the three kinds Telegram accepts."""
    kind = content_type.split(";")[0].strip().lower()
    if not body:
        return {}
    if kind == "application/json":
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        return data
    if kind == "application/x-www-form-urlencoded":
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    if kind == "multipart/form-data":
        return _multipart(content_type, body)
    return {}


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Split a multipart/form-data body by hand: exact bytes, no email-module line mangling."""
    header = EmailMessage()
    header["Content-Type"] = content_type
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise ValueError("multipart body without boundary")
    params: dict[str, Any] = {}
    for chunk in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        part = message_from_bytes(head + b"\r\n\r\n")
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        filename = part.get_filename()
        if filename is not None:
            params[name] = UploadedFile(
                filename, part.get_content_type() if part["Content-Type"] else "", data
            )
        else:
            params[name] = data.decode(part.get_content_charset() or "utf-8")
    return params


def _handler_for(world: World) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "nginx/1.18.0"  # what api.telegram.org says
        sys_version = ""

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet in tests; world.calls is the log

        def _serve(self) -> None:
            url = urlsplit(self.path)
            parts = url.path.split("/")
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.close_connection = True
                self._send(
                    Reply(413, {"ok": False, "error_code": 413, "description": "Request Entity Too Large"})
                )
                return
            body = self.rfile.read(length) if length > 0 else b""
            if url.path in ("/", "/sandbox", "/sandbox/", "/favicon.ico") or parts[1:2] == ["sandbox"]:
                self._sandbox(url.path, url.query, body)
                return
            if len(parts) >= 4 and parts[1] == "file" and parts[2].startswith("bot"):
                self._download(unquote(parts[2][3:]), unquote("/".join(parts[3:])))
                return
            if len(parts) != 3 or not parts[1].startswith("bot") or not parts[2]:
                self._send(Reply(404, {"ok": False, "error_code": 404, "description": "Not Found"}))
                return
            params: dict[str, Any] = dict(parse_qsl(url.query, keep_blank_values=True))
            try:
                params.update(parse_body(self.headers.get("Content-Type", ""), body))
            except (ValueError, UnicodeDecodeError):
                self._send(
                    Reply(
                        400,
                        {
                            "ok": False,
                            "error_code": 400,
                            "description": "Bad Request: can't parse request body",
                        },
                    )
                )
                return
            self._send(dispatch(world, unquote(parts[1][3:]), unquote(parts[2]), params))

        def _sandbox(self, path: str, query: str, body: bytes) -> None:
            if not ipaddress.ip_address(self.client_address[0]).is_loopback:
                self._send(Reply(403, {"error": "the sandbox answers local clients only"}))
                return
            if path in ("/", "/sandbox", "/sandbox/"):
                self._static("index.html")
            elif path == "/favicon.ico":  # what a browser asks for on a page without an icon link
                self._static("favicon.svg")
            elif path.startswith("/sandbox/static/"):
                self._static(unquote(path.removeprefix("/sandbox/static/")))
            elif path.startswith("/sandbox/api/files/") and self.command == "GET":
                found = sandbox.file_for(world, unquote(path.removeprefix("/sandbox/api/files/")))
                if found is None:
                    self._send(Reply(404, {"error": "no such file"}))
                else:
                    self._raw(200, found[1], found[0])
            elif path.startswith("/sandbox/api/"):
                try:
                    params = parse_body(self.headers.get("Content-Type", ""), body)
                except (ValueError, UnicodeDecodeError):
                    self._send(Reply(400, {"error": "can't parse request body"}))
                    return
                status, answer = sandbox.handle(
                    world,
                    self.command,
                    unquote(path.removeprefix("/sandbox/api/")),
                    dict(parse_qsl(query, keep_blank_values=True)),
                    params,
                )
                self._send(Reply(status, answer))
            else:
                self._send(Reply(404, {"error": "Not Found"}))

        def _static(self, name: str) -> None:
            file = STATIC / name
            if "/" in name or name.startswith(".") or file.suffix not in STATIC_TYPES or not file.is_file():
                self._send(Reply(404, {"error": "Not Found"}))
                return
            self._raw(200, STATIC_TYPES[file.suffix], file.read_bytes())

        def _raw(self, status: int, content_type: str, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            self.wfile.write(data)

        def _download(self, token: str, file_path: str) -> None:
            f = world.file_by_path(file_path) if token == world.token else None
            if f is None:
                self._send(Reply(404, {"ok": False, "error_code": 404, "description": "Not Found"}))
                return
            self.send_response(200)
            self.send_header("Content-Type", f.mime_type or "application/octet-stream")
            self.send_header("Content-Length", str(len(f.data)))
            self.end_headers()
            self.wfile.write(f.data)

        def _send(self, reply: Reply) -> None:
            if isinstance(reply.body, bytes):
                data, content_type = reply.body, "text/html"
            else:
                data, content_type = (
                    json.dumps(reply.body, ensure_ascii=False).encode("utf-8"),
                    "application/json",
                )
            self.send_response(reply.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
