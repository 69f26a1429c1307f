"""Both lifecycle tables, every (status, target) pair: allowed exactly where docs/ARCHITECTURE.md's
diagrams draw an arrow, refused everywhere else with the current status and the allowed moves."""

from __future__ import annotations

import itertools

import pytest

from supportbot.support.conversations import LIFECYCLE as CONVERSATION
from supportbot.support.lifecycle import Lifecycle, RefusedMove
from supportbot.support.tickets import LIFECYCLE as TICKET

CONVERSATION_ARROWS = {
    ("open", "answered"),
    ("answered", "open"),
    ("open", "closed"),
    ("answered", "closed"),
    ("closed", "rated"),
    ("rated", "rated"),
    ("closed", "open"),
}
TICKET_ARROWS = {("open", "in_progress"), ("open", "closed"), ("in_progress", "closed")}


@pytest.mark.parametrize(
    ("table", "arrows"),
    [(CONVERSATION, CONVERSATION_ARROWS), (TICKET, TICKET_ARROWS)],
    ids=["conversation", "ticket"],
)
def test_every_move_is_allowed_or_refused_as_the_diagram_says(table, arrows):
    for status, target in itertools.product(table.statuses, repeat=2):
        if (status, target) in arrows:
            table.check(status, target)
            continue
        with pytest.raises(RefusedMove) as refused:
            table.check(status, target)
        assert refused.value.body() == {
            "detail": f"a {table.what} cannot go from {status} to {target} "
            f"(allowed: {', '.join(table.allowed(status)) or 'none'})",
            "status": status,
            "allowed": list(table.allowed(status)),
        }


def test_a_table_moving_to_an_unknown_status_is_refused_when_built():
    with pytest.raises(ValueError, match="unknown statuses"):
        Lifecycle("door", {"shut": ("ajar",)})
