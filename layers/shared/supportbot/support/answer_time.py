"""How long a customer's question waited for the operator's first reply (metric ``FirstAnswerTime``).

A question is the customer's run of messages to the helpdesk since the operator last replied; it
is answered by the next operator reply, which is stored marked ``answer`` in its context. The wait
is measured from the run's oldest message, looking back over the customer's newest ``LOOK_BACK``
stored messages (an older start is not seen: the wait is then under-counted, never invented).
A message held back by a ban (status ``banned``) never reached the desk, so nobody waited on it;
nor did a notice to the desk (an echo in Blinger, the Telegram desk's answers to commands): only the
customer's own messages wait (role ``customer``, or none: stored before roles).
Told when the reply arrives, before it is stored; a repeated Blinger call finds that reply and
measures nothing again. Measured here until the conversation model keeps its own first reply.
"""

from __future__ import annotations

from datetime import UTC, datetime

from supportbot import metrics
from supportbot.support.messages import BANNED, BLINGER, CUSTOMER, CUSTOMER_ROLE, MessageItem, user_key

ANSWER = "answer"  # context flag of an operator's reply to the customer
LOOK_BACK = 20


def waiting_since(user_id: int) -> datetime | None:
    """When the customer's unanswered question began; None when nothing of theirs waits."""
    oldest = None
    newest_first = MessageItem.query(
        user_key(user_id), MessageItem.sk.startswith("M#"), scan_index_forward=False, limit=LOOK_BACK
    )
    for item in newest_first:
        if item.destination == CUSTOMER and (item.context or {}).get(ANSWER):
            break
        if item.destination == BLINGER and item.status != BANNED and item.role in (None, CUSTOMER_ROLE):
            oldest = item.created_at
    return oldest


def record_first_answer(user_id: int, now: datetime | None = None) -> None:
    """Measure the wait an operator's reply ends (call before storing the reply)."""
    since = waiting_since(user_id)
    if since is not None:
        wait = ((now or datetime.now(UTC)) - since).total_seconds()
        metrics.observe(metrics.FIRST_ANSWER_TIME, max(0.0, wait))
