"""The business system's side of a test: its signed calls to the order-event webhook, and the
notifications queue run as its function's event source would, on a clock the test moves."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from supportbot.security import signature_header
from tests.functional.events import load_event

SECRET = "test-business-secret"
START = 1_800_000_000.0  # the tests' "now" (epoch seconds)
WINDOW = 60  # ORDER_EVENTS_COALESCE_SECONDS in the tests


@dataclass
class FakeClock:
    """One clock for the webhook, the jobs, SQS (delays, visibility), pacing and the Telegram
    stand-in's flood limits: waiting is moving it on."""

    now: float = START

    def __call__(self) -> float:
        return self.now

    def millis(self) -> int:
        return int(self.now * 1000)

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


@dataclass
class BusinessSystem:
    app: Any
    notifications: Any
    lambda_context: Any
    queue_url: str
    clock: FakeClock
    sent: list[dict[str, Any]] = field(default_factory=list)
    _events: int = 0

    def event(
        self, status: str = "in_transit", phone: str = "+79001234567", **changes: Any
    ) -> dict[str, Any]:
        self._events += 1
        order = {
            "id": "A10000",
            "number": "10234",
            "status": status,
            "status_text": changes.pop("status_text", "В пути"),
            "amount": "1234.50",
            "currency": "RUB",
            "updated_at": "2026-11-20T10:15:00+03:00",
        }
        body = {
            "event_id": f"evt-{self._events}",
            "type": "order.updated",
            "occurred_at": "2026-11-20T10:15:00+03:00",
            "customer": {"phone": phone},
            "order": order,
        }
        body.update(changes)
        return body

    def post(
        self,
        body: dict[str, Any] | bytes,
        secret: str | None = SECRET,
        at: float | None = None,
        header: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """POST ``body`` signed with ``secret`` at ``at`` (default: now), as API Gateway would."""
        raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        event = copy.deepcopy(load_event("event-post-business-webhook.json"))
        event["headers"] = {"content-type": "application/json"}
        if header is not None:
            event["headers"]["x-signature"] = header
        elif secret is not None:
            event["headers"]["x-signature"] = signature_header(secret, raw, int(at or self.clock.now))
        try:
            event["body"], event["isBase64Encoded"] = raw.decode(), False
        except UnicodeDecodeError:
            import base64

            event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
        response = self.app.lambda_handler(event, self.lambda_context)
        return response["statusCode"], json.loads(response["body"])

    def run_jobs(self) -> int:
        """Run every job of the notifications queue that is due by the clock; returns how many ran."""
        sqs = boto3.client("sqs")
        ran = 0
        while True:
            messages = sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                return ran
            event = {"Records": [_record(message) for message in messages]}
            answer = self.notifications.lambda_handler(event, self.lambda_context)
            failed = {item["itemIdentifier"] for item in answer.get("batchItemFailures", [])}
            for message in messages:
                if message["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            ran += len(messages) - len(failed)

    def later(self, seconds: float) -> None:
        self.clock.now += seconds


def _record(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:notifications",
        "awsRegion": "eu-central-1",
    }
