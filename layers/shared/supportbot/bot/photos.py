"""Product photos: a customer asks the warehouse for photos of an order's goods, or of an article.

Pick one of your orders (or type an article number) -> add a note or skip -> confirm: a ticket is
opened and posted to the warehouse group (``support/warehouse.py``); the photos come back later as
one album. "My photo requests" lists them with their statuses. Partners never get this: the goods
are their own stock.

The subject travels in the screens' params (``o`` an order id, ``a`` an article), so Back and Up
restore it; only the note is kept in the flow's data, bounded so the session stays small. The
screens are for customers only (``CUSTOMERS``): a partner who reaches one is told so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from statemachine import TEXT, Action, Button, Guard, Nav, Screen, State, guarded
from supportbot.backend import NotFoundError
from supportbot.bot.auth import deps, login
from supportbot.bot.orders import ORDER_ID, order_label, order_page
from supportbot.bot.widgets import PAGER, pager_rows
from supportbot.support import tickets
from supportbot.support.tickets import CLOSED, IN_PROGRESS, RESOLVED
from supportbot.support.tickets import PHOTO as PHOTO_KIND
from supportbot.support.warehouse import Subject, open_photo_request

if TYPE_CHECKING:
    from statemachine import Context
    from statemachine.routes import MessageSpec
    from supportbot.bot.deps import BotDeps
    from supportbot.support.tickets import TicketItem

PHOTO = "photo"
PHOTO_NOTE = "photo_note"
PHOTO_CONFIRM = "photo_confirm"
PHOTO_SENT = "photo_sent"
PHOTO_LIST = "photo_list"
CUSTOMERS_ONLY = "photo_customers_only"
FLOW = "photo"
NOTE = "photo_note"  # key of the note in the flow's data (the key of sessions stored before flows had scopes)
# An article number: letters, digits, "-" and "_" (no spaces); anything else typed gets a hint.
ARTICLE = r"^(?P<article>[\w-]{1,40})\Z"
NOTE_MAX_CHARS = 200
NOTE_MAX_BYTES = 400  # UTF-8: the note lives in the session, which must stay under 1 KB
LIST_LIMIT = 10


# Checked after LOGGED_IN (bot/machine.py), so there is a login to look at.
CUSTOMERS = Guard("customers", lambda ctx: login(ctx).user_type == "customer", otherwise=CUSTOMERS_ONLY)


def render_customers_only(ctx: Context) -> Screen:
    t = deps(ctx).t
    return Screen(t("photo.customers_only"), [[Button.home(t("nav.home"))]])


# ---- pick an order or type an article ------------------------------------------------------------
def render_pick(ctx: Context) -> Screen:
    t = deps(ctx).t
    listing, page, pages = order_page(ctx)
    buttons = [[PICK.button(order_label(order, t), order.id)] for order in listing.items]
    return Screen(
        t("photo.pick" if listing.items else "photo.pick_no_orders"),
        [
            *buttons,
            *pager_rows(page, pages, t),
            [MINE.button(t("photo.mine"))],
            [Button.back(t("nav.back")), Button.home(t("nav.home"))],
        ],
    )


def pick_order(ctx: Context, order_id: str) -> Nav:
    ctx.data.pop(NOTE, None)
    return ctx.go(PHOTO_NOTE, o=order_id)


def typed_article(ctx: Context, article: str) -> Nav:
    ctx.data.pop(NOTE, None)
    return ctx.go(PHOTO_NOTE, a=article)


def bad_article(ctx: Context) -> None:
    ctx.notify(deps(ctx).t("photo.bad_article"))


# ---- the note and the confirmation --------------------------------------------------------------
def subject_of(ctx: Context, d: BotDeps) -> Subject | None:
    """The subject in the screen's params; None when the order is no longer there."""
    article = ctx.params.get("a")
    if article:
        return Subject(article=str(article))
    try:
        order = d.backend.get_order(login(ctx).token, str(ctx.params.get("o")))
    except NotFoundError:
        return None
    return Subject(order_id=order.id, order_number=order.number, title=order.title or None)


def subject_words(subject: Subject, d: BotDeps) -> str:
    if subject.article:
        return d.t("photo.subject_article", article=subject.article)
    return d.t("photo.subject_order", number=subject.order_number)


def gone_screen(d: BotDeps) -> Screen:
    return Screen(d.t("order.not_found"), [[Button.back(d.t("nav.back")), Button.home(d.t("nav.home"))]])


def render_note(ctx: Context) -> Screen:
    d = deps(ctx)
    subject = subject_of(ctx, d)
    if subject is None:
        return gone_screen(d)
    return Screen(
        d.t("photo.note_prompt", subject=subject_words(subject, d)),
        [
            [SKIP.button(d.t("photo.skip"))],
            [Button.back(d.t("nav.back")), Button.home(d.t("nav.home"))],
        ],
    )


