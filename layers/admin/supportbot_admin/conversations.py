"""Routes of the conversations (the admin inbox) and tickets (docs/ARCHITECTURE.md, "Admin API").

Conversations are listed from the table's ``Inbox`` index (newest activity first, a page at a time
with a cursor: one Query, never a Scan). A conversation is named ``C<number>``; a bare number is
read as a Telegram user id and means that user's latest conversation (what today's links and the
admin page's older URLs carry). A thread is one Query of the user's partition.

Moves go through the lifecycles (``support/conversations.py``, ``support/tickets.py``): a move the
table refuses answers 409 with ``{"detail", "status", "allowed"}``, and so does a ticket change
whose ``version`` is not the stored one (a stale page). The admin's reply and every ticket notice
reach the customer through the outbox and appear in the desk's thread (Blinger's, or the Telegram
desk's topic) as outgoing echo messages (``support/surfaces.py``).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from supportbot.config import DESKS, get_config
from supportbot.i18n import SafeHTML, translator
from supportbot.people import shown_phone
from supportbot.storage.sessions import customer_language
from supportbot.support import bans, conversations, outbox, tickets, triage
from supportbot.support.conversations import ConversationItem
from supportbot.support.desk_echo import is_echo
from supportbot.support.files import presigned_url
from supportbot.support.messages import (
    BLINGER,
    CUSTOMER,
    NOTICE_ROLE,
    OPERATOR_ROLE,
    MessageItem,
    load_message,
    user_key,
)
from supportbot.support.surfaces import close_conversation, notify_ticket, reopen_conversation, tell_customer
from supportbot.support.tickets import TICKETS_INDEX_KEY, TicketItem
from supportbot.support.triage import ASSIGNEE_PATTERN, TAG_PATTERN
from supportbot_admin import canned, pages
from supportbot_admin.access import assignee_id
from supportbot_admin.errors import (
    BAD_CURSOR,
    INVALID,
    NOT_FOUND,
    OK,
    REFUSED,
    UNAUTHORIZED,
    NotFound,
    RuleError,
    rule,
)
from supportbot_admin.texts import plain_text_problem

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
TAGS = ["conversations"]
TICKET_TAGS = ["tickets"]

ConversationId = Annotated[
    str,
    Path(
        pattern=r"^(?:[Cc]\d{1,12}|\d{1,16})$",
        description="C<number>, or a bare number: a Telegram user id, meaning their latest conversation",
    ),
]
TicketRef = Annotated[
    str,
    Path(pattern=r"^(?:[ФфFfЖжZz]-?)?\d{1,9}$", description="Ф-12, Ж-7, or an old bare ticket number"),
]
TicketStatus = Literal["open", "in_progress", "closed"]
TicketOutcome = Literal["photos_sent", "refused", "resolved"]
TicketKind = Literal["photo", "incident"]
ConversationStatus = Literal["open", "answered", "closed", "rated"]
Desk = Literal["blinger", "telegram", "inbox"]
TICKETS_SHOWN = 20
MESSAGE_ID = r"^[0-9]{1,16}\.[0-9]{8}T[0-9]{12}\.[0-9a-f]{1,32}$"


class Part(BaseModel):
    kind: str
    text: str | None = None
    url: str | None = Field(
        default=None,
        description="Where the page shows the file: a presigned URL of the copy in S3 (a day), never one with the bot token",
    )
    file_key: str | None = Field(default=None, description="S3 key of a copied attachment")
    file_url: str | None = None
    file_id: str | None = Field(default=None, description="Telegram file_id")
    file_name: str | None = None


class Message(BaseModel):
    id: str = Field(description="The message's id in this API (POST /v1/admin/messages/{id}/retry)")
    msg_id: str
    direction: Literal["from_customer", "to_customer", "to_desk"]
    destination: str = Field(description="blinger (support), customer, or warehouse")
    parts: list[Part]
    status: str = Field(
        description="queued, sent or failed (delivery through the outbox); banned: kept from the desk by a ban"
    )
    reason: str | None = Field(default=None, description="Why the last delivery attempt failed")
    created_at: datetime
    sent_at: datetime | None = None


class Ticket(BaseModel):
    ref: str = Field(description="Ф-12 (photo request) or Ж-7 (complaint)")
    number: int = Field(description="Internal number (old bare numbers still find the ticket)")
    user_id: int
    kind: str
    status: str
    outcome: str | None = None
    version: int = Field(description="Send it back with a change: 409 when it is stale")
    conversation: str | None = None
    title: str
    details: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime


class Conversation(BaseModel):
    id: str = Field(description="C<number>")
    user_id: int
    status: Literal["open", "answered", "closed", "rated"]
    open: bool = Field(description="Open or answered (not closed)")
    desk: str
    desk_ref: str | None = Field(default=None, description="The desk's own id (Blinger's conversation id)")
    customer: dict[str, Any] | None = None
    customer_phone: str | None = Field(
        default=None, description="The customer's phone as people are shown it: +7 900 ***-45-67"
    )
    order: dict[str, Any] | None = None
    assignee: str | None = None
    opened_at: datetime
    first_answer_at: datetime | None = None
    last_customer_at: datetime | None = None
    last_activity_at: datetime
    closed_at: datetime | None = None
    closed_by: str | None = None
    unread: int
    messages: int
    undelivered: int = Field(description="Its messages that could not be delivered (failed, with a reason)")
    preview: str
    rating: int | None = None
    tags: list[str] = Field(default_factory=list)
    banned_until: datetime | None = Field(
        default=None,
        description="While the customer is banned: until when (their messages stay off the desk)",
    )
    version: int


class Conversations(BaseModel):
    conversations: list[Conversation]
    next_cursor: str | None = Field(description=pages.NEXT_CURSOR)


class Ban(BaseModel):
    user_id: int
    until: datetime = Field(description="The customer's messages reach the desk again from then on")
    at: datetime = Field(description="When it was set")
    by_id: str = Field(description="The operator who set it")
    by_name: str
    told: bool = Field(description="Whether the customer was told (once, on the first message it held back)")


class Thread(BaseModel):
    user_id: int
    conversation: Conversation
    ban: Ban | None = Field(default=None, description="The customer's ban in force, if any")
    messages: list[Message] = Field(
        description="A page of the conversation's messages, oldest first: the newest, then older ones with cursor"
    )
    next_cursor: str | None = Field(description="Older messages: " + pages.NEXT_CURSOR)
    tickets: list[Ticket] = Field(description=f"The customer's newest {TICKETS_SHOWN} tickets")


class TextReply(BaseModel):
    """What the operator typed."""

    model_config = ConfigDict(extra="forbid")  # not with canned_id: one or the other

    text: str = Field(
        min_length=1, max_length=4000, pattern=r"\S", description="Plain text (escaped when sent), not blank"
    )


class CannedReply(BaseModel):
    """A canned reply, filled in for the customer, in their language."""

    model_config = ConfigDict(extra="forbid")

    canned_id: str = Field(pattern=r"^[a-z0-9]{12}$", description="A canned reply to send instead of a text")


Reply = TextReply | CannedReply


class Queued(BaseModel):
    msg_id: str
    status: str
    conversation: str | None = None


class Tickets(BaseModel):
    tickets: list[Ticket]
    next_cursor: str | None = Field(description=pages.NEXT_CURSOR)


class StatusChange(BaseModel):
    status: TicketStatus
    outcome: TicketOutcome | None = Field(default=None, description="How a close ended (default resolved)")
    version: int = Field(ge=1, description="The version read: 409 when the ticket changed since")


class TicketChanged(BaseModel):
    ticket: Ticket
    notified: Queued | None = Field(description="The message telling the customer, when the status changed")


def direction(item: MessageItem) -> Literal["from_customer", "to_customer", "to_desk"]:
    """To the customer; from them (to support or the warehouse); or to the desk alone (an echo of
    what the customer was told elsewhere, a line for the operator)."""
    if item.destination == CUSTOMER:
        return "to_customer"
    return "to_desk" if item.role == NOTICE_ROLE and item.destination == BLINGER else "from_customer"


def message_out(item: MessageItem) -> Message:
    bucket = get_config().attachments_bucket
    parts = [
        Part(
            kind=part.kind,
            text=part.text,
            url=presigned_url(bucket, part.file_key) if bucket and part.file_key else None,
            file_key=part.file_key,
            file_url=part.file_url,
            file_id=part.file_id,
            file_name=part.file_name,
        )
        for part in item.parts
    ]
    return Message(
        id=message_id(item),
        msg_id=item.msg_id,
        direction=direction(item),
        destination=item.destination,
        parts=parts,
        status=item.status,
        reason=item.reason,
        created_at=item.created_at,
        sent_at=item.sent_at,
    )


def message_id(item: MessageItem) -> str:
    """``<user>.<time>.<msg_id>``: the message's key, as a path segment."""
    _, moment, msg = str(item.sk).split("#", 2)
    return f"{int(item.user_id)}.{moment}.{msg}"


