"""Both backends against the same contract: the bot must not be able to tell them apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from supportbot.backend import BlockedError, Login, NotFoundError, Order, UnauthorizedError
from tests.functional.backend.conftest import BackendHarness

ANNA = "+79001234567"  # a customer with 12 orders
PETR = "+79007654321"  # a partner with one order
BLOCKED = "+79000000000"
STRANGER = "+79009999999"
MSK = timezone(timedelta(hours=3))


def anna_order(number: int) -> Order:
    """Order A-<n>; a larger n was updated later. Offsets alternate so that sorting by the
    timestamp's text would give another order than sorting by the instant."""
    moment = datetime(2026, 11, 1, 8, 0, tzinfo=MSK) + timedelta(hours=5 * number)
    offset = UTC if number % 2 else MSK
    return Order(
        id=f"A-{number:02}",
        number=f"{10200 + number}",
        title=f"Заказ {number}",
        status="paid" if number % 3 else None,
        status_text="Оплачен" if number % 3 else None,
        amount=f"{number * 100}.50",
        currency="RUB",
        updated_at=moment.astimezone(offset).isoformat(),
        items_count=number,
        counterparty="ООО Продавец",
    )


PETR_ORDER = Order(
    id="P-1",
    number="77",
    title="",
    status="in_transit",
    status_text=None,
    amount="99",
    currency="RUB",
    updated_at="2026-11-20T10:15:00+03:00",
    counterparty="Казань",
)


@pytest.fixture
def seeded(contract_backend: BackendHarness) -> BackendHarness:
    """GIVEN a customer with 12 orders, a partner with one, and a blocked account."""
    contract_backend.add_customer(ANNA, "customer", "Анна", False)
    contract_backend.add_customer(PETR, "partner", "Пётр", False)
    contract_backend.add_customer(BLOCKED, "customer", "Борис", True)
    for number in range(1, 13):
        contract_backend.add_order(ANNA, anna_order(number))
    contract_backend.add_order(PETR, PETR_ORDER)
    return contract_backend


def login(contract_backend: BackendHarness, phone: str = ANNA) -> str:
    return contract_backend.backend.auth_by_phone(phone, 123456789).token


def test_login_of_a_customer_returns_a_token_the_type_and_the_name(seeded: BackendHarness) -> None:
    # WHEN the customer logs in with their phone
    result = seeded.backend.auth_by_phone(ANNA, 123456789)
    # THEN they get a token, their type and their name
    assert isinstance(result, Login)
    assert result.token
    assert (result.user_type, result.name) == ("customer", "Анна")


def test_login_of_a_partner_says_partner(seeded: BackendHarness) -> None:
    # WHEN the partner logs in
    result = seeded.backend.auth_by_phone(PETR, 1)
    # THEN the type is partner and their orders carry the buyer's city as counterparty
    assert (result.user_type, result.name) == ("partner", "Пётр")
    assert seeded.backend.get_order(result.token, "P-1").counterparty == "Казань"


def test_each_login_gets_its_own_token(seeded: BackendHarness) -> None:
    # WHEN the same customer logs in twice (e.g. from two devices)
    first, second = login(seeded), login(seeded)
    # THEN both tokens differ and both work
    assert first != second
    assert (
        seeded.backend.list_orders(first, 1, 5).total == seeded.backend.list_orders(second, 1, 5).total == 12
    )


def test_unknown_phone_is_not_found(seeded: BackendHarness) -> None:
    # WHEN a phone the system does not know logs in
    # THEN the login is refused as not found
    with pytest.raises(NotFoundError):
        seeded.backend.auth_by_phone(STRANGER, 1)


def test_blocked_account_is_refused(seeded: BackendHarness) -> None:
    # WHEN a blocked account logs in
    # THEN the login is refused as blocked
    with pytest.raises(BlockedError):
        seeded.backend.auth_by_phone(BLOCKED, 1)


def test_first_page_has_the_newest_orders_and_the_totals(seeded: BackendHarness) -> None:
    # GIVEN a logged-in customer
    token = login(seeded)
    # WHEN they open the first page of 5
    page = seeded.backend.list_orders(token, 1, 5)
    # THEN it has the 5 most recently updated orders, newest first, and says how many there are
    assert [order.id for order in page.items] == ["A-12", "A-11", "A-10", "A-09", "A-08"]
    assert (page.page, page.per_page, page.total, page.pages) == (1, 5, 12, 3)
    assert page.items[0] == anna_order(12)


