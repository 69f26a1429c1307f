"""Exceptions of the state machine: all derive from `StateMachineError`.

Definition mistakes (`DefinitionError` and its subclasses) are raised when a `Machine` is
built or a family state is resolved; the others are programming errors found while handling
an update. Refused input and stale buttons are *not* exceptions: they are `Outcome`s.
"""

from __future__ import annotations


class StateMachineError(Exception):
    """Base class of every error raised by the state machine."""


class DefinitionError(StateMachineError):
    """The machine's definition is invalid; the message names the state and the problem."""


class DuplicateStateError(DefinitionError):
    """Two states (or families) claim the same name."""


class UnknownStateError(DefinitionError):
    """A route, parent, home or navigation names a state that does not exist."""


class PatternError(DefinitionError):
    """A route pattern is not a valid regex, or its callback data could exceed 64 bytes."""


class RenderError(StateMachineError):
    """A screen is malformed: a button without a route, or callback data over 64 bytes."""


class ParamsError(StateMachineError):
    """State params are not a dict of JSON-safe scalars (str, int, finite float, bool, None)."""


class DataError(StateMachineError):
    """A handler stored a value in `ctx.data` that is not JSON-safe."""


class NavigationError(StateMachineError):
    """A handler or hook returned something other than a `Nav` (from `ctx.go()`...) or None."""
