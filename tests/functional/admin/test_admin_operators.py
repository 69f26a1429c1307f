"""Operators as people: personal keys (stored hashed, reissued, revoked), roles per route, the audit."""

from __future__ import annotations

import json
import re

import boto3
import pytest

from supportbot_admin.access import ROUTES, shape
from tests.functional.admin.conftest import ADMIN_KEY

SAMPLE = {"tree": "faq", "phone": "79001234567", "operator_id": "op-000000000000"}


def add(admin, name="Olga", role="operator", **extra):
    status, body = admin.call("POST", "/operators", {"name": name, "role": role, **extra})
    assert status == 201, body
    return body


def concrete(route: str) -> tuple[str, str]:
    """A route of ROUTES as a request: its parameters given sample values."""
    method, path = route.split(" ", 1)
    path = re.sub(r"\{([^}]*)\}", lambda m: SAMPLE.get(m.group(1), "1"), path)
    return method, path.removeprefix("/v1/admin")


def test_every_route_of_the_api_has_its_role_declared_in_one_place(admin):
    status, document = admin.call("GET", "/openapi.json", key=None)
    assert status == 200
    served = {shape(f"{m.upper()} {p}") for p, ops in document["paths"].items() for m in ops}
    assert served == {shape(route) for route in ROUTES}
    # AND the document says which role each operation needs
    operation = document["paths"]["/v1/admin/operators"]["post"]
    assert operation["x-required-role"] == "admin"
    assert operation["description"].startswith("Needs role admin.")
    assert document["paths"]["/v1/admin/conversations"]["get"]["x-required-role"] == "operator"


def test_an_admin_creates_an_operator_whose_key_is_shown_once_and_never_listed(admin):
    # WHEN the bootstrap admin adds an operator
    created = add(admin, "Olga Petrova", telegram_id=7000000501)
    # THEN 201 with the id, name, role and the key
    assert set(created) == {"id", "name", "role", "key"}
    assert created["name"] == "Olga Petrova"
    assert created["role"] == "operator"
    assert re.fullmatch(r"sbk_[A-Za-z0-9_-]{43}", created["key"])
    # AND the list shows them without any key
    status, listed = admin.call("GET", "/operators")
    assert status == 200
    (operator,) = listed["operators"]
    assert operator["id"] == created["id"]
    assert operator["telegram_id"] == 7000000501
    assert operator["created_by"] == "bootstrap"
    assert "key" not in operator
    assert created["key"] not in json.dumps(listed)
    # AND the key itself is stored nowhere, only its HMAC
    from supportbot.operators import hash_key

    raw = json.dumps(boto3.client("dynamodb").scan(TableName="test-operators")["Items"])
    assert created["key"] not in raw
    assert hash_key(created["key"], "operator-key-test-secret") in raw
    # AND the key says who it is
    assert admin.call("GET", "/me", key=created["key"]) == (
        200,
        {"id": created["id"], "name": "Olga Petrova", "role": "operator"},
    )
    assert admin.call("GET", "/me") == (200, {"id": "bootstrap", "name": "ADMIN_API_KEY", "role": "admin"})


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_each_route_is_allowed_or_refused_by_role(admin, route):
    operator = add(admin, "Olga", "operator")["key"]
    second_admin = add(admin, "Ivan", "admin")["key"]
    method, path = concrete(route)
    body = {} if method in ("POST", "PUT", "PATCH") else None
    # An operator: refused with the role named, or let through to the route
    status, answer = admin.call(method, path, body, key=operator)
    if ROUTES[route] == "admin":
        assert (status, answer) == (403, {"detail": "needs role admin"})
    else:
        assert status not in (401, 403), answer
        assert status < 500
    # An admin of their own (and the bootstrap key) is never refused for the role
    for key in (second_admin, ADMIN_KEY):
        status, answer = admin.call(method, path, body, key=key)
        assert status not in (401, 403), (route, answer)
        assert status < 500


