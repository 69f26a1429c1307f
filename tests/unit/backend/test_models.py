"""The backend's types: order validation, page arithmetic, and which backend the config selects."""

from __future__ import annotations

from typing import Any

import pytest

import supportbot.backend
from supportbot.backend import (
    BackendError,
    BlockedError,
    NotFoundError,
    Order,
    OrderFormatError,
    OrdersPage,
    UnauthorizedError,
    UnavailableError,
    make_backend,
)
from supportbot.backend.builtin import BuiltinBackend
from supportbot.backend.client import HttpBackend, shared_session
from supportbot.config import Config

VALID: dict[str, Any] = {
    "id": "A-1",
    "number": "10234",
    "title": "",
    "status": "paid",
    "status_text": "Оплачен",
    "amount": "1234.50",
    "currency": "RUB",
    "updated_at": "2026-11-20T10:15:00+03:00",
}


def test_a_valid_order_round_trips() -> None:
    # GIVEN a contract order with both optional fields
    data = {**VALID, "items_count": 3, "counterparty": "Казань"}
    # WHEN it is read and written back
    order = Order.from_dict(data)
    # THEN nothing changes
    assert order.to_dict() == data
    assert (order.items_count, order.counterparty) == (3, "Казань")


def test_optional_fields_are_left_out_when_unset() -> None:
    assert Order.from_dict(VALID).to_dict() == VALID


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-20T10:15:00+03:00",
        "2026-11-20T07:15:00Z",
        "2026-11-20T10:15+03:00",
        "2026-11-20T10:15:00.123456-05:00",
    ],
)
def test_timestamps_with_an_offset_are_accepted(value: str) -> None:
    assert Order.from_dict({**VALID, "updated_at": value}).updated.tzinfo is not None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": ""}, "id"),
        ({"id": "x" * 33}, "id"),
        ({"id": "a b"}, "id"),
        ({"id": "заказ"}, "id"),
        ({"id": 5}, "id"),
        ({"number": None}, "number"),
        ({"title": None}, "title"),
        ({"status": 1}, "status"),
        ({"amount": "12,50"}, "amount"),
        ({"amount": "1e3"}, "amount"),
        ({"amount": "12."}, "amount"),
        ({"amount": 12.5}, "amount"),
        ({"currency": "RU"}, "currency"),
        ({"currency": "rub"}, "currency"),
        ({"updated_at": "2026-11-20T10:15:00"}, "offset"),
        ({"updated_at": "2026-11-20"}, "offset"),
        ({"updated_at": "2026-11-20 10:15:00+03:00"}, "offset"),
        ({"updated_at": "2026-13-20T10:15:00+03:00"}, "timestamp"),
        ({"items_count": True}, "items_count"),
        ({"items_count": -1}, "items_count"),
        ({"items_count": 2.0}, "items_count"),
        ({"counterparty": 7}, "counterparty"),
    ],
)
def test_invalid_fields_are_named(change: dict[str, Any], message: str) -> None:
    # WHEN one field breaks the contract
    # THEN from_dict refuses the order and says which field
    with pytest.raises(OrderFormatError, match=message):
        Order.from_dict({**VALID, **change})


@pytest.mark.parametrize(
    "missing", ["id", "number", "title", "status", "status_text", "amount", "currency", "updated_at"]
)
def test_required_fields_must_be_present(missing: str) -> None:
    with pytest.raises(OrderFormatError, match=missing):
        Order.from_dict({key: value for key, value in VALID.items() if key != missing})


def test_an_order_must_be_an_object() -> None:
    with pytest.raises(OrderFormatError, match="object"):
        Order.from_dict(["A-1"])


def test_an_order_format_error_is_a_value_error_not_a_backend_error() -> None:
    # Admin input errors are ValueErrors; the HTTP client turns a bad answer into UnavailableError.
    assert issubclass(OrderFormatError, ValueError)
    assert not issubclass(OrderFormatError, BackendError)


@pytest.mark.parametrize(
    ("total", "per_page", "pages"), [(0, 5, 1), (1, 5, 1), (5, 5, 1), (6, 5, 2), (11, 5, 3), (7, 1, 7)]
)
def test_pages(total: int, per_page: int, pages: int) -> None:
    assert OrdersPage(items=[], page=1, per_page=per_page, total=total).pages == pages


def test_error_hierarchy() -> None:
    for error in (NotFoundError, BlockedError, UnauthorizedError, UnavailableError):
        assert issubclass(error, BackendError)


def test_make_backend_picks_http_when_a_url_is_configured() -> None:
    # GIVEN BACKEND_URL and BACKEND_API_KEY
    config = Config(backend_url="https://erp.example.com/api", backend_api_key="secret")
    # WHEN the backend is made
    backend = make_backend(config)
    # THEN it is the HTTP client for that URL, and the key stays out of its repr
    assert isinstance(backend, HttpBackend)
    assert backend.base_url == "https://erp.example.com/api"
    assert "secret" not in repr(backend)


def test_make_backend_picks_the_builtin_backend_without_a_url() -> None:
    assert isinstance(make_backend(Config()), BuiltinBackend)


def test_clients_share_one_session_per_process() -> None:
    assert shared_session() is shared_session()


def test_the_implementations_are_exported_lazily() -> None:
    assert supportbot.backend.HttpBackend is HttpBackend
    assert supportbot.backend.BuiltinBackend is BuiltinBackend
    with pytest.raises(AttributeError):
        getattr(supportbot.backend, "NoSuchThing")  # noqa: B009
