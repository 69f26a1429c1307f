"""Abuse at the business system's order-event webhook: forged, stale and missing signatures,
malformed and huge bodies, replays, through the real handler. Nothing refused is acted on (no
event marker, no pending notification), nothing answers 5xx, and a replayed event is acted on once:
the customer gets one message per window, however often the system repeats itself."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from infra.demo import CUSTOMER_PHONE
from supportbot.security import signature_header
from supportbot.support.messages import MarkerItem
from tests.functional.support.order_events_harness import SECRET, WINDOW
from tests.reliability import figures
from tests.reliability.common import Tally
from tests.reliability.conftest import generated

ENTRY = "Business webhook"
ANN = 100000001
REFUSED = {400, 401, 403, 413}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def calls(draw, shop) -> tuple[str, bytes, str | None, str | None]:
    """(kind, raw body, X-Signature, the event id that must never be acted on or None)."""
    kind = draw(
        st.sampled_from(
            ["forged", "stale", "unsigned", "wrong secret", "junk", "huge", "malformed", "replay"]
        )
    )
    event_id = f"{kind}-{draw(st.integers(0, 10**9))}"
    body = shop.event(draw(st.sampled_from(["in_transit", "delivered", "x" * 300])), event_id=event_id)
    if kind == "malformed":
        field = draw(st.sampled_from(["customer", "order", "occurred_at", "type", "event_id"]))
        body[field] = draw(json_values)
        if field == "type" and body[field] in ("order.created", "order.updated"):
            body[field] = None
    raw = json.dumps(body, ensure_ascii=False).encode()
    if kind == "junk":
        raw = draw(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
    elif kind == "huge":
        raw = json.dumps({**body, "pad": "x" * 70_000}).encode()
    now = int(shop.clock.now)
    if kind == "replay":
        # the same event the system already sent, correctly signed: a duplicate, acted on once
        raw = json.dumps(shop.event("in_transit", event_id="evt-replayed")).encode()
        return kind, raw, signature_header(SECRET, raw, now), None
    signature = {
        "forged": f"t={now},v1={draw(st.text('0123456789abcdef', min_size=0, max_size=64))}",
        "stale": signature_header(SECRET, raw, now - draw(st.integers(301, 10**6))),
        "unsigned": None,
        "wrong secret": signature_header(draw(st.text(min_size=1, max_size=20)), raw, now),
        "junk": signature_header(SECRET, raw, now),
        "huge": signature_header(SECRET, raw, now),
        "malformed": signature_header(SECRET, raw, now),
    }[kind]
    if kind == "forged" and draw(st.booleans()):
        signature = draw(st.text(max_size=80))  # not even the header's shape
    return kind, raw, signature, event_id


def test_generated_calls(atomic_aws, harness, desk, shop, logs):
    ann = harness.user(ANN, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    first = json.dumps(shop.event("in_transit", event_id="evt-replayed")).encode()
    assert shop.post(first)[1]["delivered"] is True
    tally = Tally("abuse", ENTRY, logs)
    tally.phone(CUSTOMER_PHONE)
    refused_ids: list[str] = []
    unexpected: list[tuple[str, int, Any]] = []

    @generated()
    @given(call=calls(shop))
    def one_call(call):
        kind, raw, signature, event_id = call
        status, answer = shop.post(raw, header=signature if signature is not None else "", secret=None)
        tally.answered({"statusCode": status, "body": json.dumps(answer)})
        expected = {200} if kind == "replay" else REFUSED
        if status not in expected or (kind == "replay" and not answer.get("duplicate")):
            unexpected.append((kind, status, answer))
        if event_id is not None:
            refused_ids.append(event_id)

    one_call()
    acted = [i for i in refused_ids if MarkerItem.count(f"IN#biz:{i}") > 0]
    before = len(harness.world.bot_messages(ANN))
    shop.later(WINDOW + 1)
    shop.run_jobs()
    desk.run_outbox()
    told = [m.text for m in harness.world.bot_messages(ANN)[before:]]
    figures.count("abuse", ENTRY, "requests let through", len(acted))
    figures.count("abuse", ENTRY, "messages", len(told))
    errors = tally.unhandled()
    assert not unexpected, unexpected[:5]
    assert not acted, acted[:5]
    assert told == ["📦 Order №10234 is now: on the way"]  # the replayed event, once
    assert not errors, errors[:3]
    assert not tally.leaks()