def test_an_operator_cannot_reach_unknown_paths_or_escalate(admin):
    operator = add(admin)
    key = operator["key"]
    # An unknown path needs an admin: the operator learns nothing (403, not 404)
    assert admin.call("GET", "/no/such/route", key=key) == (403, {"detail": "needs role admin"})
    assert admin.call("GET", "/no/such/route")[0] == 404
    # No way to make themselves or anyone an admin, or to take another's key
    assert admin.call("POST", "/operators", {"name": "Me", "role": "admin"}, key=key)[0] == 403
    assert admin.call("POST", f"/operators/{operator['id']}/key", key=key)[0] == 403
    assert admin.call("DELETE", f"/operators/{operator['id']}", key=key)[0] == 403
    # AND nothing was created
    assert [o["name"] for o in admin.call("GET", "/operators")[1]["operators"]] == ["Olga"]


def test_a_reissued_key_replaces_the_old_one_at_once(admin):
    created = add(admin)
    old = created["key"]
    status, issued = admin.call("POST", f"/operators/{created['id']}/key")
    assert status == 200
    assert issued["id"] == created["id"]
    assert issued["key"] != old
    assert admin.call("GET", "/me", key=old)[0] == 403
    assert admin.call("GET", "/me", key=issued["key"])[1]["id"] == created["id"]
    assert admin.call("POST", "/operators/op-ffffffffffff/key")[0] == 404


def test_a_removed_operator_s_key_stops_at_once(admin):
    created = add(admin, telegram_id=7000000502)
    assert admin.call("DELETE", f"/operators/{created['id']}")[0] == 204
    assert admin.call("GET", "/me", key=created["key"])[0] == 403
    assert admin.call("GET", "/operators")[1] == {"operators": []}
    assert admin.call("DELETE", f"/operators/{created['id']}")[0] == 404
    # AND their Telegram id is free again
    add(admin, "Someone else", telegram_id=7000000502)


def test_a_telegram_id_belongs_to_one_operator(admin):
    from supportbot.operators import operator_by_telegram_id

    first = add(admin, telegram_id=7000000503)
    status, body = admin.call(
        "POST", "/operators", {"name": "Twin", "role": "admin", "telegram_id": 7000000503}
    )
    assert status == 409  # another operator's: the stored state refuses it, not the request's shape
    assert "7000000503" in body["message"]
    found = operator_by_telegram_id(7000000503)
    assert found is not None
    assert found.operator_id == first["id"]
    assert operator_by_telegram_id(7000000504) is None


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "role": "owner"},
        {"name": "", "role": "operator"},
        {"name": "   ", "role": "operator"},
        {"name": "a\nb", "role": "operator"},
        {"role": "operator"},
        {"name": "X", "role": "operator", "telegram_id": 0},
    ],
)
def test_bad_operators_are_refused_naming_the_field(admin, body):
    status, answer = admin.call("POST", "/operators", body)
    assert status == 422
    assert answer["detail"][0]["loc"][0] == "body"


def test_keys_that_only_look_like_keys_are_nobody_s(admin):
    created = add(admin)
    from supportbot.operators import hash_key

    for guess in (
        created["key"][:-1],
        created["key"] + "x",
        created["key"].upper(),
        hash_key(created["key"], "operator-key-test-secret"),
        "sbk_" + "A" * 43,
        "sbk_" + "A" * 200,
    ):
        assert admin.call("GET", "/me", key=guess)[0] == 403


def test_without_the_server_secret_no_operator_key_is_issued_or_accepted(admin, monkeypatch):
    from supportbot.config import get_config

    created = add(admin)
    monkeypatch.delenv("OPERATOR_KEY_SECRET")
    get_config.cache_clear()
    status, body = admin.call("POST", "/operators", {"name": "X", "role": "operator"})
    assert status == 409
    assert "OPERATOR_KEY_SECRET" in body["message"]
    assert admin.call("POST", f"/operators/{created['id']}/key")[0] == 409
    assert admin.call("GET", "/me", key=created["key"])[0] == 403
    assert admin.call("GET", "/me")[0] == 200  # the bootstrap key still works


