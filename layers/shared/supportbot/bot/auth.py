"""Login by shared contact, /start, and log out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from statemachine import CONTACT, Nav, Screen, State
from supportbot.backend import BlockedError, NotFoundError
from supportbot.backend.phones import normalize_phone
from supportbot.storage.sessions import Auth
from supportbot.telegram.replies import SendText

if TYPE_CHECKING:
    from telebot import types

    from statemachine import Context
    from supportbot.bot.deps import BotDeps

LOGIN = "login"
# A phone number typed instead of shared: digits with the usual separators. Other texts (/start
# included) are not mistaken for one: /start shows the login screen, the rest gets the hint.
TYPED_PHONE = r"^\+?[\d\s().-]{5,25}$"


def render_login(ctx: Context) -> Screen:
    t = deps(ctx).t
    return Screen(t("login.prompt"), options={"request_contact": t("login.button")})


def on_contact(ctx: Context) -> Nav | None:
    d = deps(ctx)
    message: types.Message = ctx.input.payload  # type: ignore[assignment]
    contact = message.contact
    if getattr(message, "forward_origin", None) is not None or getattr(message, "forward_date", None):
        ctx.notify(d.t("login.forwarded_contact"))
        return None
    if contact is None or contact.user_id != d.user.id:
        ctx.notify(d.t("login.foreign_contact"))
        return None
    phone = normalize_phone(contact.phone_number or "")
    if phone is None:
        ctx.notify(d.t("login.bad_phone"))
        return None
    try:
        login = d.backend.auth_by_phone(phone, d.user.id)
    except NotFoundError:
        ctx.notify(d.t("login.not_found"))
        return None
    except BlockedError:
        ctx.notify(d.t("login.blocked"))
        return None
    d.profile.auth = Auth(token=login.token, user_type=login.user_type, phone=phone, name=login.name)
    welcome = d.t("login.welcome", name=login.name) if login.name else d.t("login.welcome_anonymous")
    ctx.emit(SendText(welcome, remove_keyboard=True))
    return ctx.home()


def on_typed_phone(ctx: Context) -> None:
    ctx.notify(deps(ctx).t("login.typed_refused"))


def start(ctx: Context) -> Nav:
    """/start anywhere: the main menu when logged in, else the login screen."""
    if deps(ctx).profile.auth is None:
        return ctx.replace(LOGIN)
    return ctx.home()


def logout(ctx: Context) -> Nav:
    d = deps(ctx)
    d.profile.auth = None
    ctx.notify(d.t("logout.done"))
    return ctx.replace(LOGIN)


def deps(ctx: Context) -> BotDeps:
    return ctx.deps  # type: ignore[return-value]


STATES = [
    State(
        LOGIN,
        render_login,
        messages=[(CONTACT, on_contact), (TYPED_PHONE, on_typed_phone)],
        allow_back=False,
    ),
]
GLOBAL_MESSAGES = [(r"^/start(?:\s.*)?$", start)]
