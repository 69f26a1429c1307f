"""Fixtures for the support desk: the outbox queue and attachments bucket under moto, Blinger's
stand-in as the real destination, and the Blinger webhook handler called as API Gateway would."""

from __future__ import annotations

import copy
import functools
import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import boto3
import pytest

from infra.blinger import BlingerConsole
from infra.blinger.conversations import Delivery
from infra.demo import CUSTOMER_PHONE
from tests.functional.conftest import reset_singletons
from tests.functional.events import load_event
from tests.functional.support.order_events_harness import SECRET, WINDOW, BusinessSystem, FakeClock

BLINGER_TOKEN = "blinger-app-token"
BLINGER_CHANNEL = "telegram"
BLINGER_EVENTS_KEY = "blinger-events-key"
BUCKET = "test-attachments"
# Blinger's deliveries to the bot are taken from the console and handed to the handler in-process,
# so the console's own HTTP call goes nowhere (port 9: refused at once).
NOWHERE = "http://127.0.0.1:9/v1/blinger/webhook/"


@dataclass
class SupportDesk:
    """The support side of a test: Blinger's console, the outbox queue, the webhook handler."""

    blinger: BlingerConsole
    queue_url: str
    app: Any
    lambda_context: Any

    def run_outbox(self) -> int:
        """Deliver everything the outbox queue holds, as the outbox function's event source
        mapping would (what fails stays in the queue); returns how many were delivered."""
        from supportbot.config import get_config
        from supportbot.support.destinations import Destinations
        from supportbot.support.outbox import OutboxConsumer, OutboxRecord
        from supportbot.support.surfaces import report_undelivered
        from supportbot.telegram.client import get_bot

        sqs = boto3.client("sqs")
        config = get_config()
        # No wait for albums here: the tests send every part before the outbox runs. What fails
        # for good is reported as the function reports it (functions/outbox/app.py).
        report = functools.partial(report_undelivered, config)
        destinations = Destinations(config, get_bot(), album_settle=0)
        consumer = OutboxConsumer(config, destinations, client=sqs, undelivered=report)
        delivered = 0
        while True:
            messages = sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                return delivered
            for message in messages:
                record = OutboxRecord(
                    message["Body"],
                    message["ReceiptHandle"],
                    int(message["Attributes"]["ApproximateReceiveCount"]),
                )
                consumer.handle(record)
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                delivered += 1

    def queued(self) -> int:
        attributes = boto3.client("sqs").get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])

    def call_webhook(
        self,
        body: dict[str, Any] | str,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        path: str = "/v1/blinger/webhook/",
    ) -> tuple[int, dict[str, Any]]:
        """POST ``body`` to the Blinger webhook function as API Gateway would; (status, JSON answer)."""
        event = copy.deepcopy(load_event("event-post-blinger-webhook-reply.json"))
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["routeKey"] = event["requestContext"]["routeKey"] = f"POST {path}"
        event["headers"] = {
            "content-type": "application/json",
            **{k.lower(): v for k, v in (headers or {}).items()},
        }
        event["rawQueryString"] = urlencode(query or {})
        if query:
            event["queryStringParameters"] = dict(query)
        event["body"] = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        response = self.app.lambda_handler(event, self.lambda_context)
        return response["statusCode"], json.loads(response["body"])

    def forward(self, delivery: Delivery) -> tuple[int, dict[str, Any]]:
        """Hand the handler what the console tried to deliver (a reply or a conversation event)."""
        url = urlsplit(delivery.url)
        return self.call_webhook(delivery.body, delivery.headers, dict(parse_qsl(url.query)), url.path)


def customer_asked_support(harness, desk: SupportDesk, question: str) -> Any:
    """Ann (user 100000001, English) logs in and asks support ``question``; it reaches Blinger."""
    ann = harness.user(100000001, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    ann.tap("💬 Ask a question")
    ann.send(question)
    desk.run_outbox()
    return ann


@pytest.fixture
def desk(harness, monkeypatch):
    """Blinger's stand-in, the outbox queue and the attachments bucket, configured for the bot
    (the ``harness``'s Telegram stand-in and demo data included)."""
    from functions.blinger_webhook import app
    from supportbot.support import files, outbox

    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="outbox.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    boto3.client("s3").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": os.environ["AWS_REGION"]}
    )
    console = BlingerConsole(
        token=BLINGER_TOKEN,
        channel_id=BLINGER_CHANNEL,
        bot_webhook_url=NOWHERE,
        events_secret=BLINGER_EVENTS_KEY,
    )
    with console as blinger:
        for name, value in {
            "OUTBOX_QUEUE_URL": queue_url,
            "ATTACHMENTS_BUCKET": BUCKET,
            "BLINGER_API_URL": blinger.send_url,
            "BLINGER_TOKEN": BLINGER_TOKEN,
            "BLINGER_CHANNEL_ID": BLINGER_CHANNEL,
            "BLINGER_WEBHOOK_SECRET": BLINGER_EVENTS_KEY,
        }.items():
            monkeypatch.setenv(name, value)
        reset_singletons()
        outbox.sqs_client.cache_clear()
        files.s3_client.cache_clear()
        yield SupportDesk(blinger, queue_url, app, harness.lambda_context)
    reset_singletons()


@pytest.fixture
def shop(harness, desk, monkeypatch):
    """The business system calling the bot, its notifications queue under moto, on a clock the
    test moves (the webhook's, the job's and SQS's own: delays and visibility)."""
    import moto.sqs.models

    from functions.business_webhook import app
    from functions.notifications import app as notifications
    from supportbot import pacing
    from supportbot.notifications import broadcasts, order_events, store

    clock = FakeClock()
    monkeypatch.setattr(order_events, "clock", clock)
    monkeypatch.setattr(broadcasts, "clock", clock)
    monkeypatch.setattr(harness.world, "clock", clock)
    pacer = pacing.Pacer(pacing.Clock(now=clock, sleep=clock.sleep))
    sender = functools.cache(
        lambda: broadcasts.BroadcastSender(notifications.get_config(), notifications.get_bot(), pacer)
    )
    monkeypatch.setattr(notifications, "sender", sender)
    monkeypatch.setattr(moto.sqs.models, "unix_time_millis", clock.millis)
    queue_url = boto3.client("sqs").create_queue(QueueName="notifications")["QueueUrl"]
    monkeypatch.setenv("NOTIFICATIONS_QUEUE_URL", queue_url)
    monkeypatch.setenv("ORDER_EVENTS_COALESCE_SECONDS", str(WINDOW))
    monkeypatch.setenv("BUSINESS_WEBHOOK_SECRET", SECRET)
    reset_singletons()
    store.sqs_client.cache_clear()
    yield BusinessSystem(app, notifications, harness.lambda_context, queue_url, clock)
    store.sqs_client.cache_clear()