def test_every_change_is_audited_with_who_and_when_newest_first_a_page_at_a_time(admin):
    operator = add(admin, "Olga")
    # GIVEN changes by the bootstrap admin and by the operator, reads and a refused call
    admin.call("POST", "/trees/faq/nodes", {"parent_id": "root", "title": "Доставка"})
    admin.call("GET", "/conversations", key=operator["key"])
    admin.call("POST", "/trees/faq/nodes", {"parent_id": "root", "title": "X"}, key=operator["key"])
    admin.call("PATCH", "/tickets/Ж-77", {"status": "closed", "version": 1}, key=operator["key"])  # 404
    admin.call("POST", f"/operators/{operator['id']}/key")
    # WHEN the audit is read two at a time
    status, page = admin.call("GET", "/audit?limit=2")
    assert status == 200
    changes = page["changes"]
    assert page["next_cursor"]
    status, rest = admin.call("GET", f"/audit?limit=2&cursor={page['next_cursor']}")
    changes += rest["changes"]
    while rest["next_cursor"]:
        rest = admin.call("GET", f"/audit?limit=2&cursor={rest['next_cursor']}")[1]
        changes += rest["changes"]
    # THEN the three changes that happened, newest first, each with who made it
    assert [(c["actor_name"], c["method"], c["route"], c["status"]) for c in changes] == [
        ("ADMIN_API_KEY", "POST", "POST /v1/admin/operators/{operator_id}/key", 200),
        ("ADMIN_API_KEY", "POST", "POST /v1/admin/trees/faq/nodes", 201),
        ("ADMIN_API_KEY", "POST", "POST /v1/admin/operators", 201),
    ]
    assert changes[0]["path"] == f"/v1/admin/operators/{operator['id']}/key"
    assert changes[0]["actor_id"] == "bootstrap"
    assert changes[0]["at"] >= changes[1]["at"] >= changes[2]["at"]
    # AND reading the audit is no change either
    assert admin.call("GET", "/audit")[1]["changes"] == changes


def test_an_operator_s_change_is_recorded_as_theirs(admin):
    operator = add(admin, "Olga")
    # A ticket status change is support work: the operator may make it
    from tests.functional.admin.test_admin_support import customer_writes, open_ticket

    customer_writes(100000301, "Damaged box")
    ticket = open_ticket(100000301)
    path = f"/tickets/{ticket.ref}"
    assert admin.call("PATCH", path, {"status": "in_progress", "version": 1}, key=operator["key"])[0] == 200
    (change,) = admin.call("GET", "/audit?limit=1")[1]["changes"]
    assert (change["actor_id"], change["actor_name"], change["actor_role"]) == (
        operator["id"],
        "Olga",
        "operator",
    )
    assert change["route"] == "PATCH /v1/admin/tickets/{ref}"


@pytest.mark.parametrize("cursor", ["nonsense", "e30", "eyJzayI6IDF9", "%00", "W10", "a.b"])
def test_a_cursor_the_api_did_not_give_is_refused(admin, cursor):
    status, body = admin.call("GET", f"/audit?cursor={cursor}")
    assert status == 400
    assert body["message"].startswith("cursor:")


def test_a_cursor_of_another_list_is_refused_by_the_audit(admin):
    add(admin, "Olga")
    add(admin, "Ivan")
    tickets_cursor = pages_cursor_of_another_list()
    assert admin.call("GET", f"/audit?cursor={tickets_cursor}")[0] == 400
    # AND the audit's own cursor is not another list's
    audit_cursor = admin.call("GET", "/audit?limit=1")[1]["next_cursor"]
    assert admin.call("GET", f"/failed-updates?cursor={audit_cursor}")[0] == 400


def pages_cursor_of_another_list() -> str:
    from supportbot_admin import pages

    return pages.encode({"pk": "AUDIT", "sk": "2026-01-01T00:00:00#x"}, "failed-updates")


def test_a_change_whose_audit_record_cannot_be_stored_still_stands(admin, monkeypatch):
    from pynamodb.exceptions import PutError

    from supportbot_admin import api

    def broken(*args, **kwargs):
        raise PutError("throttled")

    monkeypatch.setattr(api, "record_change", broken)
    status, _ = admin.call("POST", "/trees/faq/nodes", {"parent_id": "root", "title": "Оплата"})
    assert status == 201
    assert admin.call("GET", "/audit")[1]["changes"] == []


def test_the_caller_is_known_only_inside_the_gate():
    from supportbot_admin.access import current_caller

    with pytest.raises(RuntimeError, match="key gate"):
        current_caller()
