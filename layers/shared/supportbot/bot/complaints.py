"""Complaints: a flow defined by the admin-edited tree "complaints" (node format: ``content.py``).

Every node is a state of the family "complaint": it shows its text, its children as buttons and,
when it asks for something, takes the answer: a typed text (length-checked), a photo, or one of
the customer's orders picked from a paginated list. After an answer the flow moves on to the
node's only child, if it has exactly one; a node that submits shows what was collected and a
"Submit" button once every required step on its path is answered. Submitting files an incident
ticket (``support/incidents.py``) and confirms its number; "My complaints" lists the customer's
incidents with their status.

Answers live in the session (``ctx.data["complaint"]``, by node id) so Back and Up keep them:
``["t", text]``, ``["p", telegram_file_id]`` or ``["o", order_id, order_number]`` — never the
photo itself. The session item must stay within one DynamoDB write unit (1 KB), so a text answer
is capped at ``MAX_TEXT`` characters and all answers together at ``ANSWERS_BUDGET`` bytes. Opening
another branch drops the answers of the branch left behind; starting a complaint from the main
menu (so after Home) starts empty.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from statemachine import PHOTO, Button, Family, Screen, State
from supportbot.backend import NotFoundError
from supportbot.bot.auth import deps
from supportbot.bot.orders import ORDER_ID_ROUTE, local_time, money, order_page
from supportbot.bot.widgets import PAGE_ROUTE, clamp, pager, pages_of
from supportbot.content import ROOT, Node, Tree
from supportbot.i18n import SafeHTML, translator
from supportbot.support.incidents import INCIDENT, Answer, Customer, file_incident
from supportbot.support.messages import user_tickets
from supportbot.telegram.client import get_bot

if TYPE_CHECKING:
    from collections.abc import Mapping

    from statemachine import Context, Input, Nav
    from supportbot.bot.deps import BotDeps

TREE = "complaints"
FAMILY_PREFIX = "complaint"
START = f"{FAMILY_PREFIX}:{ROOT}"
DONE = "complaint_done"
MINE = "complaints_mine"
DATA_KEY = "complaint"
ASKS = {"text": "t", "photo": "p", "order": "o"}
# The answers' share of the session item, in bytes of compact JSON: with the login, the
# breadcrumbs of a four-level path and the engine's own keys the item stays under 1 KB
# (tests/functional/support/test_complaints.py). A Cyrillic letter takes 2 bytes, so a text
# answer is capped at 200 characters: with an order and a photo it just fits.
MAX_TEXT = 200
ANSWERS_BUDGET = 520
MINE_PER_PAGE = 10
NODE_ROUTE = r"^n:(?P<node_id>[A-Za-z0-9_-]{1,24})$"
# Any text but /start, which must still reach the global route that leads home.
ANSWER_TEXT = r"^(?!/start(?:\s|$))"


class _NotText:
    """Matches any message that is not text (a photo, a file, a sticker...)."""

    def match(self, input: Input, /) -> Mapping[str, str] | None:
        return None if input.kind in ("text", "callback") else {}


NOT_TEXT = _NotText()


def start(ctx: Context) -> Nav:
    """A new complaint from the top, forgetting the answers of an earlier one."""
    ctx.data.pop(DATA_KEY, None)
    return ctx.go(START)


def resolve(key: str, ctx: Context) -> State | None:
    tree = deps(ctx).content.tree(TREE)
    node = tree.get(key)
    if node is None or not all(tree.get(ancestor) for ancestor in ancestors(node)):
        return gone_state(key)
    # What the node asks for is taken; anything else gets a hint saying what is expected.
    hint = (lambda ctx: expected(ctx, node)) if node.ask in ASKS else None
    messages: list[tuple[Any, Any]] = []
    if node.ask == "text":
        messages = [(ANSWER_TEXT, lambda ctx: take_text(ctx, tree, node)), (NOT_TEXT, hint)]
    elif node.ask == "photo":
        messages = [(PHOTO, lambda ctx: take_photo(ctx, tree, node)), (ANSWER_TEXT, hint), (NOT_TEXT, hint)]
    elif node.ask == "order":
        messages = [(ANSWER_TEXT, hint), (NOT_TEXT, hint)]
    return State(
        f"{FAMILY_PREFIX}:{key}",
        lambda ctx: render(ctx, tree, node),
        messages=messages,
        callbacks=[
            (NODE_ROUTE, lambda ctx, node_id: open_child(ctx, tree, node, node_id)),
            (ORDER_ID_ROUTE, lambda ctx, order_id: pick_order(ctx, tree, node, order_id)),
            (PAGE_ROUTE, goto_page),
            ("^send$", lambda ctx: submit(ctx, tree, node)),
            ("^mine$", MINE),
        ],
        parent="main" if key == ROOT else f"{FAMILY_PREFIX}:{node.parent_id}",
    )


def gone_state(key: str) -> State:
    """A node an admin removed (or moved under a removed one) while the customer was in it."""

    def render_gone(ctx: Context) -> Screen:
        t = deps(ctx).t
        return Screen(
            t("complaint.gone"), [[Button(t("complaint.restart"), "restart")], [Button.home(t("nav.home"))]]
        )

    return State(f"{FAMILY_PREFIX}:{key}", render_gone, callbacks=[("^restart$", start)], parent="main")


# -- rendering -----------------------------------------------------------------------------------


def render(ctx: Context, tree: Tree, node: Node) -> Screen:
    d = deps(ctx)
    t = d.t
    answers = stored(ctx)
    nav = [Button.back(t("nav.back"))]
    if node.id != ROOT:
        nav.append(Button.up(t("nav.up")))
    nav.append(Button.home(t("nav.home")))
    children = tree.children(node.id)
    if node.id == ROOT:
        text = t("complaint.title") if children else t("complaint.empty")
        return Screen(
            text,
            [
                *[[Button(child.title[:64], f"n:{child.id}")] for child in children],
                [Button(t("complaint.mine"), "mine")],
                nav,
            ],
        )
    lines = [t("complaint.node", title=node.title)]
    if node.text:
        lines.append(SafeHTML(node.text))
    answer = answer_of(answers, node)
    missing = first_missing(tree, node, answers) if node.submit else None
    ready = node.submit and missing is None
    if ready:
        # The review shows this step's answer too, with every other one on the path.
        lines.append(t("complaint.review"))
        lines.append(
            "\n".join(
                review_line(d, step, answer_of(answers, step))
                for step in path_of(tree, node)
                if step.ask in ASKS
            )
        )
    elif node.ask in ASKS:
        lines.append(answer_line(d, node, answer) if answer else ask_line(d, node))
    rows: list[list[Button]] = []
    if node.ask == "order":
        rows += order_rows(ctx, d, answer)
    if answer or node.ask not in ASKS or not node.required:
        if node.ask in ASKS and len(children) == 1:
            rows.append([Button(t("complaint.next" if answer else "complaint.skip"), f"n:{children[0].id}")])
        else:
            rows += [[Button(child.title[:64], f"n:{child.id}")] for child in children]
    if ready:
        rows.append([Button(t("complaint.submit"), "send")])
    elif missing is not None and missing is not node:
        lines.append(t("complaint.needs", title=missing.title))
    return Screen("\n\n".join(lines), [*rows, nav])


def ask_line(d: BotDeps, node: Node) -> str:
    if node.ask == "text":
        low, high = text_bounds(node)
        return (
            d.t("complaint.ask_text", max=high)
            if low <= 1
            else d.t("complaint.ask_text_min", min=low, max=high)
        )
    return d.t(f"complaint.ask_{node.ask}")


def answer_line(d: BotDeps, node: Node, answer: list[Any]) -> str:
    if node.ask == "text":
        return d.t("complaint.text_given", text=answer[1])
    if node.ask == "photo":
        return d.t("complaint.photo_given")
    return d.t("complaint.order_given", number=answer[2])


def review_line(d: BotDeps, step: Node, answer: list[Any] | None) -> str:
    if answer is None:
        return d.t("complaint.review_step", title=step.title)
    if step.ask == "text":
        return d.t("complaint.review_text", title=step.title, text=answer[1])
    if step.ask == "photo":
        return d.t("complaint.review_photo", title=step.title)
    return d.t("complaint.review_order", title=step.title, number=answer[2])


def order_rows(ctx: Context, d: BotDeps, answer: list[Any] | None) -> list[list[Button]]:
    """The customer's orders to pick from, a page at a time (the chosen one marked)."""
    t = d.t
    listing, page, pages = order_page(ctx, d)
    if not listing.items:
        return []
    chosen = answer[1] if answer else None
    rows = []
    for order in listing.items:
        label = t("orders.button", number=order.number, amount=money(order, t))
        if order.id == chosen:
            label = t("complaint.chosen", label=label)
        rows.append([Button(label, f"o:{order.id}")])
    return [*rows, *pager(clamp(page, pages), pages, t)]


