r"""States (screens), families of states resolved at run time, and the guards that protect them.

A `State` declares how it renders, the messages it accepts (in order) and the actions its
buttons run:

>>> OPEN = Action("o", lambda ctx, id: ctx.go("order", id=id), arg=r"\d{1,9}")
>>> orders = State("orders", lambda ctx: Screen("Orders", [[OPEN.button("Order 7", 7)]]),
...                actions=[OPEN], parent="home")
>>> orders.action("o") is OPEN
True

A `Family` stands for every state named "prefix:key" (each FAQ node, each complaint-tree node):
its `resolve(key, ctx)` builds the node's `State` when needed, or returns None if the node is gone.
The family's `actions`, `guards` and `flow` apply to every member.

>>> def faq_node(key, ctx):
...     return State(f"faq:{key}", lambda ctx: Screen(f"Node {key}")) if key.isdigit() else None
>>> faq = Family("faq", faq_node)

A `Guard` is a condition a state needs (a login, a kind of user): when it does not hold, the user
is taken to the guard's `otherwise` state, with no history. `guarded(guard, items)` puts a guard
on a group of states and families.

>>> LOGGED_IN = Guard("logged in", lambda ctx: "auth" in ctx.user_data, otherwise="login")
>>> [state.guards for state in guarded(LOGGED_IN, [orders])] == [(LOGGED_IN,)]
True

A state's `flow` names the flow it is part of (a complaint, a photo request): `ctx.data` is that
flow's data, dropped as soon as the user is on a state of another flow (or of none).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, TypeVar

from .actions import Action, check_actions
from .errors import DefinitionError
from .routes import MessageRoute, MessageSpec, message_route

if TYPE_CHECKING:
    from .context import Context
    from .screen import Screen
    from .session import Params

Parent = Callable[["Context"], "tuple[str, Params] | str | None"]
"""Computes the parent at run time: a name, (name, params), or None (no parent: Up goes Home)."""


@dataclass(frozen=True, eq=False)
class Guard:
    """A condition on the context a state needs; when it fails the user goes to `otherwise`."""

    name: str
    check: Callable[[Context], bool]
    otherwise: str

    def __post_init__(self) -> None:
        if not callable(self.check) or not isinstance(self.otherwise, str):
            raise DefinitionError(f"guard {self.name!r}: needs a check(ctx) and an otherwise state name")


@dataclass(frozen=True, eq=False)
class State:
    """A named screen: its render function, its routes and its place in the menu.

    `parent` is the screen Up leads to. `allow_back=False` refuses the Back button (e.g. after
    logging out). Message patterns are compiled and checked here; target names by the `Machine`.
    """

    name: str
    render: Callable[[Context], Screen]
    _: KW_ONLY
    messages: Sequence[MessageSpec] = ()
    actions: Sequence[Action] = ()
    parent: str | Parent | None = None
    allow_back: bool = True
    flow: str | None = None
    guards: Sequence[Guard] = ()
    message_routes: tuple[MessageRoute, ...] = field(init=False, repr=False)
    _actions: dict[str, Action] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise DefinitionError(f"state name {self.name!r} is not a non-empty string")
        where = f"state {self.name!r}"
        for route in self.messages:
            if not isinstance(route, tuple) or len(route) != 2:
                raise DefinitionError(f"{where}: route {route!r} is not a (pattern, target) pair")
        if not callable(self.render):
            raise DefinitionError(f"{where}: render {self.render!r} is not callable")
        if any(not isinstance(guard, Guard) for guard in self.guards):
            raise DefinitionError(f"{where}: guards {self.guards!r} are not all Guards")
        object.__setattr__(self, "actions", tuple(self.actions))
        object.__setattr__(self, "_actions", check_actions(self.actions, where))
        object.__setattr__(self, "guards", tuple(self.guards))
        messages = tuple(message_route(pattern, target, where) for pattern, target in self.messages)
        object.__setattr__(self, "message_routes", messages)

    def action(self, id: str) -> Action | None:
        """The action of this state with the id `id`, if there is one."""
        return self._actions.get(id)

    def targets(self) -> list[str]:
        """The state names this state refers to: targets of messages and actions, a static parent."""
        names = [route.target for route in self.message_routes if isinstance(route.target, str)]
        names += [action.to for action in self.actions if action.to is not None]
        return [*names, self.parent] if isinstance(self.parent, str) else names


@dataclass(frozen=True)
class Family:
    """States named `f"{prefix}:{key}"`, built at run time by `resolve(key, ctx)` (None: gone).

    `actions`, `guards` and `flow` are added to every member; `parent` and `title` only describe
    the family in the diagram (the members' own parents are what Up follows).
    """

    prefix: str
    resolve: Callable[[str, Context], State | None]
    _: KW_ONLY
    actions: Sequence[Action] = ()
    guards: Sequence[Guard] = ()
    flow: str | None = None
    parent: str | None = None
    title: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.prefix, str) or not self.prefix or ":" in self.prefix:
            raise DefinitionError(f"family prefix {self.prefix!r} must be a non-empty string without ':'")
        check_actions(self.actions, f"family {self.prefix!r}")
        object.__setattr__(self, "actions", tuple(self.actions))
        object.__setattr__(self, "guards", tuple(self.guards))

    def member(self, state: State) -> State:
        """`state` with the family's actions, guards and flow added."""
        return dataclasses.replace(
            state,
            actions=(*self.actions, *state.actions),
            guards=(*self.guards, *state.guards),
            flow=state.flow or self.flow,
        )


Guarded = TypeVar("Guarded", State, Family)


def guarded(guard: Guard, items: Sequence[Guarded]) -> list[Guarded]:
    """The states and families of `items`, each needing `guard` first."""
    return [_guarded(guard, item) for item in items]


def _guarded(guard: Guard, item: Guarded) -> Guarded:
    return dataclasses.replace(item, guards=(guard, *item.guards))


@dataclass(frozen=True, eq=False)
class Area:
    """States and families built on first use, so a process loads only the screens its updates
    reach (a new user's /start needs the login screen, not the orders or the support dialog).

    The machine knows the area's state names (`states`) and family prefixes (`families`) from
    the start, so targets, guards and sessions naming them are checked and routed as usual;
    `load` is called the first time one of them is resolved and must return exactly those
    states and families (checked then). `guards` are put first on everything `load` returns, as
    `guarded` does, and are checked before loading: a user they turn away never loads the area.
    """

    load: Callable[[], Sequence[State | Family]]
    _: KW_ONLY
    states: frozenset[str] = frozenset()
    families: frozenset[str] = frozenset()
    guards: Sequence[Guard] = ()

    def __post_init__(self) -> None:
        if not callable(self.load) or not (self.states or self.families):
            raise DefinitionError(f"area {self.load!r}: needs a load() and the names it loads")
        if any(":" in name for name in self.states) or any(":" in prefix for prefix in self.families):
            raise DefinitionError(f"area {self.load!r}: state names and family prefixes have no ':'")
        if any(not isinstance(guard, Guard) for guard in self.guards):
            raise DefinitionError(f"area {self.load!r}: guards {self.guards!r} are not all Guards")
        object.__setattr__(self, "states", frozenset(self.states))
        object.__setattr__(self, "families", frozenset(self.families))
        object.__setattr__(self, "guards", tuple(self.guards))
