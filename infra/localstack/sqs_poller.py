"""Queue consumers, invoked the way Lambda's SQS event source mapping invokes them.

One thread per ``SQS`` event of the template: long-poll ReceiveMessage (1 s, up to the event's
BatchSize, capped at SQS's 10 per call), build the event Lambda would send, invoke the handler,
then delete what succeeded:

- the handler returns normally → the whole batch is deleted, unless the event has
  ``FunctionResponseTypes: [ReportBatchItemFailures]`` and the answer lists
  ``batchItemFailures``: those stay (an unknown or empty ``itemIdentifier`` fails the whole batch,
  as in Lambda);
- the handler raises → nothing is deleted.

What is not deleted becomes visible again after the queue's VisibilityTimeout, and moto's own
redrive moves it to the dead-letter queue once it has been received more than ``maxReceiveCount``
times, so retries and poison messages behave as in AWS (only slower or faster, by the timeout).
FIFO queues keep order per message group because SQS does not hand out a group's next message
while one is in flight.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from infra.localstack.aws import client
from infra.localstack.lambdas import LocalFunction
from infra.localstack.template_model import REGION, SqsSource, StackModel

logger = logging.getLogger(__name__)
WAIT_SECONDS = 1


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """Lambda's SQS event for ``messages`` as ReceiveMessage returned them (all attributes)."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": dict(m.get("Attributes") or {}),
                "messageAttributes": {
                    name: _message_attribute(value)
                    for name, value in (m.get("MessageAttributes") or {}).items()
                },
                "md5OfBody": m["MD5OfBody"],
                **(
                    {"md5OfMessageAttributes": m["MD5OfMessageAttributes"]}
                    if "MD5OfMessageAttributes" in m
                    else {}
                ),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """ReceiveMessage's ``StringValue``/``BinaryValue`` spelling → Lambda's ``stringValue`` spelling."""
    converted: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        import base64

        converted["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return converted


def failed_ids(source: SqsSource, messages: list[dict[str, Any]], result: Any) -> set[str]:
    """Message ids to keep: none, the reported failures, or all when the report is malformed."""
    everything = {m["MessageId"] for m in messages}
    if not source.report_failures or not isinstance(result, dict) or not result.get("batchItemFailures"):
        return set()
    reported = set()
    for failure in result["batchItemFailures"]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in everything:
            logger.error("%s: malformed batchItemFailures %r; the whole batch fails", source.function, result)
            return everything
        reported.add(identifier)
    return reported


BatchObserver = Callable[[list[dict[str, Any]], set[str], float], None]


class QueuePoller:
    """One event source mapping: a daemon thread polling one queue for one function."""

    def __init__(
        self,
        source: SqsSource,
        function: LocalFunction,
        queue_name: str,
        endpoint_url: str,
        observer: BatchObserver | None = None,
    ) -> None:
        """``observer(messages, failed message ids, milliseconds)`` is told of every batch."""
        self.source = source
        self.observer = observer
        self.function = function
        self._sqs = client("sqs", endpoint_url)
        self._queue_url = self._sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        self._queue_arn = f"arn:aws:sqs:{REGION}:{_account(self._queue_url)}:{queue_name}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sqs-{source.function}", daemon=True)

    def start(self) -> QueuePoller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=WAIT_SECONDS + 5)
        self._sqs.close()  # the client closes its connections first, not moto (no TIME_WAIT on its port)

    def _observe(self, messages: list[dict[str, Any]], failed: set[str], started: float) -> None:
        if self.observer is None:
            return
        try:
            self.observer(messages, failed, (time.monotonic() - started) * 1000)
        except Exception:
            logger.exception("Reporting a batch of %s failed", self.source.function)

    def backlog(self) -> int:
        """Messages still in the queue: waiting, being handled, or waiting for a retry. Not those
        sent with a delay: they are due later on purpose (an order's coalescing window, a
        scheduled broadcast), and stopping would wait for them in vain."""
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=self._queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                if self._stop.is_set():
                    return  # moto went away first while stopping
                logger.exception("Polling %s for %s failed", self._queue_url, self.source.function)
                self._stop.wait(1)

    def poll_once(self) -> int:
        """Receive one batch and process it; returns how many messages were received."""
        received = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=max(1, min(self.source.batch_size, 10)),
            WaitTimeSeconds=WAIT_SECONDS,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = received.get("Messages") or []
        if not messages:
            return 0
        started = time.monotonic()
        try:
            result = self.function.invoke(sqs_event(messages, self._queue_arn))
        except Exception:
            logger.exception(
                "%s failed; its batch of %d returns to the queue", self.source.function, len(messages)
            )
            self._observe(messages, {m["MessageId"] for m in messages}, started)
            return len(messages)
        keep = failed_ids(self.source, messages, result)
        self._observe(messages, keep, started)
        done = [m for m in messages if m["MessageId"] not in keep]
        for start in range(0, len(done), 10):
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(done[start : start + 10])
                ],
            )
        return len(messages)


def _account(queue_url: str) -> str:
    return queue_url.rstrip("/").split("/")[-2]


def drain(pollers: list[QueuePoller], timeout: float) -> int:
    """Wait until every polled queue is empty (its messages handled), at most ``timeout`` seconds;
    returns how many messages are left (deliveries waiting for a later retry)."""
    deadline = time.monotonic() + timeout
    while True:
        left = sum(poller.backlog() for poller in pollers)
        if left == 0 or time.monotonic() >= deadline:
            return left
        time.sleep(0.2)


def start_pollers(
    model: StackModel,
    functions: dict[str, LocalFunction],
    endpoint_url: str,
    observers: dict[str, BatchObserver] | None = None,
) -> list[QueuePoller]:
    """A started poller for every enabled ``SQS`` event of the template (``observers`` by
    function logical id)."""
    pollers = []
    for function in functions.values():
        for source in function.model.sqs_sources:
            if source.enabled:
                queue = model.queues[source.queue]
                observer = (observers or {}).get(function.model.logical_id)
                pollers.append(QueuePoller(source, function, queue.name, endpoint_url, observer).start())
    return pollers
