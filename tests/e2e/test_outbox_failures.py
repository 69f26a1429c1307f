"""Failure injection for the outbox: no message lost, none sent twice but in the documented window.

The real ``OutboxFunction`` handler (Powertools' FIFO partial-batch processor) consumes the
``OutboxQueue`` that moto creates from template.yaml's own definition (FIFO, 180 s visibility
timeout, redrive policy to ``OutboxDeadLetterQueue``), invoked the way Lambda's event source
mapping would (``infra.localstack.sqs_poller``), while the Blinger and Bot API stand-ins are told
to fail. Only one template value differs: ``OutboxMaxAttempts`` is 3 (its minimum) instead of 12.

Time: instead of sleeping, a test moves SQS's clock (moto's) forward, so the production retry
schedule (30 s, 1 min, 2 min, or Telegram's ``retry_after``) and the queue's visibility timeout
are what is exercised, and "not before, but after" is checked to the second. HTTP timeouts are
real (a small client timeout).
"""

from __future__ import annotations

import copy
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from moto.sqs import models as sqs_models
from telebot import apihelper

from infra.blinger import BlingerConsole
from infra.botapi import BotApiServer, World
from infra.localstack import sqs_poller
from infra.localstack.aws import MotoServer, client, create_resources
from infra.localstack.lambdas import LocalFunction, add_import_paths
from infra.localstack.sqs_poller import QueuePoller
from infra.localstack.template_model import StackModel, without_ssm_references
from infra.template import global_environment, load_template
from supportbot import pacing
from supportbot.support import destinations, files, outbox
from supportbot.support.messages import (
    BLINGER,
    CUSTOMER,
    FAILED,
    QUEUED,
    SENT,
    MessageItem,
    NewMessage,
    load_message,
)
from tests.functional.conftest import reset_singletons

BOT_TOKEN = os.environ["TELEGRAM_BOT_TOKEN"]  # the root conftest's fake token
BLINGER_TOKEN = "blinger-app-token"
BLINGER_CHANNEL = "telegram"
MAX_ATTEMPTS = 3
ANNA, BORIS = 1001, 1002
QUEUE_VISIBILITY = 180  # template.yaml, OutboxQueue.VisibilityTimeout (checked below)

pytestmark = pytest.mark.slow  # a moto server and real HTTP stand-ins (about 10 s in all)


class Killed(BaseException):
    """The Lambda runtime stops the process (timeout, out of memory): no ``except Exception`` sees it."""


