"""Routes of the conversations (what customers wrote and were sent) and tickets.

Listing conversations reads the whole Conversations table (a paginated Scan, one pass, grouped by
user): fine for a support desk's admin at this bot's scale (thousands of messages); a busier one
would keep per-user summary items instead. A thread is one Query of the user's partition. Tickets
come from the table's ``Tickets`` index (every ticket, by number).

The admin's reply is the built-in fallback helpdesk: it is stored and delivered to the customer
through the outbox like an operator's reply from Blinger; so is a ticket's status change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field
from pynamodb.exceptions import UpdateError

from supportbot.config import get_config
from supportbot.i18n import translator
from supportbot.storage.conditions import condition_failed
from supportbot.support.blinger_echo import is_echo
from supportbot.support.messages import (
    BLINGER,
    CUSTOMER,
    TICKETS_INDEX_KEY,
    MessageItem,
    NewMessage,
    TicketItem,
    customer_language,
    ticket_by_number,
    user_key,
    user_tickets,
)
from supportbot.support.outbox import enqueue
from supportbot.support.rating import RatingItem
from supportbot_admin import scan
from supportbot_admin.errors import (
    CONFLICT,
    INVALID,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    Conflict,
    FieldError,
    NotFound,
)
from supportbot_admin.texts import plain_text_problem

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
TAGS = ["conversations"]
TICKET_TAGS = ["tickets"]

UserId = Annotated[int, Path(ge=1, le=2**53, description="The customer's Telegram user id")]
TicketStatus = Literal["open", "in_progress", "answered", "closed"]
TicketKind = Literal["photo", "incident"]
THREAD_LIMIT = 200


class Part(BaseModel):
    kind: str
    text: str | None = None
    file_key: str | None = Field(default=None, description="S3 key of a copied attachment")
    file_url: str | None = None
    file_id: str | None = Field(default=None, description="Telegram file_id")
    file_name: str | None = None


class Message(BaseModel):
    msg_id: str
    direction: Literal["from_customer", "to_customer"]
    destination: str = Field(description="blinger (support), customer, or warehouse")
    parts: list[Part]
    status: str = Field(description="queued, sent or failed (delivery through the outbox)")
    reason: str | None = Field(default=None, description="Why the last delivery attempt failed")
    created_at: datetime
    sent_at: datetime | None = None


class Ticket(BaseModel):
    number: int
    user_id: int
    kind: str
    status: str
    title: str
    details: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime


class LastMessage(BaseModel):
    direction: str
    kind: str
    text: str | None
    status: str
    created_at: datetime


class Conversation(BaseModel):
    user_id: int
    messages: int
    from_customer: int
    to_customer: int
    failed: int
    open_tickets: int
    open: bool = Field(description="Support messages since Blinger last closed a conversation with them")
    last_message: LastMessage | None


class Conversations(BaseModel):
    conversations: list[Conversation]


class Thread(BaseModel):
    user_id: int
    messages: list[Message] = Field(description=f"The newest {THREAD_LIMIT} at most, oldest first")
    tickets: list[Ticket]


class Reply(BaseModel):
    text: str = Field(min_length=1, max_length=4000, description="Plain text (escaped when sent)")


class Queued(BaseModel):
    msg_id: str
    status: str


class Tickets(BaseModel):
    tickets: list[Ticket]


class StatusChange(BaseModel):
    status: TicketStatus


class TicketChanged(BaseModel):
    ticket: Ticket
    notified: Queued | None = Field(description="The message telling the customer, when the status changed")


def direction(item: MessageItem) -> Literal["from_customer", "to_customer"]:
    return "to_customer" if item.destination == CUSTOMER else "from_customer"


def message_out(item: MessageItem) -> Message:
    parts = [
        Part(
            kind=part.kind,
            text=part.text,
            file_key=part.file_key,
            file_url=part.file_url,
            file_id=part.file_id,
            file_name=part.file_name,
        )
        for part in item.parts
    ]
    return Message(
        msg_id=item.msg_id,
        direction=direction(item),
        destination=item.destination,
        parts=parts,
        status=item.status,
        reason=item.reason,
        created_at=item.created_at,
        sent_at=item.sent_at,
    )


def ticket_out(item: TicketItem) -> Ticket:
    return Ticket(
        number=int(item.number),
        user_id=int(item.user_id),
        kind=item.kind,
        status=item.status,
        title=item.title,
        details=item.details,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def summaries() -> list[Conversation]:
    """Every user with stored messages, newest conversation first (one Scan of the table)."""
    users: dict[int, dict[str, Any]] = {}
    for item in scan.conversation_items():
        user = users.setdefault(
            int(item.user_id) if not isinstance(item, RatingItem) else _user_of(item.pk),
            {"messages": [], "open_tickets": 0, "closed_at": None},
        )
        if isinstance(item, MessageItem):
            if not is_echo(item):  # Blinger's copy of what happened, not a message of the thread
                user["messages"].append(item)
        elif isinstance(item, TicketItem):
            user["open_tickets"] += item.status != "closed"
        elif user["closed_at"] is None or item.asked_at > user["closed_at"]:
            user["closed_at"] = item.asked_at
    out = []
    for user_id, user in users.items():
        messages: list[MessageItem] = user["messages"]
        if not messages:
            continue
        last = max(messages, key=lambda m: m.sk)
        support = [m for m in messages if m.destination in (BLINGER, CUSTOMER)]
        newest_support = max((m.created_at for m in support), default=None)
        closed_at = user["closed_at"]
        first = last.parts[0] if last.parts else None
        out.append(
            Conversation(
                user_id=user_id,
                messages=len(messages),
                from_customer=sum(direction(m) == "from_customer" for m in messages),
                to_customer=sum(direction(m) == "to_customer" for m in messages),
                failed=sum(m.status == "failed" for m in messages),
                open_tickets=user["open_tickets"],
                open=newest_support is not None and (closed_at is None or newest_support > closed_at),
                last_message=LastMessage(
                    direction=direction(last),
                    kind=first.kind if first else "text",
                    text=first.text if first else None,
                    status=last.status,
                    created_at=last.created_at,
                ),
            )
        )
    return sorted(
        out, key=lambda c: c.last_message.created_at if c.last_message else datetime.min, reverse=True
    )


def _user_of(pk: str) -> int:
    return int(pk.removeprefix("U#"))


@router.get(
    "/v1/admin/conversations",
    tags=TAGS,
    summary="Users who wrote or were written to",
    responses={**OK, **UNAUTHORIZED},
)
def list_conversations() -> Conversations:
    return Conversations(conversations=summaries())


def newest_messages(user_id: int, limit: int = THREAD_LIMIT) -> list[MessageItem]:
    items = MessageItem.query(
        user_key(user_id), MessageItem.sk.startswith("M#"), scan_index_forward=False, limit=limit
    )
    return [item for item in items if not is_echo(item)][::-1]


@router.get(
    "/v1/admin/conversations/<user_id>",
    tags=TAGS,
    summary="A user's thread: messages (direction, kind, text or file, delivery status) and tickets",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **INVALID},
)
def get_thread(user_id: UserId) -> Thread:
    messages = newest_messages(user_id)
    tickets = user_tickets(user_id)
    if not messages and not tickets:
        raise NotFound(f"no conversation with user {user_id}")
    return Thread(
        user_id=user_id, messages=[message_out(m) for m in messages], tickets=[ticket_out(t) for t in tickets]
    )


@router.post(
    "/v1/admin/conversations/<user_id>/reply",
    tags=TAGS,
    summary="Reply as the operator: stored, then delivered to the customer through the outbox",
    responses={202: {"description": "Queued for delivery"}, **UNAUTHORIZED, **NOT_FOUND, **INVALID},
)
def reply(user_id: UserId, body: Reply) -> Response[Queued]:
    problem = plain_text_problem(body.text, 4000)
    if problem:
        raise FieldError(("body", "text"), problem)
    language = customer_language(user_id, get_config().default_language)
    if language is None:
        raise NotFound(f"no conversation with user {user_id}")
    text = translator(language)("support.operator", text=body.text.strip())
    item = enqueue(
        get_config(),
        NewMessage(
            user_id, CUSTOMER, [{"kind": "text", "text": text}], {"language": language, "via": "admin"}
        ),
    )
    return Response(202, content_types.APPLICATION_JSON, Queued(msg_id=item.msg_id, status=item.status))


@router.get(
    "/v1/admin/tickets",
    tags=TICKET_TAGS,
    summary="Tickets, newest first, optionally of one kind and status",
    responses={**OK, **UNAUTHORIZED, **INVALID},
)
def list_tickets(
    kind: Annotated[TicketKind | None, Query()] = None,
    status: Annotated[TicketStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Tickets:
    condition = None
    if kind is not None:
        condition = TicketItem.kind == kind
    if status is not None:
        condition = (
            (TicketItem.status == status) if condition is None else condition & (TicketItem.status == status)
        )
    found = TicketItem.tickets.query(TICKETS_INDEX_KEY, filter_condition=condition, scan_index_forward=False)
    tickets = []
    for item in found:
        tickets.append(ticket_out(item))
        if len(tickets) >= limit:
            break
    return Tickets(tickets=tickets)


@router.patch(
    "/v1/admin/tickets/<number>",
    tags=TICKET_TAGS,
    summary="Change a ticket's status; the customer is told through the outbox",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **CONFLICT, **INVALID},
)
def change_ticket(number: Annotated[int, Path(ge=1, le=10**9)], body: StatusChange) -> TicketChanged:
    found = ticket_by_number(number)
    if found is None:
        raise NotFound(f"no ticket #{number}")
    ticket = TicketItem.get(found.pk, found.sk, consistent_read=True)
    if ticket.status == body.status:
        return TicketChanged(ticket=ticket_out(ticket), notified=None)
    try:
        # Conditional on the status read: two changes at once (two admins, or the warehouse
        # taking the request) must not both tell the customer.
        ticket.update(
            actions=[TicketItem.status.set(body.status), TicketItem.updated_at.set(datetime.now(UTC))],
            condition=TicketItem.status == ticket.status,
        )
    except UpdateError as error:
        if condition_failed(error):
            raise Conflict(f"ticket #{number} was changed meanwhile: read it again") from None
        raise
    default = get_config().default_language
    language = customer_language(int(ticket.user_id), default) or default
    t = translator(language)
    text = t("ticket.status_changed", number=number, status=t.raw(f"complaint.status_{body.status}"))
    item = enqueue(
        get_config(),
        NewMessage(
            int(ticket.user_id),
            CUSTOMER,
            [{"kind": "text", "text": text}],
            {"language": language, "ticket": number},
        ),
    )
    return TicketChanged(ticket=ticket_out(ticket), notified=Queued(msg_id=item.msg_id, status=item.status))
