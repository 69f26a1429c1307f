"""Who is calling and what they may do: the one place the admin API's roles are declared.

A caller presents a key in ``X-Api-Key``: the bootstrap ``ADMIN_API_KEY`` (an admin, compared in
constant time), or an operator's personal key (``supportbot/operators.py``: one consistent read of
its hash). ``ROUTES`` names the least role each route needs; ``admin`` may do everything an
``operator`` may. Operators work with customers' conversations, tickets, canned replies and bans;
content, customers, broadcasts, settings and people are the admins'. A route missing from
``ROUTES`` needs an admin (fail closed), and a test fails until it is declared.

A route is named as in the OpenAPI document, ``"METHOD /v1/admin/path/{param}"``; parameter names
do not matter when a request is matched.

>>> required("GET", "/v1/admin/conversations/42")
('operator', 'GET /v1/admin/conversations/{conversation_id}')
>>> required("DELETE", "/v1/admin/trees/faq/nodes/a1")
('admin', 'DELETE /v1/admin/trees/{tree}/nodes/{node_id}')
>>> required("GET", "/v1/admin/no/such/route")
('admin', None)
"""

from __future__ import annotations

import functools
import re
from contextvars import ContextVar
from http import HTTPStatus

from supportbot.config import Config
from supportbot.operators import ADMIN, BOOTSTRAP_ID, OPERATOR, Caller, caller_by_key
from supportbot.security import check_secret

ROUTES: dict[str, str] = {
    # Content: the FAQ and complaint trees.
    "GET /v1/admin/trees/{tree}": ADMIN,
    # The writes of a node's fields are per tree (a complaint step has fields an FAQ node has not).
    "POST /v1/admin/trees/faq/nodes": ADMIN,
    "POST /v1/admin/trees/complaints/nodes": ADMIN,
    "GET /v1/admin/trees/{tree}/nodes/{node_id}": ADMIN,
    "PUT /v1/admin/trees/faq/nodes/{node_id}": ADMIN,
    "PUT /v1/admin/trees/complaints/nodes/{node_id}": ADMIN,
    "DELETE /v1/admin/trees/{tree}/nodes/{node_id}": ADMIN,
    "POST /v1/admin/trees/{tree}/nodes/{node_id}/move": ADMIN,
    "POST /v1/admin/trees/{tree}/reorder": ADMIN,
    "GET /v1/admin/trees/{tree}/export": ADMIN,
    "POST /v1/admin/trees/faq/import": ADMIN,
    "POST /v1/admin/trees/complaints/import": ADMIN,
    # Customers and orders of the built-in backend.
    "GET /v1/admin/customers": ADMIN,
    "GET /v1/admin/customers/{phone}": ADMIN,
    "GET /v1/admin/customers/{phone}/orders": ADMIN,
    "PUT /v1/admin/customers/{phone}": ADMIN,
    "DELETE /v1/admin/customers/{phone}": ADMIN,
    "POST /v1/admin/customers/import": ADMIN,
    "PUT /v1/admin/customers/{phone}/orders/{order_id}": ADMIN,
    "DELETE /v1/admin/customers/{phone}/orders/{order_id}": ADMIN,
    "POST /v1/admin/customers/{phone}/orders/import": ADMIN,
    # Broadcasts to every customer (issue 21).
    "POST /v1/admin/broadcasts": ADMIN,
    "GET /v1/admin/broadcasts": ADMIN,
    "GET /v1/admin/broadcasts/{broadcast_id}": ADMIN,
    "POST /v1/admin/broadcasts/{broadcast_id}/cancel": ADMIN,
    # Settings and operations.
    "GET /v1/admin/stats": ADMIN,
    "GET /v1/admin/settings/business-hours": ADMIN,
    "PUT /v1/admin/settings/business-hours": ADMIN,
    # Reports (issue 20).
    "GET /v1/admin/reports": ADMIN,
    "GET /v1/admin/reports/csv": ADMIN,
    "GET /v1/admin/reports/charts/{chart_name}": ADMIN,
    "GET /v1/admin/failed-updates": ADMIN,
    "POST /v1/admin/failed-updates/{update_id}/replay": ADMIN,
    # A person's data: export and erase (issue 23).
    "GET /v1/admin/people/{telegram_id}/export": ADMIN,
    "DELETE /v1/admin/people/{telegram_id}": ADMIN,
    "GET /v1/admin/people/by-phone/{phone}/export": ADMIN,
    "DELETE /v1/admin/people/by-phone/{phone}": ADMIN,
    # People and the audit of changes.
    "GET /v1/admin/operators": ADMIN,
    "POST /v1/admin/operators": ADMIN,
    "DELETE /v1/admin/operators/{operator_id}": ADMIN,
    "POST /v1/admin/operators/{operator_id}/key": ADMIN,
    "GET /v1/admin/audit": ADMIN,
    # Support work.
    "GET /v1/admin/me": OPERATOR,
    "GET /v1/admin/conversations": OPERATOR,
    "GET /v1/admin/conversations/{conversation_id}": OPERATOR,
    "POST /v1/admin/conversations/{conversation_id}/reply": OPERATOR,
    "POST /v1/admin/conversations/{conversation_id}/close": OPERATOR,
    "POST /v1/admin/conversations/{conversation_id}/reopen": OPERATOR,
    "GET /v1/admin/conversations/{conversation_id}/notes": OPERATOR,
    "POST /v1/admin/conversations/{conversation_id}/notes": OPERATOR,
    "POST /v1/admin/conversations/{conversation_id}/tags": OPERATOR,
    "DELETE /v1/admin/conversations/{conversation_id}/tags/{tag}": OPERATOR,
    "PUT /v1/admin/conversations/{conversation_id}/assignee": OPERATOR,
    "POST /v1/admin/messages/{message_id}/retry": OPERATOR,
    "PUT /v1/admin/conversations/{conversation_id}/ban": OPERATOR,
    "DELETE /v1/admin/conversations/{conversation_id}/ban": OPERATOR,
    "GET /v1/admin/tickets": OPERATOR,
    "PATCH /v1/admin/tickets/{ref}": OPERATOR,
    "GET /v1/admin/canned-replies": OPERATOR,
    # Canned replies are written by admins.
    "POST /v1/admin/canned-replies": ADMIN,
    "PUT /v1/admin/canned-replies/{reply_id}": ADMIN,
    "DELETE /v1/admin/canned-replies/{reply_id}": ADMIN,
}
RANK = {OPERATOR: 1, ADMIN: 2}
BOOTSTRAP = Caller(BOOTSTRAP_ID, "ADMIN_API_KEY", ADMIN)