def ban_out(item: bans.BanItem) -> Ban:
    return Ban(
        user_id=int(item.user_id),
        until=item.until,
        at=item.at,
        by_id=item.by_id,
        by_name=item.by_name,
        told=item.told is not None,
    )


def ticket_out(item: TicketItem) -> Ticket:
    return Ticket(
        ref=item.label,
        number=int(item.number),
        user_id=int(item.user_id),
        kind=item.kind,
        status=item.status,
        outcome=item.outcome,
        version=int(item.version),
        conversation=conversations.conversation_ref(int(item.conversation)) if item.conversation else None,
        title=item.title,
        details=item.details,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def conversation_out(item: ConversationItem, banned: dict[int, bans.BanItem] | None = None) -> Conversation:
    """The conversation as answered; ``banned``: the bans in force already read for a page (else
    its customer's is read, one GetItem)."""
    user_id = int(item.user_id)
    ban = bans.active(user_id) if banned is None else banned.get(user_id)
    return Conversation(
        id=item.ref,
        user_id=user_id,
        status=item.status,  # type: ignore[arg-type]
        open=item.live,
        desk=item.desk,
        desk_ref=item.desk_ref,
        customer=item.customer,
        customer_phone=shown_phone((item.customer or {}).get("phone")) or None,
        order=item.order,
        assignee=item.assignee,
        opened_at=item.opened_at,
        first_answer_at=item.first_answer_at,
        last_customer_at=item.last_customer_at,
        last_activity_at=item.last_activity_at,
        closed_at=item.closed_at,
        closed_by=item.closed_by,
        unread=int(item.unread or 0),
        messages=int(item.messages or 0),
        undelivered=int(item.undelivered or 0),
        preview=item.preview or "",
        rating=int(item.rating) if item.rating is not None else None,
        tags=list(item.tags or []),
        banned_until=None if ban is None else ban.until,
        version=int(item.version),
    )


@router.get(
    "/v1/admin/conversations",
    tags=TAGS,
    summary="Conversations, newest activity first, of one status or one desk (a page: pass next_cursor as cursor)",
    responses={
        **OK,
        **UNAUTHORIZED,
        **rule("Two filters at once (they are exclusive)", cursor=True),
        **INVALID,
    },
)
def list_conversations(
    limit: pages.Limit = pages.DEFAULT_LIMIT,
    cursor: pages.Cursor = None,
    status: Annotated[
        ConversationStatus | None, Query(description="Only those in this status (no other filter with it)")
    ] = None,
    desk: Annotated[
        Desk | None, Query(description="Only those of this desk (no other filter with it)")
    ] = None,
    tag: Annotated[
        str | None,
        Query(pattern=TAG_PATTERN, description="Only those with this tag (no other filter with it)"),
    ] = None,
    assignee: Annotated[
        str | None,
        Query(
            pattern=ASSIGNEE_PATTERN,
            description='Only those assigned to an operator id, or "me" (no other filter with it)',
        ),
    ] = None,
) -> Conversations:
    # Each filter a key condition of its own index: Lists C#<status>, Inbox C#<desk>, the tags'
    # pointers, Tickets ASSIGNEE#<id>; none: the desks' Inbox partitions merged. No index holds
    # two of them, so one filter at a time.
    given = {"status": status, "desk": desk, "tag": tag, "assignee": assignee}
    named = [name for name, value in given.items() if value is not None]
    if len(named) > 1:
        raise RuleError(("query", named[1]), f"filter by one of {', '.join(given)} at a time")
    scope = f"conversations:{named and named[0]}:{named and given[named[0]]}"
    found: list[Any]
    if tag is not None:
        pointers, after = pages.page(triage.tag_query(tag.lower()), limit, cursor, scope)
        found = triage.conversations_of(pointers)
    elif assignee is not None:
        found, after = pages.page(triage.assignee_query(assignee_id(assignee)), limit, cursor, scope)
    elif status is not None:
        found, after = pages.merged(
            ConversationItem.by_status, [conversations.status_key(status)], limit, cursor, scope
        )
    else:
        partitions = [conversations.inbox_key(d) for d in ([desk] if desk else DESKS)]
        found, after = pages.merged(ConversationItem.by_activity, partitions, limit, cursor, scope)
    banned = bans.active_of(int(item.user_id) for item in found)
    return Conversations(
        conversations=[conversation_out(item, banned) for item in found],
        next_cursor=after,
    )


def find_conversation(conversation_id: str) -> ConversationItem:
    """``C<number>``, or a bare number as a Telegram user id: that user's latest conversation."""
    number = conversations.parse_ref(conversation_id)
    found = conversations.find(number) if number is not None else conversations.latest(int(conversation_id))
    if found is None:
        raise NotFound(f"no conversation {conversation_id}")
    return found


@router.get(
    "/v1/admin/conversations/<conversation_id>",
    tags=TAGS,
    summary="A conversation: its summary, its messages (direction, kind, text or file, delivery) and the customer's tickets",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **BAD_CURSOR, **INVALID},
)
def get_thread(
    conversation_id: ConversationId, limit: pages.Limit = pages.DEFAULT_LIMIT, cursor: pages.Cursor = None
) -> Thread:
    found = find_conversation(conversation_id)
    user_id = int(found.user_id)
    newest, after = pages.page(conversations.messages_query(found), limit, cursor, f"thread:{found.ref}")
    ban = bans.active(user_id)
    return Thread(
        user_id=user_id,
        conversation=conversation_out(found, {} if ban is None else {user_id: ban}),
        ban=ban_out(ban) if ban is not None else None,
        # An echo is Blinger's copy of what the thread already shows (a reply, a notice, a refusal).
        messages=[message_out(m) for m in reversed(newest) if not is_echo(m)],
        next_cursor=after,
        tickets=[ticket_out(t) for t in tickets.of_user(user_id, limit=TICKETS_SHOWN)],
    )