class SqsClock:
    """moto's SQS clock, moved forward by the tests (visibility timeouts, retry delays)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = 0.0
        real = sqs_models.unix_time

        def unix_time(dt: Any = None) -> float:
            return real(dt) + (0.0 if dt is not None else self.offset)

        monkeypatch.setattr(sqs_models, "unix_time", unix_time)
        monkeypatch.setattr(sqs_models, "unix_time_millis", lambda dt=None: unix_time(dt) * 1000.0)

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def now(self) -> float:
        """The simulated time (Telegram's flood limits and the outbox's pacing run on it too)."""
        return time.time() + self.offset


def keep_fifo_order_as_sqs_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """Correct moto's FIFO receive, so a group's order holds as in SQS.

    moto keeps a message whose visibility timeout ran out "in flight" until its receive loop
    reaches it: when several messages of a group become visible together, the first ones are
    skipped (their group still looks busy) and a later one overtakes them. SQS never does that, so
    they are taken off moto's in-flight list before each receive.
    """
    receive = sqs_models.SQSBackend.receive_message

    def receive_message(backend: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        in_flight = backend.get_queue(queue_name).pending_messages
        in_flight.difference_update({message for message in in_flight if message.visible})
        return receive(backend, queue_name, *args, **kwargs)

    monkeypatch.setattr(sqs_models.SQSBackend, "receive_message", receive_message)


@dataclass
class Desk:
    """The outbox as deployed, on this machine, with its failure knobs."""

    model: StackModel
    endpoint: str
    blinger: BlingerConsole
    world: World
    clock: SqsClock
    poller: QueuePoller

    @property
    def sqs(self) -> Any:
        return client("sqs", self.endpoint)

    def url(self, logical_id: str) -> str:
        return str(self.sqs.get_queue_url(QueueName=self.model.queues[logical_id].name)["QueueUrl"])

    def send(self, user_id: int, text: str, destination: str = BLINGER) -> MessageItem:
        """What the bot does for every message to support or a customer: store, then queue."""
        from supportbot.config import get_config

        return outbox.enqueue(
            get_config(), NewMessage(user_id, destination, [{"kind": "text", "text": text}])
        )

    def run(self) -> int:
        """Poll as the event source mapping does until nothing is visible now; how many were handled."""
        handled = 0
        for _ in range(50):
            received = self.poller.poll_once()
            if not received:
                return handled
            handled += received
        raise AssertionError("the outbox never ran dry")

    def later(self, seconds: float) -> int:
        """``seconds`` pass for SQS, then the outbox runs."""
        self.clock.advance(seconds)
        return self.run()

    def cold_start(self) -> None:
        """A new Lambda instance (after the old one was killed): the handler is imported again."""
        self.poller = QueuePoller(
            self.poller.source,
            LocalFunction(self.poller.function.model),
            self.model.queues["OutboxQueue"].name,
            self.endpoint,
        )

    def counts(self, logical_id: str) -> tuple[int, int]:
        """(visible, in flight) messages of a queue."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.url(logical_id),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]), int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def blinger_received(self) -> dict[str, list[str]]:
        """What Blinger accepted (answered 200), per client, in arrival order."""
        accepted: dict[str, list[str]] = defaultdict(list)
        for call in self.blinger.calls:
            if call.status == 200 and isinstance(call.body, dict):
                accepted[call.body["client_id"]].append(call.body["data"])
        return dict(accepted)

    def blinger_refused(self) -> int:
        return sum(1 for call in self.blinger.calls if call.status != 200)


def forget_clients() -> None:
    """Drop cached AWS clients (pynamodb's per model included): the next ones are made for the
    endpoint in the environment now, and none made here outlives the test."""
    from pynamodb.models import Model

    models: list[type[Any]] = [Model]
    while models:
        model = models.pop()
        models.extend(model.__subclasses__())
        model._connection = None
    outbox.sqs_client.cache_clear()
    files.s3_client.cache_clear()
    reset_singletons()


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer(port=0) as server:
        yield server


