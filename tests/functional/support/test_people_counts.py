"""Erasing a person keeps the counters kept on write consistent (supportbot/people.py) when what
was read moves before the erase writes: each conversation and broadcast recipient is deleted in one
transaction with its share of the counters, conditional on what was read."""

from __future__ import annotations

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from supportbot import people
from supportbot.config import Config
from supportbot.notifications.store import BroadcastItem, RecipientItem, broadcast_key, recipient_key
from supportbot.storage.transactions import transaction
from supportbot.support import conversations
from supportbot.support.messages import BLINGER, NewMessage
from supportbot.support.outbox import store

ANN, BOB = 42, 43
CONFIG = Config()


def question(user_id: int, text: str) -> NewMessage:
    return NewMessage(user_id, BLINGER, [{"kind": "text", "text": text}])


def counted() -> tuple[int, int, int]:
    found = conversations.counts()
    return int(found.total), int(found.live), int(found.undelivered)


def erase(user_id: int) -> dict:
    return people.erase(people.find(people.by_telegram_id(user_id), None), None)


def test_a_move_after_the_erase_read_is_counted_as_it_landed(aws):
    # GIVEN Ann's live conversation and Bob's, as the erase of Ann read them
    first = store(CONFIG, question(ANN, "Hello"))
    store(CONFIG, question(BOB, "Hi"))
    found = people.find(people.by_telegram_id(ANN), None)
    # WHEN her conversation is closed and a message of it recorded undelivered before the erase writes
    conversations.close(conversations.find(1), conversations.BY_OPERATOR)
    with transaction() as write:
        conversations.count_undelivered(write, first)
    assert counted() == (2, 1, 1)
    answer = people.erase(found, None)
    # THEN the erase counted her out as she then was: Bob's conversation is all that is counted
    assert answer["erased"]["conversations"] >= 3  # the conversation, its message, the owner pointer
    assert counted() == (1, 1, 0)
    assert conversations.find(1) is None


def test_broadcast_counters_lose_the_erased_recipient_whatever_became_of_their_message(aws):
    # GIVEN a broadcast with Ann still waiting and Bob blocked, and a recipient of a deleted one
    key = broadcast_key("b1")
    BroadcastItem(
        key,
        "-",
        id="b1",
        created="2026-12-01T00:00:00+00:00",
        status="running",
        text="News",
        audience={},
        start_at=0,
        total=2,
        blocked=1,
        fanned_out=1,
    ).save()
    RecipientItem(key, recipient_key(ANN), user_id=ANN).save()
    RecipientItem(key, recipient_key(BOB), user_id=BOB, status="blocked").save()
    RecipientItem(broadcast_key("gone"), recipient_key(ANN), user_id=ANN, status="sent").save()
    # WHEN both are erased
    assert erase(ANN)["erased"]["notifications"] == 2
    assert erase(BOB)["erased"]["notifications"] == 1
    # THEN the broadcast counts nobody, and nothing waits: its send jobs find no recipient
    broadcast = BroadcastItem.get(key, "-")
    assert (int(broadcast.total), int(broadcast.blocked)) == (0, 0)
    assert [r.sk for r in RecipientItem.scan() if str(r.sk).startswith("R#")] == []


def test_an_erase_that_keeps_meeting_other_writes_gives_up_saying_so(aws, monkeypatch):
    # GIVEN Ann's conversation, and every transaction cancelled by another one writing meanwhile
    store(CONFIG, question(ANN, "Hello"))
    found = people.find(people.by_telegram_id(ANN), None)
    real = BaseClient._make_api_call

    def conflict(self, operation, params):
        if operation == "TransactWriteItems":
            reasons = [{"Code": "TransactionConflict"}] + [{"Code": "None"}] * (
                len(params["TransactItems"]) - 1
            )
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                    "CancellationReasons": reasons,
                },
                operation,
            )
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", conflict)
    # WHEN it is erased THEN the erase says it could not, and the counters still count her
    with pytest.raises(RuntimeError, match="kept changing"):
        people.erase(found, None)
    monkeypatch.setattr(BaseClient, "_make_api_call", real)
    assert counted() == (1, 1, 0)
    # AND an erase once the writes stopped goes through
    erase(ANN)
    assert counted() == (0, 0, 0)