@router.post(
    "/v1/admin/conversations/<conversation_id>/reply",
    tags=TAGS,
    summary="Reply as the operator: stored, delivered to the customer through the outbox (and echoed to the desk)",
    responses={
        202: {"description": "Queued for delivery"},
        **UNAUTHORIZED,
        **NOT_FOUND,
        409: {
            "description": "The canned reply names what this customer has not given (their {name}, an {order})"
        },
        **rule("Longer than a reply once counted as Telegram counts (UTF-16)"),
        **INVALID,
    },
)
def reply(conversation_id: ConversationId, body: Reply) -> Response[Queued]:
    problem = plain_text_problem(body.text, 4000) if isinstance(body, TextReply) else None
    if problem:
        raise RuleError(("body", "text"), problem)  # too long in UTF-16 units, which the schema cannot count
    found = find_conversation(conversation_id)
    user_id = int(found.user_id)
    config = get_config()
    language = customer_language(user_id, config.default_language)
    said = (
        body.text.strip()
        if isinstance(body, TextReply)
        else SafeHTML(canned.render(body.canned_id, found, language))
    )
    text = translator(language)("support.operator", text=said)
    item = tell_customer(
        config, user_id, text, int(found.number), once=None, role=OPERATOR_ROLE, extra={"via": "admin"}
    )
    return Response(
        202,
        content_types.APPLICATION_JSON,
        Queued(msg_id=item.msg_id, status=item.status, conversation=found.ref),
    )


