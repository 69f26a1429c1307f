"""The built-in business system: customers and their orders in one DynamoDB table.

For businesses without an API of their own and for local runs; it behaves exactly as the HTTP
contract says, so the bot cannot tell the two apart. Items (``pk`` / ``sk``):

- ``CUSTOMER#<E.164 phone>`` / ``PROFILE``: ``user_type``, ``name``, ``blocked``; ``listed`` =
  ``CUSTOMER`` puts it in the ``Customers`` index (by phone: the admin's list, a page at a time);
- ``CUSTOMER#<phone>`` / ``ORDER#<id>``: the order as the contract's JSON (``order``).

A login token is stateless: ``v1.<payload>.<signature>``, the payload (base64url JSON: the phone
the token's expiry and a nonce) signed with HMAC-SHA256 under ``BACKEND_TOKEN_SECRET``, so a login writes
nothing and an order screen reads nothing to learn whose token it is (one backend read each: the
GetItem of the profile at login, the Query or the BatchGetItem of an order screen). A token
signed with ``BACKEND_TOKEN_SECRET_PREVIOUS`` is accepted while that is set (a rotation refuses
no call); without a secret no token is issued or accepted.

A customer's profile and orders share a partition, so the read that answers an order screen also
checks that the customer still exists and is not blocked (blocking or deleting a customer revokes
their tokens at once).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, PynamoDBException
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from supportbot.backend.models import (
    USER_TYPES,
    BlockedError,
    Login,
    NotFoundError,
    Order,
    OrderFormatError,
    OrdersPage,
    UnauthorizedError,
    UnavailableError,
    check_paging,
    recency,
)
from supportbot.backend.phones import normalize_phone
from supportbot.config import get_config
from supportbot.storage.attributes import CompactJSONAttribute
from supportbot.storage.conditions import condition_failed
from supportbot.storage.tables import TableName

logger = logging.getLogger(__name__)

OrderChange = Callable[[str, Order, bool], None]  # (phone, order, created)
TOKEN_TTL = timedelta(days=30)
TOKEN_SECRET = "BACKEND_TOKEN_SECRET"  # noqa: S105 - the setting's name
TOKEN_VERSION = "v1"  # noqa: S105 - a format tag
PROFILE = "PROFILE"
ORDER_PREFIX = "ORDER#"
LISTED_ATTRIBUTES = ["sk", "blocked", "order"]
CUSTOMERS_KEY = "CUSTOMER"


class CustomersIndex(GlobalSecondaryIndex["BackendItem"]):  # type: ignore[no-untyped-call]
    """Every customer's profile by phone (sparse: only profiles carry ``listed``)."""

    class Meta:
        index_name = "Customers"
        projection = AllProjection()

    listed = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class BackendItem(Model):
    """Every item of the table; which attributes are set depends on the key prefixes above."""

    class Meta:
        table_name = TableName("backend_table")

    customers = CustomersIndex()
    listed = UnicodeAttribute(null=True)  # CUSTOMER on profiles
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    user_type = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    blocked = BooleanAttribute(null=True)
    order = CompactJSONAttribute(null=True)


def create_table(wait: bool = True) -> None:
    """Create the table as template.yaml declares it (local runs and tests; on-demand, TTL on)."""
    BackendItem.create_table(wait=wait, billing_mode="PAY_PER_REQUEST")


def customer_key(phone: str) -> str:
    return f"CUSTOMER#{phone}"


def profile_item(phone: str, user_type: str, name: str, blocked: bool) -> BackendItem:
    """A customer's profile item (``phone`` in E.164), listed in the ``Customers`` index."""
    return BackendItem(
        customer_key(phone), PROFILE, listed=CUSTOMERS_KEY, user_type=user_type, name=name, blocked=blocked
    )


def _signature(secret: str, signed: str) -> str:
    digest = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_token(secret: str, phone: str, expires_at: datetime) -> str:
    """A login token for ``phone`` until ``expires_at``, signed with ``secret`` (a random nonce
    makes each login's token its own)."""
    claims = json.dumps(
        {"p": phone, "e": int(expires_at.timestamp()), "n": secrets.token_urlsafe(9)}, separators=(",", ":")
    )
    signed = f"{TOKEN_VERSION}.{base64.urlsafe_b64encode(claims.encode()).rstrip(b'=').decode()}"
    return f"{signed}.{_signature(secret, signed)}"