@pytest.fixture
def desk(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    template = copy.deepcopy(load_template())
    template["Parameters"]["OutboxMaxAttempts"]["Default"] = MAX_ATTEMPTS
    saved_path = list(sys.path)
    monkeypatch.setattr(apihelper, "API_URL", apihelper.API_URL)  # restored after the test
    monkeypatch.setattr(apihelper, "FILE_URL", apihelper.FILE_URL)
    monkeypatch.setattr(sqs_poller, "WAIT_SECONDS", 0)  # the clock is ours: no long polls
    keep_fifo_order_as_sqs_does(monkeypatch)
    sqs_clock = SqsClock(monkeypatch)
    # Pacing (on for tests marked ``pacing``) waits by moving the simulated clock, not by sleeping.
    monkeypatch.setattr(pacing.CLOCK, "now", sqs_clock.now)
    monkeypatch.setattr(pacing.CLOCK, "sleep", sqs_clock.advance)
    world = World(token=BOT_TOKEN, clock=sqs_clock.now)
    for user_id, name in ((ANNA, "Анна"), (BORIS, "Борис")):
        world.add_user(user_id, first_name=name)
    with BotApiServer(world) as telegram, BlingerConsole(BLINGER_TOKEN, BLINGER_CHANNEL) as blinger:
        requests.post(f"{moto.url}/moto-api/reset", timeout=5)  # a clean AWS for each test
        model = StackModel.from_template(template, moto_url=moto.url)
        # The layer's models took their table names from the environment at import (the root
        # conftest's): the template's tables are created under those names.
        variables = {
            v["Ref"]: k for k, v in global_environment(template).items() if isinstance(v, dict) and "Ref" in v
        }
        model.tables = {logical_id: os.environ[variables[logical_id]] for logical_id in model.tables}
        create_resources(model, template, moto.url)
        function = model.functions["OutboxFunction"]
        environment = {
            key: value
            for key, value in without_ssm_references(function.environment).items()
            if not key.endswith("_TABLE") and not key.startswith("POWERTOOLS_")
        }
        environment |= {
            "AWS_ENDPOINT_URL": moto.url,
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_URL": telegram.base_url,
            "BLINGER_API_URL": blinger.send_url,
            "BLINGER_TOKEN": BLINGER_TOKEN,
            "BLINGER_CHANNEL_ID": BLINGER_CHANNEL,
        }
        for key, value in environment.items():
            monkeypatch.setenv(key, value)
        forget_clients()
        add_import_paths(model.root, [function])
        (source,) = function.sqs_sources
        poller = QueuePoller(source, LocalFunction(function), model.queues["OutboxQueue"].name, moto.url)
        try:
            yield Desk(model, moto.url, blinger, world, sqs_clock, poller)
        finally:
            forget_clients()
            sys.path[:] = saved_path


def kill_once(after: Callable[..., Any], when: Callable[..., bool]) -> Callable[..., Any]:
    """``after``, except that the first call for which ``when`` holds kills the process instead."""
    state = {"killed": False}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not state["killed"] and when(*args, **kwargs):
            state["killed"] = True
            raise Killed("the function was stopped here")
        return after(*args, **kwargs)

    return wrapper


def kill_during_delivery(monkeypatch: pytest.MonkeyPatch, msg_id: str, after_post: bool) -> None:
    """Kill the outbox function once while it delivers message ``msg_id``: right after the
    destination accepted a part (``after_post``, the documented duplicate window), or right after
    recording the message as sent, before its queue message is deleted."""
    if after_post:
        original = destinations.Destinations._mark_sent_parts
        monkeypatch.setattr(
            destinations.Destinations,
            "_mark_sent_parts",
            staticmethod(kill_once(original, lambda item, count: item.msg_id == msg_id)),
        )
        return
    original_record = outbox.OutboxConsumer._record
    kill = kill_once(lambda *args: None, lambda self, item, status, reason: item.msg_id == msg_id)

    def record_then_kill(
        self: outbox.OutboxConsumer, item: MessageItem, status: str, reason: str | None
    ) -> bool:
        recorded = original_record(self, item, status, reason)
        kill(self, item, status, reason)
        return recorded

    monkeypatch.setattr(outbox.OutboxConsumer, "_record", record_then_kill)


# -- the queue is the template's ------------------------------------------------------------------


def test_the_queue_is_the_templates_with_its_redrive_policy(desk: Desk) -> None:
    attributes = desk.sqs.get_queue_attributes(QueueUrl=desk.url("OutboxQueue"), AttributeNames=["All"])[
        "Attributes"
    ]
    assert attributes["FifoQueue"] == "true"
    assert attributes["VisibilityTimeout"] == str(QUEUE_VISIBILITY)
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": "arn:aws:sqs:eu-central-1:123456789012:OutboxDeadLetterQueue.fifo",
        "maxReceiveCount": 1000,  # a backstop: the consumer dead-letters after MAX_ATTEMPTS attempts
    }
    source = desk.poller.source
    assert (source.batch_size, source.report_failures) == (10, True)
    assert os.environ["OUTBOX_MAX_ATTEMPTS"] == str(MAX_ATTEMPTS)
    assert os.environ["OUTBOX_DEAD_LETTER_QUEUE_URL"] == desk.url("OutboxDeadLetterQueue")


# -- 1. a Blinger outage ----------------------------------------------------------------------------


