"""Outgoing echoes into the customer's Blinger thread: what operators should see there that they did
not write in Blinger.

When Blinger is the desk (``SUPPORT_DESK=blinger``), a reply from the admin inbox, a ticket notice
and any other message the bot sends a customer outside Blinger is echoed there (``surfaces.py``),
and so is a message written in Blinger that Telegram refused for good ("not delivered: <reason>",
``echo_undelivered``): operators see in their thread what the customer saw, or did not.

An echo is a post to Blinger's send URL with ``echo_outgoing: true`` (docs/blinger.md): Blinger
shows it as an outgoing message of the conversation, not a customer's. It is stored and delivered
through the outbox like every other message to Blinger (retried while Blinger is down, in the
customer's order), in the conversation it reports on, as a notice (it moves nothing), marked
``echo_outgoing`` in its context so the destination adds the flag and the admin inbox does not
show it as a message of the thread.
"""

from __future__ import annotations

import html

from supportbot.config import Config
from supportbot.i18n import translator
from supportbot.support.messages import BLINGER, ECHO, NOTICE_ROLE, MessageItem, NewMessage
from supportbot.support.outbox import enqueue
from supportbot.telegram.html import plain_text


def echo_to_blinger(
    config: Config, user_id: int, text: str, conversation: int | None, once: str | None = None
) -> MessageItem | None:
    """Queue ``text`` (Telegram HTML) as an outgoing echo in the Blinger thread of ``user_id``.

    ``once`` names the cause (``once.py``), so that handling it twice echoes once. When Blinger is
    not the desk nothing is queued: None.
    """
    if config.support_desk != "blinger":
        return None
    message = NewMessage(
        user_id,
        BLINGER,
        [{"kind": "text", "text": plain_text(text)}],  # Blinger shows text as typed
        {ECHO: True},
        role=NOTICE_ROLE,
        conversation=conversation,
    )
    return enqueue(config, message, once=once)


def is_echo(item: MessageItem) -> bool:
    return bool((item.context or {}).get(ECHO))


def echo_undelivered(config: Config, item: MessageItem, reason: str) -> MessageItem | None:
    """Tell the operators in Blinger that their message to the customer was not delivered, why.

    Only for messages written in Blinger (``context.via``): the admin inbox shows its own
    undelivered messages with their reason, as it shows every stored message's status.
    """
    if (item.context or {}).get("via") != "blinger":
        return None
    t = translator(config.default_language)
    # Escaped as the Telegram HTML every echo's text is (plain_text gives the reason back as it was).
    text = t.raw("support.not_delivered").format(reason=html.escape(reason))
    conversation = int(item.conversation) if item.conversation else None
    return echo_to_blinger(
        config, int(item.user_id), text, conversation, once=f"out:undelivered:{item.msg_id}"
    )
