"""The built-in backend through the admin API: customers and orders, one by one and imported."""

from __future__ import annotations

import pytest

PHONE = "+79001112233"


def order(order_id="A-1", **fields):
    return {
        "id": order_id,
        "number": "10234",
        "title": "Sofa",
        "status": "paid",
        "status_text": None,
        "amount": "1234.50",
        "currency": "RUB",
        "updated_at": "2026-11-20T10:15:00+03:00",
        **fields,
    }


def login_orders(phone=PHONE):
    """What the bot would see for the customer (the backend's own contract)."""
    from supportbot.backend.builtin import BuiltinBackend

    backend = BuiltinBackend()
    login = backend.auth_by_phone(phone, 42)
    return login, backend.list_orders(login.token, 1, 50).items


def test_a_customer_is_upserted_by_phone_and_can_log_in(admin):
    status, body = admin.call("PUT", "/customers/8 900 111-22-33", {"user_type": "partner", "name": "Ann"})
    assert status == 200, body
    assert body == {"phone": PHONE, "user_type": "partner", "name": "Ann", "blocked": False}
    login, orders = login_orders()
    assert (login.user_type, login.name, orders) == ("partner", "Ann", [])
    assert admin.call("PUT", "/customers/not-a-phone", {"name": "X"})[1]["detail"][0]["loc"] == [
        "path",
        "phone",
    ]
    assert admin.call("PUT", f"/customers/{PHONE}", {"user_type": "boss"})[0] == 422


@pytest.mark.parametrize("path_phone", ["%2B79001112233", "8%20900%20111-22-33", "+79001112233"])
def test_a_percent_encoded_phone_in_the_path_is_the_same_customer(admin, path_phone):
    # GIVEN a client that encodes the path segment ("+" as %2B, spaces as %20)
    status, body = admin.call("PUT", f"/customers/{path_phone}", {"user_type": "customer", "name": "Ann"})
    # THEN it is the customer with that phone, never one with the digits of "%2B" in front
    assert (status, body["phone"]) == (200, PHONE)
    assert admin.call("PUT", f"/customers/{path_phone}/orders/A-1", order())[0] == 200
    assert [o.id for o in login_orders()[1]] == ["A-1"]
    assert admin.call("DELETE", f"/customers/{path_phone}")[1] == {"deleted": 2}


def test_customers_import_is_checked_whole_first(admin):
    rows = [{"phone": "+79001112233", "name": "Ann"}, {"phone": "+79004445566", "user_type": "partner"}]
    status, body = admin.call("POST", "/customers/import", [*rows, {"phone": "nope"}])
    assert status == 422
    assert body["detail"][0]["loc"] == ["body", 2, "phone"]
    from supportbot.backend.models import NotFoundError

    with pytest.raises(NotFoundError):
        login_orders()
    assert admin.call("POST", "/customers/import", rows) == (200, {"imported": 2})
    assert login_orders("+79004445566")[0].user_type == "partner"


def test_orders_one_by_one_and_deleted(admin):
    admin.call("PUT", f"/customers/{PHONE}", {"name": "Ann"})
    status, body = admin.call("PUT", f"/customers/{PHONE}/orders/A-1", order(id=None))
    assert status == 200, body
    assert body["id"] == "A-1"
    assert [o.id for o in login_orders()[1]] == ["A-1"]
    # AND what the contract forbids is refused, naming the field
    for bad, field in [
        (order(amount="12,50"), "amount"),
        (order(currency="rub"), "currency"),
        (order(updated_at="2026-11-20 10:15"), "updated_at"),
        (order(items_count=-1), "items_count"),
    ]:
        status, body = admin.call("PUT", f"/customers/{PHONE}/orders/A-1", bad)
        assert status == 422, bad
        assert body["detail"][0]["loc"][-1] == field
    # AND a body id other than the path's: valid by the document, against a rule it cannot state
    status, body = admin.call("PUT", f"/customers/{PHONE}/orders/A-1", order("B-2"))
    assert status == 400, body
    assert body["detail"][0]["loc"] == ["body", "id"]
    assert admin.call("PUT", f"/customers/{PHONE}/orders/bad%20id", order(id=None))[0] == 422
    assert admin.call("PUT", "/customers/+79990000000/orders/A-1", order())[0] == 404
    # WHEN deleted THEN gone; again: 404
    assert admin.call("DELETE", f"/customers/{PHONE}/orders/A-1") == (200, {"deleted": 1})
    assert admin.call("DELETE", f"/customers/{PHONE}/orders/A-1")[0] == 404
    assert login_orders()[1] == []
    assert admin.call("DELETE", f"/customers/{PHONE}") == (200, {"deleted": 1})
    assert admin.call("DELETE", f"/customers/{PHONE}")[0] == 404