# -- answers -------------------------------------------------------------------------------------


def take_text(ctx: Context, tree: Tree, node: Node) -> Nav | None:
    t = deps(ctx).t
    text = (ctx.input.text or "").strip()
    low, high = text_bounds(node)
    if len(text) < low:
        ctx.notify(t("complaint.text_too_short", min=low))
        return None
    if len(text) > high:
        ctx.notify(t("complaint.text_too_long", length=len(text), max=high))
        return None
    return answered(ctx, tree, node, ["t", text])


def take_photo(ctx: Context, tree: Tree, node: Node) -> Nav | None:
    photos = getattr(ctx.input.payload, "photo", None) or []
    if not photos:
        expected(ctx, node)
        return None
    # Telegram sends sizes smallest first: the last one is the original.
    return answered(ctx, tree, node, ["p", photos[-1].file_id])


def pick_order(ctx: Context, tree: Tree, node: Node, order_id: str) -> Nav | None:
    d = deps(ctx)
    if node.ask != "order":
        ctx.notify(d.t("common.stale"))
        return None
    try:
        # Asked of the system with the customer's own token: someone else's order is not found.
        order = d.backend.get_order(d.auth.token, order_id)
    except NotFoundError:
        ctx.notify(d.t("complaint.not_your_order"))
        return None
    return answered(ctx, tree, node, ["o", order.id, order.number])


