"""The notifications queue's consumer: order notifications whose coalescing window closed, and
broadcasts (fan-out pages and one message per recipient), ``supportbot.notifications.jobs``.

Partial batch responses (standard queue): a job that must come back later (``Later``) is made
invisible for that long and reported failed; a job that raised is retried by SQS after the
queue's visibility timeout, and moved to the dead-letter queue after the redrive policy's count.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from supportbot import metrics
from supportbot.config import Config, get_config
from supportbot.notifications import order_events
from supportbot.notifications.jobs import Later, Runner, run_job
from supportbot.notifications.order_messages import send_order_message
from supportbot.notifications.store import sqs_client
from supportbot.redact import protect

logger = protect(Logger())  # no secret or full phone number in its lines
processor = BatchProcessor(event_type=EventType.SQS)
MAX_VISIBILITY = 12 * 60 * 60


def order_job(config: Config, job: dict[str, Any]) -> None:
    try:
        order_events.notify_due(config, str(job["pk"]), functools.partial(send_order_message, config))
    except order_events.NotDue as early:
        raise Later(str(early), early.seconds) from early


@functools.cache
def runners() -> dict[str, Runner]:
    return {"order": order_job}


def record_handler(record: SQSRecord) -> None:
    config = get_config()
    try:
        run_job(config, record.body, runners())
    except Later as later:
        seconds = max(1, min(math.ceil(later.seconds), MAX_VISIBILITY))
        sqs_client().change_message_visibility(
            QueueUrl=config.notifications_queue_url,
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=seconds,
        )
        raise


@logger.inject_lambda_context(clear_state=True)
@metrics.flushed
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    later: set[str] = set()

    def handle(record: SQSRecord) -> None:
        try:
            record_handler(record)
        except Later:
            later.add(record.message_id)
            raise

    try:
        return process_partial_response(event, handle, processor, context)  # type: ignore[return-value]
    except BatchProcessingError:
        if later != {record["messageId"] for record in event["Records"]}:
            raise
        # Every job of the batch comes back later on purpose: no error (nothing failed).
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in sorted(later)]}
