"""DynamoDB work per update: one session read, at most one session write, counted at the request
level (every DynamoDB request of the process, whichever client makes it)."""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

import pytest
from botocore.client import BaseClient

from infra.demo import CUSTOMER_PHONE
from supportbot.storage.sessions import SessionItem, load_session

SESSIONS = os.environ["SESSIONS_TABLE"]


class DynamoRequests:
    """Every DynamoDB request made while it is installed, as (operation, table, params)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, str | None, dict[str, Any]]] = []
        real = BaseClient._make_api_call
        requests = self

        def recording(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name == "dynamodb":
                table = params.get("TableName")
                if table is None and "RequestItems" in params:
                    table = ",".join(sorted(params["RequestItems"]))
                requests.calls.append((operation, table, params))
            return real(client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", recording)

    def clear(self) -> None:
        self.calls.clear()

    def on(self, table: str) -> Counter[str]:
        return Counter(operation for operation, name, _ in self.calls if name == table)

    def others(self) -> Counter[str]:
        return Counter(f"{operation} {name}" for operation, name, _ in self.calls if name != SESSIONS)


@pytest.fixture
def ann(harness):
    # GIVEN Ann, logged in, at the main menu
    ann = harness.user(100000001, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    return ann


@pytest.fixture
def dynamo(monkeypatch):
    return DynamoRequests(monkeypatch)


def test_a_menu_tap_reads_the_session_once_and_writes_it_once(ann, dynamo):
    # WHEN Ann opens the FAQ
    ann.tap("❓ FAQ")
    # THEN the session was read once (consistently) and written once (conditionally on its version)
    assert dynamo.on(SESSIONS) == Counter({"GetItem": 1, "PutItem": 1})
    (get,) = [
        params for operation, table, params in dynamo.calls if operation == "GetItem" and table == SESSIONS
    ]
    assert get["ConsistentRead"] is True
    (put,) = [
        params for operation, table, params in dynamo.calls if operation == "PutItem" and table == SESSIONS
    ]
    assert "ConditionExpression" in put
    # AND the only other request is the one Query that loads the FAQ tree (then cached)
    assert dynamo.others() == Counter({"Query test-content": 1})
    dynamo.clear()
    ann.tap("Delivery")
    assert dynamo.on(SESSIONS) == Counter({"GetItem": 1, "PutItem": 1})
    assert dynamo.others() == Counter()


def test_orders_read_the_session_once_and_the_backend_separately(ann, dynamo):
    # WHEN Ann opens her orders, then an order
    ann.tap("📦 My orders")
    # THEN one session read and one write; the built-in backend's reads are its own: one each, the
    # token's phone being remembered by the warm container since the login
    assert dynamo.on(SESSIONS) == Counter({"GetItem": 1, "PutItem": 1})
    assert dynamo.others() == Counter({"Query test-backend": 1})
    dynamo.clear()
    ann.tap(next(label for label in ann.labels(ann.menu) if label.startswith("№")))
    assert dynamo.on(SESSIONS) == Counter({"GetItem": 1, "PutItem": 1})
    assert dynamo.others() == Counter({"BatchGetItem test-backend": 1})


def test_typed_text_and_repeats_cost_one_read_and_at_most_one_write(harness, ann, dynamo):
    # WHEN Ann types where buttons are expected: one read, one write (the update is marked done)
    update = harness.world.user_sends_text(ann.user_id, "hi")
    harness.deliver(update)
    assert dynamo.on(SESSIONS) == Counter({"GetItem": 1, "PutItem": 1})
    dynamo.clear()
    # WHEN Telegram repeats that update: one read, no write
    harness.deliver(update)
    assert dynamo.on(SESSIONS) == Counter({"GetItem": 1})
    assert dynamo.others() == Counter()


def test_the_session_item_stays_small(ann):
    # GIVEN Ann deep in the FAQ after a long walk through her orders
    ann.tap("📦 My orders")
    for _ in range(6):
        ann.tap("▶️")
    ann.tap(next(label for label in ann.labels(ann.menu) if label.startswith("№")))
    ann.tap("🏠 Main menu")
    ann.tap("❓ FAQ")
    ann.tap("Payment")
    ann.tap("When is the money taken?")
    # THEN the stored item is well under 1 KB (one write unit)
    item = load_session(ann.user_id)
    size = len(json.dumps(item.serialize(), ensure_ascii=False).encode())
    assert size < 1024, item.serialize()
    assert SessionItem.Meta.table_name == SESSIONS
