"""Operators' own marks on a conversation: internal notes, tags and an assignee.

None of them ever reaches the customer. Items, in the customer's partition of the Conversations
table:
- ``N#<conversation>#<time>#<random>``: a note (text, author, time), listed with one Query;
- ``F#<conversation>#TAG#<tag>``: a tag's pointer, carrying ``gsi1pk = "TAG#<tag>"``;
- the conversation itself carries ``gsi1pk = "ASSIGNEE#<id>"`` while assigned.

So the inbox filtered by a tag or an assignee is a key condition of the table's ``(gsi1pk,
number)`` index (named ``Tickets`` for its first use): newest conversation first, no Scan, no
FilterExpression, and no new index (CloudFormation adds one index per table per update, and the
Inbox index is already one). A tag is a conversation's list ``tags`` and its pointer, changed in
one transaction conditional on the conversation's version.
"""

from __future__ import annotations

import functools
import secrets
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from supportbot.storage.conditions import condition_failed
from supportbot.storage.tables import TableName
from supportbot.storage.transactions import transaction
from supportbot.support import once
from supportbot.support.conversations import ConversationItem, conversation_key
from supportbot.support.messages import user_key

TAG_LIMIT = 10
ASSIGNEE, TAG = "ASSIGNEE#", "TAG#"
TAG_PATTERN = r"^[\w-]{1,32}$"  # letters (any script), digits, _ and -
ASSIGNEE_PATTERN = r"^(me|bootstrap|op-[0-9a-f]{12})$"


class Changed(Exception):
    """The conversation changed between the read and the write: read it again."""


class NoteItem(Model):
    class Meta:
        table_name = TableName("conversations_table")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    conversation = NumberAttribute()
    text = UnicodeAttribute()
    author_id = UnicodeAttribute()
    author_name = UnicodeAttribute()
    at = UTCDateTimeAttribute()


class FilterIndex(GlobalSecondaryIndex["TagItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "Tickets"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    number = NumberAttribute(range_key=True)


class TagItem(Model):
    class Meta:
        table_name = TableName("conversations_table")

    by_filter = FilterIndex()
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    gsi1pk = UnicodeAttribute()
    number = NumberAttribute()
    user_id = NumberAttribute()


def _note_prefix(number: int) -> str:
    return f"N#{number:012d}#"


def add_note(
    conversation: ConversationItem, text: str, author_id: str, author_name: str, once_key: str | None = None
) -> NoteItem:
    """Add a note; with ``once_key`` (``once.py``: the input that wrote it, a desk topic's message)
    in one transaction with its marker, so a repeat of that input adds none (the first one's note
    is returned)."""
    now = datetime.now(UTC)
    number = int(conversation.number)
    item = NoteItem(
        conversation.pk,
        f"{_note_prefix(number)}{now.isoformat(timespec='microseconds')}#{secrets.token_hex(3)}",
        conversation=number,
        text=text,
        author_id=author_id,
        author_name=author_name,
        at=now,
    )
    if once_key is None:
        item.save()
        return item
    try:
        with transaction() as write:
            write.save(once.marker(once_key, now, ref=item.sk), condition=once.fresh(now))
            write.save(item)
    except TransactWriteError as error:
        stored = once.claimed(once_key) if condition_failed(error) else None
        if stored is None:
            raise
        return NoteItem.get(conversation.pk, str(stored.ref), consistent_read=True)  # added before
    return item


def notes_of(conversation: ConversationItem) -> list[NoteItem]:
    """The conversation's notes, oldest first."""
    prefix = _note_prefix(int(conversation.number))
    return list(NoteItem.query(conversation.pk, NoteItem.sk.startswith(prefix)))


def _tag_key(conversation: ConversationItem, tag: str) -> tuple[str, str]:
    return conversation.pk, f"F#{int(conversation.number):012d}#TAG#{tag}"


def _versioned(conversation: ConversationItem) -> Any:
    return ConversationItem.version == int(conversation.version)


def set_tag(conversation: ConversationItem, tag: str, present: bool) -> ConversationItem:
    """Add or remove a tag (no change when it already is so); Changed when another change landed."""
    tags = list(conversation.tags or [])
    if (tag in tags) == present:
        return conversation
    tags = [*tags, tag] if present else [t for t in tags if t != tag]
    pointer = TagItem(
        *_tag_key(conversation, tag),
        gsi1pk=TAG + tag,
        number=int(conversation.number),
        user_id=int(conversation.user_id),
    )
    try:
        with transaction() as write:
            write.update(
                conversation,
                actions=[ConversationItem.tags.set(tags or None), ConversationItem.version.add(1)],
                condition=_versioned(conversation),
            )
            if present:
                write.save(pointer)
            else:
                write.delete(pointer)
    except TransactWriteError as error:
        if condition_failed(error):
            raise Changed from None
        raise
    return ConversationItem.get(conversation.pk, conversation.sk, consistent_read=True)


def assign(conversation: ConversationItem, assignee: str | None) -> ConversationItem:
    """Give the conversation to ``assignee`` (an operator id), or to nobody."""
    actions: list[Any] = [ConversationItem.version.add(1)]
    if assignee:
        actions += [ConversationItem.assignee.set(assignee), ConversationItem.gsi1pk.set(ASSIGNEE + assignee)]
    else:
        actions += [ConversationItem.assignee.remove(), ConversationItem.gsi1pk.remove()]
    try:
        conversation.update(actions=actions, condition=_versioned(conversation))
    except UpdateError as error:
        if condition_failed(error):
            raise Changed from None
        raise
    return conversation


def tag_query(tag: str) -> Any:
    """The Query of the conversations with the tag, newest first (pointers: :func:`conversations_of`);
    the admin pages it (``supportbot_admin/pages.py``)."""
    return functools.partial(TagItem.by_filter.query, TAG + tag, scan_index_forward=False)


def conversations_of(pointers: list[TagItem]) -> list[ConversationItem]:
    """The conversations a page of tag pointers names, in its order (one BatchGetItem)."""
    keys = [(user_key(int(p.user_id)), conversation_key(int(p.number))) for p in pointers]
    got = {(c.pk, c.sk): c for c in ConversationItem.batch_get(keys)} if keys else {}
    return [got[key] for key in keys if key in got]


def assignee_query(assignee: str) -> Any:
    """The Query of the conversations assigned to ``assignee``, newest first."""
    return functools.partial(ConversationItem.assigned.query, ASSIGNEE + assignee, scan_index_forward=False)