def test_pages_cover_every_order_once_and_the_last_one_is_partial(seeded: BackendHarness) -> None:
    token = login(seeded)
    # WHEN the customer walks through all pages
    pages = [seeded.backend.list_orders(token, number, 5) for number in (1, 2, 3)]
    # THEN every order appears exactly once, newest first, and the last page has the remaining 2
    ids = [order.id for page in pages for order in page.items]
    assert ids == [f"A-{number:02}" for number in range(12, 0, -1)]
    assert [len(page.items) for page in pages] == [5, 5, 2]
    assert {page.pages for page in pages} == {3}


def test_a_page_past_the_end_is_empty_but_keeps_the_totals(seeded: BackendHarness) -> None:
    token = login(seeded)
    # WHEN the customer asks for a page past the last one (e.g. orders were deleted meanwhile)
    page = seeded.backend.list_orders(token, 9, 5)
    # THEN the page comes back empty, with the real total so the bot can jump to the last page
    assert (page.items, page.page, page.per_page, page.total, page.pages) == ([], 9, 5, 12, 3)


def test_a_customer_without_orders_has_one_empty_page(contract_backend: BackendHarness) -> None:
    # GIVEN a customer with no orders
    contract_backend.add_customer(STRANGER, "customer", "Нина", False)
    # WHEN they open their orders
    page = contract_backend.backend.list_orders(login(contract_backend, STRANGER), 1, 5)
    # THEN the list is empty and there is still one page to show
    assert (page.items, page.total, page.pages) == ([], 0, 1)


def test_get_order_returns_the_order(seeded: BackendHarness) -> None:
    token = login(seeded)
    # WHEN the customer opens one of their orders
    order = seeded.backend.get_order(token, "A-03")
    # THEN it is the stored order, with nulls kept as nulls
    assert order == anna_order(3)
    assert order.status is None
    assert order.status_text is None


def test_an_order_of_another_customer_is_not_found(seeded: BackendHarness) -> None:
    # GIVEN the partner is logged in
    token = login(seeded, PETR)
    # WHEN they ask for the customer's order, or an order that does not exist
    # THEN both are simply not found
    with pytest.raises(NotFoundError):
        seeded.backend.get_order(token, "A-01")
    with pytest.raises(NotFoundError):
        seeded.backend.get_order(token, "NO-SUCH")


def test_an_unknown_token_is_unauthorized(seeded: BackendHarness) -> None:
    # WHEN a made-up or empty token is used
    # THEN every call says unauthorized, so the bot sends the user back to login
    for token in ("not-a-token", ""):
        with pytest.raises(UnauthorizedError):
            seeded.backend.list_orders(token, 1, 5)
        with pytest.raises(UnauthorizedError):
            seeded.backend.get_order(token, "A-01")


def test_an_expired_token_is_unauthorized(seeded: BackendHarness) -> None:
    # GIVEN a token that worked
    token = login(seeded)
    seeded.backend.list_orders(token, 1, 5)
    # WHEN it expires
    seeded.expire_tokens()
    # THEN it is refused, while a new login works again
    with pytest.raises(UnauthorizedError):
        seeded.backend.list_orders(token, 1, 5)
    with pytest.raises(UnauthorizedError):
        seeded.backend.get_order(token, "A-01")
    assert seeded.backend.list_orders(login(seeded), 1, 5).total == 12


def test_blocking_a_logged_in_customer_revokes_their_token(seeded: BackendHarness) -> None:
    # GIVEN a logged-in customer
    token = login(seeded)
    # WHEN the business blocks them
    seeded.add_customer(ANNA, "customer", "Анна", True)
    # THEN their token no longer works and logging in again says blocked
    with pytest.raises(UnauthorizedError):
        seeded.backend.list_orders(token, 1, 5)
    with pytest.raises(UnauthorizedError):
        seeded.backend.get_order(token, "A-01")
    with pytest.raises(BlockedError):
        seeded.backend.auth_by_phone(ANNA, 1)


def test_an_order_id_with_url_characters_is_sent_safely(contract_backend: BackendHarness) -> None:
    # GIVEN an order whose id uses every URL-safe character class the contract allows
    contract_backend.add_customer(STRANGER, "customer", "Нина", False)
    order = PETR_ORDER.__class__(**{**PETR_ORDER.to_dict(), "id": "a.B_c~9-Z"})
    contract_backend.add_order(STRANGER, order)
    token = login(contract_backend, STRANGER)
    # WHEN it is opened, and an id with a slash or a query is asked for
    # THEN the real one is found and the others are just not found (never another route)
    assert contract_backend.backend.get_order(token, "a.B_c~9-Z") == order
    for odd in ("../orders", "a?page=1", "a/b"):
        with pytest.raises(NotFoundError):
            contract_backend.backend.get_order(token, odd)