def on_note(ctx: Context) -> Nav | None:
    d = deps(ctx)
    note = (ctx.input.text or "").strip()
    if len(note) > NOTE_MAX_CHARS or len(note.encode()) > NOTE_MAX_BYTES:
        ctx.notify(d.t("photo.note_too_long", max=NOTE_MAX_CHARS))
        return None
    ctx.data[NOTE] = note
    return ctx.go(PHOTO_CONFIRM, **ctx.params)


def skip_note(ctx: Context) -> Nav:
    ctx.data.pop(NOTE, None)
    return ctx.go(PHOTO_CONFIRM, **ctx.params)


def render_confirm(ctx: Context) -> Screen:
    d = deps(ctx)
    subject = subject_of(ctx, d)
    if subject is None:
        return gone_screen(d)
    note = ctx.data.get(NOTE)
    words = subject_words(subject, d)
    text = (
        d.t("photo.confirm", subject=words, note=note)
        if note
        else d.t("photo.confirm_no_note", subject=words)
    )
    return Screen(
        text,
        [
            [SEND.button(d.t("photo.send"))],
            [Button.back(d.t("nav.back")), Button.home(d.t("nav.home"))],
        ],
    )


def send(ctx: Context) -> Nav | None:
    d = deps(ctx)
    subject = subject_of(ctx, d)
    if subject is None:
        return None  # the screen shows why
    number = open_photo_request(
        d.config,
        d.user.id,
        # The screen token the Send button carried, and what it asks for: a re-run after a lost
        # race, or a second press of the same button handled at the same time, is one ticket.
        key=f"ticket:{d.user.id}:{ctx.session.token}:{subject.order_id or subject.article}",
        subject=subject,
        note=ctx.data.pop(NOTE, None),
    )
    return ctx.replace(PHOTO_SENT, number=number)


def render_sent(ctx: Context) -> Screen:
    t = deps(ctx).t
    return Screen(
        t("photo.sent", number=ctx.params.get("number")),
        [[MINE.button(t("photo.mine"))], [Button.home(t("nav.home"))]],
    )


# ---- my requests ----------------------------------------------------------------------------------
def render_list(ctx: Context) -> Screen:
    d = deps(ctx)
    t = d.t
    nav = [Button.back(t("nav.back")), Button.home(t("nav.home"))]
    mine = tickets.of_user(d.user.id, PHOTO_KIND)[:LIST_LIMIT]
    if not mine:
        return Screen(t("photo.list_empty"), [nav])
    lines = [t("photo.list_title"), ""]
    lines += [
        t(
            "photo.list_line",
            number=ticket.label,
            subject=ticket_words(ticket, d),
            status=status_words(ticket, d),
        )
        for ticket in mine
    ]
    return Screen("\n".join(lines), [nav])


def ticket_words(ticket: TicketItem, d: BotDeps) -> str:
    details = ticket.details or {}
    if details.get("article"):
        return d.t("photo.subject_article", article=details["article"])
    return d.t("photo.subject_order", number=details.get("order", "—"))


def status_words(ticket: TicketItem, d: BotDeps) -> str:
    if ticket.status == CLOSED:
        return d.t.raw(f"photo.status_{ticket.outcome or RESOLVED}")
    return d.t.raw("photo.status_in_progress" if ticket.status == IN_PROGRESS else "photo.status_open")


REQUEST = Action("photo", to=PHOTO)
PICK = Action("o", pick_order, arg=ORDER_ID, to=PHOTO_NOTE)
MINE = Action("mine", to=PHOTO_LIST)
SKIP = Action("skip", skip_note, to=PHOTO_CONFIRM)
SEND = Action("send", send, to=PHOTO_SENT)

PICKING: list[MessageSpec] = [(ARTICLE, typed_article), (TEXT, bad_article)]
STATES = [
    *guarded(
        CUSTOMERS,
        [
            State(
                PHOTO, render_pick, parent="main", actions=[PAGER, PICK, MINE], messages=PICKING, flow=FLOW
            ),
            State(
                PHOTO_NOTE, render_note, parent=PHOTO, actions=[SKIP], messages=[(TEXT, on_note)], flow=FLOW
            ),
            State(PHOTO_CONFIRM, render_confirm, parent=PHOTO, actions=[SEND], flow=FLOW),
            # Sent: Back would lead to the confirmation of a request already sent.
            State(PHOTO_SENT, render_sent, parent="main", allow_back=False, actions=[MINE]),
            State(PHOTO_LIST, render_list, parent=PHOTO),
        ],
    ),
    State(CUSTOMERS_ONLY, render_customers_only, parent="main"),
]
