"""Anti-spam: past SPAM_LIMIT_PER_MINUTE messages a minute the customer is asked once to slow
down; every message of the burst is stored and reaches the desk, in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infra.demo import CUSTOMER_PHONE
from supportbot.support import spam
from supportbot.support.messages import BLINGER, user_messages
from tests.functional.conftest import reset_singletons

ANN = 100000001
ASK = "💬 Ask a question"
SENT = "✅ Sent to support. The answer will come to this chat."
SLOW = "🐢 You are writing very fast. Every message is kept and will reach support in order; please give operators a moment to read them."


@pytest.fixture
def limit_of_three(monkeypatch):
    monkeypatch.setenv("SPAM_LIMIT_PER_MINUTE", "3")
    reset_singletons()


def test_a_burst_is_stored_whole_delivered_in_order_and_told_once(harness, desk, limit_of_three):
    ann = harness.user(ANN, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    ann.tap(ASK)
    # WHEN Ann sends eight messages at once (the limit is three a minute)
    texts = [f"message {n}" for n in range(1, 9)]
    replies = [ann.send(text).text for text in texts]
    # THEN the fourth was asked to slow down and every other one confirmed as ever (the test's
    # minute may turn mid-burst: then a second minute's fourth is asked once more, at most)
    assert replies[:3] == [SENT] * 3
    assert replies[3] == SLOW
    assert replies.count(SLOW) in (1, 2)
    # AND all eight are stored and reach the desk, in order
    stored = [m.parts[0].text for m in user_messages(ANN) if m.destination == BLINGER]
    assert stored == texts
    assert desk.run_outbox() == 8
    assert [m.data for m in desk.blinger.conversation(f"tg-{ANN}").messages] == texts


def test_the_count_is_per_minute_and_a_rerun_of_the_same_message_counts_once(aws):
    minute = datetime(2026, 12, 2, 10, 0, 5, tzinfo=UTC)
    assert [spam.too_fast(ANN, n, 2, minute) for n in (1, 2, 2, 2)] == [False, False, False, False]
    # the third message is past the limit: told, and its re-run is told again (the same answer)
    assert spam.too_fast(ANN, 3, 2, minute)
    assert spam.too_fast(ANN, 3, 2, minute)
    assert not spam.too_fast(ANN, 4, 2, minute)
    # the next minute starts counting again; another customer has a count of their own
    assert not spam.too_fast(ANN, 5, 2, minute + timedelta(minutes=1))
    assert not spam.too_fast(ANN + 1, 6, 2, minute)
