"""Notifications: the screen that turns order notifications and broadcasts on or off, and the
buttons of an order notification (sent by the bot on its own, outside any screen).

The choice is the user's data (``ctx.user_data["notifications_off"]``), stored by the pipeline
in an attribute of the session of its own, which order events and broadcasts read through the
sessions' indexes (``storage/sessions.py``). An order notification's buttons carry the
session-less token (``-|order:<id>``, ``-|ask:<id>``): pressed whenever, from whatever screen,
they open the order card or the support dialog about that order (``Machine(sessionless=...)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from statemachine import Action, Button, Nav, Screen, State
from supportbot.bot.auth import NOTIFICATIONS_OFF, SUPPORT, deps
from supportbot.bot.support import ask_about_order

if TYPE_CHECKING:
    from statemachine import Context

NOTIFICATIONS = "notifications"
ORDER = "order"  # bot/orders.py
ORDER_ID = r"[A-Za-z0-9._~-]{1,32}"


def notifications_on(ctx: Context) -> bool:
    return not ctx.user_data.get(NOTIFICATIONS_OFF)


def render_notifications(ctx: Context) -> Screen:
    t = deps(ctx).t
    on = notifications_on(ctx)
    toggle = (
        TURN_OFF.button(t("notifications.turn_off")) if on else TURN_ON.button(t("notifications.turn_on"))
    )
    return Screen(
        t("notifications.on" if on else "notifications.off"), [[toggle], [Button.home(t("nav.home"))]]
    )


def turn_on(ctx: Context) -> None:
    ctx.user_data.pop(NOTIFICATIONS_OFF, None)
    ctx.notify(deps(ctx).t("notifications.turned_on"))


def turn_off(ctx: Context) -> None:
    ctx.user_data[NOTIFICATIONS_OFF] = True
    ctx.notify(deps(ctx).t("notifications.turned_off"))


def open_notified_order(ctx: Context, order_id: str) -> Nav:
    return ctx.go(ORDER, id=order_id)


OPEN = Action("notifications", to=NOTIFICATIONS)  # the main menu's button
TURN_ON = Action("on", turn_on)
TURN_OFF = Action("off", turn_off)
# An order notification's buttons (supportbot/notifications/order_events.py sends them).
OPEN_ORDER = Action("order", open_notified_order, arg=ORDER_ID, to=ORDER)
ASK_ABOUT = Action("ask", ask_about_order, arg=ORDER_ID, to=SUPPORT)
SESSIONLESS = [OPEN_ORDER, ASK_ABOUT]

STATES = [State(NOTIFICATIONS, render_notifications, parent="main", actions=[TURN_ON, TURN_OFF])]
