"""The metrics each flow emits, read back from the EMF lines the functions print (as CloudWatch
reads them): updates by kind, logins, support dialogs, first answer time, deliveries by
destination and outcome, outbox message age, dead letters, business-system latency and errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from infra.demo import CUSTOMER_PHONE
from supportbot import metrics
from supportbot.backend import UnavailableError
from supportbot.backend.client import HttpBackend
from supportbot.config import Config
from supportbot.support.messages import BLINGER, NewMessage, load_message
from supportbot.support.outbox import (
    DeliveryError,
    HeldBack,
    OutboxConsumer,
    OutboxRecord,
    enqueue,
)
from tests.emf import Capture, read_emf, values_of
from tests.functional.backend.contract_server import ContractServer
from tests.functional.events import webhook_event
from tests.functional.harness import message_raw

ANN = 100000001
CLIENT = f"tg-{ANN}"
ASK = "💬 Ask a question"


@pytest.fixture
def emf(capsys):
    return Capture(capsys)


@pytest.fixture
def ann(harness):
    return harness.user(ANN, language="en", first_name="Ann")


def test_a_login_counts_each_update_by_kind_and_the_login(harness, ann, emf):
    # WHEN Ann starts the bot, shares her phone, opens her orders and writes something
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    ann.tap("📦 My orders")
    ann.send("hello?")
    # THEN each update is counted by its kind, and one login
    assert emf.counts() == {
        (metrics.UPDATES, "command"): 1,
        (metrics.UPDATES, "contact"): 1,
        (metrics.UPDATES, "callback"): 1,
        (metrics.UPDATES, "text"): 1,
        (metrics.LOGINS,): 1,
    }
    # AND a sticker is another kind
    sticker = {"file_id": "s1", "file_unique_id": "u1", "type": "regular", "width": 1, "height": 1}
    harness.deliver(message_raw(ann, sticker={**sticker, "is_animated": False, "is_video": False}))
    assert emf.counts() == {(metrics.UPDATES, "other"): 1}


def test_a_contact_that_does_not_log_in_is_a_refused_login(ann, emf):
    ann.send("/start")
    ann.share_contact("+79990000000")  # nobody's phone
    ann.share_contact(CUSTOMER_PHONE, forwarded=True)
    counts = emf.counts()
    assert counts[(metrics.LOGINS_REFUSED,)] == 2
    assert counts[(metrics.LOGINS,)] == 0


def test_a_failed_update_and_a_refused_call_are_counted(harness, ann, emf, monkeypatch):
    from functions.telegram_webhook import app

    # GIVEN processing that raises
    monkeypatch.setattr(app, "dispatch", lambda update: 1 / 0)
    ann.send("/start")
    assert emf.counts() == {(metrics.UPDATES, "command"): 1, (metrics.UPDATE_FAILURES,): 1}
    # AND a call without Telegram's secret
    event = webhook_event(harness.world.user_sends_text(ANN, "/start"), secret="wrong-secret")
    assert harness.app.lambda_handler(event, harness.lambda_context)["statusCode"] == 403
    assert emf.counts() == {(metrics.WEBHOOK_CALLS_REFUSED, "telegram"): 1}


def test_a_support_dialog_opens_and_closes_a_conversation_and_the_reply_is_timed(harness, desk, ann, emf):
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    emf.take()
    # WHEN Ann opens the dialog and asks, and the outbox takes it to Blinger
    ann.tap(ASK)
    ann.send("Where is my kettle?")
    assert emf.counts()[(metrics.CONVERSATIONS_OPENED,)] == 1
    desk.run_outbox()
    emitted = emf.take()
    # THEN the delivery is counted by destination and outcome, with the message's age
    assert [
        (m.name, dict(m.dimensions).get("Destination"), dict(m.dimensions).get("Outcome"))
        for m in emitted
        if m.name == metrics.DELIVERIES
    ] == [(metrics.DELIVERIES, "blinger", "sent")]
    (age,) = values_of(emitted, metrics.OUTBOX_MESSAGE_AGE)
    assert 0 <= age < 60
    # WHEN the operator answers (twice), then Ann ends the dialog
    assert desk.forward(desk.blinger.reply(CLIENT, "text", "Tomorrow"))[0] == 200
    assert desk.forward(desk.blinger.reply(CLIENT, "text", "Before noon"))[0] == 200
    emitted = emf.take()
    # THEN the wait for the first reply is measured once, in seconds
    (wait,) = values_of(emitted, metrics.FIRST_ANSWER_TIME)
    assert 0 <= wait < 60
    assert {m.unit for m in emitted if m.name == metrics.FIRST_ANSWER_TIME} == {"Seconds"}
    desk.run_outbox()
    assert emf.counts()[(metrics.DELIVERIES, "customer", "sent")] == 2
    ann.tap("✖️ End dialog")
    assert emf.counts() == {(metrics.UPDATES, "callback"): 1, (metrics.CONVERSATIONS_CLOSED,): 1}
    # AND the next question's wait is measured again from its own first message
    ann.tap(ASK)
    ann.send("And the lid?")
    desk.run_outbox()
    emf.take()
    desk.forward(desk.blinger.reply(CLIENT, "text", "Included"))
    assert len(values_of(emf.take(), metrics.FIRST_ANSWER_TIME)) == 1


def test_a_refused_blinger_call_is_counted(desk, emf):
    status, _ = desk.call_webhook({"webhook": "on_conversation_closed"}, query={"key": "wrong-key"})
    assert status == 403
    assert emf.counts() == {(metrics.WEBHOOK_CALLS_REFUSED, "blinger"): 1}


@pytest.fixture
def queue(aws):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="outbox.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    return sqs, url


def received(sqs, url) -> OutboxRecord:
    (message,) = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=1, MessageSystemAttributeNames=["All"]
    )["Messages"]
    return OutboxRecord(
        message["Body"], message["ReceiptHandle"], int(message["Attributes"]["ApproximateReceiveCount"])
    )


def test_retries_and_dead_letters_are_counted_but_not_held_back_messages(queue, emf):
    sqs, url = queue
    config = Config(outbox_queue_url=url, outbox_max_attempts=3)
    item = enqueue(config, NewMessage(42, BLINGER, [{"kind": "text", "text": "?"}]), client=sqs)
    record = received(sqs, url)

    def held(_):
        raise HeldBack("album still arriving", 1)

    def down(_):
        raise DeliveryError("Blinger answered 502")

    # WHEN the message is held back on purpose: no try is counted, and no age
    with pytest.raises(HeldBack):
        OutboxConsumer(config, held, client=sqs).handle(record)
    assert emf.take() == []
    # WHEN a try fails (the next receive: the hold was none of its attempts): a retry, with its age
    record.receive_count = 2
    with pytest.raises(DeliveryError):
        OutboxConsumer(config, down, client=sqs).handle(record)
    emitted = emf.take()
    assert emf.counts() == {}
    assert [m.name for m in emitted] == [metrics.DELIVERIES, metrics.OUTBOX_MESSAGE_AGE]
    assert {k: v for k, v in emitted[0].dimensions if k != "service"} == {
        "Destination": "blinger",
        "Outcome": "retry",
    }
    # WHEN the last try fails: a failed delivery and a dead letter
    record.receive_count = 4
    with pytest.raises(DeliveryError):
        OutboxConsumer(config, down, client=sqs).handle(record)
    counts = emf.counts()
    assert counts[(metrics.DELIVERIES, "blinger", "failed")] == 1
    assert counts[(metrics.DEAD_LETTERS,)] == 1
    assert load_message(item.pk, item.sk).status == "failed"


def test_the_age_is_the_time_since_the_message_was_stored(queue, emf):
    sqs, url = queue
    config = Config(outbox_queue_url=url)
    item = enqueue(config, NewMessage(42, BLINGER, [{"kind": "text", "text": "?"}]), client=sqs)
    item.update(actions=[type(item).created_at.set(datetime.now(UTC) - timedelta(minutes=20))])
    OutboxConsumer(config, lambda _: None, client=sqs).handle(received(sqs, url))
    (age,) = values_of(emf.take(), metrics.OUTBOX_MESSAGE_AGE)
    assert 20 * 60 <= age < 21 * 60


def test_business_system_calls_are_timed_and_their_failures_counted(emf):
    with ContractServer() as server:
        server.store.add_customer(CUSTOMER_PHONE, "customer", "Анна")
        backend = HttpBackend(server.url)
        backend.auth_by_phone(CUSTOMER_PHONE, 1)
        emitted = emf.take()
        (latency,) = values_of(emitted, metrics.BUSINESS_SYSTEM_LATENCY)
        assert 0 < latency < 4000
        assert {m.unit for m in emitted} == {"Milliseconds"}
        # WHEN the system fails
        server.respond_with(503, json.dumps({}))
        with pytest.raises(UnavailableError):
            backend.get_order("token", "A-1")
        emitted = emf.take()
        assert len(values_of(emitted, metrics.BUSINESS_SYSTEM_LATENCY)) == 1
        assert values_of(emitted, metrics.BUSINESS_SYSTEM_ERRORS) == [1.0]


def test_every_line_passes_lambdas_log_level_filter(capsys, monkeypatch):
    # GIVEN a function whose application log level is WARN (template parameter LogLevel WARNING):
    # Lambda drops JSON lines whose level is below it, and reads a line without one as INFO
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", "WARN")
    emf = Capture(capsys)
    metrics.count(metrics.UPDATES, Kind="text")
    metrics.count(metrics.LOGINS)
    metrics.flush()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # THEN both EMF lines say the function's own level, and still read back as metrics
    assert [line["level"] for line in lines] == ["WARN", "WARN"]
    assert len(read_emf("\n".join(json.dumps(line) for line in lines))) == 2
    assert emf.take() == []


def test_only_the_named_metrics_with_their_dimensions_can_be_emitted():
    with pytest.raises(ValueError, match="not one of the metrics"):
        metrics.count("Typo")
    with pytest.raises(ValueError, match="takes the dimensions"):
        metrics.count(metrics.DELIVERIES, Destination="blinger")
