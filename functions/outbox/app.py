"""Outbox consumer: delivers stored messages queued on the SQS FIFO outbox.

Partial batch responses: a failed message (and the later messages of the same user, so order
holds) returns to the queue; other users' messages in the batch are not held back. A message
held back by pacing returns the same way, but a batch of nothing else is no error. The user's
later messages are made visible again at once: they then come back right behind the failed one,
after its retry delay (SQS holds a group while one of its messages is in flight).
"""

from __future__ import annotations

import functools
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from supportbot import metrics
from supportbot.config import Config, PerConfig
from supportbot.redact import protect
from supportbot.support.destinations import Destinations
from supportbot.support.outbox import HeldBack, OutboxConsumer, OutboxRecord
from supportbot.support.surfaces import report_undelivered
from supportbot.telegram.client import get_bot

logger = protect(Logger())  # no secret or full phone number in its lines
processor = SqsFifoPartialProcessor(skip_group_on_error=True)


def make_consumer(config: Config) -> OutboxConsumer:
    # What Telegram refuses for good is reported where it was written (Blinger, the desk topic).
    report = functools.partial(report_undelivered, config)
    return OutboxConsumer(config, Destinations(config, get_bot()), undelivered=report)


# Built at the first batch, again when re-read secrets change the configuration (a new token).
consumer = PerConfig(make_consumer)


def outbox_record(record: SQSRecord) -> OutboxRecord:
    return OutboxRecord(
        body=record.body,
        receipt_handle=record.receipt_handle,
        receive_count=int(record.attributes.approximate_receive_count or 1),
    )


def record_handler(record: SQSRecord) -> None:
    consumer().handle(outbox_record(record))


@logger.inject_lambda_context(clear_state=True)
@metrics.flushed
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    handled: set[str] = set()
    paced: set[str] = set()

    def handle(record: SQSRecord) -> None:
        handled.add(record.message_id)
        try:
            record_handler(record)
        except HeldBack:
            paced.add(record.message_id)
            raise

    try:
        response = process_partial_response(event, handle, processor, context)
    except BatchProcessingError:  # every record failed: the same, reported as an error ...
        _release_held_back(event, handled)
        if handled != paced:
            raise
        # ... unless all were held back by pacing (the rest skipped behind them): not an error,
        # so that pacing shows in no error metric or alarm
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]}
    _release_held_back(event, handled)
    return response  # type: ignore[return-value]


def _release_held_back(event: dict[str, Any], handled: set[str]) -> None:
    """Records the processor skipped (after a failed one of their user) come back with it, after
    its retry delay, not after the queue's visibility timeout (``OutboxConsumer.release``)."""
    held = [SQSRecord(r) for r in event["Records"] if r["messageId"] not in handled]
    consumer().release([outbox_record(record) for record in held])
