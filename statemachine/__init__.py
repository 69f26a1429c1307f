r"""A small, pure state machine for a Telegram bot: states, actions, flows, guards, sessions.

Every user is in exactly one state (a screen). A screen's buttons run `Action`s, each declared
once with its handler or target state; the engine derives the callback data and routes, and
checks them when the machine is built. Messages are routed by regex (named groups become handler
arguments) or by kind (`CONTACT`, `PHOTO`...); `commands` (/start) are tried first in every state.
Anything else is refused, buttons of old screens are stale, and the engine remembers the path
for Back, Up and Home. A state may need a login (a `Guard`), and a flow's data lives as long as
the user stays in the flow.

>>> FAQ = {"1": ("Delivery", ["2"]), "2": ("Returns", [])}  # admin-edited content
>>> ORDERS, FAQ_BUTTON = Action("orders", to="orders"), Action("faq", to="faq:1")
>>> PAGER = Pager()
>>> OPEN = Action("o", lambda ctx, id: ctx.go("order", id=int(id)), arg=r"\d{1,9}")
>>> NODE = Action("n", lambda ctx, key: ctx.go(f"faq:{key}"), arg=r"\d{1,6}")
>>> labels = lambda control, page, pages: {"next": "Next", "page": f"{page}/{pages}"}.get(control, control)
>>> def home(ctx):
...     return Screen("Main menu", [[ORDERS.button("Orders"), FAQ_BUTTON.button("FAQ")]])
>>> def orders(ctx):
...     page = PAGER.page(ctx, 3)
...     return Screen(f"Orders, page {page}", [
...         *PAGER.rows(page, 3, labels), [OPEN.button("Order 7", 7)], [Button.back("Back")]])
>>> def order(ctx):
...     return Screen(f"Order {ctx.params['id']}", [[Button.back("Back"), Button.home("Menu")]])
>>> def faq_node(key, ctx):
...     if key not in FAQ:
...         return None  # removed by an admin
...     title, children = FAQ[key]
...     return State(
...         f"faq:{key}",
...         lambda ctx: Screen(title, [[NODE.button(FAQ[c][0], c) for c in children], [Button.up("Up")]]),
...         parent="home" if key == "1" else "faq:1",
...     )
>>> machine = Machine(
...     [
...         State("home", home, actions=[ORDERS, FAQ_BUTTON]),
...         State("orders", orders, parent="home", actions=[PAGER, OPEN]),
...         State("order", order, parent="orders"),
...     ],
...     home="home",
...     families=[Family("faq", faq_node, actions=[NODE])],
...     commands=[("^/start$", lambda ctx: ctx.home())],
... )

A conversation: `handle` returns a new session and the screen to show.

>>> result = machine.handle(machine.new_session(), Input.message("/start"))
>>> result.screen.text, result.outcome
('Main menu', <Outcome.HANDLED: 'handled'>)
>>> def click(result, text):
...     data = next(b["callback_data"] for row in result.keyboard for b in row if b["text"] == text)
...     return machine.handle(result.session, Input.callback(data))
>>> result = click(click(result, "Orders"), "Next")
>>> result.screen.text, result.session.history
('Orders, page 2', [('home', {})])
>>> result = click(click(result, "Order 7"), "Back")
>>> result.screen.text
'Orders, page 2'
>>> machine.handle(result.session, Input.callback("old|o:7")).outcome
<Outcome.STALE: 'stale'>
>>> machine.handle(result.session, Input.message("hello")).outcome
<Outcome.REFUSED: 'refused'>
>>> result = click(click(machine.handle(result.session, Input.message("/start")), "FAQ"), "Returns")
>>> result.screen.text, result.session.history
('Returns', [('home', {}), ('faq:1', {})])
>>> import json
>>> stored = json.loads(json.dumps(result.session.to_dict()))
>>> del FAQ["2"]
>>> reset = machine.handle(machine.load(stored), Input.message("hello"))
>>> reset.outcome, reset.screen.text
(<Outcome.RESET: 'reset'>, 'Main menu')
"""

from __future__ import annotations

from .actions import SESSIONLESS, Action, Pager, callback_data, pages_of, parse_callback, sessionless_arg
from .context import Context, Nav, Notice
from .errors import (
    DataError,
    DefinitionError,
    DuplicateStateError,
    NavigationError,
    ParamsError,
    PatternError,
    RenderError,
    StateMachineError,
    UnknownStateError,
)
from .inputs import ANY, CONTACT, DOCUMENT, PHOTO, TEXT, Input, Kind, Matcher
from .machine import Machine, Outcome, Result
from .routes import Handler
from .screen import BACK, HOME, SEP, UP, Button, Screen
from .session import MIGRATIONS, Session
from .state import Area, Family, Guard, State, guarded

__all__ = [
    "ANY",
    "BACK",
    "CONTACT",
    "DOCUMENT",
    "HOME",
    "MIGRATIONS",
    "PHOTO",
    "SEP",
    "SESSIONLESS",
    "TEXT",
    "UP",
    "Action",
    "Area",
    "Button",
    "Context",
    "DataError",
    "DefinitionError",
    "DuplicateStateError",
    "Family",
    "Guard",
    "Handler",
    "Input",
    "Kind",
    "Machine",
    "Matcher",
    "Nav",
    "NavigationError",
    "Notice",
    "Outcome",
    "Pager",
    "ParamsError",
    "PatternError",
    "RenderError",
    "Result",
    "Screen",
    "Session",
    "State",
    "StateMachineError",
    "UnknownStateError",
    "callback_data",
    "guarded",
    "pages_of",
    "parse_callback",
    "sessionless_arg",
]
