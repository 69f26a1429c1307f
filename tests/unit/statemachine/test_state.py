"""States and families: declaration checks."""

from __future__ import annotations

from typing import Any

import pytest

from statemachine import Context, DefinitionError, Family, Screen, State


def plain(ctx: Context) -> Screen:
    return Screen(ctx.state)


def test_routes_are_compiled_in_order() -> None:
    state = State("s", plain, messages=[("^a$", "x"), ("^b$", "y")], callbacks=[("^c$", "z")], parent="p")
    assert [route.pattern for route in state.message_routes] == ["^a$", "^b$"]
    assert state.targets() == ["x", "y", "z", "p"]
    assert State("s", plain, parent=lambda ctx: "p").targets() == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "state name '' is not a non-empty string"),
        ({"name": 5}, "state name 5"),
        ({"render": "screen"}, "state 's': render 'screen' is not callable"),
        ({"messages": [("^a$",)]}, r"state 's': route \('\^a\$',\) is not a \(pattern, target\) pair"),
        ({"callbacks": ["^a$"]}, "is not a"),
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
