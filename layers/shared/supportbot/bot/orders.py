"""Orders: the paginated list and the order card.

A ``customer`` sees their purchases with the seller as counterparty; a ``partner`` (a seller on
the platform) sees the orders of their goods with the buyer's city and payout wording.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from statemachine import Action, Button, Nav, Screen, State, pages_of
from supportbot.backend import NotFoundError, Order, OrdersPage
from supportbot.bot.auth import deps, login
from supportbot.bot.support import ASK_ABOUT_ORDER
from supportbot.bot.widgets import PAGER, local_time, pager_rows
from supportbot.i18n import Translator

if TYPE_CHECKING:
    from statemachine import Context

ORDERS = "orders"
ORDER = "order"
PHOTO_NOTE = "photo_note"  # bot/photos.py: a photo request for this order
ORDER_ID = r"[A-Za-z0-9._~-]{1,32}"  # the argument of the "o" buttons that pick an order
CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸", "BYN": "Br"}


def order_page(ctx: Context) -> tuple[OrdersPage, int, int]:
    """The page of the customer's orders the screen's ``page`` param asks for, with the page
    number really shown and the page count."""
    d, auth = deps(ctx), login(ctx)
    per_page = d.config.orders_page_size
    page = int(ctx.params.get("page") or 1)
    listing = d.backend.list_orders(auth.token, page, per_page)
    pages = pages_of(listing.total, per_page)
    if listing.total and not listing.items and page > pages:
        # Orders went away since the page was shown: show the last page that exists.
        page = pages
        listing = d.backend.list_orders(auth.token, page, per_page)
    return listing, page, pages


def render_orders(ctx: Context) -> Screen:
    t, auth = deps(ctx).t, login(ctx)
    listing, page, pages = order_page(ctx)
    kind = auth.user_type
    if not listing.items:
        return Screen(t(f"orders.empty_{kind}"), [[Button.home(t("nav.home"))]])
    lines = [t(f"orders.title_{kind}", total=listing.total, page=page, pages=pages), ""]
    lines += [order_line(order, kind, t) for order in listing.items]
    lines += ["", t("orders.choose")]
    buttons = [[OPEN.button(order_label(order, t), order.id)] for order in listing.items]
    return Screen(
        "\n".join(lines),
        [*buttons, *pager_rows(page, pages, t), [Button.back(t("nav.back")), Button.home(t("nav.home"))]],
    )


def order_label(order: Order, t: Translator) -> str:
    return t("orders.button", number=order.number, amount=money(order, t))


def open_order(ctx: Context, order_id: str) -> Nav:
    return ctx.go(ORDER, id=order_id)


def render_order(ctx: Context) -> Screen:
    d = deps(ctx)
    t, auth = d.t, login(ctx)
    nav = [Button.back(t("order.back_to_list")), Button.home(t("nav.home"))]
    try:
        order = d.backend.get_order(auth.token, str(ctx.params["id"]))
    except NotFoundError:
        return Screen(t("order.not_found"), [nav])
    lines = [t("order.title", number=order.number)]
    if order.title:
        lines.append(t("order.description", title=order.title))
    lines.append("")
    lines.append(t("order.status", status=status_words(order, t)))
    lines.append(t(f"order.amount_{auth.user_type}", amount=money(order, t)))
    if order.items_count is not None:
        lines.append(t("order.items", count=order.items_count))
    if order.counterparty:
        label = "order.buyer_city" if auth.user_type == "partner" else "order.seller"
        lines.append(t(label, counterparty=order.counterparty))
    lines.append(t("order.updated", time=local_time(order.updated_at, d.config.time_zone)))
    # Partners sell from their own stock: no photo request for them.
    photo_row = [[PHOTOS.button(t("order.photos"))]] if auth.user_type == "customer" else []
    return Screen(
        "\n".join(lines),
        [[REFRESH.button(t("order.refresh"))], [ASK_ABOUT_ORDER.button(t("order.ask"))], *photo_row, nav],
    )


def request_photos(ctx: Context) -> Nav:
    return ctx.go(PHOTO_NOTE, o=str(ctx.params["id"]))


def order_line(order: Order, kind: str, t: Translator) -> str:
    if kind == "partner":
        return t(
            "orders.line_partner",
            number=order.number,
            counterparty=order.counterparty or "—",
            amount=money(order, t),
        )
    return t(
        "orders.line_customer", number=order.number, amount=money(order, t), status=status_words(order, t)
    )


def status_words(order: Order, t: Translator) -> str:
    """Our own words for known status codes, else the system's text, else the code; the same
    words for a missing status in the list and on the card."""
    if order.status and t.has(f"status.{order.status}"):
        return t.raw(f"status.{order.status}")
    return order.status_text or order.status or t.raw("status.unknown")


def money(order: Order, t: Translator) -> str:
    try:
        amount = Decimal(order.amount)
    except InvalidOperation:
        return f"{order.amount} {order.currency}"
    sign = CURRENCY_SIGNS.get(order.currency, order.currency)
    if t.language == "ru":
        return f"{amount:,.2f}".replace(",", " ").replace(".", ",") + f" {sign}"
    return f"{sign}{amount:,.2f}" if len(sign) == 1 else f"{amount:,.2f} {sign}"


LIST = Action("orders", to=ORDERS)
OPEN = Action("o", open_order, arg=ORDER_ID, to=ORDER)
REFRESH = Action("refresh", lambda ctx: None)  # the card again, as it is now
PHOTOS = Action("photos", request_photos, to=PHOTO_NOTE)

STATES = [
    State(ORDERS, render_orders, parent="main", actions=[PAGER, OPEN]),
    State(ORDER, render_order, parent=ORDERS, actions=[REFRESH, ASK_ABOUT_ORDER, PHOTOS]),
]
