"""The admin lists at two sizes of a shop (about 1,000 and 100,000 stored messages): what each GET
reads. Every DynamoDB call the admin function makes is recorded at botocore's one entry point:
items read (``ScannedCount``: what DynamoDB reads and bills, before any filter) and read
capacity units, computed as DynamoDB bills a Query (the sizes of the items read, summed and
rounded up to 4 KB, halved for eventually consistent reads; a GetItem 0.5 or 1 per 4 KB). The
figures are the point: flat from one size to the other. Milliseconds are printed for information
only (moto's own Query walks the whole table, so its time grows with it; DynamoDB's does not).

The data is written straight into moto's tables in batches (conversations of ten messages each,
a ticket every ten conversations, customers with orders, failed updates), then each list is
called through the admin function's handler as API Gateway would.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SIZES = (1_000, 100_000)
MESSAGES_PER_CONVERSATION = 10
KEY = "bench-admin-key"
PAGE = 50


def item_size(item: dict[str, Any]) -> int:
    """Bytes of a DynamoDB item as DynamoDB counts them (names + values)."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def value_size(value: dict[str, Any]) -> int:
    (kind, data), *_ = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return math.ceil(len(str(data).lstrip("-").replace(".", "")) / 2) + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in data.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in data)
    return sum(len(str(v).encode()) for v in data)  # sets


class Recorder:
    """Items read and read capacity of every DynamoDB call (installed on botocore's client)."""

    def __init__(self) -> None:
        self.items = 0
        self.capacity = 0.0
        self.calls: list[str] = []

    def record(self, operation: str, params: dict[str, Any], answer: dict[str, Any]) -> None:
        self.calls.append(operation)
        halve = 1.0 if params.get("ConsistentRead") else 0.5
        if operation in ("Query", "Scan"):
            self.items += int(answer.get("ScannedCount", answer.get("Count", 0)))
            read = sum(item_size(item) for item in answer.get("Items", []))
            self.capacity += max(1, math.ceil(read / 4096)) * halve
        elif operation == "GetItem":
            found = answer.get("Item")
            self.items += int(found is not None)
            self.capacity += max(1, math.ceil(item_size(found or {}) / 4096)) * halve
        elif operation == "BatchGetItem":
            for items in answer.get("Responses", {}).values():
                self.items += len(items)
                self.capacity += sum(max(1, math.ceil(item_size(i) / 4096)) * halve for i in items)


