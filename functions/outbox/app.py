"""Outbox consumer: delivers stored messages queued on the SQS FIFO outbox.

Partial batch responses: a failed message (and the later messages of the same user, so order
holds) returns to the queue; other users' messages in the batch are not held back.
"""

from __future__ import annotations

import functools
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from supportbot.config import get_config
from supportbot.support.destinations import Destinations
from supportbot.support.outbox import OutboxConsumer, OutboxRecord
from supportbot.telegram.client import get_bot

logger = Logger()
processor = SqsFifoPartialProcessor(skip_group_on_error=True)


@functools.cache
def consumer() -> OutboxConsumer:
    config = get_config()
    return OutboxConsumer(config, Destinations(config, get_bot()))


def record_handler(record: SQSRecord) -> None:
    consumer().handle(
        OutboxRecord(
            body=record.body,
            receipt_handle=record.receipt_handle,
            receive_count=int(record.attributes.approximate_receive_count or 1),
        )
    )


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event, record_handler, processor, context)  # type: ignore[return-value]
