"""Retention: what a conversation leaves once DynamoDB's TTL deleted it (its messages, pointers,
its share of the counters), ``supportbot.support.retention``.

Invoked by the Conversations table's stream, filtered by the event source to TTL's own deletions
of conversation items (docs/ARCHITECTURE.md, "Retention"); partial batch responses, so a record
that failed is retried (then sent to the function's on-failure queue) without holding the others.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from supportbot.redact import protect
from supportbot.support.conversations import ConversationItem
from supportbot.support.retention import expired

logger = protect(Logger())  # no secret or full phone number in its lines
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    old = ConversationItem.from_raw_data(record.raw_event["dynamodb"]["OldImage"])
    deleted = expired(old)
    logger.info("Conversation expired", extra={"conversation": old.ref, "messages_deleted": deleted})


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event, record_handler, processor, context)  # type: ignore[return-value]
