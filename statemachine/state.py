r"""States (screens) and families of states resolved at run time.

A `State` declares how it renders and, in order, the messages and callbacks it accepts:

>>> orders = State(
...     "orders",
...     lambda ctx: Screen(f"Page {ctx.params.get('page', 1)}"),
...     callbacks=[(r"^p:(?P<page>\d{1,5})$", lambda ctx, page: ctx.replace("orders", page=int(page)))],
...     parent="home",
... )
>>> orders.callback_routes[0].match("p:3")
{'page': '3'}

A `Family` stands for every state named "prefix:key" (each FAQ node, each complaint-tree node):
its `resolve(key, ctx)` builds the node's `State` when needed, or returns None if the node is gone.

>>> def faq_node(key, ctx):
...     return State(f"faq:{key}", lambda ctx: Screen(f"Node {key}")) if key.isdigit() else None
>>> faq = Family("faq", faq_node)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING

from .errors import DefinitionError
from .routes import CallbackRoute, CallbackSpec, MessageRoute, MessageSpec, callback_route, message_route

if TYPE_CHECKING:
    from .context import Context
    from .screen import Screen
    from .session import Params

Parent = Callable[["Context"], "tuple[str, Params] | str | None"]
"""Computes the parent at run time: a name, (name, params), or None (no parent: Up goes Home)."""


@dataclass(frozen=True, eq=False)
class State:
    """A named screen: its render function, its routes and its place in the menu.

    `parent` is the screen Up leads to. `allow_back=False` refuses the Back button (e.g. after
    logging out). Route patterns are compiled and checked here; target names by the `Machine`.
    """

    name: str
    render: Callable[[Context], Screen]
    _: KW_ONLY
    messages: Sequence[MessageSpec] = ()
    callbacks: Sequence[CallbackSpec] = ()
    parent: str | Parent | None = None
    allow_back: bool = True
    message_routes: tuple[MessageRoute, ...] = field(init=False, repr=False)
    callback_routes: tuple[CallbackRoute, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise DefinitionError(f"state name {self.name!r} is not a non-empty string")
        where = f"state {self.name!r}"
        for route in (*self.messages, *self.callbacks):
            if not isinstance(route, tuple) or len(route) != 2:
                raise DefinitionError(f"{where}: route {route!r} is not a (pattern, target) pair")
        if not callable(self.render):
            raise DefinitionError(f"{where}: render {self.render!r} is not callable")
        messages = tuple(message_route(pattern, target, where) for pattern, target in self.messages)
        callbacks = tuple(callback_route(pattern, target, where) for pattern, target in self.callbacks)
        object.__setattr__(self, "message_routes", messages)
        object.__setattr__(self, "callback_routes", callbacks)

    def targets(self) -> list[str]:
        """The state names this state refers to: string targets and a static parent."""
        routes: tuple[MessageRoute | CallbackRoute, ...] = (*self.message_routes, *self.callback_routes)
        names = [route.target for route in routes if isinstance(route.target, str)]
        return [*names, self.parent] if isinstance(self.parent, str) else names


@dataclass(frozen=True)
class Family:
    """States named `f"{prefix}:{key}"`, built at run time by `resolve(key, ctx)` (None: gone)."""

    prefix: str
    resolve: Callable[[str, Context], State | None]

    def __post_init__(self) -> None:
        if not isinstance(self.prefix, str) or not self.prefix or ":" in self.prefix:
            raise DefinitionError(f"family prefix {self.prefix!r} must be a non-empty string without ':'")
