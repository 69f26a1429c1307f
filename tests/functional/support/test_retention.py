"""Retention (supportbot/support/retention.py, functions/retention): a conversation expires
MESSAGE_RETENTION_DAYS after its last activity by DynamoDB's TTL; the stream's record of that
deletion takes its messages and pointers with it, and its share of the counters, once."""

from __future__ import annotations

from typing import Any

import boto3

from supportbot.config import Config
from supportbot.storage.transactions import transaction
from supportbot.support import conversations
from supportbot.support.messages import BLINGER, MarkerItem, NewMessage, user_key, user_messages
from supportbot.support.outbox import store

ANN = 42
CONFIG = Config()


def question(text: str) -> NewMessage:
    return NewMessage(ANN, BLINGER, [{"kind": "text", "text": text}])


def counted() -> tuple[int, int, int]:
    found = conversations.counts()
    return int(found.total), int(found.live), int(found.undelivered)


def ttl_deletes(number: int) -> dict[str, Any]:
    """Delete conversation C<number> as DynamoDB's TTL does; the stream record of that deletion."""
    table = conversations.ConversationItem.Meta.table_name
    key = {"pk": {"S": user_key(ANN)}, "sk": {"S": conversations.conversation_key(number)}}
    old = boto3.client("dynamodb").delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD")["Attributes"]
    return {
        "eventID": f"expired-{number}",
        "eventName": "REMOVE",
        "eventSource": "aws:dynamodb",
        "eventSourceARN": f"arn:aws:dynamodb:eu-central-1:123456789012:table/{table}/stream/2026",
        "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
        "dynamodb": {
            "Keys": key,
            "OldImage": old,
            "SequenceNumber": str(number),
            "StreamViewType": "OLD_IMAGE",
        },
    }


def handle(records: list[dict[str, Any]], lambda_context: Any) -> dict[str, Any]:
    from functions.retention import app

    return app.lambda_handler({"Records": records}, lambda_context)


def test_an_expired_conversation_takes_its_messages_pointers_and_counts_with_it_once(aws, lambda_context):
    # GIVEN Ann's closed C1 (two messages, one undelivered) and her live C2
    first = store(CONFIG, question("Hello"))
    store(CONFIG, question("Anyone?"))
    with transaction() as write:
        conversations.count_undelivered(write, first)
    conversations.close(conversations.find(1), conversations.BY_OPERATOR)
    assert conversations.rate(ANN, 1, 4) is not None
    store(CONFIG, question("A new question"))
    assert counted() == (2, 1, 1)
    assert (int(conversations.counts().rated), int(conversations.counts().rating_sum)) == (1, 4)
    # WHEN DynamoDB's TTL deletes C1 and its stream record is handled
    record = ttl_deletes(1)
    assert handle([record], lambda_context) == {"batchItemFailures": []}
    # THEN C1's messages and owner pointer are gone, C2 and its message stay, and the counters
    # count C2 alone
    assert [m.conversation for m in user_messages(ANN)] == [2]
    assert conversations.find(1) is None
    assert conversations.find(2) is not None
    assert counted() == (1, 1, 0)
    assert (int(conversations.counts().rated), int(conversations.counts().rating_sum)) == (0, 0)
    # AND the same record delivered again counts nothing twice
    assert handle([record], lambda_context) == {"batchItemFailures": []}
    assert counted() == (1, 1, 0)
    # WHEN the live C2 expires too
    assert handle([ttl_deletes(2)], lambda_context) == {"batchItemFailures": []}
    # THEN nothing is left, the live pointer neither: her next message starts C3
    assert (user_messages(ANN), counted(), conversations.live_number(ANN)) == ([], (0, 0, 0), None)
    assert store(CONFIG, question("Back again")).conversation == 3
    assert counted() == (1, 1, 0)


def test_a_record_that_fails_is_reported_alone(aws, lambda_context, monkeypatch):
    # GIVEN two expired conversations, the clear-up of the first failing
    store(CONFIG, question("Hello"))
    conversations.close(conversations.find(1), conversations.BY_OPERATOR)
    store(CONFIG, question("Again"))
    conversations.close(conversations.find(2), conversations.BY_OPERATOR)
    records = [ttl_deletes(1), ttl_deletes(2)]
    from supportbot.support import retention

    real = retention.expired

    def failing(old: conversations.ConversationItem) -> int:
        if int(old.number) == 1:
            raise RuntimeError("DynamoDB is down")
        return real(old)

    monkeypatch.setattr("functions.retention.app.expired", failing)
    # WHEN the batch is handled
    answer = handle(records, lambda_context)
    # THEN the first is reported for a retry, the second is cleared up
    assert answer == {"batchItemFailures": [{"itemIdentifier": "1"}]}
    assert [m.conversation for m in user_messages(ANN)] == [1]
    assert counted() == (1, 0, 0)


def test_a_move_of_the_live_pointer_meanwhile_is_read_again(aws, monkeypatch):
    # GIVEN the live C1 expired, and its live pointer moved to another conversation as it was read
    from supportbot.support import retention

    store(CONFIG, question("Hello"))
    record = ttl_deletes(1)
    old = conversations.ConversationItem.from_raw_data(record["dynamodb"]["OldImage"])
    reads = iter([1])
    real = conversations.live_number

    def moved(user_id: int) -> int | None:
        number = next(reads, None)
        if number is not None:
            MarkerItem(user_key(ANN), conversations.LIVE_SK, value=7).save()  # moved after the read
            return number
        return real(user_id)

    monkeypatch.setattr(conversations, "live_number", moved)
    # WHEN its clear-up runs
    assert retention.expired(old) == 1
    # THEN the pointer to the other conversation stays, and C1 is counted out once
    assert real(ANN) == 7
    assert counted() == (0, 0, 0)
