"""The business system the bot reads customers and orders from: its HTTP API or the built-in one.

The contract is ``docs/business-system-openapi.yaml``. :func:`make_backend` picks the
implementation from the configuration; the rest of the bot only sees :class:`Backend`.
:class:`HttpBackend` (requests) and :class:`BuiltinBackend` (pynamodb) are imported on first use,
so a function pays only for the one it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from supportbot.backend.models import (
    Backend,
    BackendError,
    BlockedError,
    Login,
    NotFoundError,
    Order,
    OrderFormatError,
    OrdersPage,
    UnauthorizedError,
    UnavailableError,
)
from supportbot.backend.phones import normalize_phone

if TYPE_CHECKING:
    from supportbot.backend.builtin import BuiltinBackend
    from supportbot.backend.client import HttpBackend
    from supportbot.config import Config

__all__ = [
    "Backend",
    "BackendError",
    "BlockedError",
    "BuiltinBackend",
    "HttpBackend",
    "Login",
    "NotFoundError",
    "Order",
    "OrderFormatError",
    "OrdersPage",
    "UnauthorizedError",
    "UnavailableError",
    "make_backend",
    "normalize_phone",
]


def make_backend(config: Config) -> Backend:
    """The business system's API when ``BACKEND_URL`` is set, else the built-in backend."""
    if config.backend_url:
        from supportbot.backend.client import HttpBackend

        return HttpBackend(config.backend_url, api_key=config.backend_api_key)
    from supportbot.backend.builtin import BuiltinBackend

    return BuiltinBackend()


def __getattr__(name: str) -> Any:
    """Lazy ``HttpBackend`` / ``BuiltinBackend`` (PEP 562)."""
    if name == "HttpBackend":
        from supportbot.backend.client import HttpBackend

        return HttpBackend
    if name == "BuiltinBackend":
        from supportbot.backend.builtin import BuiltinBackend

        return BuiltinBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
