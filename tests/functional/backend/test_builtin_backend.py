"""The built-in backend's own duties: admin and seed operations, token storage, DynamoDB failures."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from moto import mock_aws

from supportbot.backend import NotFoundError, Order, OrderFormatError, UnauthorizedError, UnavailableError
from supportbot.backend.builtin import BackendItem, BuiltinBackend, customer_key

PHONE = "+79001234567"


def order(number: int, **changes: object) -> Order:
    data: dict[str, object] = {
        "id": f"O-{number}",
        "number": str(number),
        "title": f"Заказ {number}",
        "status": "new",
        "status_text": None,
        "amount": "10.00",
        "currency": "RUB",
        "updated_at": f"2026-11-{number:02}T10:00:00+03:00",
    }
    return Order.from_dict({**data, **changes})


@pytest.fixture
def backend(backend_table: None) -> BuiltinBackend:
    """GIVEN the built-in backend over an empty table and one customer."""
    builtin = BuiltinBackend()
    builtin.upsert_customer(PHONE, "customer", "Анна")
    return builtin


def test_upsert_customer_normalizes_the_phone_and_checks_the_type(backend: BuiltinBackend) -> None:
    # WHEN an admin types the phone in a national form
    phone = backend.upsert_customer("8 (900) 765-43-21", "partner", "Пётр")
    # THEN it is stored in E.164 and the customer can log in with the contact's form
    assert phone == "+79007654321"
    assert backend.auth_by_phone("79007654321", 1).user_type == "partner"
    with pytest.raises(ValueError, match="user_type"):
        backend.upsert_customer(PHONE, "admin", "X")
    with pytest.raises(ValueError, match="phone"):
        backend.upsert_customer("not a phone", "customer", "X")


def test_upserting_a_customer_keeps_their_orders(backend: BuiltinBackend) -> None:
    backend.upsert_order(PHONE, order(1))
    backend.upsert_customer(PHONE, "customer", "Анна Петровна")
    login = backend.auth_by_phone(PHONE, 1)
    assert login.name == "Анна Петровна"
    assert backend.list_orders(login.token, 1, 5).total == 1


def test_upsert_order_replaces_by_id_and_validates(backend: BuiltinBackend) -> None:
    # GIVEN an order
    backend.upsert_order(PHONE, order(1))
    # WHEN it is upserted again with a new status
    backend.upsert_order(PHONE, order(1, status="delivered"))
    token = backend.auth_by_phone(PHONE, 1).token
    # THEN there is still one order, with the new status
    page = backend.list_orders(token, 1, 5)
    assert [(o.id, o.status) for o in page.items] == [("O-1", "delivered")]
    # AND an order that breaks the contract is refused before it is stored
    bad = Order(**{**order(2).__dict__, "currency": "rubles"})
    with pytest.raises(OrderFormatError, match="currency"):
        backend.upsert_order(PHONE, bad)
    assert backend.list_orders(token, 1, 5).total == 1


def test_delete_order_says_whether_there_was_one(backend: BuiltinBackend) -> None:
    backend.upsert_order(PHONE, order(1))
    assert backend.delete_order(PHONE, "O-1") is True
    assert backend.delete_order(PHONE, "O-1") is False
    with pytest.raises(NotFoundError):
        backend.get_order(backend.auth_by_phone(PHONE, 1).token, "O-1")


def test_import_orders_writes_many_in_batches(backend: BuiltinBackend) -> None:
    # WHEN 60 orders are imported (more than one batch of 25)
    count = backend.import_orders(PHONE, [order(number % 28 + 1, id=f"I-{number}") for number in range(60)])
    # THEN all are there
    assert count == 60
    assert backend.list_orders(backend.auth_by_phone(PHONE, 1).token, 1, 5).total == 60


def test_import_orders_writes_nothing_when_one_is_invalid(backend: BuiltinBackend) -> None:
    orders = [order(1), Order(**{**order(2).__dict__, "amount": "ten"})]
    with pytest.raises(OrderFormatError, match="amount"):
        backend.import_orders(PHONE, orders)
    assert backend.list_orders(backend.auth_by_phone(PHONE, 1).token, 1, 5).total == 0


def test_delete_customer_removes_profile_and_orders_and_revokes_tokens(backend: BuiltinBackend) -> None:
    backend.import_orders(PHONE, [order(1), order(2)])
    token = backend.auth_by_phone(PHONE, 1).token
    # WHEN the customer is deleted
    assert backend.delete_customer(PHONE) == 3
    # THEN their token stops working and they are unknown at login
    with pytest.raises(UnauthorizedError):
        backend.list_orders(token, 1, 5)
    with pytest.raises(NotFoundError):
        backend.auth_by_phone(PHONE, 1)


def test_tokens_are_random_stored_hashed_and_expire_by_ttl(backend: BuiltinBackend) -> None:
    # WHEN the customer logs in
    before = datetime.now(UTC)
    token = backend.auth_by_phone(PHONE, 987).token
    # THEN the token is long and random, and the table keeps only its hash, the phone and a TTL
    assert len(token) >= 40
    item = BackendItem.get("TOKEN#" + hashlib.sha256(token.encode()).hexdigest(), "TOKEN")
    assert (item.phone, item.telegram_user_id) == (PHONE, 987)
    assert item.expires_at is not None
    assert 29 <= (item.expires_at - before).days <= 30
    assert not any(token in str(i.pk) for i in BackendItem.scan())


def test_the_token_ttl_attribute_is_the_one_the_template_declares(backend: BuiltinBackend) -> None:
    # The template enables TTL on "expires_at": the item must carry exactly that attribute, as a number.
    backend.auth_by_phone(PHONE, 1)
    raw = next(i for i in BackendItem.scan() if i.pk.startswith("TOKEN#")).serialize()
    assert "N" in raw["expires_at"]


@pytest.mark.parametrize(
    "order",
    [
        {"id": "X"},  # no updated_at: the list cannot even be sorted
        "not an object",
        {"id": "X", "updated_at": "2026-11-20T10:15:00+03:00"},  # sorts, but is no order to show
    ],
)
def test_a_hand_edited_malformed_order_is_unavailable_not_a_crash(
    backend: BuiltinBackend, order: object
) -> None:
    BackendItem(customer_key(PHONE), "ORDER#X", order=order).save()
    token = backend.auth_by_phone(PHONE, 1).token
    with pytest.raises(UnavailableError, match="malformed"):
        backend.list_orders(token, 1, 5)


def test_a_missing_table_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN AWS (moto) without the table
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        backend = BuiltinBackend()
        # WHEN the contract's calls are made
        # THEN each says "temporarily unavailable"
        with pytest.raises(UnavailableError):
            backend.auth_by_phone(PHONE, 1)
        with pytest.raises(UnavailableError):
            backend.list_orders("token", 1, 5)
        with pytest.raises(UnavailableError):
            backend.get_order("token", "O-1")


def test_a_warm_backend_remembers_tokens_but_still_checks_expiry_and_blocking(
    backend: BuiltinBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a logged-in customer with an order, on a backend whose clock can move
    clock = [datetime.now(UTC)]
    backend._now = lambda: clock[0]
    backend.upsert_order(PHONE, order(1))
    token = backend.auth_by_phone(PHONE, 1).token
    # WHEN the token item goes away (only TTL deletes it) and the order screens are read
    BackendItem.get("TOKEN#" + hashlib.sha256(token.encode()).hexdigest(), "TOKEN").delete()
    reads: list[str] = []
    monkeypatch.setattr(BackendItem, "get", lambda *a, **k: reads.append("get"))
    # THEN the token's phone comes from memory: no token read
    assert backend.list_orders(token, 1, 5).total == 1
    assert backend.get_order(token, "O-1").id == "O-1"
    assert reads == []
    # AND the token's expiry is still checked on every use
    clock[0] += timedelta(days=31)
    with pytest.raises(UnauthorizedError, match="expired"):
        backend.list_orders(token, 1, 5)
    clock[0] -= timedelta(days=31)
    # AND blocking the customer still revokes it at once
    backend.upsert_customer(PHONE, "customer", "Анна", blocked=True)
    with pytest.raises(UnauthorizedError):
        backend.get_order(token, "O-1")
