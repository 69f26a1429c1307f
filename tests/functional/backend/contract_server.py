"""A small in-memory business system that serves the HTTP contract on 127.0.0.1.

Written from ``docs/business-system-openapi.yaml`` with the standard library only, independently of
the bot's own code, so tests of the HTTP client check it against the contract and not against
itself. It can also misbehave on request (status, body, delay) to exercise the client's error
handling, and it records what it received.

    with ContractServer(api_key="k") as server:
        server.store.add_customer("+79001234567", "customer", "Анна")
        HttpBackend(server.url, api_key="k").auth_by_phone("+79001234567", 1)
"""

from __future__ import annotations

import json
import re
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN_TTL = timedelta(days=30)


@dataclass
class Customer:
    user_type: str
    name: str
    blocked: bool = False
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    client_port: int = 0  # equal ports: the client reused one kept-alive connection


class ContractStore:
    """Customers, orders and tokens; thread-safe enough for a test server (one lock)."""

    def __init__(self, token_ttl: timedelta = TOKEN_TTL) -> None:
        self.customers: dict[str, Customer] = {}
        self.tokens: dict[str, tuple[str, datetime]] = {}
        self.token_ttl = token_ttl
        self.lock = threading.Lock()

    def add_customer(self, phone: str, user_type: str, name: str, blocked: bool = False) -> None:
        with self.lock:
            orders = self.customers[phone].orders if phone in self.customers else {}
            self.customers[phone] = Customer(user_type, name, blocked, orders)

    def add_order(self, phone: str, order: dict[str, Any]) -> None:
        with self.lock:
            self.customers[phone].orders[order["id"]] = dict(order)

    def expire_tokens(self) -> None:
        with self.lock:
            past = datetime.now(UTC) - timedelta(seconds=1)
            self.tokens = {token: (phone, past) for token, (phone, _) in self.tokens.items()}

    # The contract: each returns (status, body or None)

    def auth_by_phone(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("phone"), str):
            return 400, {"error": "bad_request"}
        if not isinstance(body.get("telegram_user_id"), int):
            return 400, {"error": "bad_request"}
        with self.lock:
            customer = self.customers.get(body["phone"])
            if customer is None:
                return 404, {"error": "not_found"}
            if customer.blocked:
                return 403, {"error": "blocked"}
            token = secrets.token_urlsafe(16)
            self.tokens[token] = (body["phone"], datetime.now(UTC) + self.token_ttl)
        return 200, {"token": token, "user_type": customer.user_type, "name": customer.name}

    def list_orders(self, token: str | None, query: dict[str, list[str]]) -> tuple[int, Any]:
        try:
            page, per_page = int(query["page"][0]), int(query["per_page"][0])
        except (KeyError, ValueError):
            return 400, {"error": "bad_request"}
        if page < 1 or per_page < 1:
            return 400, {"error": "bad_request"}
        with self.lock:
            customer = self._customer_for(token)
            if customer is None:
                return 401, None
            orders = sorted(
                customer.orders.values(),
                key=lambda order: (datetime.fromisoformat(order["updated_at"]), order["id"]),
                reverse=True,
            )
        start = (page - 1) * per_page
        return 200, {
            "items": orders[start : start + per_page],
            "page": page,
            "per_page": per_page,
            "total": len(orders),
        }

    def get_order(self, token: str | None, order_id: str) -> tuple[int, Any]:
        with self.lock:
            customer = self._customer_for(token)
            if customer is None:
                return 401, None
            order = customer.orders.get(order_id)
        return (200, order) if order is not None else (404, {"error": "not_found"})

    def _customer_for(self, token: str | None) -> Customer | None:
        phone, expires_at = self.tokens.get(token or "", ("", datetime.min.replace(tzinfo=UTC)))
        if expires_at <= datetime.now(UTC):
            return None
        customer = self.customers.get(phone)
        return None if customer is None or customer.blocked else customer


@dataclass
class Fault:
    status: int = 500
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0


class ContractServer:
    """The store served over HTTP in a background thread; ``url`` is its base URL."""

    def __init__(self, api_key: str | None = None, store: ContractStore | None = None) -> None:
        self.api_key = api_key
        self.store = store or ContractStore()
        self.received: list[Received] = []
        self.fault: Fault | None = None
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="contract-server", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def respond_with(
        self,
        status: int,
        body: bytes | str = b"",
        *,
        delay: float = 0.0,
        content_type: str = "application/json",
    ) -> None:
        """Answer every following request this way, until :meth:`behave`."""
        raw = body.encode() if isinstance(body, str) else body
        self.fault = Fault(status, raw, content_type, delay)

    def behave(self) -> None:
        self.fault = None

    def start(self) -> ContractServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ContractServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout tests) is expected; anything else is still reported."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


_ORDER_PATH = re.compile(r"/orders/([^/]+)")


def _handler_for(server: ContractServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the client's session expects

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw
            url = urlsplit(self.path)
            server.received.append(
                Received(self.command, self.path, dict(self.headers.items()), body, self.client_address[1])
            )
            fault = server.fault
            if fault is not None:
                time.sleep(fault.delay)
                self._send(fault.status, fault.body, fault.content_type)
                return
            status, answer = self._route(url.path, parse_qs(url.query), body)
            payload = b"" if answer is None else json.dumps(answer, ensure_ascii=False).encode()
            self._send(status, payload, "application/json")

        def _route(self, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
            if server.api_key is not None and self.headers.get("X-Api-Key") != server.api_key:
                return 403, {"error": "forbidden"}
            authorization = self.headers.get("Authorization") or ""
            token = authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else None
            if path == "/auth/phone" and self.command == "POST":
                return server.store.auth_by_phone(body)
            if path == "/orders" and self.command == "GET":
                return server.store.list_orders(token, query)
            match = _ORDER_PATH.fullmatch(path)
            if match and self.command == "GET":
                return server.store.get_order(token, unquote(match.group(1)))
            return 404, {"error": "no_route"}

        def _send(self, status: int, payload: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler
