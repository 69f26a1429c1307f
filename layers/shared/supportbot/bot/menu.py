"""The main menu (the commands every screen takes, /start, /menu and /help: bot/machine.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from statemachine import Screen, State
from supportbot.bot import complaints, faq, notifications, orders, photos, privacy, support
from supportbot.bot.auth import LOGOUT, deps, login

if TYPE_CHECKING:
    from statemachine import Context

MAIN = "main"


def render_main(ctx: Context) -> Screen:
    t = deps(ctx).t
    auth = login(ctx)
    partner = auth.user_type == "partner"
    title = t("menu.title", name=auth.name) if auth.name else t("menu.title_anonymous")
    return Screen(
        title,
        [
            [orders.LIST.button(t("menu.orders_partner" if partner else "menu.orders"))],
            [faq.OPEN.button(t("menu.faq"))],
            [support.ASK.button(t("menu.ask"))],
            *([[photos.REQUEST.button(t("menu.photo"))]] if not partner else []),  # their own stock
            [complaints.NEW.button(t("menu.complaint"))],
            [notifications.OPEN.button(t("menu.notifications"))],
            [LOGOUT.button(t("menu.logout"))],
            [privacy.OPEN.button(t("menu.forget"))],
        ],
    )


STATES = [
    State(
        MAIN,
        render_main,
        actions=[
            orders.LIST,
            faq.OPEN,
            support.ASK,
            photos.REQUEST,
            complaints.NEW,
            notifications.OPEN,
            LOGOUT,
            privacy.OPEN,
        ],
    ),
]
