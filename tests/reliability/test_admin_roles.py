"""Role escalation: an operator's key against every admin route of the OpenAPI document, then
generated requests (methods, path tricks, key variants, duplicated headers) checked against the
route Powertools itself would run. Goal: 0 requests let through, nothing created or changed.
Bans: generated requests to the ban routes (bodies, ids, keys) never answer 5xx, and a customer is
banned exactly when a keyed request with valid hours asked for it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from infra.localstack.api import Match, build_event, to_http
from supportbot_admin.access import ROUTES, shape
from tests.functional.admin.conftest import ADMIN_KEY, ROUTE
from tests.functional.events import FakeLambdaContext
from tests.reliability import figures
from tests.reliability.conftest import generated

SECTION, ENTRY = "security", "admin API role escalation (operator key)"
SEGMENTS = [
    "operators", "audit", "trees", "faq", "nodes", "customers", "import", "orders", "stats",
    "failed-updates", "replay", "key", "conversations", "tickets", "me", "..", ".", "", "%2e%2e",
    "op-000000000000", "1", "OPERATORS", "Operators", "canned-replies", "reorder", "move", "export",
    "ban", "BAN", "C1",
]  # fmt: skip
BANS = "admin API bans, generated requests"
CUSTOMER = 100000701


@pytest.fixture
def operator_key(admin: Any) -> str:
    status, body = admin.call("POST", "/operators", {"name": "Olga", "role": "operator"})
    assert status == 201
    return str(body["key"])


def raw_call(
    app: Any, method: str, path: str, headers: list[tuple[str, str]], body: str = "{}"
) -> tuple[int, Any]:
    event = build_event(Match(ROUTE, {}), method, path, headers, body.encode(), "127.0.0.1")
    status, _, _, data = to_http(app.lambda_handler(event, FakeLambdaContext()))
    return status, data.decode()


def served_route(method: str, path: str) -> str | None:
    """The route Powertools runs for the request (its own matching, not the gate's)."""
    from supportbot_admin.api import app

    for route in app._static_routes + app._dynamic_routes:
        if route.method == method.upper() and route.rule.match(path):
            return f"{route.method} {route.path}"
    return None


def admin_only(method: str, path: str) -> bool:
    """Whether the route Powertools would run needs an admin (the public page and documents do not)."""
    from supportbot_admin.api import is_public

    route = served_route(method, path)
    if route is None or is_public(path):
        return False
    declared = {shape(r): role for r, role in ROUTES.items()}
    return declared.get(shape(route), "admin") == "admin"


def state(admin: Any) -> tuple[Any, ...]:
    return (admin.call("GET", "/operators")[1], admin.call("GET", "/trees/faq")[1]["count"])


def test_an_operator_key_opens_no_admin_route(admin, operator_key):
    document = admin.call("GET", "/openapi.json", key=None)[1]
    before = state(admin)
    tried = let_through = 0
    for path, operations in document["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "faq", path)
        for method, operation in operations.items():
            if operation["x-required-role"] != "admin":
                continue
            status, body = raw_call(admin.app, method.upper(), concrete, [("x-api-key", operator_key)])
            tried += 1
            let_through += (status, body) != (403, '{"detail": "needs role admin"}')
    figures.count(SECTION, ENTRY, "inputs tried", tried)
    figures.count(SECTION, ENTRY, "requests let through", let_through)
    assert tried >= 20
    assert let_through == 0
    assert state(admin) == before


@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "get", "Post", "HEAD", "OPTIONS"]),
    segments=st.lists(st.one_of(st.sampled_from(SEGMENTS), st.text(min_size=1, max_size=8)), max_size=6),
    trailing=st.sampled_from(["", "/", "//", "?x=1", "%2F", ";"]),
    variant=st.sampled_from(["exact", "spaced", "doubled", "with_admin_guess", "upper_header", "lower"]),
)
@example(method="POST", segments=["operators"], trailing="", variant="exact")
@example(method="POST", segments=["operators", "op-000000000000", "key"], trailing="/", variant="spaced")
@example(method="GET", segments=["conversations", "..", "audit"], trailing="", variant="doubled")
@example(method="PUT", segments=["customers", "import"], trailing="", variant="with_admin_guess")
@generated(max_examples=150)
def test_generated_requests_with_an_operator_key_never_reach_an_admin_route(
    admin, operator_key, method, segments, trailing, variant
):
    path = "/v1/admin/" + "/".join(s.replace("?", "%3F").replace("#", "%23") for s in segments) + trailing
    key = {
        "exact": operator_key,
        "spaced": f" {operator_key} ",
        "doubled": f"{operator_key},{operator_key}",
        "with_admin_guess": f"{operator_key},{ADMIN_KEY}x",
        "upper_header": operator_key,
        "lower": operator_key.lower(),
    }[variant]
    name = "X-API-KEY" if variant == "upper_header" else "x-api-key"
    try:
        status, _ = raw_call(admin.app, method, path, [(name, key), ("content-type", "application/json")])
    except ValueError:  # a path the event builder refuses never reaches the function
        return
    figures.count(SECTION, "admin API, generated requests with an operator key", "inputs tried")
    raw_path = path.split("?", 1)[0]
    through = status not in (401, 403) and admin_only(method, raw_path)
    figures.count(
        SECTION, "admin API, generated requests with an operator key", "requests let through", through
    )
    figures.count(SECTION, "admin API, generated requests with an operator key", "5xx answers", status >= 500)
    assert not through, (method, path, status)
    assert status < 500


