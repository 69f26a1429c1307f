"""The `Context` handed to handlers, hooks and render functions, and the `Nav` they return.

A handler reads the update (`ctx.input`), the current flow's data (`ctx.data`), the user's data
(`ctx.user_data`) and its dependencies (`ctx.deps`), may queue notices and effects, and returns
where to go next:

>>> def open_order(ctx, id):
...     return ctx.go("order", id=int(id))
>>> def ask_about(ctx, id):  # a new support dialog, the order's number in its data
...     return ctx.start("support", data={"intro": f"About order {id}"})
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import UnknownStateError
from .inputs import Input
from .session import Params, Scalar, Session, check_params

Action = Literal["go", "replace", "back", "up", "home", "stay", "start"]


@dataclass(frozen=True)
class Nav:
    """A navigation: build it with `ctx.go()`, `ctx.replace()`, `ctx.back()`, `ctx.up()`..."""

    action: Action
    state: str | None = None
    params: Params = field(default_factory=dict)
    data: dict[str, Any] | None = None
    """For `start`: the data the flow starts with."""


@dataclass(frozen=True)
class Notice:
    """A short message for the user: a callback answer toast (an alert if `alert`) or a message."""

    text: str
    alert: bool = False


class Context:
    """What a handler, hook or render function sees of the update being handled.

    During render, `state` and `params` are those of the state being rendered.
    """

    def __init__(
        self,
        session: Session,
        work: Session,
        input: Input,
        deps: object,
        knows: Callable[[str], bool],
    ) -> None:
        self._session = session
        self._work = work
        self._knows = knows
        self.input = input
        self.deps = deps
        self.notices: list[Notice] = []
        self.effects: list[object] = []

    @property
    def session(self) -> Session:
        """The session as it was before this update (the engine never changes it: don't either)."""
        return self._session

    @property
    def state(self) -> str:
        """The current state's name."""
        return self._work.state

    @property
    def params(self) -> Params:
        """A copy of the current state's params."""
        return dict(self._work.params)

    @property
    def data(self) -> dict[str, Any]:
        """The current flow's data: JSON-safe values kept while the user stays in the flow.

        Dropped when the user reaches a state of another flow, or of none (what a state outside
        any flow writes here is dropped at the end of the update)."""
        return self._work.data

    @property
    def user_data(self) -> dict[str, Any]:
        """The user's data, kept across flows (a login): JSON-safe values only."""
        return self._work.user_data

    @property
    def history(self) -> tuple[tuple[str, Params], ...]:
        """The breadcrumbs, oldest first: (state, params) pairs."""
        return tuple((name, dict(params)) for name, params in self._work.history)

    def notify(self, text: str, *, alert: bool = False) -> None:
        """Show `text` to the user with the response (a toast for a button press)."""
        self.notices.append(Notice(text, alert))

    def emit(self, effect: object) -> None:
        """Queue an effect for the caller (the engine does not look at it), e.g. "send this album"."""
        self.effects.append(effect)

    def go(self, state: str, **params: Scalar) -> Nav:
        """Go to `state`, leaving a breadcrumb for Back (unless `state` is already on the path)."""
        return self._nav("go", state, params)

    def start(self, state: str, data: dict[str, Any] | None = None, **params: Scalar) -> Nav:
        """Go to `state` and start its flow afresh with `data` (the flow's earlier data dropped)."""
        nav = self._nav("go", state, params)
        return Nav("start", nav.state, nav.params, dict(data or {}))

    def replace(self, state: str, **params: Scalar) -> Nav:
        """Move to `state` without a breadcrumb: another page of a list, a refresh with new params."""
        return self._nav("replace", state, params)

    def back(self) -> Nav:
        """Back to the previous screen along the path taken (Up if there is none)."""
        return Nav("back")

    def up(self) -> Nav:
        """Up to the parent screen, with the params it had on the path (Home if no parent)."""
        return Nav("up")

    def home(self) -> Nav:
        """Home, forgetting the path."""
        return Nav("home")

    def stay(self) -> Nav:
        """Stay here and show the screen again (the same as returning None)."""
        return Nav("stay")

    def _nav(self, action: Action, state: str, params: dict[str, Scalar]) -> Nav:
        if not self._knows(state):
            raise UnknownStateError(f"{self.state}: cannot {action} to unknown state {state!r}")
        return Nav(action, state, check_params(params, f"{self.state}: {action}({state!r})"))