def token_phone(token: str, accepted: tuple[str, ...], now: datetime) -> str:
    """The phone of a token signed with one of the ``accepted`` secrets and not expired, compared
    in constant time; :class:`UnauthorizedError` for anything else."""
    if not accepted:
        raise UnavailableError(f"{TOKEN_SECRET} is not configured: no login token can be checked")
    signed, _, signature = token.rpartition(".")
    version, _, payload = signed.partition(".")
    if version != TOKEN_VERSION or not any(
        hmac.compare_digest(_signature(secret, signed), signature) for secret in accepted
    ):
        raise UnauthorizedError("unknown or forged token")
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        phone, expires = str(claims["p"]), int(claims["e"])
    except (binascii.Error, ValueError, TypeError, KeyError):  # signed by us, so never in practice
        raise UnauthorizedError("malformed token") from None
    if expires <= now.timestamp():
        raise UnauthorizedError("the token expired")
    return phone


class BuiltinBackend:
    """The contract over DynamoDB, plus the admin and seed operations that fill it."""

    def __init__(
        self,
        token_ttl: timedelta = TOKEN_TTL,
        now: Callable[[], datetime] | None = None,
        token_secrets: Callable[[], tuple[str, ...]] | None = None,
    ) -> None:
        self.token_ttl = token_ttl
        self._now = now or (lambda: datetime.now(UTC))
        # The current secret, then the one being rotated out while set (read again as config is).
        self._token_secrets = token_secrets or (lambda: get_config().accepted(TOKEN_SECRET))

    # The contract

    def auth_by_phone(self, phone: str, telegram_user_id: int) -> Login:
        canonical = normalize_phone(phone)
        if canonical is None:
            raise NotFoundError("no customer with this phone")
        accepted = self._token_secrets()
        if not accepted:
            logger.error("%s is not configured: no login token can be issued", TOKEN_SECRET)
            raise UnavailableError(f"{TOKEN_SECRET} is not configured")
        with _unavailable_on_failure("auth_by_phone"):
            try:
                profile = BackendItem.get(customer_key(canonical), PROFILE)
            except BackendItem.DoesNotExist:
                raise NotFoundError("no customer with this phone") from None
        if profile.blocked:
            raise BlockedError("the account is blocked")
        token = issue_token(accepted[0], canonical, self._now() + self.token_ttl)
        return Login(token=token, user_type=profile.user_type or "customer", name=profile.name or "")

    def list_orders(self, token: str, page: int, per_page: int) -> OrdersPage:
        """One Query reads the customer's whole partition, sorted and sliced here.

        Fine at the built-in backend's scale (a few hundred orders a customer, ~1 KB read per
        3-4 orders); a business with far more should serve the HTTP contract from its own system.
        """
        check_paging(page, per_page)
        with _unavailable_on_failure("list_orders"):
            phone = self._phone_for(token)
            # The partition key is known: leaving it out of every item saves parsing it 1+n times.
            items = list(BackendItem.query(customer_key(phone), attributes_to_get=LISTED_ATTRIBUTES))
        if not any(item.sk == PROFILE and not item.blocked for item in items):
            raise UnauthorizedError("the customer was deleted or blocked")
        # Sorted on the stored JSON; only the page shown is built and checked as orders.
        stored = _newest_first([item for item in items if item.sk.startswith(ORDER_PREFIX)])
        start = (page - 1) * per_page
        return OrdersPage(
            items=[_order_of(item) for item in stored[start : start + per_page]],
            page=page,
            per_page=per_page,
            total=len(stored),
        )

    def get_order(self, token: str, order_id: str) -> Order:
        with _unavailable_on_failure("get_order"):
            phone = self._phone_for(token)
            keys = [(customer_key(phone), PROFILE), (customer_key(phone), ORDER_PREFIX + order_id)]
            items = {item.sk: item for item in BackendItem.batch_get(keys)}
        profile = items.get(PROFILE)
        if profile is None or profile.blocked:
            raise UnauthorizedError("the customer was deleted or blocked")
        item = items.get(ORDER_PREFIX + order_id)
        if item is None:
            raise NotFoundError("no such order of this user")
        return _order_of(item)

    # Admin and seed operations (they raise ValueError for bad input, pynamodb errors as they are)

    def upsert_customer(self, phone: str, user_type: str, name: str, blocked: bool = False) -> str:
        """Create or replace a customer's profile (their orders stay); returns the E.164 phone."""
        canonical = _canonical(phone)
        if user_type not in USER_TYPES:
            raise ValueError(f"user_type must be one of {USER_TYPES}, not {user_type!r}")
        profile_item(canonical, user_type, name, blocked).save()
        return canonical

    def upsert_order(self, phone: str, order: Order, on_change: OrderChange | None = None) -> None:
        """Create or replace an order; ``on_change(phone, order, created)`` hears of a new order or
        a new status (the admin API raises the business system's order event with it)."""
        canonical = _canonical(phone)
        item = BackendItem(customer_key(canonical), ORDER_PREFIX + order.id, order=_checked(order))
        before = None
        if on_change is not None:
            try:
                before = _order_of(BackendItem.get(item.pk, item.sk, consistent_read=True))
            except BackendItem.DoesNotExist:
                before = None
        item.save()
        if on_change is not None and (before is None or _status(before) != _status(order)):
            on_change(canonical, order, before is None)

    def knows(self, phone: str) -> bool:
        """Whether ``phone`` is a customer's (or a partner's)."""
        try:
            BackendItem.get(customer_key(_canonical(phone)), PROFILE, attributes_to_get=["pk"])
        except BackendItem.DoesNotExist:
            return False
        return True

    def delete_order(self, phone: str, order_id: str) -> bool:
        """Delete one order; False when there was none."""
        item = BackendItem(customer_key(_canonical(phone)), ORDER_PREFIX + order_id)
        try:
            item.delete(condition=BackendItem.pk.exists())
        except DeleteError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def import_orders(self, phone: str, orders: Iterable[Order]) -> int:
        """Create or replace many orders in batches of 25 (all are checked before any is written)."""
        key = customer_key(_canonical(phone))
        checked = [(order.id, _checked(order)) for order in orders]
        with BackendItem.batch_write() as batch:
            for order_id, data in checked:
                batch.save(BackendItem(key, ORDER_PREFIX + order_id, order=data))
        return len(checked)

    def delete_customer(self, phone: str) -> int:
        """Delete a customer's profile and orders (their tokens stop working); returns items deleted."""
        items = list(BackendItem.query(customer_key(_canonical(phone))))
        with BackendItem.batch_write() as batch:
            for item in items:
                batch.delete(item)
        return len(items)

    def _phone_for(self, token: str) -> str:
        """The phone a live token belongs to (no read: the token says it, under our signature)."""
        if not token:
            raise UnauthorizedError("no token")
        return token_phone(token, self._token_secrets(), self._now())


