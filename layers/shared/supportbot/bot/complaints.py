"""Complaints: a flow defined by the admin-edited tree "complaints" (node format: ``content.py``).

Every node is a state of the family "complaint": it shows its text, its children as buttons and,
when it asks for something, takes the answer. What a node asks for is a ``Question``, one per kind:
a typed text (length-checked), a photo, or one of the customer's orders picked from a paginated
list; a node routes only what its question takes and hints at what is expected otherwise. After
an answer the flow moves on to the node's only child, if it has exactly one; a node that submits
shows what was collected and a "Submit" button once every required step on its path is answered.
Titles, texts and prompts are in the customer's language, each falling back to the default
language's (``content.py``); the ticket names the steps in the default language, for operators.
Submitting files an incident ticket (``support/incidents.py``) and confirms its number; "My
complaints" lists the customer's incidents with their status.

Answers are the flow's data (``ctx.data["complaint"]``, by node id), so Back and Up keep them and
leaving the flow drops them. They are typed (``TextAnswer``, ``PhotoAnswer``, ``OrderAnswer``) and
stored compactly as ``["t", text]``, ``["p", telegram_file_id]`` or ``["o", order_id, number]`` —
never the photo itself. The session item must stay within one DynamoDB write unit (1 KB), so a
text answer is capped at ``MAX_TEXT`` characters and all answers together at ``ANSWERS_BUDGET``
bytes. Opening another branch drops the answers of the branch left behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from statemachine import ANY, PHOTO, TEXT, Action, Button, Family, Screen, State, pages_of
from supportbot.backend import NotFoundError
from supportbot.bot.auth import deps, login
from supportbot.bot.orders import ORDER_ID, order_label, order_page
from supportbot.bot.widgets import PAGER, local_time, pager_rows
from supportbot.content import ROOT, Node, Tree
from supportbot.i18n import SafeHTML, translator
from supportbot.support import incidents, tickets
from supportbot.support.incidents import Customer, file_incident
from supportbot.support.tickets import INCIDENT
from supportbot.telegram.client import get_bot

if TYPE_CHECKING:
    from statemachine import Context, Nav
    from supportbot.bot.deps import BotDeps

TREE = "complaints"
FAMILY_PREFIX = "complaint"
START = f"{FAMILY_PREFIX}:{ROOT}"
DONE = "complaint_done"
MINE = "complaints_mine"
DATA_KEY = "complaint"  # the answers' key in the flow's data (and in sessions stored before flows had scopes)
# The answers' share of the session item, in bytes of compact JSON: with the login, the
# breadcrumbs of a four-level path and the engine's own keys the item stays under 1 KB
# (tests/functional/support/test_complaints.py). A Cyrillic letter takes 2 bytes, so a text
# answer is capped at 200 characters: with an order and a photo it just fits.
MAX_TEXT = 200
ANSWERS_BUDGET = 520
MINE_PER_PAGE = 10
NODE_ID = r"[A-Za-z0-9_-]{1,24}"


# -- answers and the questions that take them ---------------------------------------------------


class TextAnswer(NamedTuple):
    text: str


class PhotoAnswer(NamedTuple):
    file_id: str


class OrderAnswer(NamedTuple):
    order_id: str
    order_number: str


Answer = TextAnswer | PhotoAnswer | OrderAnswer


@dataclass(frozen=True)
class Question:
    """What a node asks for (one per kind): the answer's type and code, the routes that take it
    (anything else gets a hint), and how the answer reads (``complaint.<kind>_given`` and
    ``complaint.review_<kind>`` take the answer's fields)."""

    kind: str
    code: str
    answer: type[Answer]
    messages: tuple[tuple[Any, Any], ...]
    actions: tuple[Action, ...] = ()

    def load(self, stored: object) -> Answer | None:
        """The typed answer of a stored one, if it is of this kind (an admin may change a node's kind)."""
        if not isinstance(stored, list) or not stored or stored[0] != self.code:
            return None
        try:
            return self.answer(*stored[1:])
        except TypeError:
            return None

    def prompt(self, d: BotDeps, node: Node) -> str:
        return d.t(f"complaint.ask_{self.kind}")

    def given(self, d: BotDeps, answer: Answer) -> str:
        return d.t(f"complaint.{self.kind}_given", **answer._asdict())

    def reviewed(self, d: BotDeps, step: Node, answer: Answer) -> str:
        return d.t(f"complaint.review_{self.kind}", title=step.title, **answer._asdict())

    def for_ticket(self, step: Node, answer: Answer) -> incidents.Answer:
        return incidents.Answer(step.title, self.kind, **answer._asdict())

    def rows(self, ctx: Context, answer: Answer | None) -> list[list[Button]]:
        return []


class TextQuestion(Question):
    def prompt(self, d: BotDeps, node: Node) -> str:
        low, high = text_bounds(node)
        if low <= 1:
            return d.t("complaint.ask_text", max=high)
        return d.t("complaint.ask_text_min", min=low, max=high)


class OrderQuestion(Question):
    def rows(self, ctx: Context, answer: Answer | None) -> list[list[Button]]:
        """The customer's orders to pick from, a page at a time (the chosen one marked)."""
        t = deps(ctx).t
        listing, page, pages = order_page(ctx)
        if not listing.items:
            return []
        chosen = answer.order_id if isinstance(answer, OrderAnswer) else None
        rows = []
        for order in listing.items:
            label = order_label(order, t)
            if order.id == chosen:
                label = t("complaint.chosen", label=label)
            rows.append([PICK.button(label, order.id)])
        return [*rows, *pager_rows(min(page, pages), pages, t)]


def question_of(node: Node) -> Question | None:
    return QUESTIONS.get(node.ask or "")


# -- the family ----------------------------------------------------------------------------------


def start(ctx: Context) -> Nav:
    """A new complaint from the top, with no answers."""
    return ctx.start(START)


def complaint_tree(ctx: Context, for_operators: bool = False) -> Tree:
    """The tree in the customer's language, or (for the ticket) in the default one."""
    d = deps(ctx)
    return d.content.tree(TREE, None if for_operators else d.t.language)


def resolve(key: str, ctx: Context) -> State | None:
    tree = complaint_tree(ctx)
    node = tree.get(key)
    if node is None or tree.path_to(node) is None:
        return gone_state(key)
    question = question_of(node)
    return State(
        f"{FAMILY_PREFIX}:{key}",
        lambda ctx: render(ctx, tree, node),
        messages=question.messages if question else (),
        actions=[
            *(question.actions if question else ()),
            *([SUBMIT] if node.submit else []),
            *([MY_COMPLAINTS] if key == ROOT else []),
        ],
        parent="main" if key == ROOT else f"{FAMILY_PREFIX}:{node.parent_id}",
    )


def gone_state(key: str) -> State:
    """A node an admin removed (or moved under a removed one) while the customer was in it."""
    return State(f"{FAMILY_PREFIX}:{key}", render_gone, actions=[RESTART], parent="main")


def render_gone(ctx: Context) -> Screen:
    t = deps(ctx).t
    return Screen(
        t("complaint.gone"), [[RESTART.button(t("complaint.restart"))], [Button.home(t("nav.home"))]]
    )


def here(ctx: Context) -> tuple[Tree, Node]:
    """The tree and the node the customer is on (the state resolved, so the node exists)."""
    tree = complaint_tree(ctx)
    node = tree.get(ctx.state.partition(":")[2])
    if node is None:
        raise LookupError(f"{ctx.state} is not in the tree")
    return tree, node


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
                *[[CHILD.button(child.title[:64], child.id)] for child in children],
                [MY_COMPLAINTS.button(t("complaint.mine"))],
                nav,
            ],
        )
    question = question_of(node)
    answer = answer_of(answers, node)
    missing = first_missing(tree, node, answers) if node.submit else None
    ready = node.submit and missing is None
    lines = [t("complaint.node", title=node.title)]
    if node.text and not (ready and answer):
        # Once answered, the confirm screen shows the summary, not the step's prompt above it.
        lines.append(SafeHTML(node.text))
    if ready:
        # The review shows this step's answer too, with every other one on the path.
        lines.append(t("complaint.review"))
        lines.append(
            "\n".join(review_line(d, step, answers) for step in path_of(tree, node) if question_of(step))
        )
    elif question is not None:
        lines.append(question.given(d, answer) if answer else question.prompt(d, node))
    rows = question.rows(ctx, answer) if question else []
    if answer or question is None or not node.required:
        if question is not None and len(children) == 1:
            rows.append([CHILD.button(t("complaint.next" if answer else "complaint.skip"), children[0].id)])
        else:
            rows += [[CHILD.button(child.title[:64], child.id)] for child in children]
    if ready:
        rows.append([SUBMIT.button(t("complaint.submit"))])
    elif missing is not None and missing is not node:
        lines.append(t("complaint.needs", title=missing.title))
    return Screen("\n\n".join(lines), [*rows, nav])


