"""The bot's whole state machine, built once per cold start from the areas' declarations.

Every screen but the login screen and a guest's support dialog needs a login (``LOGGED_IN``);
the areas add their own guards
(photo requests are for customers). ``make diagram`` draws this machine in docs/ARCHITECTURE.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from statemachine import Machine, guarded
from supportbot.bot import auth, complaints, faq, menu, notifications, orders, photos, privacy, support
from supportbot.config import Config

if TYPE_CHECKING:
    from statemachine import Context


def notify_stale(ctx: Context) -> None:
    ctx.notify(auth.deps(ctx).t("common.stale"))


def notify_refused(ctx: Context) -> None:
    """What a screen says to an input it does not take: a file, a voice message, a location...
    is named, with where it would be taken (the support dialog); anything else: the buttons."""
    t = auth.deps(ctx).t
    kind = ctx.input.kind
    if ctx.state == auth.LOGIN and kind not in ("text", "callback"):
        ctx.notify(t("common.not_here_login"))
    elif t.has(f"kind.{kind}"):
        ctx.notify(t("common.not_here", what=t(f"kind.{kind}")))
    else:
        ctx.notify(t("common.use_buttons"))


def build_machine(config: Config) -> Machine:
    return Machine(
        [
            *auth.STATES,
            *support.GUEST_STATES,
            *guarded(
                auth.LOGGED_IN,
                [
                    *menu.STATES,
                    *orders.STATES,
                    *photos.STATES,
                    *complaints.STATES,
                    *support.STATES,
                    *notifications.STATES,
                    *privacy.STATES,
                ],
            ),
        ],
        home=menu.MAIN,
        families=guarded(auth.LOGGED_IN, [faq.FAMILY, complaints.FAMILY]),
        commands=menu.COMMANDS,
        sessionless=notifications.SESSIONLESS,
        history_limit=config.history_limit,
        on_refused=notify_refused,
        on_stale=notify_stale,
        on_missing=notify_stale,
    )
