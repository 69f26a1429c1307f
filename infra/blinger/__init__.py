"""A local stand-in for Blinger's Custom app channel, with a page where a person plays the operator.

The bot is configured with `BLINGER_API_URL = console.send_url` and the app token; Blinger's side
calls the bot's `/v1/blinger/webhook/` (operators' messages with the token, conversation events with
`?key=<events_secret>`). Tests use the hooks: `calls`, `deliveries`, `fail_next`, `conversation`,
`reply`, `assign`, `unassign`, `close`, `add_file`, `reset`.

Modules: `conversations` (the contract's checks and the inbox), `console` (BlingerConsole: hooks,
calls to the bot, lifecycle), `server` (HTTP routes), `static/` (the operator's page).

    with BlingerConsole("app-token", "telegram", bot_webhook_url=f"{api}/v1/blinger/webhook/",
                        events_secret="events-secret") as blinger:
        ...  # the bot posts to blinger.send_url; blinger.reply("42", "text", "Hello") answers
"""

from infra.blinger.console import BlingerConsole, Call, StoredFile
from infra.blinger.conversations import Conversation, Delivery, Message, Operator, UnknownConversationError

__all__ = [
    "BlingerConsole",
    "Call",
    "Conversation",
    "Delivery",
    "Message",
    "Operator",
    "StoredFile",
    "UnknownConversationError",
]
