"""No admin GET route Scans a table, and a list reads a page: every DynamoDB call the routes make
is recorded (botocore's one entry point) while each GET operation of the OpenAPI document runs
over stored data; a new GET route fails here until it has an example below."""

from __future__ import annotations

import json
from typing import Any

import botocore.client
import pytest

from tests.functional.admin.test_admin_support import ANNA, BORIS, customer_writes, open_ticket

PATH_EXAMPLES = {
    "tree": "faq",
    "node_id": "delivery",
    "conversation_id": "C1",
    "phone": "+79000000001",
    "telegram_id": "1001",
    "chart_name": "hours",
    "broadcast_id": None,  # filled in from the one created
}


@pytest.fixture
def calls(monkeypatch):
    made: list[tuple[str, dict[str, Any]]] = []
    real = botocore.client.BaseClient._make_api_call

    def recorded(client, operation, params):
        made.append((operation, params))
        return real(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recorded)
    return made


def stored(admin):
    """Some of everything a GET route reads."""
    from supportbot.notifications.store import PendingOrderItem, pending_key
    from supportbot.storage.failed_updates import record_failed_update

    for user_id in (ANNA, BORIS):
        customer_writes(user_id, "Hi")
        open_ticket(user_id)
    record_failed_update({"update_id": 7}, ANNA, "boom")
    record_failed_update({"update_id": 8}, BORIS, "boom")
    for user_id in (ANNA, BORIS):  # an order's change waiting to be told
        PendingOrderItem(
            pending_key(user_id, "A-1"),
            user_id=user_id,
            order_id="A-1",
            number="1",
            event_type="order.updated",
            occurred=1,
            since=1,
        ).save()
    admin.call("POST", "/customers/import", [{"phone": "+79000000001", "name": "Anna"}])
    admin.call("POST", "/trees/faq/nodes", {"node_id": "delivery", "title": "Delivery", "text": "Soon"})
    status, created = admin.call("POST", "/broadcasts", {"text": "Hello", "test_chat_id": ANNA})
    assert status == 201, created
    return created["id"]


def test_no_get_route_scans_and_lists_read_a_page(admin, calls):
    from supportbot_admin import api
    from supportbot_admin.conversations import TICKETS_SHOWN

    broadcast = stored(admin)
    document = json.loads(api.openapi_json())
    checked = []
    for path, operations in document["paths"].items():
        if "get" not in operations:
            continue
        names = [p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "path"]
        examples = {**PATH_EXAMPLES, "broadcast_id": broadcast}
        missing = [name for name in names if name not in examples]
        assert not missing, f"GET {path}: add an example of {missing} to PATH_EXAMPLES"
        url = path.removeprefix("/v1/admin")
        for name in names:
            url = url.replace("{" + name + "}", examples[name])
        pages = "limit" in {p["name"] for p in operations["get"].get("parameters", [])}
        del calls[:]
        status, body = admin.call("GET", url + ("?limit=5" if pages else ""))
        assert status == 200, (path, body)
        operations_made = [operation for operation, _ in calls]
        assert "Scan" not in operations_made, f"GET {path} scans a table"
        if path == "/v1/admin/people/{telegram_id}/export":  # found by keys, and only hers
            assert [u["update_id"] for u in body["failed_updates"]] == [7]
            assert [n["user_id"] for n in body["notifications"]] == [ANNA]
        for operation, params in calls:
            if operation == "Query" and pages:  # a page (5 and the one telling if more), or a few tickets
                assert params.get("Limit", 10**9) <= max(6, TICKETS_SHOWN), (
                    f"GET {path} reads more than a page: {params}"
                )
        checked.append(path)
    assert {
        "/v1/admin/conversations",
        "/v1/admin/tickets",
        "/v1/admin/stats",
        "/v1/admin/failed-updates",
    } <= set(checked)
    assert {"/v1/admin/customers", "/v1/admin/customers/{phone}/orders", "/v1/admin/broadcasts"} <= set(
        checked
    )
