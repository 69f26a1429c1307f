"""The main menu."""

from __future__ import annotations

from typing import TYPE_CHECKING

from statemachine import Button, Screen, State
from supportbot.bot.auth import deps, logout
from supportbot.bot.complaints import start as start_complaint
from supportbot.bot.support import open_dialog

if TYPE_CHECKING:
    from statemachine import Context

MAIN = "main"


def render_main(ctx: Context) -> Screen:
    # The main menu ends every flow: what one left halfway (complaint answers, a photo note, a
    # support dialog's album) would otherwise add up with the next one's past one write unit.
    ctx.data.clear()
    d = deps(ctx)
    t = d.t
    auth = d.profile.auth
    partner = auth is not None and auth.user_type == "partner"
    title = t("menu.title", name=auth.name) if auth and auth.name else t("menu.title_anonymous")
    return Screen(
        title,
        [
            [Button(t("menu.orders_partner" if partner else "menu.orders"), "orders")],
            [Button(t("menu.faq"), "faq")],
            [Button(t("menu.ask"), "ask")],
            *([[Button(t("menu.photo"), "photo")]] if not partner else []),  # their own stock
            [Button(t("menu.complaint"), "complaint")],
            [Button(t("menu.logout"), "logout")],
        ],
    )


STATES = [
    State(
        MAIN,
        render_main,
        callbacks=[
            ("^orders$", "orders"),
            ("^faq$", "faq:root"),
            ("^photo$", "photo"),
            ("^logout$", logout),
            ("^complaint$", start_complaint),
            ("^ask$", open_dialog),
        ],
    ),
]
