r"""A small, pure state machine for a Telegram bot: states, routes, breadcrumbs, sessions.

Every user is in exactly one state (a screen). Each state declares, in order, the messages and
the callbacks (inline button presses) it accepts, as regexes (named groups become handler
arguments) or matchers (`CONTACT`, `PHOTO`...). Anything else is refused, buttons of old
screens are stale, and the engine remembers the path for Back, Up and Home.

>>> FAQ = {"1": ("Delivery", ["2"]), "2": ("Returns", [])}  # admin-edited content
>>> def home(ctx):
...     return Screen("Main menu", [[Button("Orders", "orders"), Button("FAQ", "faq")]])
>>> def orders(ctx):
...     page = ctx.params.get("page", 1)
...     return Screen(f"Orders, page {page}", [
...         [Button("Next", f"p:{page + 1}"), Button("Order 7", "o:7")], [Button.back("Back")]])
>>> def goto_page(ctx, page):
...     return ctx.replace("orders", page=int(page))
>>> def open_order(ctx, id):
...     return ctx.go("order", id=int(id))
>>> def order(ctx):
...     return Screen(f"Order {ctx.params['id']}", [[Button.back("Back"), Button.home("Menu")]])
>>> def faq_node(key, ctx):
...     if key not in FAQ:
...         return None  # removed by an admin
...     title, children = FAQ[key]
...     return State(
...         f"faq:{key}",
...         lambda ctx: Screen(title, [[Button(FAQ[c][0], f"n:{c}") for c in children], [Button.up("Up")]]),
...         callbacks=[(r"^n:(?P<key>\d{1,6})$", lambda ctx, key: ctx.go(f"faq:{key}"))],
...         parent="home" if key == "1" else "faq:1",
...     )
>>> machine = Machine(
...     [
...         State("home", home, callbacks=[("^orders$", "orders"), ("^faq$", "faq:1")]),
...         State("orders", orders, parent="home", callbacks=[
...             (r"^p:(?P<page>\d{1,5})$", goto_page),
...             (r"^o:(?P<id>\d{1,9})$", open_order),
...         ]),
...         State("order", order, parent="orders"),
...     ],
...     home="home",
...     families=[Family("faq", faq_node)],
...     global_messages=[("^/start$", "home")],
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
from .state import Family, State

__all__ = [
    "ANY",
    "BACK",
    "CONTACT",
    "DOCUMENT",
    "HOME",
    "MIGRATIONS",
    "PHOTO",
    "SEP",
    "TEXT",
    "UP",
    "Button",
    "Context",
    "DataError",
    "DefinitionError",
    "DuplicateStateError",
    "Family",
    "Handler",
    "Input",
    "Kind",
    "Machine",
    "Matcher",
    "Nav",
    "NavigationError",
    "Notice",
    "Outcome",
    "ParamsError",
    "PatternError",
    "RenderError",
    "Result",
    "Screen",
    "Session",
    "State",
    "StateMachineError",
    "UnknownStateError",
]