@pytest.fixture
def customer_wrote(admin: Any) -> None:
    """A customer's conversation C1 for the ban routes to act on."""
    from tests.functional.admin.test_admin_support import customer_writes

    customer_writes(CUSTOMER, "Hello")


def wanted_hours(body: str) -> int | None:
    """The hours a request body validly asks for (absent: the default 24), else None."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    hours = parsed.get("hours", 24)
    if type(hours) is float and hours.is_integer():  # 2.0 is JSON Schema's integer 2
        hours = int(hours)
    return hours if type(hours) is int and 1 <= hours <= 8760 else None


HOURS = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(min_value=1, max_value=8760),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


@given(
    method=st.sampled_from(["PUT", "DELETE", "POST", "PATCH", "GET"]),
    target=st.one_of(
        st.sampled_from(
            ["C1", "c1", str(CUSTOMER), "C9", "C" + "0" * 13, "1" * 17, "C-1", "%2e%2e", "C1%2F"]
        ),
        st.text(min_size=1, max_size=12),
    ),
    body=st.one_of(
        st.builds(lambda hours: json.dumps({"hours": hours}), HOURS),
        st.sampled_from(["{}", "", "null", "[]", '{"hours": 24, "user_id": 1}']),
        st.text(max_size=40),
    ),
    key=st.sampled_from(["operator", "none", "wrong", "spaced", "admin_guess"]),
)
@example(method="PUT", target="C1", body='{"hours": 24}', key="operator")
@example(method="PUT", target="C1", body='{"hours": 24}', key="none")
@example(method="PUT", target="C1", body='{"hours": 8761}', key="operator")
@example(method="DELETE", target=str(CUSTOMER), body="", key="wrong")
@generated(max_examples=150)
def test_generated_ban_requests_never_fail_and_ban_only_when_validly_asked(
    admin, operator_key, customer_wrote, method, target, body, key
):
    from supportbot.support import bans

    if method == "DELETE":
        bans.ban(CUSTOMER, 1, "op-000000000000", "Olga")
    else:
        bans.unban(CUSTOMER)
    was_banned = bans.active(CUSTOMER) is not None
    headers = {
        "operator": [("x-api-key", operator_key)],
        "none": [],
        "wrong": [("x-api-key", operator_key[:-1] + "x")],
        "spaced": [("x-api-key", f" {operator_key} ")],
        "admin_guess": [("x-api-key", ADMIN_KEY + "x")],
    }[key] + [("content-type", "application/json")]
    path = (
        "/v1/admin/conversations/"
        + target.replace("/", "%2F").replace("?", "%3F").replace("#", "%23")
        + "/ban"
    )
    try:
        status, _ = raw_call(admin.app, method, path, headers, body)
    except ValueError:  # a path the event builder refuses never reaches the function
        return
    figures.count(SECTION, BANS, "inputs tried")
    figures.count(SECTION, BANS, "5xx answers", status >= 500)
    assert status < 500, (method, path, body, status)
    # What should have happened: only the operator's own key on Anna's conversation
    keyed = key == "operator" and target in ("C1", "c1", str(CUSTOMER))
    valid = wanted_hours(body) is not None
    expected = {"PUT": keyed and valid, "DELETE": was_banned and not keyed}.get(method, was_banned)
    banned = bans.active(CUSTOMER) is not None
    through = banned and not was_banned and not (keyed and valid)
    figures.count(SECTION, BANS, "requests let through", through)
    figures.count(SECTION, BANS, "state corrupted", banned != expected)
    assert banned == expected, (method, path, body, key, status)
