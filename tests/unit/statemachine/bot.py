"""A small support bot built with the engine, and a `Chat` that talks to it like a user."""

from __future__ import annotations

from typing import Any

from statemachine import (
    CONTACT,
    Action,
    Button,
    Context,
    Family,
    Input,
    Machine,
    Nav,
    Result,
    Screen,
    Session,
    State,
)

LAST_PAGE = 99999  # the largest page the "p:" route accepts
FaqTree = dict[str, tuple[str, list[str]]]
DEFAULT_FAQ: FaqTree = {"1": ("FAQ", ["2", "3"]), "2": ("Delivery", []), "3": ("Returns", [])}


def home(ctx: Context) -> Screen:
    return Screen(
        "Main menu",
        [
            [ORDERS.button("Orders"), FAQ.button("FAQ")],
            [LOGIN.button("Log in"), BYE.button("Log out")],
        ],
    )


def orders(ctx: Context) -> Screen:
    page = int(ctx.params.get("page") or 1)
    return Screen(
        f"Orders, page {page}",
        [
            [PAGE.button("Prev", max(page - 1, 1)), PAGE.button("Next", min(page + 1, LAST_PAGE))],
            [OPEN.button(f"Order {page}0", f"{page}0"), OPEN.button(f"Order {page}1", f"{page}1")],
            [Button.back("Back"), Button.up("Up")],
        ],
    )


def goto_page(ctx: Context, page: str) -> Nav:
    return ctx.replace("orders", page=int(page))


def open_order(ctx: Context, id: str) -> Nav:
    return ctx.go("order", id=int(id))


def order(ctx: Context) -> Screen:
    return Screen(
        f"Order {ctx.params['id']}",
        [[REFRESH.button("Refresh")], [Button.back("Back"), Button.up("Up"), Button.home("Menu")]],
    )


def refresh(ctx: Context) -> None:
    ctx.notify("Refreshed")
    ctx.emit(("refreshed", ctx.params["id"]))


ORDERS = Action("orders", to="orders")
FAQ = Action("faq", to="faq:1")
LOGIN = Action("login", to="login")
BYE = Action("bye", to="bye")
PAGE = Action("p", goto_page, arg=r"\d{1,5}")
OPEN = Action("o", open_order, arg=r"\d{1,9}", to="order")
REFRESH = Action("r", refresh)
ORDERS_ACTIONS = [PAGE, OPEN]
NODE = Action("n", lambda ctx, key: ctx.go(f"faq:{key}"), arg=r"\d{1,6}")


def login(ctx: Context) -> Screen:
    return Screen("Share your contact", options={"request_contact": "Share my phone"})


def on_contact(ctx: Context) -> Nav:
    ctx.user_data["phone"] = str(ctx.input.payload)
    return ctx.home()


def bye(ctx: Context) -> Screen:
    return Screen("Bye", [[Button.home("Start again")]])


def faq_family(tree: FaqTree, calls: list[str] | None = None) -> Family:
    """FAQ nodes from `tree` (key -> (title, children)); node "1" is the root."""

    def resolve(key: str, ctx: Context) -> State | None:
        if calls is not None:
            calls.append(key)
        if key not in tree:
            return None
        title, children = tree[key]

        def render(ctx: Context) -> Screen:
            rows = [[NODE.button(tree[child][0], child)] for child in children if child in tree]
            return Screen(title, [*rows, [Button.back("Back"), Button.up("Up")]])

        return State(
            f"faq:{key}",
            render,
            parent=lambda ctx: "home" if key == "1" else f"faq:{_parent_of(tree, key)}",
        )

    return Family("faq", resolve, actions=[NODE])


def _parent_of(tree: FaqTree, key: str) -> str:
    return next((k for k, (_, children) in tree.items() if key in children), "1")


def build(tree: FaqTree | None = None, *, calls: list[str] | None = None, **options: Any) -> Machine:
    """The test bot; `options` go to `Machine` (hooks, history_limit...)."""
    states = [
        State("home", home, actions=[ORDERS, FAQ, LOGIN, BYE]),
        State("orders", orders, actions=[PAGE, OPEN], parent="home"),
        State("order", order, actions=[REFRESH], parent=lambda ctx: ("orders", {"page": 1})),
        State("login", login, messages=[(CONTACT, on_contact)], parent="home"),
        State("bye", bye, allow_back=False),
    ]
    faq = (
        tree if tree is not None else {"1": ("FAQ", ["2", "3"]), "2": ("Delivery", []), "3": ("Returns", [])}
    )
    return Machine(
        states,
        home="home",
        families=[faq_family(faq, calls)],
        commands=[
            ("^/start$", lambda ctx: ctx.home()),
            (r"^/order (?P<id>\d{1,9})$", open_order),
        ],
        **options,
    )


class Chat:
    """One user talking to a machine: send texts and inputs, click buttons by their text."""

    def __init__(self, machine: Machine, session: Session | None = None) -> None:
        self.machine = machine
        self.session = session or machine.new_session()
        self.result: Result | None = None

    def send(self, sent: str | Input, deps: object = None) -> Result:
        update = Input.message(sent) if isinstance(sent, str) else sent
        self.result = self.machine.handle(self.session, update, deps)
        self.session = self.result.session
        return self.result

    def click(self, text: str) -> Result:
        return self.send(Input.callback(self.data(text)))

    def press(self, data: str) -> Result:
        """Press a button by its data (without the token), shown or not: Up where it is hidden."""
        return self.send(Input.callback(f"{self.session.token}|{data}"))

    def labels(self) -> list[list[str]]:
        assert self.result is not None
        return [[b["text"] for b in row] for row in self.result.keyboard]

    def data(self, text: str) -> str:
        """The callback data of the button labelled `text` on the last screen."""
        assert self.result is not None
        return next(b["callback_data"] for row in self.result.keyboard for b in row if b["text"] == text)

    @property
    def text(self) -> str:
        assert self.result is not None
        return self.result.screen.text


def refused(ctx: Context) -> None:
    ctx.notify(f"Can't do {ctx.input.kind} in {ctx.state}")


def stale(ctx: Context) -> None:
    ctx.notify("This menu is outdated", alert=True)


def missing(ctx: Context) -> None:
    ctx.notify("This section is gone")