def questions(desk: Desk) -> dict[int, list[MessageItem]]:
    """Анна and Борис each ask three questions, interleaved (so their batches mix)."""
    sent: dict[int, list[MessageItem]] = {ANNA: [], BORIS: []}
    for n in range(1, 4):
        for user_id, name in ((ANNA, "Анна"), (BORIS, "Борис")):
            sent[user_id].append(desk.send(user_id, f"{name}: вопрос {n}"))
    return sent


def expected_blinger(sent: dict[int, list[MessageItem]]) -> dict[str, list[str]]:
    return {f"tg-{user}": [str(item.parts[0].text) for item in items] for user, items in sent.items()}


def assert_all_sent(sent: dict[int, list[MessageItem]]) -> None:
    for items in sent.values():
        for item in items:
            stored = load_message(item.pk, item.sk)
            assert stored is not None
            assert (stored.status, stored.reason) == (SENT, None), stored.parts[0].text


def test_a_blinger_outage_delays_but_loses_and_repeats_nothing(desk: Desk) -> None:
    # GIVEN Blinger answers 500 to the next four posts (two rounds of both users' first message)
    desk.blinger.fail_next(status=500, times=4)
    sent = questions(desk)
    # WHEN the outbox runs: each user's first message fails, the rest of that user's wait behind it
    desk.run()
    assert desk.blinger_received() == {}
    first = load_message(sent[ANNA][0].pk, sent[ANNA][0].sk)
    assert (first.status, first.reason, first.attempts) == (QUEUED, "Blinger answered 500", 1)
    # THEN nothing is tried again before the first retry delay (30 s) ...
    assert desk.later(29) == 0
    # ... the second try (at 30 s) fails too, the third (1 min later) finds Blinger back
    desk.later(1)
    assert desk.blinger_refused() == 4
    assert desk.later(59) == 0
    desk.later(1)
    # every message reached Blinger once, in each user's order; stored as sent; queues empty
    assert desk.blinger_received() == expected_blinger(sent)
    assert desk.blinger_refused() == 4
    assert_all_sent(sent)
    assert desk.counts("OutboxQueue") == desk.counts("OutboxDeadLetterQueue") == (0, 0)


def test_blinger_timing_out_delays_but_loses_and_repeats_nothing(desk: Desk, monkeypatch) -> None:
    # GIVEN Blinger does not answer within the client's timeout (twice), and stores nothing
    monkeypatch.setattr(destinations, "BLINGER_TIMEOUT", (1, 0.3))
    desk.blinger.fail_next(status=504, delay=0.6, times=2)
    sent = questions(desk)
    # WHEN the outbox runs into the timeouts, then retries after the delay
    desk.run()
    first = load_message(sent[ANNA][0].pk, sent[ANNA][0].sk)
    assert (first.status, first.reason) == (QUEUED, "Blinger unreachable: ReadTimeout")
    assert desk.later(29) == 0
    desk.later(1)
    # THEN every message reached Blinger once, in each user's order, and is stored as sent
    time.sleep(0.6)  # the timed-out posts finish on Blinger's side (and store nothing)
    assert desk.blinger_received() == expected_blinger(sent)
    assert desk.blinger_refused() == 2
    assert_all_sent(sent)
    assert desk.counts("OutboxQueue") == (0, 0)


