"""Login by shared contact, the login guard, and log out.

Before logging in, or after sharing a phone the shop does not know, "Write to support" (a reply
keyboard button next to "Share my phone number") opens the support dialog as a guest
(``bot/support.py``): no orders, no phone; the operator sees the user type "guest".

The login is the user's data (``ctx.user_data["auth"]``); every screen but login needs it
(``LOGGED_IN``, put on them in ``bot/machine.py``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from statemachine import CONTACT, Action, Guard, Nav, Screen, State
from supportbot.backend import BlockedError, NotFoundError
from supportbot.backend.phones import normalize_phone
from supportbot.i18n import LANGUAGES, translator
from supportbot.storage.sessions import Auth
from supportbot.telegram.replies import SendText

if TYPE_CHECKING:
    from telebot import types

    from statemachine import Context
    from supportbot.bot.deps import BotDeps

LOGIN = "login"
GUEST_DIALOG = "support_guest"  # declared in bot/support.py
SUPPORT = "support"  # the logged-in support dialog (bot/support.py)
AUTH = "auth"  # the key of the login in the user's data
NOTIFICATIONS_OFF = "notifications_off"  # the key in the user's data (absent: on; bot/notifications.py)
# A phone number typed instead of shared: digits with the usual separators.
TYPED_PHONE = r"^\+?[\d\s().-]{5,25}$"
# The "Write to support" reply button, in any language the bot speaks (its label is what arrives).
GUEST_BUTTON = (
    "^(?:" + "|".join(re.escape(translator(language).raw("login.guest")) for language in LANGUAGES) + ")$"
)


def deps(ctx: Context) -> BotDeps:
    return ctx.deps  # type: ignore[return-value]


def guest(ctx: Context) -> bool:
    """Whether the user is not logged in (the guest support dialog)."""
    return Auth.from_dict(ctx.user_data.get(AUTH)) is None


def login(ctx: Context) -> Auth:
    """The login of a screen that needs one (``LOGGED_IN`` guards every such screen)."""
    auth = Auth.from_dict(ctx.user_data.get(AUTH))
    if auth is None:
        raise RuntimeError("a screen that needs a login was shown without one")
    return auth


LOGGED_IN = Guard("login", lambda ctx: Auth.from_dict(ctx.user_data.get(AUTH)) is not None, otherwise=LOGIN)


def render_login(ctx: Context) -> Screen:
    t = deps(ctx).t
    return Screen(
        t("login.prompt"), options={"request_contact": t("login.button"), "reply_buttons": [t("login.guest")]}
    )


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
        found = d.backend.auth_by_phone(phone, d.user.id)
    except NotFoundError:
        ctx.notify(d.t("login.not_found"))
        return None
    except BlockedError:
        ctx.notify(d.t("login.blocked"))
        return None
    auth = Auth(token=found.token, user_type=found.user_type, phone=phone, name=found.name)
    ctx.user_data[AUTH] = auth.to_dict()
    welcome = d.t("login.welcome", name=found.name) if found.name else d.t("login.welcome_anonymous")
    ctx.emit(SendText(welcome, remove_keyboard=True))
    return ctx.home()


def open_guest_dialog(ctx: Context) -> Nav:
    return ctx.start(GUEST_DIALOG)


def on_typed_phone(ctx: Context) -> None:
    ctx.notify(deps(ctx).t("login.typed_refused"))


def logout(ctx: Context) -> Nav:
    ctx.user_data.pop(AUTH, None)
    ctx.notify(deps(ctx).t("logout.done"))
    return ctx.home()  # LOGGED_IN takes them to the login screen, with no way back


LOGOUT = Action("logout", logout, to=LOGIN)

STATES = [
    State(
        LOGIN,
        render_login,
        messages=[(CONTACT, on_contact), (TYPED_PHONE, on_typed_phone), (GUEST_BUTTON, open_guest_dialog)],
        allow_back=False,
    ),
]
