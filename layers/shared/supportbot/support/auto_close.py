"""Auto-close: a conversation an operator answered, in which nothing happened for
``AUTO_CLOSE_HOURS`` (so the customer has not written since the answer for at least that long), is
closed through the lifecycle and the customer is asked to rate it (docs/ARCHITECTURE.md,
"Auto-close").

``functions/auto_close`` runs :func:`close_due` on a schedule. The due conversations are one Query
of the ``Lists`` index's partition of answered conversations (``C#answered``), whose sort key is
the last activity: every one older than the cutoff, oldest first, a page at a time; no Scan. The
index is eventually consistent, so each is closed by ``surfaces.close_conversation`` with
``only_if`` "still answered, still silent": the write is conditional on the activity key read, and
a conversation the customer wrote to meanwhile (now open) or that moved otherwise is read again
and left alone. A second run at the same time (a retry of the schedule's invocation) finds the
write already made: each conversation is closed, and its customer asked, once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from supportbot.config import Config
from supportbot.support import conversations
from supportbot.support.conversations import ANSWERED, ConversationItem, activity_key, status_key
from supportbot.support.lifecycle import RefusedMove
from supportbot.support.surfaces import close_conversation

PAGE = 100  # items a Query page reads


def clock() -> datetime:
    """Now (tests move it on)."""
    return datetime.now(UTC)


def due(cutoff: datetime) -> Iterator[ConversationItem]:
    """Answered conversations whose last activity is before ``cutoff``, oldest first."""
    return ConversationItem.by_status.query(
        status_key(ANSWERED),
        ConversationItem.list_sk < activity_key(cutoff),
        page_size=PAGE,
    )


def still_due(cutoff: datetime) -> Callable[[ConversationItem], bool]:
    key = activity_key(cutoff)
    return lambda conversation: conversation.status == ANSWERED and str(conversation.list_sk or "") < key


def close_due(config: Config, keep_going: Callable[[], bool] = lambda: True) -> list[str]:
    """Close every due conversation (while ``keep_going()``: the run's time left); the refs closed.
    What is left is due at the next run."""
    cutoff = clock() - config.auto_close_after
    check = still_due(cutoff)
    closed = []
    for conversation in due(cutoff):
        if not keep_going():
            break
        try:
            close_conversation(config, conversation, conversations.BY_AUTO, only_if=check)
        except RefusedMove:
            continue  # the customer wrote, someone closed it, or another run did: nothing to do
        closed.append(conversation.ref)
    return closed
