"""Retention: a conversation and its messages are kept ``MESSAGE_RETENTION_DAYS`` after the
conversation's last activity (docs/ARCHITECTURE.md, "Retention").

The conversation's ``expires_at`` is set wherever its ``last_activity_at`` is: in the message's
own transaction (``conversations.summarize``) and in each lifecycle move, so every new message
pushes it at no write of its own. Its messages carry no TTL of their own, which would need a write
to each of them at every push: they go with their conversation. Once DynamoDB's TTL deleted the
conversation, the table's stream hands that deletion to ``functions/retention`` (its event source
filters TTL's own deletions of ``C#`` items: nothing else invokes it), and :func:`expired` takes
what the conversation leaves: it out of the counters, its owner, live and topic pointers, its
messages.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.exceptions import TransactWriteError

from supportbot.storage.conditions import condition_failed, transaction_conflict
from supportbot.storage.transactions import transaction
from supportbot.support import conversations, desk_topics, once
from supportbot.support.conversations import ConversationItem
from supportbot.support.messages import MarkerItem, MessageItem, user_key

ATTEMPTS = 3


def expired(old: ConversationItem) -> int:
    """Clear up after the TTL deletion of ``old`` (the item as it was): the counters and pointers
    once (a stream record delivered again finds its marker), its messages; returns how many went."""
    number, user_id = int(old.number), int(old.user_id)
    key = f"ttl:{old.ref}"
    for _ in range(ATTEMPTS):
        now = datetime.now(UTC)
        live = conversations.live_number(user_id) == number
        try:
            with transaction() as write:
                write.save(once.marker(key, now), condition=once.fresh(now))
                conversations.count(write, **conversations.taken_out(old))
                write.delete(MarkerItem(conversations.owner_key(number), "-"))
                for pointer in desk_topics.pointers_of([old]):
                    write.delete(MarkerItem(*pointer))
                if live:
                    write.delete(
                        MarkerItem(user_key(user_id), conversations.LIVE_SK),
                        condition=MarkerItem.value == number,
                    )
        except TransactWriteError as error:
            if not (condition_failed(error) or transaction_conflict(error)):
                raise
            if once.claimed(key) is not None:
                break  # counted by an earlier delivery of this record
            continue  # the live pointer moved, or another transaction wrote: read again
        break
    else:
        raise RuntimeError(f"could not clear up after {old.ref} expired")
    messages = MessageItem.query(
        user_key(user_id),
        MessageItem.sk.startswith("M#"),
        filter_condition=MessageItem.conversation == number,
        attributes_to_get=["pk", "sk"],
    )
    deleted = 0
    with MessageItem.batch_write() as batch:
        for message in messages:
            batch.delete(message)
            deleted += 1
    return deleted
