"""What the business system answers, as the bot sees it, whichever backend is behind it.

The types mirror ``docs/business-system-openapi.yaml``; :meth:`Order.from_dict` is the one place an
order from outside is checked, so a malformed answer never reaches a screen.

>>> order = Order.from_dict({"id": "A-1", "number": "10234", "title": "", "status": None,
...     "status_text": None, "amount": "1234.50", "currency": "RUB",
...     "updated_at": "2026-11-20T10:15:00+03:00"})
>>> order.amount, order.items_count, Order.from_dict(order.to_dict()) == order
('1234.50', None, True)
>>> OrdersPage(items=[], page=1, per_page=5, total=11).pages
3
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

USER_TYPES = ("customer", "partner")
ORDER_ID_MAX_LENGTH = 32

_ORDER_ID = re.compile(r"[A-Za-z0-9._~-]{1,32}", re.ASCII)  # RFC 3986 unreserved: no quoting needed
_AMOUNT = re.compile(r"-?\d+(\.\d+)?", re.ASCII)
_CURRENCY = re.compile(r"[A-Z]{3}", re.ASCII)
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d(:?\d\d)?)", re.ASCII)


class BackendError(Exception):
    """The business system refused or could not answer; subclasses say how the bot should react."""


class NotFoundError(BackendError):
    """No customer with this phone (at login), or no such order of this user."""


class BlockedError(BackendError):
    """The account exists but may not use the bot."""


class UnauthorizedError(BackendError):
    """The token expired or was revoked: the bot sends the user back to login."""


class UnavailableError(BackendError):
    """Temporarily unavailable (5xx, timeout, connection error) or an answer outside the contract:
    the bot says so and offers to retry, keeping the user's place."""


class OrderFormatError(ValueError):
    """An order does not follow the contract (the HTTP client reports it as unavailability)."""


@dataclass(frozen=True)
class Login:
    token: str
    user_type: str  # "customer" | "partner"
    name: str


@dataclass(frozen=True)
class Order:
    id: str
    number: str
    title: str
    status: str | None
    status_text: str | None
    amount: str
    currency: str
    updated_at: str
    items_count: int | None = None
    counterparty: str | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Order:
        """An order checked against the contract; :class:`OrderFormatError` names the first bad field."""
        if not isinstance(data, dict):
            raise OrderFormatError(f"an order must be an object, not {type(data).__name__}")
        order = cls(
            id=_field(data, "id", str),
            number=_field(data, "number", str),
            title=_field(data, "title", str),
            status=_field(data, "status", str, nullable=True),
            status_text=_field(data, "status_text", str, nullable=True),
            amount=_field(data, "amount", str),
            currency=_field(data, "currency", str),
            updated_at=_field(data, "updated_at", str),
            items_count=_field(data, "items_count", int, nullable=True, optional=True),
            counterparty=_field(data, "counterparty", str, nullable=True, optional=True),
        )
        order.validate()
        return order

    def validate(self) -> None:
        """Raise :class:`OrderFormatError` unless the values are what the contract allows."""
        if not _ORDER_ID.fullmatch(self.id):
            raise OrderFormatError(
                f"order id must be 1-{ORDER_ID_MAX_LENGTH} URL-safe characters: {self.id!r}"
            )
        if not _AMOUNT.fullmatch(self.amount):
            raise OrderFormatError(f"order {self.id}: amount must be a decimal string, not {self.amount!r}")
        if not _CURRENCY.fullmatch(self.currency):
            raise OrderFormatError(f"order {self.id}: currency must be ISO 4217, not {self.currency!r}")
        parse_timestamp(self.updated_at)  # raises OrderFormatError
        if self.items_count is not None and self.items_count < 0:
            raise OrderFormatError(f"order {self.id}: items_count must not be negative")

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON object (optional fields only when set)."""
        data: dict[str, Any] = {
            "id": self.id,
            "number": self.number,
            "title": self.title,
            "status": self.status,
            "status_text": self.status_text,
            "amount": self.amount,
            "currency": self.currency,
            "updated_at": self.updated_at,
        }
        if self.items_count is not None:
            data["items_count"] = self.items_count
        if self.counterparty is not None:
            data["counterparty"] = self.counterparty
        return data

    @property
    def updated(self) -> datetime:
        """``updated_at`` as an aware datetime (for sorting and display in the user's time zone)."""
        return parse_timestamp(self.updated_at)


@dataclass(frozen=True)
class OrdersPage:
    items: list[Order]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are; at least 1, so an empty list still has a page to show."""
        return max(1, math.ceil(self.total / self.per_page))

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": [order.to_dict() for order in self.items],
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
        }


class Backend(Protocol):
    """The three calls of the contract; HTTP and built-in implementations behave the same."""

    def auth_by_phone(self, phone: str, telegram_user_id: int) -> Login: ...

    def list_orders(self, token: str, page: int, per_page: int) -> OrdersPage: ...

    def get_order(self, token: str, order_id: str) -> Order: ...


def parse_timestamp(value: str) -> datetime:
    """An ISO 8601 timestamp that carries its UTC offset (a naive one would be read in the wrong zone)."""
    if not _TIMESTAMP.fullmatch(value):
        raise OrderFormatError(f"not an ISO 8601 timestamp with a UTC offset: {value!r}")
    try:
        return datetime.fromisoformat(value)
    except ValueError:  # well-formed but impossible, e.g. month 13
        raise OrderFormatError(f"not a valid timestamp: {value!r}") from None


def recency(updated_at: str, order_id: str) -> tuple[datetime, str]:
    """The order lists' sort key, largest first: ``updated_at`` as an instant (whatever its
    offset), ties by id."""
    return parse_timestamp(updated_at), order_id


def check_paging(page: int, per_page: int) -> None:
    """Pages start at 1; asking for page 0 is a bug in the caller, not a backend failure."""
    if page < 1 or per_page < 1:
        raise ValueError(f"page and per_page start at 1, got page={page}, per_page={per_page}")


def _field(
    data: dict[str, Any], name: str, kind: type, *, nullable: bool = False, optional: bool = False
) -> Any:
    if name not in data:
        if optional:
            return None
        raise OrderFormatError(f"order field {name!r} is missing")
    value = data[name]
    if value is None and nullable:
        return None
    if not isinstance(value, kind) or isinstance(value, bool):  # bool is an int, but not a count
        raise OrderFormatError(f"order field {name!r} must be {kind.__name__}, not {type(value).__name__}")
    return value
