"""What a message to support reads (bot/support.py ``read_first``): the customer's live pointer and
ban, and on a conversation's first message the business hours and the answer times, in one
consistent BatchGetItem (storage/batch.py), counted at the request level."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.client import BaseClient

from supportbot.storage import batch
from supportbot.storage.batch import get_together
from supportbot.support import bans, business_hours, conversations, waiting
from supportbot.support.messages import MarkerItem, user_messages
from tests.functional.test_session_io import DynamoRequests

CONVERSATIONS = os.environ["CONVERSATIONS_TABLE"]
ANN = 100000001
ASK = "💬 Ask a question"
SENT = "✅ Sent to support. The answer will come to this chat."


def asks(harness) -> Any:
    ann = harness.user(ANN, language="en", first_name="Ann")
    ann.send("/start")
    from infra.demo import CUSTOMER_PHONE

    ann.share_contact(CUSTOMER_PHONE)
    ann.tap(ASK)
    return ann


def read_keys(dynamo: DynamoRequests) -> list[list[str]]:
    """The sort keys of each BatchGetItem of the conversations table, asserting it is consistent."""
    found = []
    for operation, table, params in dynamo.calls:
        if operation == "BatchGetItem" and table == CONVERSATIONS:
            request = params["RequestItems"][CONVERSATIONS]
            assert request["ConsistentRead"] is True
            found.append(sorted(key["sk"]["S"] for key in request["Keys"]))
    return found


def support_requests(dynamo: DynamoRequests) -> Counter[str]:
    """The requests to the conversations table, and the transactions (which name no table)."""
    return Counter(operation for operation, table, _ in dynamo.calls if table in (CONVERSATIONS, None))


def test_a_first_message_reads_its_items_in_one_request(harness, desk, monkeypatch):
    # GIVEN Ann in the dialog, operators who answered lately, and DynamoDB's requests counted
    waiting.add_sample(datetime.now(UTC) - timedelta(hours=1), 300)
    ann = asks(harness)
    dynamo = DynamoRequests(monkeypatch)
    # WHEN she sends the conversation's first message
    reply = ann.send("Where is my order?")
    # THEN it was read in one BatchGetItem (the live pointer, the ban, the hours, the answer
    # times) and no GetItem; the writes are the number's counter and one transaction
    assert reply.text.splitlines() == [SENT, "Operators answer in about 5 min now."]
    assert read_keys(dynamo) == [sorted(["LIVE", "BAN", "business-hours", "answer-times"])]
    requests = support_requests(dynamo)
    assert requests["GetItem"] == 0
    assert (requests["BatchGetItem"], requests["UpdateItem"], requests["TransactWriteItems"]) == (1, 1, 1)
    # WHEN she sends the next one
    dynamo.clear()
    assert ann.send("It is a kettle").text == SENT
    # THEN only the pointer and the ban are read, together, and one transaction writes
    assert read_keys(dynamo) == [["BAN", "LIVE"]]
    assert support_requests(dynamo) == Counter({"BatchGetItem": 1, "TransactWriteItems": 1})
    assert [m.conversation for m in user_messages(ANN)] == [1, 1]


def test_a_ban_read_with_the_pointer_holds_the_message_back(harness, desk, monkeypatch):
    # GIVEN Ann in the dialog, banned for an hour
    ann = asks(harness)
    bans.ban(ANN, 1, "op-000000000001", "Olga")
    dynamo = DynamoRequests(monkeypatch)
    # WHEN she writes
    reply = ann.send("Hello?")
    # THEN the ban read with her pointer held it back (told once), no GetItem of the ban
    assert reply.text.startswith("⛔ Support has paused your messages until")
    assert support_requests(dynamo)["GetItem"] == 0
    assert str(bans.active(ANN).told).startswith(f"tg:{ANN}:")
    assert [m.status for m in user_messages(ANN)] == ["banned"]
    assert desk.run_outbox() == 0


def test_items_read_together_come_back_in_order_none_for_missing(aws):
    # GIVEN a live pointer and a schedule stored, no ban and no answer times
    MarkerItem(conversations.live_pointer(ANN).pk, conversations.LIVE_SK, value=7).save()
    business_hours.save(business_hours.Schedule.parse({"week": {"mon": [["09:00", "18:00"]]}}))
    items = [
        bans.item_of(ANN),
        conversations.live_pointer(ANN),
        waiting.AnswerTimesItem(*waiting.KEY),
        business_hours.SettingsItem(*business_hours.KEY),
    ]
    # WHEN they are read together
    ban, pointer, times, settings = get_together(items)
    # THEN each comes back as its own model, in the order asked, None where nothing is stored
    assert (ban, times) == (None, None)
    assert isinstance(pointer, MarkerItem)
    assert conversations.number_of(pointer) == 7
    assert business_hours.of_item(settings).body == {"week": {"mon": [["09:00", "18:00"]]}, "holidays": []}
    assert get_together([]) == []


def test_unprocessed_keys_are_asked_for_again(aws, monkeypatch):
    # GIVEN DynamoDB leaving the second key of the first BatchGetItem unprocessed (throttled)
    MarkerItem(conversations.live_pointer(ANN).pk, conversations.LIVE_SK, value=3).save()
    bans.ban(ANN, 2, "op-000000000001", "Olga")
    real = BaseClient._make_api_call
    asked: list[int] = []

    def throttled(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation != "BatchGetItem":
            return real(client, operation, params)
        keys = params["RequestItems"][CONVERSATIONS]["Keys"]
        asked.append(len(keys))
        if len(asked) > 1:
            return real(client, operation, params)
        first = {**params, "RequestItems": {CONVERSATIONS: {**params["RequestItems"][CONVERSATIONS]}}}
        first["RequestItems"][CONVERSATIONS]["Keys"] = keys[:1]
        answer = real(client, operation, first)
        answer["UnprocessedKeys"] = {CONVERSATIONS: {"Keys": keys[1:], "ConsistentRead": True}}
        return answer

    monkeypatch.setattr(BaseClient, "_make_api_call", throttled)
    # WHEN the pointer and the ban are read together
    pointer, ban = get_together([conversations.live_pointer(ANN), bans.item_of(ANN)])
    # THEN the unprocessed key was asked for again, and both came back
    assert asked == [2, 1]
    assert conversations.number_of(pointer) == 3
    assert bans.in_force(ban) is not None


def test_keys_left_unprocessed_every_time_raise(aws, monkeypatch):
    # GIVEN DynamoDB leaving every key unprocessed (a table throttled for good), no pause between
    real = BaseClient._make_api_call
    asked: list[int] = []

    def throttled(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation != "BatchGetItem":
            return real(client, operation, params)
        keys = params["RequestItems"][CONVERSATIONS]["Keys"]
        asked.append(len(keys))
        return {"Responses": {CONVERSATIONS: []}, "UnprocessedKeys": {CONVERSATIONS: {"Keys": keys}}}

    monkeypatch.setattr(BaseClient, "_make_api_call", throttled)
    monkeypatch.setattr(batch, "PAUSE", 0)
    # WHEN the pointer and the ban are read together
    with pytest.raises(RuntimeError, match="unprocessed"):
        get_together([conversations.live_pointer(ANN), bans.item_of(ANN)])
    # THEN it asked ATTEMPTS times, then gave up rather than answer without them
    assert asked == [2] * batch.ATTEMPTS
