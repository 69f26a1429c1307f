"""Abuse and bad input at the Blinger webhook: wrong and missing secrets, wrong channel, unknown
client ids, schema-breaking bodies, and operator text full of HTML Telegram would reject, through
the real handler; then the outbox drains and every accepted operator text must have reached the
customer exactly as typed (escaped, not interpreted, not refused by Telegram).
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from hypothesis import given
from hypothesis import strategies as st

from infra.demo import CUSTOMER_PHONE
from supportbot.support.messages import CUSTOMER, SENT, user_messages
from tests.functional.support.conftest import BLINGER_CHANNEL, BLINGER_EVENTS_KEY, BLINGER_TOKEN
from tests.reliability import figures
from tests.reliability.common import Tally
from tests.reliability.conftest import generated

ENTRY = "Blinger webhook"
ANN = 100000001
CLIENT = "tg-100000001"
ACCEPTED = {200}
REFUSED = {400, 401, 403, 404, 413}

html_texts = st.sampled_from(
    [
        "<b>unclosed",
        "</i>",
        "<script>alert(1)</script>",
        "<a href='javascript:alert(1)'>x</a>",
        "&bogus; &amp &#xZZ; <<>>",
        "<tg-spoiler>",
        "<pre><code class='x'>",
        "a < b > c & d",
        "<b><i>nested</b></i>",
        "\u202e RTL \u200d",
        "😀" * 1000,
        "я" * 3900,
    ]
)
texts = st.one_of(html_texts, st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=200))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def calls(draw) -> tuple[str, Any, dict[str, str], dict[str, str]]:
    """(what it is, body, headers, query) of one generated call."""
    kind = draw(st.sampled_from(["reply", "reply", "event", "junk", "huge"]))
    headers: dict[str, str] = {}
    query: dict[str, str] = {}
    auth = draw(
        st.sampled_from(["bearer", "body token", "key", "none", "wrong bearer", "wrong key", "empty"])
    )
    if auth == "bearer":
        headers["Authorization"] = f"Bearer {BLINGER_TOKEN}"
    elif auth == "wrong bearer":
        headers["Authorization"] = draw(st.sampled_from(["Bearer x", "Basic " + BLINGER_TOKEN, "Bearer", ""]))
    elif auth in ("key", "wrong key"):
        query["key"] = BLINGER_EVENTS_KEY if auth == "key" else draw(st.text(max_size=30))
    elif auth == "empty":
        query["key"] = ""
    if kind == "junk":
        return kind, draw(st.text(max_size=100) | json_values.map(json.dumps)), headers, query
    if kind == "huge":
        return kind, json.dumps({"type": "text", "data": "x" * 300_000}), headers, query
    if kind == "event":
        body: dict[str, Any] = {
            "webhook": draw(
                st.sampled_from(["on_conversation_assigned", "on_conversation_closed", "on_other"])
            ),
            "conversation": draw(
                st.sampled_from([{"id": 7, "from_user": {"service_user_id": CLIENT}}, {"id": "7"}, None])
                | json_values
            ),
            "operator": draw(st.sampled_from([{"name": "<b>Olga</b>"}, None, {"name": 5}])),
        }
        return kind, body, headers, query
    body = {
        "client_id": draw(
            st.sampled_from([CLIENT, CLIENT, "tg-1", "tg-abc", 100000001, True, None, ["x"], ""])
        ),
        "type": draw(st.sampled_from(["text", "text", "text", "image", "file", "video", 1])),
        "data": draw(texts | st.sampled_from(["https://example.com/a.jpg", "javascript:alert(1)", "", 5])),
    }
    channel = draw(st.sampled_from(["right", "right", "wrong", "missing", "number"]))
    if channel != "missing":
        body["custom_channel_id"] = {"right": BLINGER_CHANNEL, "wrong": "other", "number": 1}[channel]
    if auth == "body token":
        body["token"] = draw(st.sampled_from([BLINGER_TOKEN, BLINGER_TOKEN, "wrong"]))
    return kind, body, headers, query


def drain(desk) -> tuple[int, int]:
    """Run the outbox until empty (failures put back at once): (delivered, failed attempts)."""
    from supportbot.config import get_config
    from supportbot.support.destinations import Destinations
    from supportbot.support.outbox import OutboxConsumer, OutboxRecord
    from supportbot.telegram.client import get_bot

    sqs = boto3.client("sqs")
    config = get_config()
    consumer = OutboxConsumer(config, Destinations(config, get_bot(), album_settle=0), client=sqs)
    delivered = failed = 0
    for _ in range(1000):
        messages = sqs.receive_message(
            QueueUrl=desk.queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            receive_count = int(message["Attributes"]["ApproximateReceiveCount"])
            try:
                consumer.handle(OutboxRecord(message["Body"], message["ReceiptHandle"], receive_count))
            except Exception:
                failed += 1
                if receive_count >= 3:
                    sqs.delete_message(QueueUrl=desk.queue_url, ReceiptHandle=message["ReceiptHandle"])
                continue
            sqs.delete_message(QueueUrl=desk.queue_url, ReceiptHandle=message["ReceiptHandle"])
            delivered += 1
    return delivered, failed


def test_generated_calls(harness, desk, logs):
    ann = harness.user(ANN, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    ann.tap("💬 Ask a question")
    ann.send("Where is my kettle?")
    drain(desk)
    tally = Tally("abuse", ENTRY, logs)
    accepted_texts: list[str] = []
    unexpected: list[tuple[str, int]] = []

    @generated()
    @given(call=calls())
    def one_call(call):
        kind, body, headers, query = call
        status, answer = desk.call_webhook(body, headers, query)
        tally.answered({"statusCode": status, "body": json.dumps(answer)})
        if status not in ACCEPTED | REFUSED:
            unexpected.append((kind, status))
        if status == 200 and isinstance(body, dict) and body.get("type") == "text" and "message_id" in answer:
            accepted_texts.append(body["data"])

    one_call()
    _, failed = drain(desk)
    to_ann = [m for m in user_messages(ANN, limit=10_000) if m.destination == CUSTOMER]
    lost = [m for m in to_ann if m.status != SENT]
    seen = {m.text for m in harness.world.bot_messages(ANN)}
    missing = [text for text in accepted_texts if f"💬 Support: {text}".strip() not in seen]
    figures.count("abuse", ENTRY, "messages", len(to_ann))
    figures.count("abuse", ENTRY, "messages lost", len(lost))
    errors = tally.unhandled()
    leaks = tally.leaks()
    assert not unexpected, unexpected[:5]
    assert not errors, errors[:3]
    assert not leaks, leaks
    assert not lost, [(m.reason, m.parts[0].text[:80]) for m in lost[:3]]
    assert not missing, [text[:80] for text in missing[:3]]
    assert failed == 0
