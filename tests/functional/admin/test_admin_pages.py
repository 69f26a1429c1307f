"""Every admin list is a page: ``?limit=`` (at most 100) and ``?cursor=``, ``next_cursor`` null on
the last page, filters as key conditions, and a cursor that is not this list's own answers 400."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.functional.admin.test_admin_support import ANNA, BORIS, customer_writes, open_ticket


def walk(admin, path, key, limit):
    """Every item of a list, page by page; the pages' sizes."""
    items, sizes, cursor = [], [], None
    while True:
        sep = "&" if "?" in path else "?"
        status, body = admin.call(
            "GET", f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        )
        assert status == 200, body
        items += body[key]
        sizes.append(len(body[key]))
        cursor = body["next_cursor"]
        if cursor is None:
            return items, sizes


@pytest.fixture
def five_tickets(admin):
    from supportbot.support import tickets

    made = [
        open_ticket(ANNA, kind, f"k{n}")
        for n, kind in enumerate(["photo", "incident", "photo", "photo", "incident"])
    ]
    tickets.move(made[0], tickets.IN_PROGRESS)
    tickets.move(made[1], tickets.CLOSED)
    tickets.move(made[2], tickets.CLOSED, outcome=tickets.REFUSED)
    return [t.ref for t in made]  # Ф-1 Ж-1 Ф-2 Ф-3 Ж-2; statuses in_progress closed closed open open


def test_tickets_page_through_newest_first_and_the_last_page_says_so(admin, five_tickets):
    refs, sizes = walk(admin, "/tickets", "tickets", 2)
    assert [t["ref"] for t in refs] == five_tickets[::-1]
    assert sizes == [2, 2, 1]
    # A list that ends exactly at a page's end has no empty page after it
    _, sizes = walk(admin, "/tickets?status=closed", "tickets", 2)
    assert sizes == [2]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=photo", ["Ф-3", "Ф-2", "Ф-1"]),
        ("status=closed", ["Ф-2", "Ж-1"]),
        ("status=open", ["Ж-2", "Ф-3"]),
        ("kind=photo&status=open", ["Ф-3"]),
        ("kind=incident&status=in_progress", []),
    ],
)
def test_tickets_by_kind_and_status_page_by_their_own_key(admin, five_tickets, query, expected):
    for limit in (1, 2, 50):
        found, _ = walk(admin, f"/tickets?{query}", "tickets", limit)
        assert [t["ref"] for t in found] == expected


def test_a_cursor_that_is_not_this_lists_own_is_400(admin, five_tickets):
    status, body = admin.call("GET", "/tickets?limit=1")
    cursor = body["next_cursor"]
    payload, mac = cursor.split(".")
    forged = ("e30" if payload != "e30" else "e31") + "." + mac  # {} signed with the wrong data
    for bad in (forged, "nonsense", "a.b.c", "%%%.x", cursor + "x"):
        status, body = admin.call("GET", f"/tickets?cursor={bad}")
        assert status == 400, (bad, body)
        assert "cursor" in body["message"]
    # a cursor of another filter, or of another list, is refused too
    assert admin.call("GET", f"/tickets?status=open&cursor={cursor}")[0] == 400
    assert admin.call("GET", f"/failed-updates?cursor={cursor}")[0] == 400
    # and the limit is bounded
    assert admin.call("GET", "/tickets?limit=101")[0] == 422
    assert admin.call("GET", "/tickets?limit=0")[0] == 422


def test_a_cursor_survives_a_rotation_of_the_admin_key(admin, five_tickets, monkeypatch):
    from tests.functional.admin.conftest import ADMIN_KEY
    from tests.functional.conftest import reset_singletons

    cursor = admin.call("GET", "/tickets?limit=2")[1]["next_cursor"]
    monkeypatch.setenv("ADMIN_API_KEY", "admin-test-key-2")
    monkeypatch.setenv("ADMIN_API_KEY_PREVIOUS", ADMIN_KEY)
    reset_singletons()
    status, body = admin.call("GET", f"/tickets?limit=2&cursor={cursor}", key="admin-test-key-2")
    assert (status, [t["ref"] for t in body["tickets"]]) == (200, ["Ф-2", "Ж-1"])


def test_failed_updates_page_newest_first(admin):
    from supportbot.storage.failed_updates import FailedUpdateItem

    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(5):
        moment = start + timedelta(minutes=n)
        FailedUpdateItem(
            update_id=100 + n,
            update={"update_id": 100 + n},
            error="boom",
            recorded_at=moment,
            expires_at=moment + timedelta(days=14),
        ).save()
    found, sizes = walk(admin, "/failed-updates", "items", 2)
    assert [i["update_id"] for i in found] == [104, 103, 102, 101, 100]
    assert sizes == [2, 2, 1]