# -- 2. the one window for a duplicate ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "repeated"),
    [
        ("after the post, before recording it", 1),
        ("after recording it, before the queue message is deleted", 0),
    ],
)
def test_a_consumer_killed_mid_delivery_repeats_at_most_that_message(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, where: str, repeated: int
) -> None:
    sent = questions(desk)
    second = sent[ANNA][1]
    # GIVEN the function is killed while delivering Анна's second question, once
    kill_during_delivery(monkeypatch, second.msg_id, after_post=where.startswith("after the post"))
    received = desk.clock.now()
    with pytest.raises(Killed):
        desk.run()
    # the messages handled before the kill are recorded as sent; the batch stays in flight
    assert load_message(sent[ANNA][0].pk, sent[ANNA][0].sk).status == SENT
    assert desk.counts("OutboxQueue") == (0, 6)
    # WHEN the queue's visibility timeout passes and a new instance takes the batch again
    desk.cold_start()
    # (counted from the receive: SQS's clock also runs while this machine works through the batch)
    assert desk.later(QUEUE_VISIBILITY - 1 - (desk.clock.now() - received)) == 0
    desk.later(2)  # past the timeout whatever the moment of the receive within run()
    # THEN only that one message may reach Blinger twice; everything else once, in order
    expected = expected_blinger(sent)
    anna = expected[f"tg-{ANNA}"]
    expected[f"tg-{ANNA}"] = anna[:2] + anna[1:2] * repeated + anna[2:]
    assert desk.blinger_received() == expected
    assert_all_sent(sent)
    assert desk.counts("OutboxQueue") == (0, 0)


def test_a_post_that_times_out_but_was_stored_is_the_same_single_window(desk: Desk, monkeypatch) -> None:
    # GIVEN Blinger is slow once: it stores the post after the client gave up waiting
    monkeypatch.setattr(destinations, "BLINGER_TIMEOUT", (1, 0.3))
    desk.blinger.fail_next(status=None, delay=0.6, times=1)
    sent = questions(desk)
    # WHEN the outbox retries the timed-out message after the delay
    desk.run()
    time.sleep(0.6)
    desk.later(30)
    # THEN that one message is in Blinger twice (it cannot tell), every other message once
    expected = expected_blinger(sent)
    anna = expected[f"tg-{ANNA}"]
    expected[f"tg-{ANNA}"] = anna[:1] + anna
    assert desk.blinger_received() == expected
    assert_all_sent(sent)


# -- 3. Telegram's 429 ----------------------------------------------------------------------------


def test_telegram_429_is_retried_after_its_retry_after(desk: Desk) -> None:
    # GIVEN an operator answered Анна twice, and Telegram rate-limits the first send for 7 s
    desk.world.fail_next("sendMessage", error_code=429, retry_after=7)
    replies = [desk.send(ANNA, "Ответ оператора 1", CUSTOMER), desk.send(ANNA, "Ответ оператора 2", CUSTOMER)]
    # WHEN the outbox runs
    desk.run()
    assert len(desk.world.calls_to("sendMessage")) == 1
    stored = load_message(replies[0].pk, replies[0].sk)
    # held back, not failed: the receive is a hold, not one of its attempts
    assert (stored.status, stored.reason, stored.holds) == (QUEUED, None, 1)
    # THEN nothing is sent before the 7 s are over ...
    assert desk.later(6) == 0
    assert len(desk.world.calls_to("sendMessage")) == 1
    # ... and both replies arrive, in order, once, right after
    desk.later(1.1)
    assert [m.text for m in desk.world.bot_messages(ANNA)] == ["Ответ оператора 1", "Ответ оператора 2"]
    assert len(desk.world.calls_to("sendMessage")) == 3
    assert [load_message(r.pk, r.sk).status for r in replies] == [SENT, SENT]
    assert [load_message(r.pk, r.sk).attempts for r in replies] == [1, 1]
    assert desk.counts("OutboxQueue") == (0, 0)


# -- 4. Telegram's 403 ----------------------------------------------------------------------------