def test_orders_import_as_json_or_csv(admin):
    admin.call("PUT", f"/customers/{PHONE}", {"name": "Ann"})
    status, body = admin.call("POST", f"/customers/{PHONE}/orders/import", [order("A-1"), order("A-2")])
    assert status == 200, body
    assert body == {"imported": 2, "phone": PHONE}
    csv_body = (
        "id,number,title,status,amount,currency,updated_at,items_count\n"
        "C-1,5001,Chair,,990.00,RUB,2026-11-21T09:00:00+03:00,2\n"
        'C-2,5002,"Table, oak",delivered,15000,RUB,2026-11-22T09:00:00Z,\n'
    )
    status, body = admin.call("POST", f"/customers/{PHONE}/orders/import", csv_body, content_type="text/csv")
    assert status == 200, body
    orders = {o.id: o for o in login_orders()[1]}
    assert sorted(orders) == ["A-1", "A-2", "C-1", "C-2"]
    assert (orders["C-1"].status, orders["C-1"].items_count, orders["C-2"].title) == (None, 2, "Table, oak")


@pytest.mark.parametrize(
    ("body", "content_type", "loc", "expected"),
    [
        ("[{", "application/json", ["body"], 422),
        ({"not": "a list"}, "application/json", ["body"], 422),
        ([{"id": "A-1"}], "application/json", ["body", 0, "number"], 422),
        # Valid by the document, against what it cannot state (an id twice, a CSV row's cells): 400
        ([{**order("A-1")}, {**order("A-1")}], "application/json", ["body", 1, "id"], 400),
        ("id,number,colour\nA,1,red\n", "text/csv", ["body"], 422),
        (
            "id,number,title,amount,currency,updated_at\nA-1,1,x,1.0,RUB,2026-01-01T00:00:00Z,extra\n",
            "text/csv",
            ["body", 0],
            400,
        ),
        (
            "id,number,title,amount,currency,updated_at\nA-1,1,x,abc,RUB,2026-01-01T00:00:00Z\n",
            "text/csv",
            ["body", 0, "amount"],
            400,
        ),
        ("<xml/>", "application/xml", ["header", "content-type"], 422),
    ],
)
def test_a_bad_orders_import_is_refused_naming_the_field_and_stores_nothing(
    admin, body, content_type, loc, expected
):
    admin.call("PUT", f"/customers/{PHONE}", {"name": "Ann"})
    status, answer = admin.call("POST", f"/customers/{PHONE}/orders/import", body, content_type=content_type)
    assert status == expected, answer
    assert answer["detail"][0]["loc"] == loc
    assert login_orders()[1] == []


def test_orders_import_for_an_unknown_customer_is_404(admin):
    assert admin.call("POST", f"/customers/{PHONE}/orders/import", [order()])[0] == 404


def test_a_customer_listed_twice_in_an_import_keeps_the_last_row(admin):
    rows = [{"phone": "+7 900 000-00-01", "name": "Old"}, {"phone": "89000000001", "name": "New"}]
    assert admin.call("POST", "/customers/import", rows) == (200, {"imported": 1})
    assert admin.call("GET", "/customers/+79000000001")[1]["name"] == "New"


def test_the_document_states_the_orders_csv_header(admin):
    import re

    document = admin.call("GET", "/openapi.json", key=None)[1]
    body = document["paths"]["/v1/admin/customers/{phone}/orders/import"]["post"]["requestBody"]
    header = re.compile(body["content"]["text/csv"]["schema"]["pattern"])
    assert header.match("id,number,title,amount,currency,updated_at\nA-1,1,x,1,RUB,2026-01-01T00:00:00Z\n")
    assert header.match("id,status")
    assert not header.match("id,colour\n")
    assert not header.match('"id",number\n')
