"""The built-in backend's own duties: admin and seed operations, token storage, DynamoDB failures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto import mock_aws

from supportbot.backend import NotFoundError, Order, OrderFormatError, UnauthorizedError, UnavailableError
from supportbot.backend.builtin import BackendItem, BuiltinBackend, customer_key, issue_token

PHONE = "+79001234567"
TEST_SECRET = "test-backend-token-secret"  # conftest.py's fake value


def dynamodb_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The DynamoDB operations made from now on (botocore's one entry point)."""
    import botocore.client

    made: list[str] = []
    real = botocore.client.BaseClient._make_api_call

    def recorded(client: Any, operation: str, params: dict[str, Any]) -> Any:
        made.append(operation)
        return real(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recorded)
    return made


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


def test_a_login_writes_nothing_and_its_token_is_signed(
    backend: BuiltinBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # WHEN the customer logs in
    calls = dynamodb_calls(monkeypatch)
    token = backend.auth_by_phone(PHONE, 987).token
    # THEN one read (the profile) and no write: the token carries the phone under a signature
    assert calls == ["GetItem"]
    assert token.startswith("v1.")
    assert len(token.rsplit(".", 1)[1]) == 43  # a 256-bit HMAC
    assert not any(i.pk.startswith("TOKEN") for i in BackendItem.scan())
    # AND an order screen costs one read too: nothing to look the token up by
    del calls[:]
    assert backend.list_orders(token, 1, 5).total == 0
    assert calls == ["Query"]


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # another signature
        lambda token: issue_token("not-our-secret", PHONE, datetime.now(UTC) + timedelta(days=1)),
        lambda token: (
            issue_token(TEST_SECRET, "+79009999999", datetime.now(UTC) + timedelta(days=1))[:-43]
            + token[-43:]
        ),  # someone else's phone under this token's signature
        lambda token: "v2" + token[2:],
        lambda token: "",
        lambda token: "not-a-token",
    ],
)
def test_a_forged_token_is_refused(backend: BuiltinBackend, forge: Callable[[str], str]) -> None:
    token = backend.auth_by_phone(PHONE, 1).token
    with pytest.raises(UnauthorizedError):
        backend.list_orders(forge(token), 1, 5)
    with pytest.raises(UnauthorizedError):
        backend.get_order(forge(token), "O-1")


def test_a_token_expires_after_its_ttl(backend: BuiltinBackend) -> None:
    clock = [datetime.now(UTC)]
    backend._now = lambda: clock[0]
    token = backend.auth_by_phone(PHONE, 1).token
    clock[0] += backend.token_ttl - timedelta(seconds=5)
    assert backend.list_orders(token, 1, 5).total == 0
    clock[0] += timedelta(seconds=10)
    with pytest.raises(UnauthorizedError, match="expired"):
        backend.list_orders(token, 1, 5)


def test_a_rotated_out_secret_keeps_its_tokens_working_until_the_rotation_ends(
    backend: BuiltinBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supportbot.config import get_config

    token = backend.auth_by_phone(PHONE, 1).token
    # WHEN the secret is rotated: the old one becomes BACKEND_TOKEN_SECRET_PREVIOUS
    monkeypatch.setenv("BACKEND_TOKEN_SECRET", "test-backend-token-secret-2")
    monkeypatch.setenv("BACKEND_TOKEN_SECRET_PREVIOUS", TEST_SECRET)
    get_config.cache_clear()
    # THEN the old token still works and a new login is signed with the new secret
    assert backend.list_orders(token, 1, 5).total == 0
    fresh = backend.auth_by_phone(PHONE, 1).token
    assert fresh != token
    # AND once the rotation is finished only tokens of the new secret work
    monkeypatch.delenv("BACKEND_TOKEN_SECRET_PREVIOUS")
    get_config.cache_clear()
    assert backend.list_orders(fresh, 1, 5).total == 0
    with pytest.raises(UnauthorizedError):
        backend.list_orders(token, 1, 5)
    get_config.cache_clear()


def test_without_a_token_secret_no_login_is_issued_or_accepted(
    backend: BuiltinBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supportbot.config import get_config

    token = backend.auth_by_phone(PHONE, 1).token
    monkeypatch.delenv("BACKEND_TOKEN_SECRET")
    get_config.cache_clear()
    with pytest.raises(UnavailableError, match="BACKEND_TOKEN_SECRET"):
        backend.auth_by_phone(PHONE, 1)
    with pytest.raises(UnavailableError, match="BACKEND_TOKEN_SECRET"):
        backend.list_orders(token, 1, 5)
    get_config.cache_clear()


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
        token = issue_token(TEST_SECRET, PHONE, datetime.now(UTC) + timedelta(days=1))
        with pytest.raises(UnavailableError):
            backend.list_orders(token, 1, 5)
        with pytest.raises(UnavailableError):
            backend.get_order(token, "O-1")


def test_blocking_or_deleting_a_customer_revokes_their_token_at_once(backend: BuiltinBackend) -> None:
    backend.upsert_order(PHONE, order(1))
    token = backend.auth_by_phone(PHONE, 1).token
    backend.upsert_customer(PHONE, "customer", "Анна", blocked=True)
    with pytest.raises(UnauthorizedError):
        backend.get_order(token, "O-1")
    with pytest.raises(UnauthorizedError):
        backend.list_orders(token, 1, 5)
