"""Fixtures: the contract stub server, a moto-backed built-in backend, and both behind one face."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from moto import mock_aws

from supportbot.backend import Backend, Order
from supportbot.backend.builtin import BuiltinBackend, create_table
from supportbot.backend.client import HttpBackend
from tests.functional.backend.contract_server import ContractServer


@pytest.fixture
def backend_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto instead of AWS, with the built-in backend's table created as the template declares it."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-central-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        create_table()
        yield


@pytest.fixture
def contract_server() -> Iterator[ContractServer]:
    with ContractServer(api_key="service-key") as server:
        yield server


class Clock:
    """A settable now() for token expiry."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class BackendHarness:
    """One backend plus the means to seed it and to expire its tokens, whichever it is."""

    name: str
    backend: Backend
    add_customer: Callable[[str, str, str, bool], None]
    add_order: Callable[[str, Order], None]
    expire_tokens: Callable[[], None]


@pytest.fixture(params=["http", "builtin"])
def contract_backend(request: pytest.FixtureRequest) -> BackendHarness:
    if request.param == "http":
        server: ContractServer = request.getfixturevalue("contract_server")
        return BackendHarness(
            name="http",
            backend=HttpBackend(server.url, api_key="service-key"),
            add_customer=server.store.add_customer,
            add_order=lambda phone, order: server.store.add_order(phone, order.to_dict()),
            expire_tokens=server.store.expire_tokens,
        )
    request.getfixturevalue("backend_table")
    clock = Clock()
    builtin = BuiltinBackend(now=clock)

    def add_customer(phone: str, user_type: str, name: str, blocked: bool) -> None:
        builtin.upsert_customer(phone, user_type, name, blocked=blocked)

    def expire_tokens() -> None:
        clock.now += builtin.token_ttl + timedelta(seconds=1)

    return BackendHarness("builtin", builtin, add_customer, builtin.upsert_order, expire_tokens)
