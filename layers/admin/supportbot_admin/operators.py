"""Routes of the people who use the admin API (customers are ``customers``'): operators, their
keys, the audit of changes, and ``/me`` (whose the key in hand is: the admin page asks it first).

A key is shown once, in the answer that issued it; the API only ever stores its hash
(``supportbot/operators.py`` says which and why).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field

from supportbot import operators as store
from supportbot.config import get_config
from supportbot_admin import pages
from supportbot_admin.access import current_caller
from supportbot_admin.errors import (
    BAD_CURSOR,
    CONFLICT,
    INVALID,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    Conflict,
    NotFound,
)
from supportbot_admin.trees import Title

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
TAGS = ["operators"]
BASE = "/v1/admin/operators"

OperatorId = Annotated[str, Path(pattern=r"^op-[0-9a-f]{12}$", description="The operator's id (op-…)")]
Role = Literal["admin", "operator"]


class NewOperator(BaseModel):
    name: Title = Field(description="Shown in the audit and to colleagues")
    role: Role
    telegram_id: int | None = Field(
        default=None,
        ge=1,
        le=2**53,
        description="Their Telegram user id (the Telegram desk knows them by it)",
    )


class Operator(BaseModel):
    id: str
    name: str
    role: Role
    telegram_id: int | None = None
    created_at: datetime
    created_by: str


class Operators(BaseModel):
    operators: list[Operator]


class IssuedKey(BaseModel):
    id: str
    name: str
    role: Role
    key: str = Field(description="The personal key, shown this once: only its hash is stored")


class Me(BaseModel):
    id: str = Field(description='The operator\'s id, or "bootstrap" for ADMIN_API_KEY')
    name: str
    role: Role


class Change(BaseModel):
    at: datetime
    actor_id: str
    actor_name: str
    actor_role: str
    method: str
    route: str = Field(description="The route as the OpenAPI document names it")
    path: str
    status: int


class Audit(BaseModel):
    changes: list[Change] = Field(description="Newest first")
    next_cursor: str | None = Field(description=pages.NEXT_CURSOR)


def operator_out(item: store.OperatorItem) -> Operator:
    return Operator(
        id=item.operator_id,
        name=item.name,
        role=item.role,  # type: ignore[arg-type]  # stored from a Role
        telegram_id=None if item.telegram_id is None else int(item.telegram_id),
        created_at=item.created_at,
        created_by=item.created_by,
    )


def _no_secret() -> Conflict:
    return Conflict("OPERATOR_KEY_SECRET is not configured: operator keys cannot be issued")


@router.get("/v1/admin/me", tags=TAGS, summary="Who this key belongs to", responses={**OK, **UNAUTHORIZED})
def me() -> Me:
    caller = current_caller()
    return Me(id=caller.id, name=caller.name, role=caller.role)  # type: ignore[arg-type]


@router.get(
    BASE, tags=TAGS, summary="Operators, oldest first (never their keys)", responses={**OK, **UNAUTHORIZED}
)
def list_operators() -> Operators:
    return Operators(operators=[operator_out(item) for item in store.list_operators()])


@router.post(
    BASE,
    tags=TAGS,
    summary="Add an operator; the answer holds their key, this once",
    responses={201: {"description": "Created"}, **UNAUTHORIZED, **CONFLICT, **INVALID},
)
def create_operator(body: NewOperator) -> Response[IssuedKey]:
    try:
        item, key = store.create_operator(
            body.name, body.role, body.telegram_id, get_config().operator_key_secret, current_caller()
        )
    except store.NoKeySecret:
        raise _no_secret() from None
    except store.OperatorConflict as error:
        raise Conflict(str(error)) from None  # another operator's Telegram id: the table's state
    issued = IssuedKey(id=item.operator_id, name=item.name, role=body.role, key=key)
    return Response(201, content_types.APPLICATION_JSON, issued)


@router.delete(
    f"{BASE}/<operator_id>",
    tags=TAGS,
    summary="Remove an operator; their key stops working at once",
    responses={204: {"description": "Removed"}, **UNAUTHORIZED, **NOT_FOUND, **CONFLICT, **INVALID},
)
def delete_operator(operator_id: OperatorId) -> Response[None]:
    try:
        found = store.delete_operator(operator_id)
    except store.OperatorConflict as error:
        raise Conflict(str(error)) from None
    if not found:
        raise NotFound(f"no operator {operator_id}")
    return Response(204)


@router.post(
    f"{BASE}/<operator_id>/key",
    tags=TAGS,
    summary="Issue the operator a new key; the old one stops working at once",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **CONFLICT, **INVALID},
)
def reissue_key(operator_id: OperatorId) -> IssuedKey:
    try:
        issued = store.reissue_key(operator_id, get_config().operator_key_secret)
    except store.NoKeySecret:
        raise _no_secret() from None
    except store.OperatorConflict as error:
        raise Conflict(str(error)) from None
    if issued is None:
        raise NotFound(f"no operator {operator_id}")
    item, key = issued
    return IssuedKey(id=item.operator_id, name=item.name, role=item.role, key=key)  # type: ignore[arg-type]


@router.get(
    "/v1/admin/audit",
    tags=TAGS,
    summary="Changes made through the admin API (who, when, what), newest first (a page: pass next_cursor as cursor)",
    responses={**OK, **UNAUTHORIZED, **BAD_CURSOR, **INVALID},
)
def audit(limit: pages.Limit = pages.DEFAULT_LIMIT, cursor: pages.Cursor = None) -> Audit:
    items, after = pages.page(store.audit_query(), limit, cursor, "audit")
    return Audit(
        changes=[
            Change(
                at=item.at,
                actor_id=item.actor_id,
                actor_name=item.actor_name,
                actor_role=item.actor_role,
                method=item.method,
                route=item.route,
                path=item.path,
                status=int(item.status),
            )
            for item in items
        ],
        next_cursor=after,
    )
