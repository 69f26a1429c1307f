"""Surfaces agree: what the customer, the desk and the admin page are told when something moves.

docs/ARCHITECTURE.md, "Surfaces agree". Every message here goes through the outbox (stored first,
retried, its delivery recorded) and is keyed ``once`` by the move it reports, so a re-run or a
repeated event tells nobody twice:
- a conversation closes (the customer ends the dialog, an operator closes it in Blinger or in the
  admin inbox): the customer is asked to rate it (``rate:C<number>:<n>`` buttons); when the close
  did not come from Blinger and Blinger is the desk, Blinger's conversation is closed through its
  REST API (``BLINGER_API_TOKEN`` set and Blinger's id for it known from its events), or else its
  thread gets a line asking the operator to close it;
- a ticket moves: the customer is told in their language;
- whatever the customer is told outside Blinger (admin replies, ticket notices) is echoed into
  Blinger's thread when Blinger is the desk (``blinger_echo.py``).
"""

from __future__ import annotations

from typing import Any

from supportbot.config import Config
from supportbot.i18n import translator
from supportbot.storage.sessions import customer_language
from supportbot.support import conversations
from supportbot.support.blinger_echo import echo_to_blinger
from supportbot.support.conversations import ConversationItem
from supportbot.support.messages import BLINGER, CLOSE, CUSTOMER, NOTICE_ROLE, MessageItem, NewMessage
from supportbot.support.outbox import enqueue
from supportbot.support.rating import rating_buttons
from supportbot.support.tickets import TicketItem


def tell_customer(
    config: Config,
    user_id: int,
    text: str,
    conversation: int | None,
    once: str | None,
    role: str = NOTICE_ROLE,
    buttons: list[list[dict[str, str]]] | None = None,
    extra: dict[str, Any] | None = None,
) -> MessageItem:
    """``text`` (Telegram HTML) to the customer through the outbox, echoed into Blinger's thread."""
    context: dict[str, Any] = dict(extra or {})
    if buttons:
        context["buttons"] = buttons
    message = NewMessage(
        user_id, CUSTOMER, [{"kind": "text", "text": text}], context, role=role, conversation=conversation
    )
    item = enqueue(config, message, once=once)
    echo_to_blinger(
        config, user_id, text, int(item.conversation or 0) or None, once=f"{once}:echo" if once else None
    )
    return item


def close_conversation(
    config: Config, conversation: ConversationItem, by: str, from_blinger: bool = False
) -> ConversationItem:
    """Close through the lifecycle (RefusedMove when it is not live), then tell the surfaces."""
    closed = conversations.close(conversation, by)
    number, user_id = int(closed.number), int(closed.user_id)
    t = translator(customer_language(user_id, config.default_language))
    tell_customer(
        config,
        user_id,
        t("support.closed"),
        number,
        once=f"out:close:{closed.ref}",
        buttons=rating_buttons(number),
    )
    if not from_blinger and config.support_desk == "blinger":
        tell_blinger_closed(config, closed, by)
    return closed


def tell_blinger_closed(config: Config, conversation: ConversationItem, by: str) -> MessageItem:
    """Close Blinger's conversation by its REST API when we can, else say so in its thread."""
    user_id, number = int(conversation.user_id), int(conversation.number)
    if config.blinger_api_token and conversation.desk_ref:
        part = {"kind": CLOSE, "text": str(conversation.desk_ref)}
    else:
        t = translator(config.default_language)  # read by operators
        key = (
            "support.customer_ended_line"
            if by == conversations.BY_CUSTOMER
            else "support.operator_closed_line"
        )
        part = {"kind": "text", "text": t.raw(key).format(ref=conversation.ref)}
    message = NewMessage(user_id, BLINGER, [part], {}, role=NOTICE_ROLE, conversation=number)
    return enqueue(config, message, once=f"out:blinger-close:{conversation.ref}")


def ticket_text(config: Config, ticket: TicketItem) -> str:
    t = translator(customer_language(int(ticket.user_id), config.default_language))
    state = str(ticket.outcome or ticket.status) if ticket.status == "closed" else str(ticket.status)
    if ticket.kind == "photo" and ticket.outcome == "refused":
        return t("photo.refused_customer", number=ticket.label)
    return t("ticket.status_changed", number=ticket.label, status=t.raw(f"ticket.state_{state}"))


def notify_ticket(config: Config, ticket: TicketItem) -> MessageItem:
    """Tell the customer the ticket's new status (once per version)."""
    return tell_customer(
        config,
        int(ticket.user_id),
        ticket_text(config, ticket),
        int(ticket.conversation) if ticket.conversation else None,
        once=f"out:ticket:{int(ticket.number)}:v{int(ticket.version)}",
        extra={"ticket": ticket.label},
    )