def review_line(d: BotDeps, step: Node, answers: dict[str, Any]) -> str:
    answer = answer_of(answers, step)
    return (
        QUESTIONS[str(step.ask)].reviewed(d, step, answer)
        if answer
        else d.t("complaint.review_step", title=step.title)
    )


# -- taking answers ------------------------------------------------------------------------------


def take_text(ctx: Context) -> Nav | None:
    node = here(ctx)[1]
    t = deps(ctx).t
    text = (ctx.input.text or "").strip()
    low, high = text_bounds(node)
    if len(text) < low:
        ctx.notify(t("complaint.text_too_short", min=low))
        return None
    if len(text) > high:
        ctx.notify(t("complaint.text_too_long", length=len(text), max=high))
        return None
    return answered(ctx, node, TextAnswer(text))


def take_photo(ctx: Context) -> Nav | None:
    # Telegram sends sizes smallest first: the last one is the original.
    photos = getattr(ctx.input.payload, "photo", None) or []
    if not photos:
        expected(ctx)
        return None
    return answered(ctx, here(ctx)[1], PhotoAnswer(photos[-1].file_id))


def pick_order(ctx: Context, order_id: str) -> Nav | None:
    d = deps(ctx)
    try:
        # Asked of the system with the customer's own token: someone else's order is not found.
        order = d.backend.get_order(login(ctx).token, order_id)
    except NotFoundError:
        ctx.notify(d.t("complaint.not_your_order"))
        return None
    return answered(ctx, here(ctx)[1], OrderAnswer(order.id, order.number))