def _status(order: Order) -> tuple[str | None, str | None]:
    return order.status, order.status_text


def _canonical(phone: str) -> str:
    canonical = normalize_phone(phone)
    if canonical is None:
        raise ValueError(f"not a phone number: {phone!r}")
    return canonical


def _checked(order: Order) -> dict[str, object]:
    order.validate()  # OrderFormatError is a ValueError
    return order.to_dict()


def _newest_first(items: list[BackendItem]) -> list[BackendItem]:
    """Order items newest first, read from the stored JSON without building the orders."""
    try:
        return sorted(
            items, key=lambda item: recency(item.order["updated_at"], item.order["id"]), reverse=True
        )
    except (TypeError, KeyError, OrderFormatError) as error:  # only a hand-edited item can be malformed
        logger.error("malformed order item: %s", error)
        raise UnavailableError(f"a stored order is malformed: {error}") from None


def _order_of(item: BackendItem) -> Order:
    try:
        return Order.from_dict(item.order)
    except OrderFormatError as error:  # only a hand-edited item can be malformed
        logger.error("malformed order item %s: %s", item.sk, error)
        raise UnavailableError(f"a stored order is malformed: {error}") from None


@contextmanager
def _unavailable_on_failure(operation: str) -> Iterator[None]:
    """DynamoDB failures (throttling, network, a missing table) mean "temporarily unavailable"."""
    try:
        yield
    except PynamoDBException as error:
        logger.exception("built-in backend failed: %s", operation)
        raise UnavailableError(f"{operation}: the built-in backend's table failed") from error
