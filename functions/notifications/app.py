"""The notifications queue's consumer: order notifications whose coalescing window closed, and
broadcasts (fan-out pages and one message per recipient), ``supportbot.notifications.jobs``.

Partial batch responses (standard queue): a job that must come back later (``Later``) is made
invisible for that long and reported failed; a job that raised is retried by SQS after the
queue's visibility timeout, and moved to the dead-letter queue after the redrive policy's count.

A batch's jobs run at once, in threads: a broadcast's sends wait on Telegram and DynamoDB, not on
the CPU, and one at a time an instance could not keep up with the bot-wide pace (25 a second at
~100 ms a send). Powertools' batch processor runs records one by one, hence the small loop here.
"""

from __future__ import annotations

import functools
import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from supportbot import metrics
from supportbot.config import Config, PerConfig, get_config
from supportbot.notifications import broadcasts, order_events
from supportbot.notifications.broadcasts import BroadcastSender
from supportbot.notifications.jobs import Later, Runner, run_job
from supportbot.notifications.order_messages import send_order_message
from supportbot.notifications.store import sqs_client
from supportbot.redact import protect
from supportbot.telegram.client import get_bot

logger = protect(Logger())  # no secret or full phone number in its lines
MAX_VISIBILITY = 12 * 60 * 60
PARALLEL = 10  # the event source's batch size


def order_job(config: Config, job: dict[str, Any]) -> None:
    try:
        order_events.notify_due(config, str(job["pk"]), functools.partial(send_order_message, config))
    except order_events.NotDue as early:
        raise Later(str(early), early.seconds) from early


# Built again when re-read secrets change the configuration (a rotated bot token).
sender = PerConfig(lambda config: BroadcastSender(config, get_bot()))


def runners() -> dict[str, Runner]:
    return {"order": order_job, "fanout": broadcasts.fan_out, "send": sender()}


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


def handled(record: SQSRecord) -> bool:
    """Run one job; False when it must come back (later on purpose, or after a failure)."""
    try:
        record_handler(record)
    except Later:
        return False
    except Exception:
        logger.exception("Job failed; the queue gives it again", extra={"message_id": record.message_id})
        return False
    return True


@logger.inject_lambda_context(clear_state=True)
@metrics.flushed
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = [SQSRecord(record) for record in event["Records"]]
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        done = list(pool.map(handled, records))
    return {
        "batchItemFailures": [
            {"itemIdentifier": r.message_id} for r, ok in zip(records, done, strict=True) if not ok
        ]
    }