def expected(ctx: Context) -> None:
    ctx.notify(deps(ctx).t(f"complaint.expects_{here(ctx)[1].ask}"))


def answered(ctx: Context, node: Node, answer: Answer) -> Nav | None:
    """Keep the answer and move on to the next step, if there is exactly one."""
    answers = {**stored(ctx), node.id: [QUESTIONS[str(node.ask)].code, *answer]}
    if size_of(answers) > ANSWERS_BUDGET:
        ctx.notify(deps(ctx).t("complaint.too_much"))
        return None
    ctx.data[DATA_KEY] = answers
    children = node.children
    return ctx.go(f"{FAMILY_PREFIX}:{children[0]}") if len(children) == 1 else None


def open_child(ctx: Context, node_id: str) -> Nav | None:
    d = deps(ctx)
    tree, node = here(ctx)
    child = tree.get(node_id)
    if node_id not in node.children or child is None:
        ctx.notify(d.t("common.stale"))
        return None
    if question_of(node) and node.required and answer_of(stored(ctx), node) is None:
        ctx.notify(d.t(f"complaint.expects_{node.ask}"))
        return None
    # Answers of a branch left behind would be sent with this one: keep only this path's.
    ctx.data[DATA_KEY] = {
        step: answer for step, answer in stored(ctx).items() if on_path_or_below(tree, step, child)
    }
    return ctx.go(f"{FAMILY_PREFIX}:{node_id}")


def submit(ctx: Context) -> Nav | None:
    d = deps(ctx)
    tree, node = here(ctx)
    answers = stored(ctx)
    missing = first_missing(tree, node, answers)
    if missing is not None:
        ctx.notify(d.t("complaint.needs", title=missing.title))
        return ctx.go(f"{FAMILY_PREFIX}:{missing.id}")
    auth = login(ctx)
    operators = complaint_tree(ctx, for_operators=True)
    path = path_of(operators, operators.get(node.id) or node)
    collected = [
        QUESTIONS[str(step.ask)].for_ticket(step, answer)
        for step in path
        if (answer := answer_of(answers, step))
    ]
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
    return ctx.go(DONE, number=number)


# -- the tree and the stored answers -------------------------------------------------------------


def stored(ctx: Context) -> dict[str, Any]:
    answers = ctx.data.get(DATA_KEY)
    return dict(answers) if isinstance(answers, dict) else {}


