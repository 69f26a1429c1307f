"""The bot's whole state machine, built once per cold start from the areas' declarations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from statemachine import Machine
from supportbot.bot import auth, complaints, faq, menu, orders, photos, support
from supportbot.config import Config

if TYPE_CHECKING:
    from statemachine import Context

LOGIN_STATE = auth.LOGIN
ANONYMOUS_STATES = frozenset({auth.LOGIN})


def notify_stale(ctx: Context) -> None:
    ctx.notify(auth.deps(ctx).t("common.stale"))


def notify_use_buttons(ctx: Context) -> None:
    ctx.notify(auth.deps(ctx).t("common.use_buttons"))


def build_machine(config: Config) -> Machine:
    return Machine(
        [*auth.STATES, *menu.STATES, *orders.STATES, *photos.STATES, *complaints.STATES, *support.STATES],
        home=menu.MAIN,
        families=[faq.FAMILY, complaints.FAMILY],
        global_messages=auth.GLOBAL_MESSAGES,
        history_limit=config.history_limit,
        on_refused=notify_use_buttons,
        on_stale=notify_stale,
        on_missing=notify_stale,
    )