def seed(client: Any, tables: dict[str, str], messages: int) -> dict[str, Any]:
    """A shop's data with ``messages`` stored messages; what the lists are called with."""
    from supportbot.backend.builtin import ORDER_PREFIX, customer_key, profile_item
    from supportbot.storage.failed_updates import FailedUpdateItem
    from supportbot.support.conversations import ConversationItem, CountsItem, conversation_key, owner_key
    from supportbot.support.messages import MarkerItem, MessageItem, Part, user_key
    from supportbot.support.tickets import TicketItem, index_keys, ticket_key

    start = datetime(2026, 1, 1, tzinfo=UTC)
    conversations_count = max(1, messages // MESSAGES_PER_CONVERSATION)
    batches: dict[str, list[dict[str, Any]]] = {name: [] for name in tables.values()}
    conversations_table, backend, failed = (
        tables["CONVERSATIONS_TABLE"],
        tables["BACKEND_TABLE"],
        tables["FAILED_UPDATES_TABLE"],
    )

    def put(table: str, item: Any) -> None:
        batches[table].append(item.serialize())
        if len(batches[table]) == 25:
            flush(table)

    def flush(table: str) -> None:
        while batches[table]:
            requests = [{"PutRequest": {"Item": item}} for item in batches[table][:25]]
            del batches[table][:25]
            left = client.batch_write_item(RequestItems={table: requests}).get("UnprocessedItems", {})
            for request in left.get(table, []):
                batches[table].append(request["PutRequest"]["Item"])

    tickets = 0
    for n in range(1, conversations_count + 1):
        user_id = 500_000_000 + n
        opened = start + timedelta(minutes=n)
        last = opened + timedelta(seconds=MESSAGES_PER_CONVERSATION)
        status = "open" if n % 3 else "closed"
        put(
            conversations_table,
            ConversationItem(
                user_key(user_id),
                conversation_key(n),
                number=n,
                user_id=user_id,
                status=status,
                desk="inbox",
                customer={"name": f"Customer {n}", "phone": f"+7900{n:07d}", "type": "customer"},
                opened_at=opened,
                last_activity_at=last,
                messages=MESSAGES_PER_CONVERSATION,
                preview="Where is my order?",
            ).keep_keys(),
        )
        put(conversations_table, MarkerItem(owner_key(n), "-", value=user_id))
        for m in range(MESSAGES_PER_CONVERSATION):
            moment = opened + timedelta(seconds=m)
            put(
                conversations_table,
                MessageItem(
                    user_key(user_id),
                    f"M#{moment:%Y%m%dT%H%M%S%f}#{n:08d}{m:02d}",
                    msg_id=f"{n:08d}{m:02d}",
                    user_id=user_id,
                    destination="blinger" if m % 2 == 0 else "customer",
                    conversation=n,
                    role="customer" if m % 2 == 0 else "operator",
                    parts=[Part(kind="text", text=f"Message {m} of the conversation about order A-{n}")],
                    status="sent",
                    created_at=moment,
                ),
            )
        if n % 10 == 0:
            tickets += 1
            kind = "photo" if tickets % 2 else "incident"
            ticket_status = ("open", "in_progress", "closed")[tickets % 3]
            ticket = TicketItem(
                user_key(user_id),
                ticket_key(tickets),
                number=tickets,
                ref=f"{'Ф' if kind == 'photo' else 'Ж'}-{tickets}",
                user_id=user_id,
                kind=kind,
                status=ticket_status,
                conversation=n,
                title="Damaged box",
                created_at=opened,
                updated_at=opened,
            )
            for name, value in index_keys(kind, ticket_status, tickets).items():
                setattr(ticket, name, value)
            put(conversations_table, ticket)
            phone = f"+7901{tickets:07d}"
            put(backend, profile_item(phone, "customer", f"Customer {tickets}", False))
            for k in range(5):
                order = {
                    "id": f"A-{k}",
                    "number": f"A-{k}",
                    "amount": "10.00",
                    "currency": "RUB",
                    "updated_at": "2026-01-01T10:00:00+03:00",
                }
                put(backend, _backend_item(customer_key(phone), ORDER_PREFIX + f"A-{k}", order))
            put(
                failed,
                FailedUpdateItem(
                    update_id=tickets,
                    user_id=user_id,
                    update={"update_id": tickets},
                    error="boom",
                    recorded_at=opened,
                    expires_at=opened + timedelta(days=14),
                ),
            )
    put(conversations_table, CountsItem("STATS", "conversations", total=conversations_count, live=0))
    for table in list(batches):
        flush(table)
    middle = conversations_count // 2 or 1
    return {"conversation": f"C{middle}", "phone": "+79010000001", "tickets": tickets}


def _backend_item(pk: str, sk: str, order: dict[str, Any]) -> Any:
    from supportbot.backend.builtin import BackendItem

    return BackendItem(pk, sk, order=order)


LISTS = (
    ("conversations (the inbox)", "/conversations?limit={page}"),
    ("a conversation's thread", "/conversations/{conversation}?limit={page}"),
    ("tickets", "/tickets?limit={page}"),
    ("tickets by status", "/tickets?status=open&limit={page}"),
    ("tickets by kind", "/tickets?kind=photo&limit={page}"),
    ("failed updates", "/failed-updates?limit={page}"),
    ("customers", "/customers?limit={page}"),
    ("a customer's orders", "/customers/{phone}/orders?limit={page}"),
    ("stats", "/stats"),
)


def measure(messages: int) -> dict[str, dict[str, float]]:
    import boto3
    import botocore.client
    from moto import mock_aws

    from infra.template import create_tables, load_template, table_definitions

    tables = {
        variable: f"bench-{variable.lower().replace('_', '-')}"
        for variable in table_definitions(load_template())
    }
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]  # an earlier part's local stack: moto is in process here
    os.environ.update(tables)
    os.environ.update({"ADMIN_API_KEY": KEY, "AWS_DEFAULT_REGION": "eu-central-1"})
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "bench")
    results: dict[str, dict[str, float]] = {}
    with mock_aws():
        client = boto3.client("dynamodb")
        create_tables(client, tables)
        from tests.functional.conftest import reset_singletons

        reset_singletons()
        examples = seed(client, tables, messages)
        from functions.admin import app
        from infra.localstack.api import Match, build_event, to_http
        from tests.functional.admin.conftest import ROUTE
        from tests.functional.events import FakeLambdaContext

        recorder = Recorder()
        real = botocore.client.BaseClient._make_api_call

        def recorded(client: Any, operation: str, params: dict[str, Any]) -> Any:
            answer = real(client, operation, params)
            recorder.record(operation, params, answer)
            return answer

        botocore.client.BaseClient._make_api_call = recorded  # type: ignore[method-assign]
        try:
            for name, template in LISTS:
                path = "/v1/admin" + template.format(page=PAGE, **examples)
                event = build_event(Match(ROUTE, {}), "GET", path, [("x-api-key", KEY)], b"", "127.0.0.1")
                recorder.__init__()  # type: ignore[misc]
                began = time.perf_counter()
                status, _, _, body = to_http(app.lambda_handler(event, FakeLambdaContext()))
                elapsed = (time.perf_counter() - began) * 1000
                if status != 200:
                    raise RuntimeError(f"{path}: {status} {body[:300]!r}")
                listed = json.loads(body)
                shown = next((len(v) for v in listed.values() if isinstance(v, list)), 0)
                results[name] = {
                    "shown": shown,
                    "items": recorder.items,
                    "capacity": recorder.capacity,
                    "ms": elapsed,
                    "scans": recorder.calls.count("Scan"),
                }
        finally:
            botocore.client.BaseClient._make_api_call = real  # type: ignore[method-assign]
    return results


