"""A tiny local HTTP "bot" for webhook tests: records every delivery, answers as it is told."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Update = dict[str, Any]


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # a dict is sent as JSON; None sends an empty body
    sleep: float = 0.0


@dataclass
class Delivery:
    update: Update
    secret: str | None
    at: float
    status: int

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def text(self) -> str | None:
        message = self.update.get("message") or {}
        return message.get("text")

    @property
    def chat_id(self) -> int:
        payload = self.update.get("message") or self.update.get("callback_query", {}).get("message") or {}
        return int(payload["chat"]["id"])


@dataclass
class FakeBot:
    """answer(update, attempt) -> Answer; attempt counts deliveries of that update_id (1, 2 ...)."""

    answer: Callable[[Update, int], Answer] = field(default=lambda update, attempt: Answer())
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)
        bot = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                update = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                with bot.lock:
                    attempt = 1 + sum(d.update_id == update["update_id"] for d in bot.deliveries)
                answer = bot.answer(update, attempt)
                if answer.sleep:
                    time.sleep(answer.sleep)
                with bot.lock:
                    bot.deliveries.append(
                        Delivery(
                            update,
                            self.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                            time.monotonic(),
                            answer.status,
                        )
                    )
                    bot.arrived.notify_all()
                data = b"" if answer.body is None else json.dumps(answer.body).encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the deliverer gave up waiting (timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1/telegram/webhook"

    def __enter__(self) -> FakeBot:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def wait_for(self, predicate: Callable[[list[Delivery]], bool], timeout: float = 5.0) -> list[Delivery]:
        """Block until predicate(deliveries) holds; return a copy of the deliveries."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate(self.deliveries):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out; deliveries so far: {[d.update for d in self.deliveries]}"
                    )
                self.arrived.wait(remaining)
            return list(self.deliveries)

    def delivered_ok(self) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if 200 <= d.status < 300]
