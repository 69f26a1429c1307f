"""HttpBackend turns everything outside the contract into an error the bot knows how to show."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from supportbot.backend import (
    BlockedError,
    NotFoundError,
    Order,
    UnauthorizedError,
    UnavailableError,
)
from supportbot.backend.client import HttpBackend
from tests.functional.backend.contract_server import ContractServer

PHONE = "+79001234567"
ORDER = Order(
    id="A-1",
    number="1",
    title="Чайник",
    status="new",
    status_text="Новый",
    amount="1234.50",
    currency="RUB",
    updated_at="2026-11-20T10:15:00+03:00",
)


@pytest.fixture
def server() -> Iterator[ContractServer]:
    """GIVEN a business system with one customer and one order, and no API key configured."""
    with ContractServer() as server:
        server.store.add_customer(PHONE, "customer", "Анна")
        server.store.add_order(PHONE, ORDER.to_dict())
        yield server


@pytest.fixture
def backend(server: ContractServer) -> HttpBackend:
    return HttpBackend(server.url)


def all_calls(backend: HttpBackend) -> list[Callable[[], object]]:
    """Each of the three calls, as thunks."""
    return [
        lambda: backend.auth_by_phone(PHONE, 1),
        lambda: backend.list_orders("token", 1, 5),
        lambda: backend.get_order("token", "A-1"),
    ]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_means_unavailable(server: ContractServer, backend: HttpBackend, status: int) -> None:
    # GIVEN the system fails with a 5xx
    server.respond_with(status, "<html>Bad gateway</html>", content_type="text/html")
    # WHEN any call is made
    # THEN it is "temporarily unavailable", naming the status but not the body
    for call in all_calls(backend):
        with pytest.raises(UnavailableError, match=str(status)):
            call()


def test_a_slow_system_times_out_as_unavailable(server: ContractServer) -> None:
    # GIVEN the system takes longer than the client waits
    server.respond_with(200, json.dumps({"token": "t", "user_type": "customer", "name": "A"}), delay=1.0)
    backend = HttpBackend(server.url, timeout=(0.5, 0.5))
    # WHEN the user logs in
    started = time.monotonic()
    with pytest.raises(UnavailableError, match="in time"):
        backend.auth_by_phone(PHONE, 1)
    # THEN the client gave up at its timeout, not when the system answered
    assert time.monotonic() - started < 0.95


def test_connection_refused_is_unavailable() -> None:
    # GIVEN nothing listens on the configured port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = HttpBackend(f"http://127.0.0.1:{port}", timeout=(0.5, 0.5))
    # WHEN any call is made
    # THEN it is unavailable
    for call in all_calls(backend):
        with pytest.raises(UnavailableError, match="cannot connect"):
            call()


def test_a_malformed_base_url_is_unavailable_not_a_crash() -> None:
    # GIVEN BACKEND_URL is not a URL requests can use
    backend = HttpBackend("not a url")
    # WHEN the user logs in
    # THEN the bot sees an ordinary unavailability
    with pytest.raises(UnavailableError):
        backend.auth_by_phone(PHONE, 1)


@pytest.mark.parametrize("body", ["<html>ok</html>", "", "[1, 2]", '"token"', "{"])
def test_an_answer_that_is_not_a_json_object_is_unavailable(
    server: ContractServer, backend: HttpBackend, body: str
) -> None:
    # GIVEN the system answers 200 with something that is not a JSON object
    server.respond_with(200, body)
    # WHEN any call is made
    # THEN it is unavailable
    for call in all_calls(backend):
        with pytest.raises(UnavailableError, match="JSON"):
            call()


@pytest.mark.parametrize(
    "answer",
    [
        {"user_type": "customer", "name": "A"},
        {"token": "", "user_type": "customer", "name": "A"},
        {"token": "t", "name": "A"},
        {"token": "t", "user_type": "admin", "name": "A"},
        {"token": "t", "user_type": "customer"},
        {"token": "t", "user_type": "customer", "name": None},
    ],
)
def test_a_login_answer_without_its_fields_is_unavailable(
    server: ContractServer, backend: HttpBackend, answer: dict[str, object]
) -> None:
    server.respond_with(200, json.dumps(answer))
    with pytest.raises(UnavailableError):
        backend.auth_by_phone(PHONE, 1)


@pytest.mark.parametrize(
    "answer",
    [
        {"page": 1, "per_page": 5, "total": 1},
        {"items": {}, "page": 1, "per_page": 5, "total": 1},
        {"items": [], "per_page": 5, "total": 0},
        {"items": [], "page": 1, "per_page": 0, "total": 0},
        {"items": [], "page": 1, "per_page": 5, "total": "3"},
        {"items": [], "page": 1, "per_page": 5, "total": True},
        {"items": [], "page": 1, "per_page": 5, "total": -1},
        {"items": [{"id": "A-1"}], "page": 1, "per_page": 5, "total": 1},
        {"items": [{**ORDER.to_dict(), "amount": 12.5}], "page": 1, "per_page": 5, "total": 1},
        {
            "items": [{**ORDER.to_dict(), "updated_at": "2026-11-20T10:15:00"}],
            "page": 1,
            "per_page": 5,
            "total": 1,
        },
    ],
)
def test_an_orders_page_without_its_fields_is_unavailable(
    server: ContractServer, backend: HttpBackend, answer: dict[str, object]
) -> None:
    # GIVEN the system's page misses a field or has one of the wrong type
    server.respond_with(200, json.dumps(answer))
    # WHEN the page is read
    # THEN it is unavailable rather than a half-shown list
    with pytest.raises(UnavailableError, match="GET /orders"):
        backend.list_orders("token", 1, 5)


@pytest.mark.parametrize(
    "change",
    [
        {"id": None},
        {"id": "x" * 33},
        {"id": "a/b"},
        {"number": 10234},
        {"title": None},
        {"amount": "1 234,50"},
        {"currency": "rub"},
        {"updated_at": "yesterday"},
        {"status": 3},
        {"items_count": "2"},
        {"counterparty": 5},
    ],
)
def test_an_order_with_a_bad_field_is_unavailable(
    server: ContractServer, backend: HttpBackend, change: dict[str, object]
) -> None:
    server.respond_with(200, json.dumps({**ORDER.to_dict(), **change}))
    with pytest.raises(UnavailableError, match=r"GET /orders/\{id\}"):
        backend.get_order("token", "A-1")


def test_optional_fields_may_be_absent_or_null_and_extra_fields_are_ignored(
    server: ContractServer, backend: HttpBackend
) -> None:
    # GIVEN an order without optional fields, with nulls and with a field the bot does not know
    server.respond_with(200, json.dumps({**ORDER.to_dict(), "items_count": None, "warehouse": "B"}))
    # WHEN it is read
    # THEN it is accepted as is
    assert backend.get_order("token", "A-1") == ORDER


def test_401_on_orders_is_unauthorized(server: ContractServer, backend: HttpBackend) -> None:
    server.respond_with(401)
    with pytest.raises(UnauthorizedError):
        backend.list_orders("token", 1, 5)
    with pytest.raises(UnauthorizedError):
        backend.get_order("token", "A-1")


def test_404_and_403_at_login_need_the_contract_error_code(
    server: ContractServer, backend: HttpBackend
) -> None:
    # GIVEN the contract's own 404 and 403 answers
    # THEN they mean "not a customer" and "blocked"
    server.respond_with(404, '{"error": "not_found"}')
    with pytest.raises(NotFoundError):
        backend.auth_by_phone(PHONE, 1)
    server.respond_with(403, '{"error": "blocked"}')
    with pytest.raises(BlockedError):
        backend.auth_by_phone(PHONE, 1)
    # GIVEN the same statuses from a gateway (a wrong BACKEND_URL or API key)
    # THEN users are not told they are unknown or blocked: it is a configuration fault
    server.respond_with(404, "<html>Not Found</html>", content_type="text/html")
    with pytest.raises(UnavailableError, match="BACKEND_URL"):
        backend.auth_by_phone(PHONE, 1)
    server.respond_with(403, '{"message": "Forbidden"}')
    with pytest.raises(UnavailableError, match="BACKEND_API_KEY"):
        backend.auth_by_phone(PHONE, 1)
    server.respond_with(401, "")
    with pytest.raises(UnavailableError, match="BACKEND_API_KEY"):
        backend.auth_by_phone(PHONE, 1)


@pytest.mark.parametrize("status", [400, 405, 409, 422, 429])
def test_other_4xx_are_unavailable_with_the_status(
    server: ContractServer, backend: HttpBackend, status: int
) -> None:
    server.respond_with(status, '{"error": "whatever"}')
    for call in all_calls(backend):
        with pytest.raises(UnavailableError, match=f"status {status} is outside the contract"):
            call()


def test_redirects_are_not_followed(server: ContractServer, backend: HttpBackend) -> None:
    # GIVEN the system redirects elsewhere (following would hand over the key and the token)
    server.respond_with(302, "")
    # WHEN the orders are read
    # THEN the client stops there, once, and reports a configuration fault
    with pytest.raises(UnavailableError, match="BACKEND_URL"):
        backend.list_orders("token", 1, 5)
    assert len(server.received) == 1


def test_headers_without_an_api_key(server: ContractServer, backend: HttpBackend) -> None:
    # WHEN the client without an API key logs in and reads orders
    token = backend.auth_by_phone(PHONE, 42).token
    backend.list_orders(token, 2, 3)
    backend.get_order(token, "A-1")
    login, page, one = server.received
    # THEN no X-Api-Key header is sent, the token goes as a Bearer header, and the requests are the contract's
    assert all("X-Api-Key" not in request.headers for request in server.received)
    assert "Authorization" not in login.headers
    assert (login.method, login.path, login.body) == (
        "POST",
        "/auth/phone",
        {"phone": PHONE, "telegram_user_id": 42},
    )
    assert login.headers["Content-Type"] == "application/json"
    assert (page.method, page.path, page.headers["Authorization"]) == (
        "GET",
        "/orders?page=2&per_page=3",
        f"Bearer {token}",
    )
    assert (one.method, one.path, one.headers["Authorization"]) == ("GET", "/orders/A-1", f"Bearer {token}")


def test_headers_with_an_api_key(server: ContractServer) -> None:
    # GIVEN the system requires a service key and the client is configured with it
    server.api_key = "service-key"
    backend = HttpBackend(server.url + "/", api_key="service-key")  # a trailing slash is tolerated
    # WHEN every call is made
    token = backend.auth_by_phone(PHONE, 42).token
    backend.list_orders(token, 1, 5)
    backend.get_order(token, "A-1")
    # THEN each request carried the key
    assert [request.headers.get("X-Api-Key") for request in server.received] == ["service-key"] * 3
    assert [request.path.split("?")[0] for request in server.received] == [
        "/auth/phone",
        "/orders",
        "/orders/A-1",
    ]


def test_the_order_id_is_quoted(server: ContractServer, backend: HttpBackend) -> None:
    token = backend.auth_by_phone(PHONE, 1).token
    with pytest.raises(NotFoundError):
        backend.get_order(token, "a/b?c=1#d")
    assert server.received[-1].path == "/orders/a%2Fb%3Fc%3D1%23d"


def test_secrets_never_appear_in_errors_or_logs(
    server: ContractServer, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a configured key, a token, and a system that fails every way
    backend = HttpBackend(server.url, api_key="KEY-SECRET-123")
    token = "TOKEN-SECRET-456"
    messages = [repr(backend)]
    caplog.set_level(logging.DEBUG)
    for status, body in [(500, "KEY-SECRET-123"), (200, "{"), (418, ""), (200, '{"items": 1}')]:
        server.respond_with(status, body)
        calls: list[Callable[[], object]] = [
            lambda: backend.list_orders(token, 1, 5),
            lambda: backend.get_order(token, "A-1"),
        ]
        for call in calls:
            with pytest.raises(UnavailableError) as caught:
                call()
            messages.append(str(caught.value))
    # THEN neither the key nor the token is in any message or log record
    text = "\n".join(messages) + caplog.text
    assert "KEY-SECRET-123" not in text
    assert "TOKEN-SECRET-456" not in text


def test_a_session_is_reused_across_calls(server: ContractServer) -> None:
    # GIVEN a client with its own session
    session = requests.Session()
    backend = HttpBackend(server.url, session=session)
    # WHEN several calls are made
    token = backend.auth_by_phone(PHONE, 1).token
    backend.list_orders(token, 1, 5)
    backend.get_order(token, "A-1")
    # THEN they all went over one kept-alive connection of that session (no new TCP handshake)
    assert len({request.client_port for request in server.received}) == 1


def test_page_numbers_start_at_one(backend: HttpBackend) -> None:
    # WHEN the caller asks for page 0, a bug in the bot
    # THEN it fails loudly before any request, instead of looking like an outage
    with pytest.raises(ValueError, match="start at 1"):
        backend.list_orders("token", 0, 5)
