"""Surfaces agree: what the customer, the desk and the admin page are told when something moves.

docs/ARCHITECTURE.md, "Surfaces agree". Every message here goes through the outbox (stored first,
retried, its delivery recorded) and is keyed ``once`` by the move it reports, so a re-run or a
repeated event tells nobody twice:
- a conversation closes (the customer ends the dialog, an operator closes it in Blinger or in the
  admin inbox, the auto-close finds it answered and silent for ``AUTO_CLOSE_HOURS``): the customer
  is asked to rate it (``rate:C<number>:<n>`` buttons); when the close
  did not come from Blinger and Blinger is the desk, Blinger's conversation is closed through its
  REST API (``BLINGER_API_TOKEN`` set and Blinger's id for it known from its events), or else its
  thread gets a line asking the operator to close it;
- a ticket moves: the customer is told in their language;
- whatever the customer is told outside the desk (admin replies, ticket notices) is echoed into
  the desk's thread: Blinger's, or the Telegram desk's topic (``desk_echo.py``);
- with the Telegram desk, a close or a reopen shows in the conversation's topic (its name, closed
  or open: ``desk_topics.py``), and an operator's message from the topic that Telegram refused is
  reported there with the reason (``report_undelivered``, as Blinger's are echoed into its thread).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from supportbot.config import Config
from supportbot.i18n import translator
from supportbot.storage.sessions import customer_language
from supportbot.support import conversations, desk_topics
from supportbot.support.conversations import ConversationItem
from supportbot.support.desk_echo import echo_to_desk, echo_undelivered
from supportbot.support.messages import BLINGER, CLOSE, CUSTOMER, NOTICE_ROLE, TOPIC, MessageItem, NewMessage
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
    """``text`` (Telegram HTML) to the customer through the outbox, echoed to the desk's thread
    unless it was written at the Telegram desk (a canned reply's press: the topic says so)."""
    context: dict[str, Any] = dict(extra or {})
    if buttons:
        context["buttons"] = buttons
    message = NewMessage(
        user_id, CUSTOMER, [{"kind": "text", "text": text}], context, role=role, conversation=conversation
    )
    item = enqueue(config, message, once=once)
    if context.get("via") != "telegram":
        echo_to_desk(
            config, user_id, text, int(item.conversation or 0) or None, once=f"{once}:echo" if once else None
        )
    return item


def close_conversation(
    config: Config,
    conversation: ConversationItem,
    by: str,
    from_blinger: bool = False,
    only_if: Callable[[ConversationItem], bool] | None = None,
) -> ConversationItem:
    """Close through the lifecycle (RefusedMove when it is not live, or no longer passes
    ``only_if``: ``conversations.close``), then tell the surfaces."""
    closed = conversations.close(conversation, by, only_if=only_if)
    number, user_id = int(closed.number), int(closed.user_id)
    t = translator(customer_language(user_id, config.default_language))
    auto = by == conversations.BY_AUTO
    tell_customer(
        config,
        user_id,
        t("support.auto_closed", ref=closed.ref, hours=config.auto_close_hours)
        if auto
        else t("support.closed"),
        number,
        once=f"out:close:{closed.ref}",
        buttons=rating_buttons(number),
    )
    if not from_blinger and config.support_desk == "blinger":
        tell_blinger_closed(config, closed, by)
    show_topic_status(config, closed)
    return closed


def reopen_conversation(config: Config, conversation: ConversationItem) -> ConversationItem:
    """Reopen through the lifecycle (RefusedMove when it is not closed, or the customer has
    another live one), then show it in the Telegram desk's topic."""
    reopened = conversations.reopen(conversation)
    show_topic_status(config, reopened)
    return reopened


def show_topic_status(config: Config, conversation: ConversationItem) -> MessageItem | None:
    """Queue the conversation's new status to its topic when the Telegram desk has one for it
    (``desk_topics.apply_status``), once per version of the conversation."""
    if (
        config.support_desk != "telegram"
        or desk_topics.thread_in(conversation, config.support_chat_id) is None
    ):
        return None  # no topic in this group: the next message makes one, showing the status then
    part = {"kind": TOPIC, "text": str(conversation.status)}
    return tell_desk(
        config, conversation, part, once=f"out:topic:{conversation.ref}:v{int(conversation.version)}"
    )


def tell_desk(
    config: Config,
    conversation: ConversationItem,
    part: dict[str, Any],
    once: str | None,
    buttons: list[list[dict[str, str]]] | None = None,
) -> MessageItem:
    """A line for the operators into the conversation's thread at the desk (its topic in the
    Telegram desk), through the outbox: paced with the desk's other posts; it moves nothing."""
    context: dict[str, Any] = {"buttons": buttons} if buttons else {}
    message = NewMessage(
        int(conversation.user_id),
        BLINGER,
        [part],
        context,
        role=NOTICE_ROLE,
        conversation=int(conversation.number),
    )
    return enqueue(config, message, once=once)


def report_undelivered(config: Config, item: MessageItem, reason: str) -> MessageItem | None:
    """Tell the operators where they wrote that their message did not reach the customer, why:
    an echo in Blinger's thread, a line in the Telegram desk's topic. The admin inbox shows its own
    undelivered messages with their reason, as it shows every stored message's status."""
    if (item.context or {}).get("via") != "telegram":
        return echo_undelivered(config, item, reason)
    conversation = conversations.get(int(item.user_id), int(item.conversation or 0))
    if conversation is None:
        return None
    t = translator(config.default_language)  # read by operators
    # An operator's edit that Telegram refused did not change what the customer has.
    text = t(
        "desk.edit_failed" if (item.context or {}).get("edit") else "support.not_delivered", reason=reason
    )
    return tell_desk(
        config, conversation, {"kind": "text", "text": text}, once=f"out:undelivered:{item.msg_id}"
    )


def tell_blinger_closed(config: Config, conversation: ConversationItem, by: str) -> MessageItem:
    """Close Blinger's conversation by its REST API when we can, else say so in its thread."""
    user_id, number = int(conversation.user_id), int(conversation.number)
    if config.blinger_api_token and conversation.desk_ref:
        part = {"kind": CLOSE, "text": str(conversation.desk_ref)}
    else:
        t = translator(config.default_language)  # read by operators
        key = {
            conversations.BY_CUSTOMER: "support.customer_ended_line",
            conversations.BY_AUTO: "support.auto_closed_line",
        }.get(by, "support.operator_closed_line")
        text = t.raw(key).format(ref=conversation.ref, hours=config.auto_close_hours)
        part = {"kind": "text", "text": text}
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