def test_a_user_who_blocked_the_bot_is_marked_and_not_retried(desk: Desk) -> None:
    from supportbot.storage.sessions import bot_blocked, load_session, save_session

    # GIVEN Анна (who has a session) blocked the bot
    save_session(load_session(ANNA))
    desk.world.block(ANNA)
    reply = desk.send(ANNA, "Ответ оператора", CUSTOMER)
    # WHEN the outbox delivers the operator's reply
    desk.run()
    # THEN it is stored as failed with the reason, the user is marked, and the queue is done with it
    stored = load_message(reply.pk, reply.sk)
    assert stored.status == FAILED
    assert "Forbidden: bot was blocked by the user" in stored.reason
    assert bot_blocked(ANNA)
    assert desk.counts("OutboxQueue") == desk.counts("OutboxDeadLetterQueue") == (0, 0)
    # and nothing is tried again, however long we wait; a later reply is not even tried
    later = desk.send(ANNA, "Ещё ответ", CUSTOMER)
    desk.later(24 * 60 * 60)
    assert len(desk.world.calls_to("sendMessage")) == 1
    assert load_message(later.pk, later.sk).status == FAILED
    assert desk.counts("OutboxQueue") == (0, 0)


# -- 5. a poison message ----------------------------------------------------------------------------


def test_a_poison_message_is_dead_lettered_without_blocking_others_and_redriven(desk: Desk) -> None:
    from supportbot.config import get_config

    # GIVEN Анна's photo has a link Blinger refuses (not http(s)) every time, with a question of
    # hers queued behind it, and Борис asks two questions at the same moment
    photo = outbox.enqueue(
        get_config(), NewMessage(ANNA, BLINGER, [{"kind": "image", "file_url": "tg-file://photo-1"}])
    )
    behind = desk.send(ANNA, "Анна: а где фото?")
    boris = [desk.send(BORIS, "Борис: вопрос 1"), desk.send(BORIS, "Борис: вопрос 2")]
    # WHEN the outbox runs: Борис's questions go through at once, Анна's photo fails ...
    desk.run()
    assert desk.blinger_received() == {f"tg-{BORIS}": ["Борис: вопрос 1", "Борис: вопрос 2"]}
    assert [load_message(b.pk, b.sk).status for b in boris] == [SENT, SENT]
    # ... and is retried until its attempts are used up (30 s, then 1 min), her question behind it
    desk.later(30)
    desk.later(60)
    assert desk.blinger_refused() == MAX_ATTEMPTS
    stored = load_message(photo.pk, photo.sk)
    assert (stored.status, stored.reason, stored.attempts) == (FAILED, "Blinger answered 400", MAX_ATTEMPTS)
    # THEN after the visibility timeout SQS moves it to the dead-letter queue, with the question
    # behind it (a user's order holds), both stored as failed with the reason; never tried again
    desk.later(QUEUE_VISIBILITY)
    assert desk.counts("OutboxQueue") == (0, 0)
    assert desk.counts("OutboxDeadLetterQueue") == (2, 0)
    held = load_message(behind.pk, behind.sk)
    assert (held.status, held.reason) == (FAILED, "not tried: an earlier message to this user failed")
    desk.later(24 * 60 * 60)
    assert desk.blinger_refused() == MAX_ATTEMPTS
    assert f"tg-{ANNA}" not in desk.blinger_received()

    # WHEN the cause is fixed (the photo copied to the attachments bucket) and they are redriven
    bucket = desk.model.buckets["AttachmentsBucket"]
    client("s3", desk.endpoint).put_object(Bucket=bucket, Key="photos/1.jpg", Body=b"\xff\xd8photo")
    stored.parts[0].file_url, stored.parts[0].file_key = None, "photos/1.jpg"
    stored.save()
    assert outbox.redrive_dead_letters(get_config(), desk.url("OutboxDeadLetterQueue")) == 2
    assert load_message(photo.pk, photo.sk).status == QUEUED
    desk.run()
    # THEN each is delivered once, in order (the photo as a link to the bucket), stored as sent
    link, question = desk.blinger_received()[f"tg-{ANNA}"]
    assert f"/{bucket}/photos/1.jpg?" in link
    assert question == "Анна: а где фото?"
    for item in (photo, behind):
        assert (load_message(item.pk, item.sk).status, load_message(item.pk, item.sk).reason) == (SENT, None)
    assert desk.counts("OutboxQueue") == desk.counts("OutboxDeadLetterQueue") == (0, 0)
