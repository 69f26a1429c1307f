"""Lifecycles as tables: which status may move to which (docs/ARCHITECTURE.md, "Lifecycle").

A plain mapping beats ``python-statemachine`` or ``transitions`` here: the table is data every
caller and the docs read, and a move is a conditional DynamoDB write (the status read must still be
the stored one), which those libraries do not model; they would only add an import to the
webhooks' cold start. The conversation table is in ``conversations.py``, the ticket table in
``tickets.py``; both are checked through :meth:`Lifecycle.check` and nothing else changes a status.

>>> doors = Lifecycle("door", {"shut": ("open",), "open": ("shut",)})
>>> doors.check("shut", "open")
>>> doors.check("open", "open")
Traceback (most recent call last):
...
supportbot.support.lifecycle.RefusedMove: a door cannot go from open to open (allowed: shut)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class RefusedMove(Exception):
    """A move the table does not allow from the current status (the admin API answers 409)."""

    def __init__(self, what: str, status: str, target: str, allowed: Sequence[str], detail: str = "") -> None:
        self.status = status
        self.target = target
        self.allowed = list(allowed)
        self.detail = detail or (
            f"a {what} cannot go from {status} to {target} (allowed: {', '.join(allowed) or 'none'})"
        )
        super().__init__(self.detail)

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail, "status": self.status, "allowed": self.allowed}


class StaleVersion(Exception):
    """The item changed since the caller read it (another move landed first)."""

    def __init__(self, detail: str, status: str, allowed: Sequence[str]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.allowed = list(allowed)

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail, "status": self.status, "allowed": self.allowed}


class Lifecycle:
    def __init__(self, what: str, moves: Mapping[str, Sequence[str]]) -> None:
        unknown = {target for targets in moves.values() for target in targets} - set(moves)
        if unknown:
            raise ValueError(f"{what} lifecycle moves to unknown statuses {sorted(unknown)}")
        self.what = what
        self.moves = {status: tuple(targets) for status, targets in moves.items()}

    @property
    def statuses(self) -> tuple[str, ...]:
        return tuple(self.moves)

    def allowed(self, status: str) -> tuple[str, ...]:
        return self.moves.get(status, ())

    def check(self, status: str, target: str) -> None:
        if target not in self.allowed(status):
            raise RefusedMove(self.what, status, target, self.allowed(status))
