"""Storing a message with its conversation's change (outbox.store): which conversation it joins
when the live pointer read is stale, how often the pointer is read, and DynamoDB's
TransactionConflict (another transaction on one of the items at that moment) tried again."""

from __future__ import annotations

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from pynamodb.exceptions import TransactWriteError

from supportbot.config import Config
from supportbot.support import conversations, outbox
from supportbot.support.conversations import ConversationItem
from supportbot.support.lifecycle import RefusedMove
from supportbot.support.messages import BLINGER, NewMessage, user_key, user_messages
from supportbot.support.outbox import store

ANN = 42
CONFIG = Config()


def question(text: str, live: bool = False, conversation: int | None = None) -> NewMessage:
    return NewMessage(ANN, BLINGER, [{"kind": "text", "text": text}], live=live, conversation=conversation)


def stored_conversations() -> list[ConversationItem]:
    return list(ConversationItem.query(user_key(ANN), ConversationItem.sk.startswith("C#")))


def test_a_first_message_reads_the_live_pointer_once(aws, monkeypatch):
    # GIVEN the bot read Ann's live pointer (none: her first message), and counts further reads
    reads = []
    real = conversations.live_number
    monkeypatch.setattr(conversations, "live_number", lambda user_id: reads.append(user_id) or real(user_id))
    # WHEN her message is stored, saying so
    item = store(CONFIG, question("Hello", live=True))
    # THEN the pointer is not read again, and she has one new open conversation
    assert reads == []
    (conversation,) = stored_conversations()
    assert (item.conversation, conversation.status, conversation.messages) == (1, "open", 1)
    assert conversations.live_number(ANN) == 1


def test_two_first_messages_at_once_start_one_conversation(aws):
    # GIVEN a first message stored (C1 started)
    store(CONFIG, question("Hello", live=True))
    # WHEN a second message whose handler read the pointer before C1 existed (none live) is stored
    second = store(CONFIG, question("Are you there?", live=True))
    # THEN its new conversation is refused on the pointer, and it joins C1: one conversation
    assert second.conversation == 1
    (conversation,) = stored_conversations()
    assert (conversation.ref, conversation.messages, conversation.unread) == ("C1", 2, 2)
    assert [m.conversation for m in user_messages(ANN)] == [1, 1]


def conflicting(monkeypatch, times: int) -> list[str]:
    """DynamoDB cancelling the next ``times`` transactions with a TransactionConflict on their second
    item (as when another transaction writes the conversation at that moment)."""
    real = BaseClient._make_api_call
    cancelled: list[str] = []

    def call(client, operation, params):
        if operation == "TransactWriteItems" and len(cancelled) < times:
            cancelled.append(operation)
            reasons = [{"Code": "None"}, {"Code": "TransactionConflict", "Message": "Transaction is ongoing"}]
            reasons += [{"Code": "None"}] * (len(params["TransactItems"]) - 2)
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "cancelled (injected)"},
                    "CancellationReasons": reasons,
                },
                operation,
            )
        return real(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    monkeypatch.setattr(outbox, "CONFLICT_PAUSE", 0.0)
    return cancelled


def test_a_transaction_conflict_is_tried_again_and_stores_once(aws, monkeypatch):
    # GIVEN Ann's open conversation
    store(CONFIG, question("Hello"))
    # WHEN her next message's transaction meets a conflict once
    cancelled = conflicting(monkeypatch, times=1)
    item = store(CONFIG, question("Where is my kettle?", live=True, conversation=1), once_key="tg:42:2")
    # THEN it is stored on the second try, once, in her conversation
    assert cancelled == ["TransactWriteItems"]
    assert [m.parts[0].text for m in user_messages(ANN)] == ["Hello", "Where is my kettle?"]
    assert item.conversation == 1
    assert stored_conversations()[0].messages == 2


def test_conflicts_that_never_end_are_an_error_and_store_nothing(aws, monkeypatch):
    conflicting(monkeypatch, times=outbox.STORE_ATTEMPTS)
    with pytest.raises(RuntimeError, match="could not store a message of user 42"):
        store(CONFIG, question("Hello"))
    assert user_messages(ANN) == []
    assert stored_conversations() == []


def test_other_transaction_failures_are_not_tried_again(aws, monkeypatch):
    real = BaseClient._make_api_call
    calls = []

    def call(client, operation, params):
        if operation == "TransactWriteItems":
            calls.append(operation)
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, operation)
        return real(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    with pytest.raises(TransactWriteError) as raised:
        store(CONFIG, question("Hello"))
    assert raised.value.cause_response_code == "InternalServerError"
    assert calls == ["TransactWriteItems"]


def counted() -> tuple[int, int, int]:
    found = conversations.counts()
    return int(found.total), int(found.live), int(found.undelivered)


def test_the_counters_follow_every_conversation_move(aws):
    assert counted() == (0, 0, 0)
    store(CONFIG, question("Hello"))
    assert counted() == (1, 1, 0)
    conversations.close(conversations.find(1), conversations.BY_OPERATOR)
    assert counted() == (1, 0, 0)
    conversations.reopen(conversations.find(1))
    assert counted() == (1, 1, 0)
    conversations.close(conversations.find(1), conversations.BY_CUSTOMER)
    conversations.rate(ANN, 1, 5)
    assert counted() == (1, 0, 0)
    store(CONFIG, question("A new question"))  # never continues the closed one: a new conversation
    assert counted() == (2, 1, 0)
    # AND a refused move counts nothing
    with pytest.raises(RefusedMove):
        conversations.reopen(conversations.find(1))
    assert counted() == (2, 1, 0)


def test_a_close_that_meets_a_transaction_conflict_is_tried_again(aws, monkeypatch):
    store(CONFIG, question("Hello"))
    cancelled = conflicting(monkeypatch, times=1)
    closed = conversations.close(conversations.find(1), conversations.BY_CUSTOMER)
    assert cancelled == ["TransactWriteItems"]
    assert (closed.status, closed.closed_by) == ("closed", "customer")
    assert counted() == (1, 0, 0)
    assert conversations.live_number(ANN) is None


def test_ticket_counters_follow_opens_and_moves_through_conflicts(aws, monkeypatch):
    from supportbot.support import tickets

    # GIVEN a ticket opened and moved while another transaction holds the counters once each time
    cancelled = conflicting(monkeypatch, times=1)
    ticket = tickets.open_ticket(ANN, tickets.PHOTO, "ticket:42:a", "Kettle", {})
    cancelled.clear()
    tickets.move(ticket, tickets.IN_PROGRESS)
    # THEN each was tried again and counted once
    assert cancelled == ["TransactWriteItems"]
    found = tickets.counts()
    assert (found.by("photo", "open"), found.by("photo", "in_progress")) == (0, 1)
    assert (ticket.status, ticket.list_pk) == ("in_progress", "T#photo#in_progress")
    # AND conflicts that never end are an error, the ticket as it was
    conflicting(monkeypatch, times=tickets.MOVE_ATTEMPTS)
    with pytest.raises(TransactWriteError):
        tickets.move(ticket, tickets.CLOSED)
    assert tickets.find(ticket.ref).status == "in_progress"
