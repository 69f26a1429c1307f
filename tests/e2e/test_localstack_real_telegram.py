"""The real-Telegram path's poller, in-process against the stand-in (no webhook set, so getUpdates
works as on api.telegram.org): updates reach the local webhook in order with the secret, a failed
delivery is retried before the next update, and a webhook answer's method call is executed.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from infra.botapi import BotApiServer, World, dispatch
from infra.localstack.telegram import RealTelegramPoller

TOKEN = "4242:REAL-LOOKING-TOKEN"


class FakeWebhook:
    """Records deliveries; fails the first ``fail_first`` with 500, then answers with a sendMessage."""

    def __init__(self, fail_first: int = 1) -> None:
        self.received: list[tuple[int, str | None, int]] = []  # (update_id, secret header, status)
        self.fail_first = fail_first
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                update = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = 500 if len(fake.received) < fake.fail_first else 200
                fake.received.append(
                    (update["update_id"], self.headers.get("X-Telegram-Bot-Api-Secret-Token"), status)
                )
                text = update["message"]["text"]
                body = json.dumps({"method": "sendMessage", "chat_id": 777, "text": f"echo {text}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1/telegram/webhook"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def telegram() -> Iterator[BotApiServer]:
    world = World(token=TOKEN, long_poll_cap=0.5)
    world.add_user(777, first_name="Anna")
    with BotApiServer(world) as server:
        yield server


def test_updates_are_relayed_in_order_with_retries_and_answers(telegram: BotApiServer) -> None:
    world = telegram.world
    webhook = FakeWebhook(fail_first=1)
    # GIVEN a webhook left over from a deployment (the poller must remove it to use getUpdates)
    assert dispatch(world, TOKEN, "setWebhook", {"url": "https://example.org/old-hook"}).status == 200
    poller = RealTelegramPoller(TOKEN, telegram.base_url, webhook.url, "local-secret", poll_timeout=1)
    try:
        poller.start()
        assert poller.username == "test_support_bot"
        # WHEN the user writes twice
        first = world.user_sends_text(777, "one")["update_id"]
        second = world.user_sends_text(777, "two")["update_id"]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(world.bot_messages(777)) < 2:
            time.sleep(0.05)
    finally:
        poller.stop()
        webhook.close()
    # THEN the first was retried after its 500 before the second went out, all with the secret
    assert webhook.received == [
        (first, "local-secret", 500),
        (first, "local-secret", 200),
        (second, "local-secret", 200),
    ]
    # AND each webhook answer's sendMessage was executed against "Telegram"
    assert [m.text for m in world.bot_messages(777)] == ["echo one", "echo two"]
    assert world.calls_to("deleteWebhook")
    assert world.webhook is None