@router.post(
    "/v1/admin/conversations/<conversation_id>/close",
    tags=TAGS,
    summary="Close it as the operator (the lifecycle's move): the customer is asked to rate it, Blinger is told",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **REFUSED, **INVALID},
)
def close(conversation_id: ConversationId) -> Conversation:
    found = find_conversation(conversation_id)
    # A refused move (already closed) answers 409 (api.py's handler of RefusedMove).
    return conversation_out(close_conversation(get_config(), found, conversations.BY_OPERATOR))


@router.post(
    "/v1/admin/conversations/<conversation_id>/reopen",
    tags=TAGS,
    summary="Reopen a closed conversation (the lifecycle's only way back to open)",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **REFUSED, **INVALID},
)
def reopen(conversation_id: ConversationId) -> Conversation:
    # Refused (not closed, or the customer has another open one): 409.
    return conversation_out(reopen_conversation(get_config(), find_conversation(conversation_id)))


@router.get(
    "/v1/admin/tickets",
    tags=TICKET_TAGS,
    summary="Tickets, newest first, optionally of one kind and status (a page: pass next_cursor as cursor)",
    responses={**OK, **UNAUTHORIZED, **BAD_CURSOR, **INVALID},
)
def list_tickets(
    kind: Annotated[TicketKind | None, Query()] = None,
    status: Annotated[TicketStatus | None, Query()] = None,
    limit: pages.Limit = pages.DEFAULT_LIMIT,
    cursor: pages.Cursor = None,
) -> Tickets:
    scope = f"tickets:{kind}:{status}"
    if kind is None and status is None:
        found, after = pages.page(
            functools.partial(TicketItem.tickets.query, TICKETS_INDEX_KEY, scan_index_forward=False),
            limit,
            cursor,
            scope,
        )
    else:
        # Each filter a key condition: the Lists partitions T#<kind>#<status> it names.
        partitions = [
            tickets.list_key(k, s)
            for k in ([kind] if kind else tickets.KINDS)
            for s in ([status] if status else tickets.STATUSES)
        ]
        found, after = pages.merged(TicketItem.lists, partitions, limit, cursor, scope)
    return Tickets(tickets=[ticket_out(item) for item in found], next_cursor=after)


