"""The `Machine`: one definition, built and validated once, that handles every user's updates.

`handle(session, input)` is pure: it returns a `Result` holding a new session, the `Outcome`,
and the screen to show; the session given is left untouched, even when a handler raises.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .actions import ARG, SESSIONLESS, Action
from .context import Context, Nav, Notice
from .errors import (
    DataError,
    DefinitionError,
    DuplicateStateError,
    NavigationError,
    RenderError,
    UnknownStateError,
)
from .inputs import Input
from .routes import MessageSpec, Target, message_route
from .screen import BACK, HOME, RESERVED, SEP, UP, Screen
from .session import ADOPT, Params, Session, check_params, next_token, plain
from .state import Area, Family, Guard, State

Hook = Callable[[Context], "Nav | None"]


class Outcome(enum.Enum):
    """What became of an input."""

    HANDLED = "handled"
    """A route matched (Back/Up/Home included) and its handler ran."""
    REFUSED = "refused"
    """The current state does not accept this input; `on_refused` ran."""
    STALE = "stale"
    """A button of a screen the user has left (or garbage callback data); `on_stale` ran."""
    RESET = "reset"
    """The current state no longer exists (a removed FAQ node...): back home; `on_missing` ran."""


@dataclass(frozen=True)
class Result:
    """The new session and what to show: `screen.text`, `keyboard` (tokenized), `screen.options`."""

    session: Session
    outcome: Outcome
    screen: Screen
    keyboard: list[list[dict[str, str]]]
    token: str
    notices: list[Notice]
    effects: list[object]
    changed: bool
    """Whether the (state, params) of the screen changed (then the token changed too)."""


class Machine:
    """States, families, the home state, commands and hooks; validated when built.

    `commands` are message routes tried in every state before its own (e.g. "^/start$"), so a
    state that takes any text still lets them through. `sessionless` are actions of buttons sent
    outside any screen (token `SESSIONLESS`, e.g. an order notification's "Open order"): taken
    in every state, since no screen's token can be stale for them; guards still apply where
    they lead; given as a function, they are loaded with the first callback sent outside a
    screen. `areas` are states and families built on first use (`Area`). Hooks receive the
    context and may return a `Nav`; by default the user stays where they are.
    """

    def __init__(
        self,
        states: Sequence[State],
        *,
        home: str,
        families: Sequence[Family] = (),
        areas: Sequence[Area] = (),
        commands: Sequence[MessageSpec] = (),
        sessionless: Sequence[Action] | Callable[[], Sequence[Action]] = (),
        history_limit: int = 20,
        on_refused: Hook | None = None,
        on_stale: Hook | None = None,
        on_missing: Hook | None = None,
    ) -> None:
        if type(history_limit) is not int or history_limit < 0:
            raise DefinitionError(f"history_limit {history_limit!r} is not an int >= 0")
        self.home = home
        self.history_limit = history_limit
        self.on_refused = on_refused
        self.on_stale = on_stale
        self.on_missing = on_missing
        self._families: dict[str, Family] = {}
        self._area_states: dict[str, Area] = {}  # a name of an area not loaded yet -> its area
        self._area_families: dict[str, Area] = {}  # likewise a family prefix
        for family in families:
            if family.prefix in self._families:
                raise DuplicateStateError(f"two families with the prefix {family.prefix!r}")
            self._families[family.prefix] = family
        self._states: dict[str, State] = {}
        for state in states:
            if state.name in self._states:
                raise DuplicateStateError(f"two states named {state.name!r}")
            if self._family_of(state.name):
                raise DuplicateStateError(f"state {state.name!r} is named like a member of a family")
            self._states[state.name] = state
        self._areas = tuple(areas)
        self._unloaded = list(self._areas)
        for area in self._areas:
            for declared in area.states:
                if declared in self._states or declared in self._area_states:
                    raise DuplicateStateError(f"two states named {declared!r}")
                self._area_states[declared] = area
            for prefix in area.families:
                if prefix in self._families or prefix in self._area_families:
                    raise DuplicateStateError(f"two families with the prefix {prefix!r}")
                self._area_families[prefix] = area
        self.commands = tuple(message_route(p, t, "commands") for p, t in commands)
        self._sessionless_source = sessionless
        self._sessionless: dict[str, Action] | None = None
        if not callable(sessionless):
            self._load_sessionless()
        if home not in self._states and home not in self._area_states:
            raise UnknownStateError(f"home state {home!r} is not one of the states")
        for state in self._states.values():
            self._check_targets(state)
        for family in self._families.values():
            for name in [family.parent, *(action.to for action in family.actions)]:
                self._check_name(name, f"family {family.prefix!r}")
            for guard in family.guards:
                self._check_guard(guard, f"family {family.prefix!r}")
        for area in self._areas:
            for guard in area.guards:
                self._check_guard(guard, f"area {sorted(area.states | area.families)}")
        for route in self.commands:
            self._check_name(route.target, "commands")

    @property
    def states(self) -> tuple[State, ...]:
        """Every state but families' members, in the order given (the areas' loaded, then last)."""
        self._load_areas()
        return tuple(self._states.values())

    @property
    def families(self) -> tuple[Family, ...]:
        self._load_areas()
        return tuple(self._families.values())

    @property
    def sessionless(self) -> dict[str, Action]:
        """The session-less actions by id (loaded on first use when given as a function)."""
        return self._sessionless if self._sessionless is not None else self._load_sessionless()

    def _load_sessionless(self) -> dict[str, Action]:
        source = self._sessionless_source
        actions = source() if callable(source) else source
        loaded = {action.id: action for action in actions}
        if len(loaded) != len(actions):
            raise DefinitionError("two session-less actions with the same id")
        for action in loaded.values():
            self._check_name(action.to, "session-less actions")
        self._sessionless = loaded
        return loaded

    def _load_areas(self) -> None:
        for area in self._areas:
            self._load(area)

    def _load(self, area: Area) -> None:
        """Build `area`'s states and families (once), checked as the static ones were."""
        if area not in self._unloaded:
            return
        items = [replace(item, guards=(*area.guards, *item.guards)) for item in area.load()]
        states = [item for item in items if isinstance(item, State)]
        families = [item for item in items if isinstance(item, Family)]
        names, prefixes = [state.name for state in states], [family.prefix for family in families]
        if sorted(names) != sorted(area.states) or sorted(prefixes) != sorted(area.families):
            raise DefinitionError(
                f"area {sorted(area.states)} {sorted(area.families)} loaded the states {sorted(names)}"
                f" and the families {sorted(prefixes)}"
            )
        self._unloaded.remove(area)  # not before: a load that failed is tried again by the next update
        for loaded in names:
            del self._area_states[loaded]
        for prefix in prefixes:
            del self._area_families[prefix]
        self._states |= {state.name: state for state in states}
        self._families |= {family.prefix: family for family in families}
        for state in states:
            self._check_targets(state)
        for family in families:
            for name in [family.parent, *(action.to for action in family.actions)]:
                self._check_name(name, f"family {family.prefix!r}")
            for guard in family.guards:
                self._check_guard(guard, f"family {family.prefix!r}")

    def _state(self, name: str) -> State | None:
        """The static state `name` (its area loaded first if it has one), or None."""
        area = self._area_states.get(name)
        if area is not None:
            self._load(area)
        return self._states.get(name)

    def _known(self, name: str) -> State:
        """The static state `name`, checked to be one when the machine was built (home, a guard's
        otherwise)."""
        state = self._state(name)
        if state is None:
            raise UnknownStateError(f"state {name!r} is not one of the states")
        return state

    def _turn_away(self, ctx: Context) -> None:
        """Apply the guards of the session's state's area when it is not loaded yet, as `_guard`
        would once it is (they come first): a user they turn away does not load it."""
        work = ctx._work
        area = self._area_states.get(work.state)
        guard = None if area is None else next((g for g in area.guards if not g.check(ctx)), None)
        if guard is not None:
            work.state, work.params = guard.otherwise, {}
            work.history.clear()

    def new_session(self) -> Session:
        """A session at home with no history."""
        return Session(self.home)

    def load(self, stored: object) -> Session:
        """`Session.from_dict(stored, home=self.home)`: a fresh session if `stored` is unreadable."""
        return Session.from_dict(stored, home=self.home)

    def knows(self, name: str) -> bool:
        """Whether `name` is a state or a possible member of a family (checked when resolved)."""
        if name in self._states or name in self._area_states:
            return True
        prefix, sep, _ = name.partition(":")
        return bool(sep) and (prefix in self._families or prefix in self._area_families)

    def handle(self, session: Session, input: Input, deps: object = None) -> Result:
        """Handle one input for one user and return the new session and the screen to show."""
        return self._run(session, input, deps, self._dispatch)

    def show(self, session: Session, deps: object = None, *, notice: str | None = None) -> Result:
        """Render the session's current screen without an input (`ctx.input.kind` is "show").

        For a screen the bot shows on its own: after a login expired, or a proactive message.
        The outcome is HANDLED (RESET if the state is gone); `notice` comes first in the notices.
        """
        return self._run(session, Input("show"), deps, lambda state, ctx: (Outcome.HANDLED, None), notice)

    def _run(
        self,
        session: Session,
        input: Input,
        deps: object,
        dispatch: Callable[[State, Context], tuple[Outcome, Nav | None]],
        notice: str | None = None,
    ) -> Result:
        work = session.copy()
        del work.history[: max(0, len(work.history) - self.history_limit)]
        resolved: dict[str, State | None] = {}
        ctx = Context(session, work, input, deps, self.knows)
        if notice is not None:
            ctx.notify(notice)
        self._turn_away(ctx)
        state = self._resolve(work.state, ctx, resolved)
        if state is None:
            outcome, nav = Outcome.RESET, self._missing(ctx)
        else:
            state = self._guard(state, ctx)
            if work.flow != state.flow:  # a new session; data stored before flows had names (ADOPT)
                work.data = work.data if work.flow == ADOPT else {}
                work.flow = state.flow
            outcome, nav = dispatch(state, ctx)
        self._navigate(nav, ctx, resolved)
        self._turn_away(ctx)
        state = self._resolve(work.state, ctx, resolved)
        if state is None and outcome is not Outcome.RESET:  # navigated to a node that is gone
            outcome = Outcome.RESET
            self._navigate(self._missing(ctx), ctx, resolved)
            state = self._resolve(work.state, ctx, resolved)
        if state is None:
            self._reset(work)
            self._turn_away(ctx)
            state = self._known(work.state)
        state = self._guard(state, ctx)
        if nav is not None and nav.action == "start" and work.state == nav.state:
            work.data = dict(nav.data or {})
        elif state.flow is None or state.flow != work.flow:
            work.data = {}  # the flow was left: its data goes
        work.flow = state.flow
        changed = (work.state, work.params) != (session.state, session.params)
        if changed:
            work.token = next_token(session.token)
        screen = self._without_redundant_up(self._render(state, ctx), ctx, resolved)
        try:
            work.data, work.user_data = plain(work.data), plain(work.user_data)
        except ValueError as error:
            raise DataError(f"{state.name}: ctx.data or ctx.user_data is not JSON-safe: {error}") from None
        keyboard = screen.keyboard(work.token)
        return Result(work, outcome, screen, keyboard, work.token, ctx.notices, ctx.effects, changed)

    def _dispatch(self, state: State, ctx: Context) -> tuple[Outcome, Nav | None]:
        """Route the input to a handler: built-in buttons and actions; commands, then the state's routes."""
        if ctx.input.kind == "callback":
            token, sep, data = (ctx.input.data or "").partition(SEP)
            outside = self.sessionless.get(data.partition(ARG)[0]) if token == SESSIONLESS else None
            args = None if outside is None else outside.match(data)
            if outside is not None and args is not None:
                return Outcome.HANDLED, _checked(outside.run(ctx, args), outside.handler or outside)
            if not sep or token != ctx._work.token:
                return Outcome.STALE, self._hook(self.on_stale, ctx)
            if data == BACK and not state.allow_back:
                return Outcome.REFUSED, self._hook(self.on_refused, ctx)
            builtin = {BACK: ctx.back, UP: ctx.up, HOME: ctx.home}.get(data)
            if builtin is not None:
                return Outcome.HANDLED, builtin()
            action = state.action(data.partition(ARG)[0])
            args = None if action is None else action.match(data)
            if action is not None and args is not None:
                return Outcome.HANDLED, _checked(action.run(ctx, args), action.handler or action)
        else:
            for message in (*self.commands, *state.message_routes):
                groups = message.match(ctx.input)
                if groups is not None:
                    return Outcome.HANDLED, self._call(message.target, ctx, groups)
        return Outcome.REFUSED, self._hook(self.on_refused, ctx)

    def _call(self, target: Target, ctx: Context, groups: Mapping[str, str | None]) -> Nav | None:
        if isinstance(target, str):
            return ctx.go(target)
        return _checked(target(ctx, **groups), target)

    def _hook(self, hook: Hook | None, ctx: Context) -> Nav | None:
        return None if hook is None else _checked(hook(ctx), hook)

    def _guard(self, state: State, ctx: Context) -> State:
        """`state`, or the state its first failing guard leads to (no history), checked in turn."""
        failed: list[Guard] = []
        while True:
            guard = next((guard for guard in state.guards if not guard.check(ctx)), None)
            if guard is None:
                return state
            if guard in failed:
                raise DefinitionError(
                    f"guard {guard.name!r}: its otherwise state {state.name!r} fails it too"
                )
            failed.append(guard)
            work = ctx._work
            work.state, work.params = guard.otherwise, {}
            work.history.clear()
            state = self._known(guard.otherwise)

    def _missing(self, ctx: Context) -> Nav | None:
        self._reset(ctx._work)
        return self._hook(self.on_missing, ctx)

    def _reset(self, work: Session) -> None:
        work.state, work.params = self.home, {}
        work.history.clear()

    def _navigate(self, nav: Nav | None, ctx: Context, resolved: dict[str, State | None]) -> None:
        """Apply `nav` to the working session, keeping the history free of loops and bounded."""
        work = ctx._work
        action = "stay" if nav is None else nav.action
        if action == "back":
            if work.history:
                work.state, work.params = work.history.pop()
                return
            action = "up"
        if action == "up":
            work.state, work.params, kept = self._up(ctx, resolved)
            del work.history[kept:]
            return
        if action == "home":
            self._reset(work)
        elif nav is not None and nav.state is not None:  # go, start or replace
            target = (nav.state, dict(nav.params))
            if target == (work.state, work.params):
                return
            if target in work.history:  # been there: cut the loop
                del work.history[work.history.index(target) :]
            elif action != "replace":
                work.history.append((work.state, work.params))
                del work.history[: max(0, len(work.history) - self.history_limit)]
            work.state, work.params = target

    def _up(self, ctx: Context, resolved: dict[str, State | None]) -> tuple[str, Params, int]:
        """Where Up leads, and how much of the history stays: the parent with the params it had on
        the path (the orders page...) keeps what came before it; a parent off the path, or home
        when there is none, keeps nothing."""
        parent = self._parent(ctx, resolved)
        if parent is None:
            return self.home, {}, 0
        name, params = parent
        crumbs = [crumb for crumb, _ in ctx._work.history]
        if name in crumbs:
            at = len(crumbs) - 1 - crumbs[::-1].index(name)
            return (*ctx._work.history[at], at)
        return name, params, 0

    def _without_redundant_up(
        self, screen: Screen, ctx: Context, resolved: dict[str, State | None]
    ) -> Screen:
        """`screen` without its Up buttons when Up leads where its Back or Home does.

        Back and Home stay where the user expects them on every screen; Up earns its place only
        when it leads elsewhere (a screen reached by a command, a search, a link). Up is still
        handled when pressed.
        """
        shown = {button.data for row in screen.buttons for button in row}
        if UP not in shown or not shown & {BACK, HOME}:
            return screen
        name, params, _ = self._up(ctx, resolved)
        history = ctx._work.history
        leads = {HOME: (self.home, {}), BACK: history[-1] if history else (name, params)}
        if all(leads[data] != (name, params) for data in (BACK, HOME) if data in shown):
            return screen
        rows = [[button for button in row if button.data != UP] for row in screen.buttons]
        return replace(screen, buttons=rows)

    def _parent(self, ctx: Context, resolved: dict[str, State | None]) -> tuple[str, Params] | None:
        state = self._resolve(ctx.state, ctx, resolved)
        parent = None if state is None else state.parent
        found = parent(ctx) if callable(parent) else parent
        if found is None:
            return None
        name, params = (found, {}) if isinstance(found, str) else found
        if not self.knows(name):
            raise UnknownStateError(f"state {ctx.state!r}: parent {name!r} is not a state")
        return name, check_params(params, f"state {ctx.state!r}: parent {name!r}")

    def _resolve(self, name: str, ctx: Context, resolved: dict[str, State | None]) -> State | None:
        """The state named `name`: static, or built by its family (once per update), or None."""
        static = self._state(name)
        if static is not None:
            return static
        if name not in resolved:
            family = self._family_of(name)
            state = None if family is None else family.resolve(name.partition(":")[2], ctx)
            if state is not None:
                if not isinstance(state, State) or state.name != name:
                    raise DefinitionError(f"family {name.partition(':')[0]!r} resolved {name!r} to {state!r}")
                state = family.member(state)  # type: ignore[union-attr]  # family is set: state resolved
                self._check_targets(state)
            resolved[name] = state
        return resolved[name]

    def _render(self, state: State, ctx: Context) -> Screen:
        screen = state.render(ctx)
        if not isinstance(screen, Screen):
            raise RenderError(f"state {state.name!r}: render returned {screen!r}, not a Screen")
        for row in screen.buttons:
            for button in row:
                data, action = button.data, button.action
                if data == BACK and not state.allow_back:
                    raise RenderError(f"state {state.name!r}: button {button.text!r} is Back, refused here")
                if data is None or data in RESERVED:
                    continue
                if action is None or state.action(action.id) is not action:
                    raise RenderError(
                        f"state {state.name!r}: button {button.text!r} runs {action!r}, not one of its actions"
                    )
        return screen

    def _check_targets(self, state: State) -> None:
        for name in state.targets():
            self._check_name(name, f"state {state.name!r}")
        for guard in state.guards:
            self._check_guard(guard, f"state {state.name!r}")

    def _check_guard(self, guard: Guard, where: str) -> None:
        if guard.otherwise not in self._states and guard.otherwise not in self._area_states:
            raise UnknownStateError(
                f"{where}: guard {guard.name!r} leads to {guard.otherwise!r}, not a state"
            )

    def _check_name(self, name: Any, where: str) -> None:
        if isinstance(name, str) and not self.knows(name):
            raise UnknownStateError(f"{where}: unknown target state {name!r}")

    def _family_of(self, name: str) -> Family | None:
        prefix, sep, _ = name.partition(":")
        if not sep:
            return None
        area = self._area_families.get(prefix)
        if area is not None:
            self._load(area)
        return self._families.get(prefix)


def _checked(nav: object, source: object) -> Nav | None:
    if nav is None or isinstance(nav, Nav):
        return nav
    name = getattr(source, "__qualname__", repr(source))
    raise NavigationError(f"{name} returned {nav!r}: return ctx.go(...), ctx.back()... or None")
