"""Every error is a StateMachineError; definition errors share DefinitionError."""

from __future__ import annotations

import statemachine
from statemachine import errors


def test_hierarchy() -> None:
    names = [name for name in dir(errors) if name.endswith("Error")]
    assert len(names) == 9
    for name in names:
        error = getattr(errors, name)
        assert issubclass(error, errors.StateMachineError)
        assert getattr(statemachine, name) is error
    for name in ("DuplicateStateError", "UnknownStateError", "PatternError"):
        assert issubclass(getattr(errors, name), errors.DefinitionError)
