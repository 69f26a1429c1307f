"""States and families: declaration checks."""

from __future__ import annotations

from typing import Any

import pytest

from statemachine import Action, Context, DefinitionError, Family, Guard, Screen, State, guarded


def plain(ctx: Context) -> Screen:
    return Screen(ctx.state)


GUARD = Guard("g", lambda ctx: True, otherwise="w")


def test_routes_are_compiled_in_order() -> None:
    state = State(
        "s",
        plain,
        messages=[("^a$", "x"), ("^b$", "y")],
        actions=[Action("c", to="z"), Action("d", lambda ctx: None)],
        parent="p",
        guards=[GUARD],
    )
    assert [route.pattern for route in state.message_routes] == ["^a$", "^b$"]
    assert [action.id for action in state.actions] == ["c", "d"]
    assert (state.action("c"), state.action("e")) == (state.actions[0], None)
    assert state.targets() == ["x", "y", "z", "p"]
    assert State("s", plain, parent=lambda ctx: "p").targets() == []


def test_guarded_puts_a_guard_first_on_states_and_families() -> None:
    other = Guard("h", lambda ctx: True, otherwise="w")
    state, family = guarded(other, [State("s", plain, guards=[GUARD]), Family("f", lambda key, ctx: None)])
    assert (state.guards, family.guards) == ((other, GUARD), (other,))


def test_family_members_get_the_family_actions_guards_and_flow() -> None:
    shared, own = Action("n", to="x"), Action("m", to="y")
    family = Family("f", lambda key, ctx: None, actions=[shared], guards=[GUARD], flow="f")
    member = family.member(State("f:1", plain, actions=[own]))
    assert ([a.id for a in member.actions], member.guards, member.flow) == (["n", "m"], (GUARD,), "f")
    assert family.member(State("f:2", plain, flow="g")).flow == "g"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "state name '' is not a non-empty string"),
        ({"name": 5}, "state name 5"),
        ({"render": "screen"}, "state 's': render 'screen' is not callable"),
        ({"messages": [("^a$",)]}, r"state 's': route \('\^a\$',\) is not a \(pattern, target\) pair"),
        ({"actions": ["^a$"]}, "'\\^a\\$' is not an Action"),
        ({"actions": [Action("a", to="x"), Action("a", to="y")]}, "two actions with the id 'a'"),
        ({"guards": ["login"]}, "guards .* are not all Guards"),
    ],
)
def test_bad_states(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"name": "s", "render": plain, **kwargs}
    with pytest.raises(DefinitionError, match=message):
        State(**arguments)


@pytest.mark.parametrize("prefix", ["", "a:b", 3])
def test_bad_family_prefixes(prefix: Any) -> None:
    with pytest.raises(DefinitionError, match="family prefix"):
        Family(prefix, lambda key, ctx: None)


def test_bad_guards() -> None:
    with pytest.raises(DefinitionError, match="guard 'g': needs a check"):
        Guard("g", "yes", otherwise="w")  # type: ignore[arg-type]
    with pytest.raises(DefinitionError, match="guard 'g': needs a check"):
        Guard("g", lambda ctx: True, otherwise=None)  # type: ignore[arg-type]
