"""The business system's HTTP API (``docs/business-system-openapi.yaml``) through ``requests``.

Every answer outside the contract becomes a :class:`BackendError` the bot knows how to show; in
particular anything the bot cannot trust (5xx, timeout, bad JSON, missing fields, an unexpected
status) is :class:`UnavailableError`, so the user is offered a retry and keeps their place.
Tokens and the API key never appear in exception messages or logs.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import requests

from supportbot import metrics
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
)

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (2.0, 4.0)  # (connect, read) seconds: the user is waiting for a reply in the chat

_shared_session: requests.Session | None = None

Call = TypeVar("Call", bound=Callable[..., Any])


def measured(call: Call) -> Call:
    """A call to the business system, timed (``BusinessSystemLatency``) and, when its answer cannot
    be used (``UnavailableError``: timeout, 5xx, outside the contract), counted as an error."""

    @functools.wraps(call)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        except UnavailableError:
            metrics.count(metrics.BUSINESS_SYSTEM_ERRORS)
            raise
        finally:
            metrics.observe(metrics.BUSINESS_SYSTEM_LATENCY, (time.perf_counter() - started) * 1000)

    return wrapper  # type: ignore[return-value]


def shared_session() -> requests.Session:
    """One session per process, so a warm Lambda reuses its TCP/TLS connection to the system."""
    global _shared_session  # a per-process connection pool is the point
    if _shared_session is None:
        _shared_session = requests.Session()
    return _shared_session


class HttpBackend:
    """Client of a business system that implements the contract."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.timeout = timeout
        self._session = session

    def __repr__(self) -> str:  # no key in tracebacks' locals or logs
        return f"HttpBackend({self.base_url!r}, api_key={'***' if self._api_key else None})"

    @measured
    def auth_by_phone(self, phone: str, telegram_user_id: int) -> Login:
        where = "POST /auth/phone"
        response = self._request(
            where, "/auth/phone", json={"phone": phone, "telegram_user_id": telegram_user_id}
        )
        if response.status_code == 404 and _error_code(response) == "not_found":
            raise NotFoundError("no customer with this phone")
        if response.status_code == 403 and _error_code(response) == "blocked":
            raise BlockedError("the account is blocked")
        # A 401/403/404 without the contract's error code is the path or the API key being wrong
        # (a gateway's answer): telling every user "you are not a customer" would be worse.
        data = _json_object(response, where)
        token, user_type, name = data.get("token"), data.get("user_type"), data.get("name")
        if not isinstance(token, str) or not token:
            raise UnavailableError(f"{where}: the answer has no token")
        if user_type not in USER_TYPES:
            raise UnavailableError(f"{where}: user_type must be one of {USER_TYPES}")
        if not isinstance(name, str):
            raise UnavailableError(f"{where}: the answer has no name")
        return Login(token=token, user_type=str(user_type), name=name)

    @measured
    def list_orders(self, token: str, page: int, per_page: int) -> OrdersPage:
        check_paging(page, per_page)
        where = "GET /orders"
        response = self._request(where, "/orders", token=token, params={"page": page, "per_page": per_page})
        data = _json_object(response, where, authorized=True)
        items = data.get("items")
        if not isinstance(items, list):
            raise UnavailableError(f"{where}: the answer has no items list")
        try:
            orders = [Order.from_dict(item) for item in items]
        except OrderFormatError as error:
            raise UnavailableError(f"{where}: {error}") from None
        return OrdersPage(
            items=orders,
            page=_integer(data, "page", 1, where),
            per_page=_integer(data, "per_page", 1, where),
            total=_integer(data, "total", 0, where),
        )

    @measured
    def get_order(self, token: str, order_id: str) -> Order:
        if not order_id:
            raise NotFoundError("empty order id")
        where = "GET /orders/{id}"
        response = self._request(where, f"/orders/{quote(order_id, safe='')}", token=token)
        if response.status_code == 404:
            raise NotFoundError("no such order of this user")
        data = _json_object(response, where, authorized=True)
        try:
            return Order.from_dict(data)
        except OrderFormatError as error:
            raise UnavailableError(f"{where}: {error}") from None

    def _request(
        self, where: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        """Send one request; ``where`` ("GET /orders/{id}") names it in errors and logs, without ids."""
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers["X-Api-Key"] = self._api_key
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        method = where.split(" ", 1)[0]
        session = self._session or shared_session()
        try:
            # No redirects: following one would carry the API key and the token wherever it points.
            return session.request(
                method,
                self.base_url + path,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
                **kwargs,
            )
        except requests.Timeout:
            logger.warning("business system timed out: %s", where)
            raise UnavailableError(f"{where}: the business system did not answer in time") from None
        except requests.ConnectionError:
            logger.warning("business system unreachable: %s", where)
            raise UnavailableError(f"{where}: cannot connect to the business system") from None
        except requests.RequestException as error:  # e.g. an invalid BACKEND_URL
            logger.warning("business system request failed: %s: %s", where, type(error).__name__)
            raise UnavailableError(f"{where}: the request failed ({type(error).__name__})") from None


def _json_object(response: requests.Response, where: str, *, authorized: bool = False) -> dict[str, Any]:
    """The 200 answer's JSON object, or the error its status means."""
    status = response.status_code
    if authorized and status == 401:
        raise UnauthorizedError("the token expired or was revoked")
    if status != 200:
        logger.warning("business system answered %s to %s", status, where)
        if status >= 500:
            raise UnavailableError(f"{where}: the business system answered {status}")
        hint = ""
        if status in (401, 403):
            hint = " (is BACKEND_API_KEY right?)"
        elif status in (301, 302, 303, 307, 308, 404, 405):
            hint = " (is BACKEND_URL right?)"
        raise UnavailableError(f"{where}: status {status} is outside the contract{hint}")
    try:
        data = response.json()
    except ValueError:
        raise UnavailableError(f"{where}: the answer is not JSON") from None
    if not isinstance(data, dict):
        raise UnavailableError(f"{where}: the answer is not a JSON object")
    return data


def _integer(data: dict[str, Any], name: str, minimum: int, where: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise UnavailableError(f"{where}: {name} must be an integer of at least {minimum}")
    return value


def _error_code(response: requests.Response) -> str | None:
    """The contract's ``{"error": "..."}`` code, if the body is one."""
    try:
        data = response.json()
    except ValueError:
        return None
    code = data.get("error") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None
