"""Routes of bans (``supportbot/support/bans.py``): an operator stops a customer's messages from
reaching the desk for some hours, and ends it. The thread (``GET /v1/admin/conversations/{id}``)
shows the ban in force; the messages it held back are in the thread with status ``banned``."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, BeforeValidator, Field

from supportbot.support import bans
from supportbot_admin.access import current_caller
from supportbot_admin.conversations import Ban, ConversationId, ban_out, find_conversation
from supportbot_admin.errors import INVALID, NOT_FOUND, OK, UNAUTHORIZED, NotFound

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
TAGS = ["conversations"]
BASE = "/v1/admin/conversations/<conversation_id>/ban"


def _whole(hours: Any) -> Any:
    """1.0 is the integer 1 (JSON Schema's integer says so); true is not a number of hours."""
    return int(hours) if isinstance(hours, float) and hours.is_integer() else hours


class NewBan(BaseModel):
    hours: Annotated[int, BeforeValidator(_whole)] = Field(
        default=bans.DEFAULT_HOURS,
        ge=1,
        le=bans.MAX_HOURS,
        strict=True,
        description=f"How long, from now (default {bans.DEFAULT_HOURS}; at most a year)",
    )


@router.put(
    BASE,
    tags=TAGS,
    summary="Ban the conversation's customer for some hours: what they send is stored and shown, never sent to the desk",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **INVALID},
)
def put_ban(conversation_id: ConversationId, body: NewBan) -> Ban:
    found = find_conversation(conversation_id)
    caller = current_caller()
    return ban_out(bans.ban(int(found.user_id), body.hours, caller.id, caller.name))


@router.delete(
    BASE,
    tags=TAGS,
    summary="End the customer's ban: their next messages reach the desk again",
    responses={204: {"description": "Ended"}, **UNAUTHORIZED, **NOT_FOUND, **INVALID},
)
def delete_ban(conversation_id: ConversationId) -> Response[None]:
    found = find_conversation(conversation_id)
    if not bans.unban(int(found.user_id)):
        raise NotFound(f"the customer of {found.ref} is not banned")
    return Response(204)
