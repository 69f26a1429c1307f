"""Outgoing echoes to the desk: what operators should see in the customer's thread there that
they did not write at that desk.

A reply from the admin inbox, a ticket notice and any other message the bot sends a customer
outside the desk is echoed into the conversation's thread there (``surfaces.py``), whichever desk
it is; with Blinger, so is a message written in Blinger that Telegram refused for good ("not
delivered: <reason>", ``echo_undelivered``; the Telegram desk's topic gets its line from
``surfaces.report_undelivered``): operators see what the customer saw, or did not.

An echo is stored and delivered through the outbox like every other message to the desk (retried
while the desk is down, in the customer's order), in the conversation it reports on, as a notice
(it moves nothing), marked ``echo_outgoing`` in its context so the admin inbox does not show it as
a message of the thread (it shows what it copies already). Its shape per desk:
- Blinger: a post to Blinger's send URL with ``echo_outgoing: true`` (docs/blinger.md), the text
  as typed; Blinger shows it as an outgoing message of the conversation, not a customer's;
- the Telegram desk: a post in the conversation's topic, "↪️ Sent to the customer:" and the text
  as the customer got it (paced with the group's other posts, ``telegram_desk.py``).
"""

from __future__ import annotations

import html

from supportbot.config import Config
from supportbot.i18n import translator
from supportbot.support.messages import BLINGER, ECHO, NOTICE_ROLE, MessageItem, NewMessage
from supportbot.support.outbox import enqueue
from supportbot.telegram.html import plain_text


def echo_to_desk(
    config: Config, user_id: int, text: str, conversation: int | None, once: str | None = None
) -> MessageItem | None:
    """Queue ``text`` (Telegram HTML) as an outgoing echo in the desk's thread of ``user_id``.

    ``once`` names the cause (``once.py``), so that handling it twice echoes once. When the desk
    is the admin inbox (which shows the message itself) nothing is queued: None.
    """
    if config.support_desk == "blinger":
        part = {"kind": "text", "text": plain_text(text)}  # Blinger shows text as typed
    elif config.support_desk == "telegram":
        t = translator(config.default_language)  # read by operators
        part = {"kind": "text", "text": f"{t.raw('desk.echo')}\n{text}"}
    else:
        return None
    message = NewMessage(user_id, BLINGER, [part], {ECHO: True}, role=NOTICE_ROLE, conversation=conversation)
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
    if config.support_desk != "blinger":
        return None
    return echo_to_desk(config, int(item.user_id), text, conversation, once=f"out:undelivered:{item.msg_id}")