def expected(ctx: Context, node: Node) -> None:
    ctx.notify(deps(ctx).t(f"complaint.expects_{node.ask}"))


def answered(ctx: Context, tree: Tree, node: Node, answer: list[Any]) -> Nav | None:
    """Keep the answer and move on to the next step, if there is exactly one."""
    answers = {**stored(ctx), node.id: answer}
    if size_of(answers) > ANSWERS_BUDGET:
        ctx.notify(deps(ctx).t("complaint.too_much"))
        return None
    ctx.data[DATA_KEY] = answers
    children = node.children
    return ctx.go(f"{FAMILY_PREFIX}:{children[0]}") if len(children) == 1 else None


def open_child(ctx: Context, tree: Tree, node: Node, node_id: str) -> Nav | None:
    d = deps(ctx)
    child = tree.get(node_id)
    if node_id not in node.children or child is None:
        ctx.notify(d.t("common.stale"))
        return None
    if node.ask in ASKS and node.required and answer_of(stored(ctx), node) is None:
        ctx.notify(d.t(f"complaint.expects_{node.ask}"))
        return None
    # Answers of a branch left behind would be sent with this one: keep only this path's.
    kept = {step: answer for step, answer in stored(ctx).items() if on_path_or_below(tree, step, child)}
    if kept:
        ctx.data[DATA_KEY] = kept
    else:
        ctx.data.pop(DATA_KEY, None)
    return ctx.go(f"{FAMILY_PREFIX}:{node_id}")


def goto_page(ctx: Context, page: str) -> Nav:
    return ctx.replace(ctx.state, page=max(1, int(page)))


def submit(ctx: Context, tree: Tree, node: Node) -> Nav | None:
    d = deps(ctx)
    if not node.submit:
        ctx.notify(d.t("common.stale"))
        return None
    answers = stored(ctx)
    missing = first_missing(tree, node, answers)
    if missing is not None:
        ctx.notify(d.t("complaint.needs", title=missing.title))
        return ctx.go(f"{FAMILY_PREFIX}:{missing.id}")
    auth = d.auth
    path = path_of(tree, node)
    collected = [as_answer(step, answer) for step in path if (answer := answer_of(answers, step)) is not None]
    customer = Customer(
        user_id=d.user.id,
        name=auth.name or d.user.first_name,
        phone=auth.phone,
        username=d.user.username,
        user_type=auth.user_type,
    )
    number = file_incident(
        d.config,
        get_bot(),
        customer,
        topic_of(path),
        [step.title for step in path],
        collected,
        # The screen token the Submit button carried: a second press of it, or a re-run of this
        # update, files the same ticket (see support/incidents.py).
        key=ctx.session.token,
        t=translator(d.config.default_language),
    )
    ctx.data.pop(DATA_KEY, None)
    return ctx.go(DONE, number=number)


