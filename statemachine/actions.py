r"""Actions: what a button does, declared once; the engine derives its callback data and route.

An `Action` is a button's behaviour: go to a state (`to=`) or run a handler, optionally with one
argument (`arg=`, a bounded regex: an order id, a page number). A screen shows it with
`action.button(text, arg)`; a state lists the actions its screens show (`State(actions=[...])`), and
the `Machine` checks them when it is built: unknown target states, duplicate ids, callback data that
could exceed Telegram's 64 bytes.

>>> OPEN = Action("o", lambda ctx, id: ctx.go("order", id=id), arg=r"\d{1,9}")
>>> OPEN.button("Order 7", 7)
Button(text='Order 7', data='o:7', url=None)
>>> Action("orders", to="orders").button("My orders").data
'orders'

Callback data, for every button the bot sends, is `token|id` or `token|id:arg`. Buttons sent
outside any screen (a rating request, the warehouse's buttons) carry the token `SESSIONLESS`:

>>> callback_data(SESSIONLESS, "rate", "12:5")
'-|rate:12:5'
>>> parse_callback("-|rate:12:5"), parse_callback("3|orders"), parse_callback("garbage")
(('-', 'rate', '12:5'), ('3', 'orders', None), None)

The `Pager` is a widget: one action (`pg:<page>`) that replaces the current screen with another
page of itself, and the keyboard rows that lead there.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .errors import DefinitionError, PatternError, RenderError
from .routes import compile_callback
from .screen import SEP, Button

if TYPE_CHECKING:
    from .context import Context, Nav

SESSIONLESS = "-"
"""The token of buttons that belong to no screen: never a screen token, so the engine finds them stale."""
ARG = ":"
"""Separates an action's id from its argument in callback data."""
_ID = re.compile(r"[A-Za-z0-9_-]{1,16}", re.ASCII)
_DATA = re.compile(
    r"(?P<token>[^|]{1,3})\|(?P<id>[A-Za-z0-9_-]{1,16})(?::(?P<arg>.+))?", re.ASCII | re.DOTALL
)


def callback_data(token: str, action_id: str, arg: object = None) -> str:
    """The callback data of a button: `token|id` or `token|id:arg`."""
    return f"{token}{SEP}{action_id}" if arg is None else f"{token}{SEP}{action_id}{ARG}{arg}"


def parse_callback(data: str) -> tuple[str, str, str | None] | None:
    """(token, action id, arg or None) of callback data in the bot's format, else None."""
    found = _DATA.fullmatch(data)
    return None if found is None else (found["token"], found["id"], found["arg"])


def sessionless_arg(data: str, action_id: str) -> str | None:
    """The argument of a session-less button of `action_id` (`-|id:arg`), else None.

    >>> sessionless_arg("-|rate:12:5", "rate"), sessionless_arg("3|rate:12:5", "rate")
    ('12:5', None)
    """
    parsed = parse_callback(data)
    return parsed[2] if parsed is not None and parsed[:2] == (SESSIONLESS, action_id) else None


class Action:
    """A button's behaviour: `to` a state, or a `handler(ctx)` / `handler(ctx, arg)`.

    With a handler, `to` may name where it usually leads (drawn in the diagram, checked to exist).
    `arg` is a regex the argument must match; it is bounded so the data fits in 64 bytes.
    """

    __slots__ = ("arg", "handler", "id", "regex", "to")

    def __init__(
        self,
        id: str,
        handler: Callable[..., Nav | None] | None = None,
        *,
        to: str | None = None,
        arg: str | None = None,
    ) -> None:
        where = f"action {id!r}"
        if not isinstance(id, str) or not _ID.fullmatch(id):
            raise DefinitionError(f"{where}: an id is 1-16 letters, digits, '_' or '-'")
        if handler is None and to is None:
            raise DefinitionError(f"{where}: give a handler or a target state (to=...)")
        if handler is None and arg is not None:
            raise DefinitionError(f"{where}: only a handler can take an argument")
        if to is not None and not isinstance(to, str):
            raise DefinitionError(f"{where}: target {to!r} is not a state name")
        if handler is not None:
            _check_handler(handler, arg is not None, where)
        pattern = re.escape(id) if arg is None else f"{re.escape(id)}{ARG}(?P<arg>{arg})"
        regex = compile_callback(pattern)
        if isinstance(regex, str):
            raise PatternError(f"{where}: argument pattern {arg!r} {regex}")
        self.id, self.handler, self.to, self.arg, self.regex = id, handler, to, arg, regex

    def __repr__(self) -> str:
        return f"Action({self.id!r})"

    def match(self, data: str) -> list[str] | None:
        """The handler's arguments after ctx if route data `data` runs this action, else None."""
        found = self.regex.fullmatch(data)
        if found is None:
            return None
        return [found["arg"]] if self.arg is not None else []

    def button(self, text: str, arg: object = None) -> Button:
        """A button showing `text` that runs this action (with `arg` if the action takes one)."""
        if (arg is None) != (self.arg is None):
            raise RenderError(
                f"button {text!r}: action {self.id!r} takes {'an' if self.arg else 'no'} argument"
            )
        data = self.id if arg is None else f"{self.id}{ARG}{arg}"
        if self.match(data) is None:
            raise RenderError(f"button {text!r}: argument {arg!r} does not match {self.arg!r}")
        return Button(text, data, action=self)

    def run(self, ctx: Context, args: list[str]) -> Nav | None:
        """Run the action for a press (the engine calls it with what `match` found)."""
        if self.handler is None:
            return ctx.go(str(self.to))
        return self.handler(ctx, *args)


