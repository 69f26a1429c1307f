"""Updates of one user arriving out of order: Telegram hands updates to parallel webhook
connections, so a message can arrive after a newer one was handled. It is handled then, in the
session's current state, as a chat would; a re-delivery of an update handled already is not."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import boto3
import pytest

from infra.demo import CUSTOMER_PHONE
from supportbot.storage.sessions import KEPT, load_session
from supportbot.support.messages import user_messages
from tests.functional.support.conftest import BUCKET

ANN = 100000001
PHOTO = b"\xff\xd8\xff\xe0" + b"kettle photo" * 40


@pytest.fixture
def ann(harness, desk):
    # GIVEN Ann, a logged-in customer, in the dialog with support
    ann = harness.user(ANN, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    ann.tap("💬 Ask a question")
    return ann


def posted_texts(desk) -> list[str]:
    desk.run_outbox()
    return [m.data for m in desk.blinger.conversation("tg-100000001").messages]


def posted_photos(desk) -> list[bytes]:
    desk.run_outbox()
    s3 = boto3.client("s3")
    return [
        s3.get_object(Bucket=BUCKET, Key=unquote(urlsplit(m.data).path.lstrip("/")))["Body"].read()
        for m in desk.blinger.conversation("tg-100000001").messages
    ]


def test_a_message_arriving_after_a_newer_one_reaches_support(harness, desk, ann):
    # GIVEN two messages, the first held back on its connection
    first = harness.world.user_sends_text(ANN, "My order is late")
    second = harness.world.user_sends_text(ANN, "It is №10265")
    # WHEN the second is delivered first, then the first
    harness.deliver(second)
    harness.deliver(first)
    # THEN both reach support, in the order they were handled
    assert posted_texts(desk) == ["It is №10265", "My order is late"]
    # AND the session's newest update is still the second
    assert load_session(ANN).last_update_id == second["update_id"]


def test_a_late_update_redelivered_is_handled_once(harness, desk, ann):
    first = harness.world.user_sends_text(ANN, "My order is late")
    second = harness.world.user_sends_text(ANN, "It is №10265")
    # WHEN Telegram delivers the second, the first, then both again (their answers were lost)
    for update in (second, first, second, first):
        harness.deliver(update)
    # THEN each reached support once
    assert posted_texts(desk) == ["It is №10265", "My order is late"]
    assert len(user_messages(ANN)) == 2


def test_album_parts_arriving_out_of_order_are_all_stored(harness, desk, ann):
    # GIVEN an album of three photos, one update each
    photos = [PHOTO + bytes([n]) for n in range(3)]
    parts = [harness.world.user_sends_photo(ANN, photo, media_group_id="alb1") for photo in photos]
    # WHEN the last part is delivered first and the others after it
    for update in (parts[2], parts[0], parts[1]):
        harness.deliver(update)
    # THEN every photo reaches support, once
    assert sorted(posted_photos(desk)) == sorted(photos)


def test_on_a_busy_bot_a_late_message_after_many_other_users_updates_reaches_support(harness, desk, ann):
    # GIVEN Ann's message, held back on its connection
    late = harness.world.user_sends_text(ANN, "My order is late")
    # AND, while it is, other customers writing: thousands of bot-wide update ids
    bob = harness.user(ANN + 1, language="en", first_name="Bob")
    bob.send("/start")
    next_id, next_update_id = harness.world.counters()
    harness.world.continue_counters(next_id, next_update_id + 10_000)
    bob.send("/start")
    # AND Ann's next message, delivered first
    newer = harness.world.user_sends_text(ANN, "It is №10265")
    harness.deliver(newer)
    assert newer["update_id"] - late["update_id"] > 10_000
    # WHEN the late one arrives
    harness.deliver(late)
    # THEN it reaches support, once, however often Telegram delivers either again
    harness.deliver(late)
    harness.deliver(newer)
    assert posted_texts(desk) == ["It is №10265", "My order is late"]
    assert len(user_messages(ANN)) == 2


def test_an_update_older_than_the_users_kept_ones_counts_as_handled(harness, desk, ann):
    # GIVEN an update of Ann's held back, and her next KEPT messages handled before it
    old = harness.world.user_sends_text(ANN, "My order is late")
    for n in range(KEPT):
        harness.deliver(harness.world.user_sends_text(ANN, f"Message {n}"))
    saved = load_session(ANN)
    assert len(saved.kept()) == KEPT
    # WHEN it arrives, older than every update the window keeps
    harness.deliver(old)
    # THEN it is taken as a re-delivery (the window cannot tell): nothing stored, nothing saved
    assert "My order is late" not in posted_texts(desk)
    assert load_session(ANN).version == saved.version
