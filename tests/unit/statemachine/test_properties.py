"""Property tests: whatever a user (or Telegram) sends, the engine answers and the session stays sane."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statemachine import BACK, HOME, SEP, UP, Input, Machine, Outcome, Result, Session
from statemachine.screen import MAX_CALLBACK_BYTES
from tests.unit.statemachine.bot import FaqTree, build

FULL_TREE: FaqTree = {
    "1": ("FAQ", ["2", "3", "4"]),
    "2": ("Delivery", ["5"]),
    "3": ("Returns", []),
    "4": ("Payment", ["6"]),
    "5": ("Couriers", []),
    "6": ("Cards", []),
}

texts = st.one_of(
    st.sampled_from(["/start", "/order 5", "/order 123456789", "hello", ""]),
    st.text(max_size=30),
)
route_data = st.one_of(
    st.sampled_from(["orders", "faq", "login", "bye", "r", "p:1", "p:99999", "o:12", "n:2", "n:5", "n:404"]),
    st.sampled_from([BACK, UP, HOME]),
    st.text(max_size=66),
)
actions = st.one_of(
    st.tuples(st.just("text"), texts),
    st.tuples(st.just("press"), st.integers(0, 30)),
    st.tuples(st.just("old"), st.integers(0, 1000)),
    st.tuples(st.just("data"), route_data),
    st.tuples(st.just("garbage"), st.one_of(st.none(), st.text(max_size=70))),
    st.tuples(st.just("kind"), st.sampled_from(["contact", "photo", "document", "sticker", "location"])),
    st.tuples(st.just("toggle"), st.sampled_from(sorted(FULL_TREE))),
    st.tuples(st.just("reload"), st.none()),
)


class User:
    """Plays one action sequence against a machine whose FAQ nodes appear and disappear."""

    def __init__(self, limit: int, hooks: bool) -> None:
        self.tree: FaqTree = dict(FULL_TREE)
        options: dict[str, Any] = {"history_limit": limit}
        if hooks:
            options.update(
                on_stale=lambda ctx: ctx.home(),
                on_refused=lambda ctx: ctx.notify("no"),
                on_missing=lambda ctx: ctx.go("faq:1"),
            )
        self.machine: Machine = build(self.tree, **options)
        self.limit = limit
        self.session = self.machine.new_session()
        self.seen: list[str] = []  # every callback data ever shown: old buttons to press again
        self.result = self.send(Input.message("/start"))

    def send(self, update: Input) -> Result:
        before = self.session
        result = self.machine.handle(self.session, update, deps=None)
        self.check(before, result)
        self.session = result.session
        self.result = result
        self.seen.extend(button["callback_data"] for row in result.keyboard for button in row)
        return result

    def act(self, kind: str, value: Any) -> None:
        token = self.session.token
        buttons = [button["callback_data"] for row in self.result.keyboard for button in row]
        if kind == "text":
            self.send(Input.message(value))
        elif kind == "press" and buttons:
            self.send(Input.callback(buttons[value % len(buttons)]))
        elif kind == "old" and self.seen:
            self.send(Input.callback(self.seen[value % len(self.seen)]))
        elif kind == "data":
            self.send(Input.callback(f"{token}{SEP}{value}"))
        elif kind == "garbage":
            self.send(Input("callback", data=value))
        elif kind == "kind":
            self.send(Input(value, payload="+70000000000"))
        elif kind == "toggle":
            if value in self.tree:
                del self.tree[value]
            else:
                self.tree[value] = FULL_TREE[value]
        elif kind == "reload":
            stored = json.loads(json.dumps(self.session.to_dict()))
            self.session = self.machine.load(stored)

    def check(self, before: Session, result: Result) -> None:
        session = result.session
        assert result.outcome in Outcome
        assert len(session.history) <= self.limit
        screens = [*session.history, (session.state, session.params)]
        assert all(screens.count(screen) == 1 for screen in screens), screens
        assert self.machine.load(json.loads(json.dumps(session.to_dict()))) == session
        assert result.token == session.token
        assert result.changed == ((session.state, session.params) != (before.state, before.params))
        if not result.changed:
            assert session.token == before.token
        for row in result.keyboard:
            for button in row:
                data = button.get("callback_data")
                if data is not None:
                    assert data.startswith(session.token + SEP)
                    assert len(data.encode()) <= MAX_CALLBACK_BYTES


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(actions, max_size=40),
    limit=st.sampled_from([0, 1, 3, 20]),
    hooks=st.booleans(),
)
def test_random_conversations_never_break(steps: list[tuple[str, Any]], limit: int, hooks: bool) -> None:
    # GIVEN a user doing anything at all, while FAQ nodes come and go
    user = User(limit, hooks)
    # WHEN each action is handled  THEN no exception, and the session invariants hold (User.check)
    for kind, value in steps:
        user.act(kind, value)
    # THEN Back, from wherever the user is, goes through every crumb (except where Back is refused)
    for _ in range(limit + 2):
        user.send(Input.callback(f"{user.session.token}{SEP}{BACK}"))
    assert user.session.history == [] or user.session.state == "bye"
    # and Home always leads home
    user.send(Input.callback(f"{user.session.token}{SEP}{HOME}"))
    assert (user.session.state, user.session.history) == ("home", [])


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(["v", "s", "p", "h", "d", "t", "x"]) | st.text(max_size=2)
    return st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=6)


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-2, 3)
    | st.floats()
    | st.sampled_from(["home", "orders", "faq:1", "0"])
)


anything = st.recursive(scalars, _containers, max_leaves=20)
version_one = st.fixed_dictionaries(
    {"v": st.just(1), "s": scalars},
    optional={
        "p": anything,
        "h": st.lists(st.lists(anything, max_size=3), max_size=3),
        "d": anything,
        "t": scalars,
    },
)


@given(stored=anything | version_one)
def test_loading_anything_gives_a_session(stored: Any) -> None:
    # GIVEN arbitrary stored data  WHEN loaded  THEN a session, which the machine can handle
    machine = build()
    session = machine.load(stored)
    assert isinstance(session, Session)
    machine.handle(session, Input.message("hi"))