_current: ContextVar[Caller | None] = ContextVar("admin_caller", default=None)


def authenticate(presented: str | None, config: Config) -> Caller | HTTPStatus:
    """The caller a key belongs to; 401 when none was presented, 403 when it is nobody's."""
    if not presented:
        return HTTPStatus.UNAUTHORIZED
    if check_secret(presented, *config.accepted("ADMIN_API_KEY")) is None:  # during a rotation, either
        return BOOTSTRAP
    found = caller_by_key(presented, config.operator_key_secret)
    return HTTPStatus.FORBIDDEN if found is None else found


def allows(caller: Caller, role: str) -> bool:
    return RANK.get(caller.role, 0) >= RANK[role]


def required(method: str, path: str) -> tuple[str, str | None]:
    """The role a request needs and the route it is (None: no route, which needs an admin)."""
    for pattern, route in _patterns().get(method.upper(), ()):
        if pattern.fullmatch(path):
            return ROUTES[route], route
    return ADMIN, None


def shape(route: str) -> str:
    """A route with its parameters' names left out (``{}``), as requests are matched."""
    return re.sub(r"\{[^}]*\}|<[^>]*>", "{}", route)


@functools.cache
def _patterns() -> dict[str, list[tuple[re.Pattern[str], str]]]:
    by_method: dict[str, list[tuple[re.Pattern[str], str]]] = {}
    # Fewer parameters first: "/customers/import" is not the customer "import".
    for route in sorted(ROUTES, key=lambda r: shape(r).count("{}")):
        method, path = route.split(" ", 1)
        regex = "[^/]+".join(re.escape(part) for part in shape(path).split("{}"))
        by_method.setdefault(method, []).append((re.compile(regex), route))
    return by_method


def current_caller() -> Caller:
    """Who made the request being handled (set by the key gate before any route runs)."""
    caller = _current.get()
    if caller is None:
        raise RuntimeError("no caller: the request did not pass the key gate")
    return caller


def assignee_id(given: str) -> str:
    """An assignee as the API takes it: an operator id, or "me" (the caller)."""
    return current_caller().id if given == "me" else given


def set_caller(caller: Caller | None) -> None:
    _current.set(caller)
