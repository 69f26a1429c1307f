"""Outgoing echoes into the customer's Blinger thread: what operators should see there that they did
not write in Blinger (a message that could not be delivered, and, for the other desks' features,
an admin's reply or a ticket notice).

An echo is a post to Blinger's send URL with ``echo_outgoing: true`` (docs: Blinger contract):
Blinger shows it as an outgoing message of the conversation. It is stored and delivered through
the outbox like every other message to Blinger (retried while Blinger is down, in the customer's
order), marked ``echo_outgoing`` in its context so the destination adds the flag and the admin
inbox does not count it as the customer's.
"""

from __future__ import annotations

from supportbot.config import Config
from supportbot.i18n import translator
from supportbot.support.messages import BLINGER, MessageItem, NewMessage
from supportbot.support.outbox import enqueue

ECHO = "echo_outgoing"


def echo_to_blinger(config: Config, user_id: int, text: str, once: str | None = None) -> MessageItem | None:
    """Queue ``text`` as an outgoing echo in the Blinger thread of ``user_id``.

    ``once`` names the cause, so that handling it twice echoes once. Without Blinger configured
    (another desk) nothing is queued: None.
    """
    if not config.blinger_api_url:
        return None
    message = NewMessage(user_id, BLINGER, [{"kind": "text", "text": text}], {ECHO: True})
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
    text = t.raw("support.not_delivered").format(reason=reason)
    return echo_to_blinger(config, int(item.user_id), text, once=f"undelivered:{item.msg_id}")
