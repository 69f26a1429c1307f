"""Fixtures: the Blinger console on 127.0.0.1, a tiny HTTP server playing the bot's webhook, and
`post` for the bot's side of the contract."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from infra.blinger import BlingerConsole

TOKEN = "blinger-app-token"
CHANNEL = "telegram-bot"
EVENTS_SECRET = "events-secret"
WEBHOOK_PATH = "/v1/blinger/webhook/"


@dataclass
class BotRequest:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeBot:
    """Plays the bot's webhook: records each request and answers `status`."""

    url: str = ""
    status: int = 200
    requests: list[BotRequest] = field(default_factory=list)


@pytest.fixture
def bot() -> Iterator[FakeBot]:
    fake = FakeBot()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fake.requests.append(BotRequest(self.path, dict(self.headers.items()), json.loads(raw)))
            self.send_response(fake.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def console(bot: FakeBot) -> Iterator[BlingerConsole]:
    with BlingerConsole(
        TOKEN, CHANNEL, bot_webhook_url=bot.url + WEBHOOK_PATH, events_secret=EVENTS_SECRET
    ) as c:
        yield c


def message(**fields: Any) -> dict[str, Any]:
    """A valid text message from the bot, with `fields` replaced (None removes a field)."""
    body: dict[str, Any] = {
        "custom_channel_id": CHANNEL,
        "client_id": "1001",
        "type": "text",
        "data": "Hello",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture
def post(console: BlingerConsole):  # type: ignore[no-untyped-def]
    """post(body, token=TOKEN) -> requests.Response, as the bot posts to BLINGER_API_URL."""

    def _post(body: Any, token: str | None = TOKEN, timeout: float = 10) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        if isinstance(body, bytes | str):
            headers["Content-Type"] = "application/json"
            return requests.post(console.send_url, data=body, headers=headers, timeout=timeout)
        return requests.post(console.send_url, json=body, headers=headers, timeout=timeout)

    return _post