@router.patch(
    "/v1/admin/tickets/<ref>",
    tags=TICKET_TAGS,
    summary="Move a ticket (Ф-12, Ж-7 or an old bare number) through its lifecycle; the customer is told",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **REFUSED, **INVALID},
)
def change_ticket(ref: TicketRef, body: StatusChange) -> TicketChanged:
    ticket = tickets.find(ref)
    if ticket is None:
        raise NotFound(f"no ticket {ref}")
    if (
        ticket.status == body.status
        and (body.outcome in (None, ticket.outcome))
        and body.version == ticket.version
    ):
        return TicketChanged(ticket=ticket_out(ticket), notified=None)
    # Refused or stale: 409 (api.py's handlers of RefusedMove and StaleVersion).
    tickets.move(ticket, body.status, outcome=body.outcome, version=body.version)
    item = notify_ticket(get_config(), ticket)
    return TicketChanged(ticket=ticket_out(ticket), notified=Queued(msg_id=item.msg_id, status=item.status))


MessageId = Annotated[
    str,
    Path(pattern=MESSAGE_ID, description="A message's id as the thread gives it (<user>.<time>.<msg_id>)"),
]


@router.post(
    "/v1/admin/messages/<message_id>/retry",
    tags=TAGS,
    summary="Deliver a failed message again, from its first part not sent (queued afresh; no longer undelivered)",
    responses={
        202: {"description": "Queued for delivery"},
        **UNAUTHORIZED,
        **NOT_FOUND,
        **REFUSED,
        **INVALID,
    },
)
def retry_message(message_id: MessageId) -> Response[Queued]:
    user, moment, msg = message_id.split(".")
    item = load_message(user_key(int(user)), f"M#{moment}#{msg}")
    if item is None:
        raise NotFound(f"no message {message_id}")
    # Not failed (queued, sent, or retried meanwhile): 409 (api.py's handler of RefusedMove).
    retried = outbox.retry(get_config(), item)
    number = int(retried.conversation) if retried.conversation else None
    return Response(
        202,
        content_types.APPLICATION_JSON,
        Queued(
            msg_id=retried.msg_id,
            status=retried.status,
            conversation=conversations.conversation_ref(number) if number else None,
        ),
    )