def report(sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "layers" / "admin"))
    measured = {size: measure(size) for size in sizes}
    small, large = sizes[0], sizes[-1]
    lines = [
        f"Admin lists, a page of {PAGE}: items read / read capacity units / ms (ms for information only: moto's",
        "own Query time grows with the table, DynamoDB's does not)",
        f"{'list':28} {'at ' + format(small, ',') + ' messages':>26} {'at ' + format(large, ',') + ' messages':>26}  shown",
    ]
    # Bounded by the page, not the table: a page and the item telling whether there is a next one,
    # from each of at most three merged partitions, and a few single-item lookups.
    bound = 3 * (PAGE + 1) + 10
    flat = True
    for name, _ in LISTS:
        a, b = measured[small][name], measured[large][name]
        flat = flat and b["items"] <= max(a["items"], bound)
        cells = [f"{f['items']:>5.0f} / {f['capacity']:>5.1f} / {f['ms']:>6.0f}" for f in (a, b)]
        lines.append(f"{name:28} {cells[0]:>26} {cells[1]:>26}  {b['shown']:.0f}")
    scans = sum(f["scans"] for sizes_ in measured.values() for f in sizes_.values())
    lines.append(
        f"Scans: {scans}; every list reads at most {bound} items at {large:,} messages (a page, not the"
        f" table): {'yes' if flat else 'NO'}"
    )
    return {"text": "\n".join(lines), "figures": measured, "flat": flat, "scans": scans}


if __name__ == "__main__":
    sizes = tuple(int(s) for s in sys.argv[1:]) or SIZES
    print(report(sizes)["text"])