def as_answer(step: Node, answer: list[Any]) -> Answer:
    kind = step.ask or ""
    if kind == "text":
        return Answer(step.title, kind, text=answer[1])
    if kind == "photo":
        return Answer(step.title, kind, file_id=answer[1])
    return Answer(step.title, kind, order_id=answer[1], order_number=answer[2])


# -- the tree and the stored answers -------------------------------------------------------------


def stored(ctx: Context) -> dict[str, list[Any]]:
    answers = ctx.data.get(DATA_KEY)
    return dict(answers) if isinstance(answers, dict) else {}


def answer_of(answers: dict[str, list[Any]], node: Node) -> list[Any] | None:
    """The node's answer if it is one of the kind the node asks for now (an admin may change it)."""
    answer = answers.get(node.id)
    code = ASKS.get(node.ask or "")
    if code is None or not isinstance(answer, list) or not answer or answer[0] != code:
        return None
    return answer if len(answer) == (3 if code == "o" else 2) else None


def ancestors(node: Node) -> list[str]:
    return [part for part in node.path.split("/") if part]


def on_path_or_below(tree: Tree, step_id: str, node: Node) -> bool:
    """Whether ``step_id`` is ``node``, one of its ancestors or one of its descendants."""
    step = tree.get(step_id)
    return step_id in (*ancestors(node), node.id) or (step is not None and f"/{node.id}/" in step.path)


def path_of(tree: Tree, node: Node) -> list[Node]:
    """The nodes from the top of the tree down to ``node``."""
    return [step for step in (tree.get(ancestor) for ancestor in ancestors(node)) if step] + [node]


def topic_of(path: list[Node]) -> list[str]:
    """What the complaint is about, for the ticket's title: the titles down to the first step
    that asks for something (the rest are the steps' own titles)."""
    asking = next((index for index, step in enumerate(path) if step.ask in ASKS), len(path) - 1)
    return [step.title for step in path[: asking + 1]]


def first_missing(tree: Tree, node: Node, answers: dict[str, list[Any]]) -> Node | None:
    for step in path_of(tree, node):
        if step.ask in ASKS and step.required and answer_of(answers, step) is None:
            return step
    return None


def text_bounds(node: Node) -> tuple[int, int]:
    high = min(node.max_length or MAX_TEXT, MAX_TEXT)
    return max(1, min(node.min_length or 1, high)), high


def size_of(answers: dict[str, list[Any]]) -> int:
    return len(json.dumps(answers, ensure_ascii=False, separators=(",", ":")).encode())


# -- after submitting ----------------------------------------------------------------------------


def render_done(ctx: Context) -> Screen:
    t = deps(ctx).t
    return Screen(
        t("complaint.done", number=ctx.params.get("number")),
        [[Button(t("complaint.mine"), "mine")], [Button.home(t("nav.home"))]],
    )


def render_mine(ctx: Context) -> Screen:
    d = deps(ctx)
    t = d.t
    tickets = user_tickets(d.user.id, INCIDENT)
    nav = [Button.back(t("nav.back")), Button.home(t("nav.home"))]
    if not tickets:
        return Screen(t("complaint.mine_empty"), [nav])
    pages = pages_of(len(tickets), MINE_PER_PAGE)
    page = clamp(int(ctx.params.get("page") or 1), pages)
    shown = tickets[(page - 1) * MINE_PER_PAGE : page * MINE_PER_PAGE]
    lines = [t("complaint.mine_title", total=len(tickets))]
    for ticket in shown:
        status = f"complaint.status_{ticket.status}"
        lines.append(
            t(
                "complaint.mine_line",
                number=ticket.number,
                title=ticket.title,
                status=t(status) if t.has(status) else ticket.status,
                time=local_time(ticket.created_at.isoformat(), d.config.time_zone),
            )
        )
    return Screen("\n".join(lines), [*pager(page, pages, t), nav])


FAMILY = Family(FAMILY_PREFIX, resolve)
STATES = [
    State(DONE, render_done, callbacks=[("^mine$", MINE)], parent="main", allow_back=False),
    State(MINE, render_mine, callbacks=[(PAGE_ROUTE, goto_page)], parent=START),
]
