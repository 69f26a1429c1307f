"""The customer's message about an order: "Order №… is now: <status>", with the buttons Open
order and Ask about this order (session-less: ``bot/notifications.py`` takes them from any
screen), in the customer's language, stored and delivered through the outbox."""

from __future__ import annotations

from statemachine import SESSIONLESS, callback_data
from supportbot.bot.notifications import ASK_ABOUT, OPEN_ORDER
from supportbot.config import Config
from supportbot.i18n import pick_language, translator
from supportbot.notifications.store import PendingOrderItem
from supportbot.storage.sessions import SessionItem
from supportbot.support.messages import CUSTOMER, NewMessage
from supportbot.support.outbox import enqueue


def send_order_message(config: Config, item: PendingOrderItem, session: SessionItem) -> None:
    t = translator(pick_language(session.language, config.default_language))
    status = item.status or ""
    words = t.raw(f"status.{status}") if status and t.has(f"status.{status}") else item.status_text or status
    key = "notify.order_created" if item.event_type == "order.created" else "notify.order_status"
    text = t(key, number=str(item.number), status=words)  # the translator escapes values
    buttons = [
        [
            {
                "text": t("notify.open_order"),
                "callback_data": callback_data(SESSIONLESS, OPEN_ORDER.id, item.order_id),
            }
        ],
        [{"text": t("notify.ask"), "callback_data": callback_data(SESSIONLESS, ASK_ABOUT.id, item.order_id)}],
    ]
    message = NewMessage(
        int(item.user_id),
        CUSTOMER,
        [{"kind": "text", "text": text}],
        {"buttons": buttons, "order": item.order_id, "notification": True},
    )
    # One message per window: a retry of the job after a crash stores nothing new.
    enqueue(config, message, once=f"order:{item.user_id}:{item.order_id}:{item.since}:{item.occurred}")