def answer_of(answers: dict[str, Any], node: Node) -> Answer | None:
    """The node's answer if it is one of the kind the node asks for now (an admin may change it)."""
    question = question_of(node)
    return None if question is None else question.load(answers.get(node.id))


def on_path_or_below(tree: Tree, step_id: str, node: Node) -> bool:
    """Whether ``step_id`` is ``node``, one of its ancestors or one of its descendants."""
    step = tree.get(step_id)
    return step_id in (*node.ancestors, node.id) or (step is not None and f"/{node.id}/" in step.path)


def path_of(tree: Tree, node: Node) -> list[Node]:
    """The nodes from the top of the tree down to ``node`` (the state resolved: none is gone)."""
    return tree.path_to(node) or [node]


def topic_of(path: list[Node]) -> list[str]:
    """What the complaint is about, for the ticket's title: the titles down to the first step
    that asks for something (the rest are the steps' own titles)."""
    asking = next((index for index, step in enumerate(path) if question_of(step)), len(path) - 1)
    return [step.title for step in path[: asking + 1]]


def first_missing(tree: Tree, node: Node, answers: dict[str, Any]) -> Node | None:
    for step in path_of(tree, node):
        if question_of(step) and step.required and answer_of(answers, step) is None:
            return step
    return None


def text_bounds(node: Node) -> tuple[int, int]:
    high = min(node.max_length or MAX_TEXT, MAX_TEXT)
    return max(1, min(node.min_length or 1, high)), high


def size_of(answers: dict[str, Any]) -> int:
    return len(json.dumps(answers, ensure_ascii=False, separators=(",", ":")).encode())


# -- after submitting ----------------------------------------------------------------------------


def render_done(ctx: Context) -> Screen:
    t = deps(ctx).t
    return Screen(
        t("complaint.done", number=ctx.params.get("number")),
        [[MY_COMPLAINTS.button(t("complaint.mine"))], [Button.home(t("nav.home"))]],
    )


def render_mine(ctx: Context) -> Screen:
    d = deps(ctx)
    t = d.t
    mine = tickets.of_user(d.user.id, INCIDENT)
    nav = [Button.back(t("nav.back")), Button.home(t("nav.home"))]
    if not mine:
        return Screen(t("complaint.mine_empty"), [nav])
    pages = pages_of(len(mine), MINE_PER_PAGE)
    page = PAGER.page(ctx, pages)
    shown = mine[(page - 1) * MINE_PER_PAGE : page * MINE_PER_PAGE]
    lines = [t("complaint.mine_title", total=len(mine))]
    for ticket in shown:
        state = ticket.outcome if ticket.status == tickets.CLOSED and ticket.outcome else ticket.status
        status = f"complaint.status_{state}"
        lines.append(
            t(
                "complaint.mine_line",
                number=ticket.label,
                title=ticket.title,
                status=t(status) if t.has(status) else ticket.status,
                time=local_time(ticket.created_at.isoformat(), d.config.time_zone),
            )
        )
    return Screen("\n".join(lines), [*pager_rows(page, pages, t), nav])


NEW = Action("complaint", start, to=START)
RESTART = Action("restart", start, to=START)
CHILD = Action("n", open_child, arg=NODE_ID, to=f"{FAMILY_PREFIX}:*")
PICK = Action("o", pick_order, arg=ORDER_ID)
SUBMIT = Action("send", submit, to=DONE)
MY_COMPLAINTS = Action("mine", to=MINE)

QUESTIONS: dict[str, Question] = {
    "text": TextQuestion("text", "t", TextAnswer, ((TEXT, take_text), (ANY, expected))),
    "photo": Question("photo", "p", PhotoAnswer, ((PHOTO, take_photo), (ANY, expected))),
    "order": OrderQuestion("order", "o", OrderAnswer, ((ANY, expected),), (PICK, PAGER)),
}

FAMILY = Family(
    FAMILY_PREFIX,
    resolve,
    actions=[CHILD],
    flow=FAMILY_PREFIX,
    parent="main",
    title="the admin-edited complaint tree",
)
STATES = [
    State(DONE, render_done, actions=[MY_COMPLAINTS], parent="main", allow_back=False),
    State(MINE, render_mine, actions=[PAGER], parent=START),
]