def test_customers_and_their_orders_are_browsable_a_page_at_a_time(admin):
    from tests.functional.admin.test_admin_customers import order

    rows = [{"phone": f"+7900000000{n}", "name": f"Client {n}"} for n in range(5)]
    assert admin.call("POST", "/customers/import", rows)[0] == 200
    admin.call("PUT", "/customers/+79000000007", {"name": "Late", "user_type": "partner", "blocked": True})
    found, sizes = walk(admin, "/customers", "customers", 2)
    assert [c["phone"] for c in found] == [*(r["phone"] for r in rows), "+79000000007"]
    assert sizes == [2, 2, 2]
    assert found[-1] == {"phone": "+79000000007", "name": "Late", "user_type": "partner", "blocked": True}
    assert admin.call("GET", "/customers/%2B79000000001")[1]["name"] == "Client 1"
    assert admin.call("GET", "/customers/+79000000009")[0] == 404
    orders = [order(f"A-{n}") for n in range(3)]
    assert admin.call("POST", "/customers/+79000000001/orders/import", orders)[0] == 200
    found, sizes = walk(admin, "/customers/+79000000001/orders", "orders", 2)
    assert [o["id"] for o in found] == ["A-0", "A-1", "A-2"]
    assert found[0]["title"] == orders[0]["title"]
    assert sizes == [2, 1]
    assert admin.call("GET", "/customers/+79000000002/orders")[1] == {
        "phone": "+79000000002",
        "orders": [],
        "next_cursor": None,
    }
    assert admin.call("GET", "/customers/+79000000009/orders")[0] == 404
    # a cursor of one customer's orders is not another's
    cursor = admin.call("GET", "/customers/+79000000001/orders?limit=1")[1]["next_cursor"]
    assert admin.call("GET", f"/customers/+79000000002/orders?cursor={cursor}")[0] == 400


def test_a_thread_pages_back_through_its_own_messages_only(admin):
    from supportbot.support import conversations

    customer_writes(ANNA, "old question")
    conversations.close(conversations.find(1), conversations.BY_CUSTOMER)
    for n in range(5):
        customer_writes(ANNA, f"m{n}")
    customer_writes(BORIS, "someone else")
    body = admin.call("GET", "/conversations/C2?limit=2")[1]
    assert [m["parts"][0]["text"] for m in body["messages"]] == ["m3", "m4"]  # the newest, oldest first
    texts, cursor = [], body["next_cursor"]
    while cursor:
        body = admin.call("GET", f"/conversations/C2?limit=2&cursor={cursor}")[1]
        texts = [m["parts"][0]["text"] for m in body["messages"]] + texts
        cursor = body["next_cursor"]
    assert texts == ["m0", "m1", "m2"]
    body = admin.call("GET", "/conversations/C1")[1]
    assert ([m["parts"][0]["text"] for m in body["messages"]], body["next_cursor"]) == (
        ["old question"],
        None,
    )


def test_conversations_page_by_activity_and_by_status_or_desk_through_merged_partitions(admin, monkeypatch):
    from supportbot.support import conversations
    from tests.functional.conftest import reset_singletons

    # GIVEN conversations of two desks (the deployment moved from its inbox to Blinger), some closed
    for n in range(5):
        customer_writes(2000 + n, f"q{n}")
    monkeypatch.setenv("SUPPORT_DESK", "blinger")
    reset_singletons()
    for n in range(5, 9):
        customer_writes(2000 + n, f"q{n}")
    for number in (2, 6, 7):
        conversations.close(conversations.find(number), conversations.BY_OPERATOR)
    customer_writes(2000, "q0 again")  # C1's activity is now the newest
    everyone, sizes = walk(admin, "/conversations", "conversations", 3)
    assert [c["id"] for c in everyone] == ["C1", "C7", "C6", "C2", "C9", "C8", "C5", "C4", "C3"]
    assert sizes == [3, 3, 3]
    for query, expected in (
        ("desk=inbox", ["C1", "C2", "C5", "C4", "C3"]),
        ("desk=blinger", ["C7", "C6", "C9", "C8"]),
        ("status=closed", ["C7", "C6", "C2"]),
        ("status=open", ["C1", "C9", "C8", "C5", "C4", "C3"]),
        ("status=rated", []),
    ):
        for limit in (1, 2, 100):
            found, _ = walk(admin, f"/conversations?{query}", "conversations", limit)
            assert [c["id"] for c in found] == expected, (query, limit)
    status, body = admin.call("GET", "/conversations?status=open&desk=inbox")
    assert (status, body["detail"][0]["loc"]) == (400, ["query", "desk"])  # one filter at a time
    cursor = admin.call("GET", "/conversations?desk=inbox&limit=1")[1]["next_cursor"]
    assert admin.call("GET", f"/conversations?desk=blinger&cursor={cursor}")[0] == 400
