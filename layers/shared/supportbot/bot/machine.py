"""The bot's whole state machine, built once per cold start from the areas' declarations.

Every screen but the login screen and a guest's support dialog needs a login (``LOGGED_IN``);
the areas add their own guards
(photo requests are for customers). ``make diagram`` draws this machine in docs/ARCHITECTURE.md.

Only the login screen is imported with the machine: every other area (a module of ``bot/``) is
an ``Area`` named here by its states and families and imported the first time a user reaches
one of them, so a cold start imports what its first update needs (a new user's /start: the
login screen; docs/PERFORMANCE.md, "Cold start"). The engine checks on loading that an area
declares exactly the names its module defines (tests/unit/test_diagram_current.py loads all).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from statemachine import Action, Area, Family, Machine, State
from supportbot.bot import auth
from supportbot.config import Config

if TYPE_CHECKING:
    from statemachine import Context, Nav


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


def home(ctx: Context) -> Nav:
    """The main menu (the login screen for someone not logged in)."""
    return ctx.home()


def show_help(ctx: Context) -> None:
    ctx.notify(auth.deps(ctx).t("common.help"))


# Taken in every screen, before its own routes: /start, /menu and /help.
COMMANDS = [(r"^/start(?:\s.*)?$", home), (r"^/menu(?:@\w+)?$", home), (r"^/help(?:@\w+)?$", show_help)]
HOME = "main"  # bot/menu.py


def _menu() -> Sequence[State | Family]:
    from supportbot.bot import menu

    return menu.STATES


def _orders() -> Sequence[State | Family]:
    from supportbot.bot import orders

    return orders.STATES


def _photos() -> Sequence[State | Family]:
    from supportbot.bot import photos

    return photos.STATES


def _complaints() -> Sequence[State | Family]:
    from supportbot.bot import complaints

    return [*complaints.STATES, complaints.FAMILY]


def _faq() -> Sequence[State | Family]:
    from supportbot.bot import faq

    return [faq.FAMILY]


def _support() -> Sequence[State | Family]:
    from supportbot.bot import support

    return support.STATES


def _guest_support() -> Sequence[State | Family]:
    from supportbot.bot import support

    return support.GUEST_STATES


def _notifications() -> Sequence[State | Family]:
    from supportbot.bot import notifications

    return notifications.STATES


def _sessionless() -> Sequence[Action]:
    from supportbot.bot import notifications

    return notifications.SESSIONLESS


def _privacy() -> Sequence[State | Family]:
    from supportbot.bot import privacy

    return privacy.STATES


def _logged_in(
    load: Callable[[], Sequence[State | Family]], states: Sequence[str] = (), families: Sequence[str] = ()
) -> Area:
    return Area(load, states=frozenset(states), families=frozenset(families), guards=[auth.LOGGED_IN])


AREAS = [
    Area(_guest_support, states=frozenset({auth.GUEST_DIALOG})),  # outside the login guard
    _logged_in(_menu, [HOME]),
    _logged_in(_orders, ["orders", "order"]),
    _logged_in(
        _photos,
        ["photo", "photo_note", "photo_confirm", "photo_sent", "photo_list", "photo_customers_only"],
    ),
    _logged_in(_faq, families=["faq"]),  # before complaints: the diagram's order
    _logged_in(_complaints, ["complaint_done", "complaints_mine"], ["complaint"]),
    _logged_in(_support, [auth.SUPPORT]),
    _logged_in(_notifications, ["notifications"]),
    _logged_in(_privacy, ["forget"]),
]


def build_machine(config: Config) -> Machine:
    return Machine(
        auth.STATES,
        home=HOME,
        areas=AREAS,
        commands=COMMANDS,
        sessionless=_sessionless,
        history_limit=config.history_limit,
        on_refused=notify_refused,
        on_stale=notify_stale,
        on_missing=notify_stale,
    )