def _check_handler(handler: object, takes_arg: bool, where: str) -> None:
    if not callable(handler):
        raise DefinitionError(f"{where}: handler {handler!r} is not callable")
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):  # some builtins have no signature: trust them
        return
    try:
        signature.bind(None, "") if takes_arg else signature.bind(None)
    except TypeError as error:
        name = getattr(handler, "__qualname__", repr(handler))
        wanted = "(ctx, arg)" if takes_arg else "(ctx)"
        raise DefinitionError(f"{where}: handler {name} cannot take {wanted}: {error}") from None


def check_actions(actions: Sequence[Action], where: str) -> dict[str, Action]:
    """The actions by id; `DefinitionError` for anything but actions or for two with one id."""
    by_id: dict[str, Action] = {}
    for action in actions:
        if not isinstance(action, Action):
            raise DefinitionError(f"{where}: {action!r} is not an Action")
        if by_id.get(action.id, action) is not action:
            raise DefinitionError(f"{where}: two actions with the id {action.id!r}")
        by_id[action.id] = action
    return by_id


PagerLabels = Callable[[str, int, int], str]
"""`labels(control, page, pages)`: a control's text; control is first, prev, page, next, last,
jump_back or jump_forward (for the jumps, `page` is the step)."""


class Pager(Action):
    """First / previous / current / next / last, and ±`jump` for long lists: a few taps to any page.

    Its action replaces the current screen with the same state, `page` set in its params. A press
    that asks for the page shown (the counter, "first" on the first page...) changes nothing: it
    is answered with `here(ctx, page)`, the page number unless told otherwise, so the user hears
    where they are rather than that nothing happened.

    >>> pager = Pager(jump=10)
    >>> labels = lambda control, page, pages: {"page": f"{page}/{pages}"}.get(control, control)
    >>> [[b.text for b in row] for row in pager.rows(12, 12, labels)]
    [['first', 'prev', '12/12', 'last'], ['jump_back', 'jump_forward']]
    >>> pager.rows(1, 1, labels)
    []
    """

    __slots__ = ("here", "jump")

    def __init__(
        self,
        id: str = "pg",
        *,
        jump: int = 10,
        here: Callable[[Context, int], str] = lambda ctx, page: str(page),
    ) -> None:
        super().__init__(id, self._goto, arg=r"\d{1,5}")
        self.jump = jump
        self.here = here

    def _goto(self, ctx: Context, page: str) -> Nav | None:
        asked = max(1, int(page))
        if asked == int(ctx.params.get("page") or 1):
            ctx.notify(self.here(ctx, asked))
            return None
        return ctx.replace(ctx.state, **{**ctx.params, "page": asked})

    def page(self, ctx: Context, pages: int) -> int:
        """The page the screen's params ask for, within 1..pages."""
        return clamp(int(ctx.params.get("page") or 1), pages)

    def rows(self, page: int, pages: int, labels: PagerLabels) -> list[list[Button]]:
        """The keyboard rows for `page` of `pages` (none when everything fits on one page).

        The last page has no "next" (it would lead nowhere)."""
        if pages <= 1:
            return []
        row = [
            self.button(labels("first", 1, pages), 1),
            self.button(labels("prev", page, pages), max(1, page - 1)),
            self.button(labels("page", page, pages), page),
            *([self.button(labels("next", page, pages), page + 1)] if page < pages else []),
            self.button(labels("last", pages, pages), pages),
        ]
        if pages <= self.jump:
            return [row]
        jumps = [
            self.button(labels("jump_back", self.jump, pages), max(1, page - self.jump)),
            self.button(labels("jump_forward", self.jump, pages), min(pages, page + self.jump)),
        ]
        return [row, jumps]


def pages_of(total: int, per_page: int) -> int:
    """How many pages `total` items take, at least one.

    >>> pages_of(0, 5), pages_of(11, 5)
    (1, 3)
    """
    return max(1, -(-total // per_page))


def clamp(page: int, pages: int) -> int:
    return min(max(1, page), pages)
