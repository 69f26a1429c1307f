"""Bans in the bot: while a customer is banned, what they send to support is stored in their
conversation (the inbox shows it) and never reaches the desk; they are told once per ban; a ban
runs out by itself or ends with an unban. ``bans.ban``/``unban`` are what an operator's button
and the desk's command call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from infra.demo import CUSTOMER_PHONE
from supportbot.support import bans
from supportbot.support.messages import BANNED, BLINGER, SENT, user_messages

ANN = 100000001
ASK = "💬 Ask a question"
SENT_TEXT = "✅ Sent to support. The answer will come to this chat."
TOLD = "⛔ Support has paused your messages until "
PHOTO = b"\xff\xd8\xff\xe0" + b"kettle photo" * 40


@pytest.fixture
def ann(harness, desk):
    # GIVEN Ann, a logged-in customer who wrote to support once (delivered)
    ann = harness.user(ANN, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    ann.tap(ASK)
    assert ann.send("Where is my order?").text == SENT_TEXT
    assert desk.run_outbox() == 1
    return ann


def desk_texts(desk) -> list[str]:
    return [m.data for m in desk.blinger.conversation(f"tg-{ANN}").messages]


def bot_texts(harness) -> list[str]:
    return [m.text for m in harness.world.bot_messages(ANN)]


def test_a_banned_customer_is_told_once_and_her_messages_are_kept_not_sent(harness, desk, ann):
    # WHEN an operator bans Ann for 24 hours
    ban = bans.ban(ANN, 24, "op-000000000001", "Olga")
    before = len(bot_texts(harness))
    # AND she writes three times, a photo among them
    reply = ann.send("Hello?")
    harness.deliver(harness.world.user_sends_photo(ANN, PHOTO, caption="Look"))
    ann.send("HELLO!!")
    # THEN she was told once, with the ban's end on the business's clock, and the dialog's buttons
    until = ban.until.astimezone(ZoneInfo("Europe/Moscow")).strftime("%d.%m.%Y %H:%M")
    assert reply.text == f"{TOLD}{until}. What you write is kept, but there will be no answer before then."
    assert ann.labels(reply) == ["✖️ End dialog", "🏠 Main menu"]
    assert len(bot_texts(harness)) == before + 1
    # AND the desk got nothing more
    assert desk.run_outbox() == 0
    assert desk_texts(desk) == ["Where is my order?"]
    # AND every message is stored, in her one conversation, marked banned
    stored = user_messages(ANN)
    assert [(m.destination, m.status) for m in stored] == [(BLINGER, SENT)] + [(BLINGER, BANNED)] * 3
    assert len({int(m.conversation) for m in stored}) == 1
    assert [p.kind for p in stored[2].parts] == ["image", "text"]
    assert bans.active(ANN).told is not None


def test_told_once_per_ban_and_again_only_for_the_message_that_was_told(aws):
    first, second = bans.ban(ANN, 1, "op-000000000001", "Olga"), bans.active(ANN)
    assert bans.tell_once(first, f"tg:{ANN}:10")
    # The same message's handler run again (a lost session race): told again, the same words
    assert bans.tell_once(bans.active(ANN), f"tg:{ANN}:10")
    # Any other message: not told, even through a copy read before the first was told
    assert not bans.tell_once(bans.active(ANN), f"tg:{ANN}:11")
    assert not bans.tell_once(second, f"tg:{ANN}:11")
    # A copy of a ban replaced meanwhile tells nothing: the new ban tells on its own first message
    stale = bans.active(ANN)
    bans.ban(ANN, 2, "op-000000000001", "Olga")
    stale.told = None
    assert not bans.tell_once(stale, f"tg:{ANN}:12")
    assert bans.tell_once(bans.active(ANN), f"tg:{ANN}:13")


def test_an_album_held_back_is_one_message_and_one_notice(harness, desk, ann):
    bans.ban(ANN, 1, "op-000000000001", "Olga")
    before = len(bot_texts(harness))
    for n in range(3):
        harness.deliver(harness.world.user_sends_photo(ANN, PHOTO + bytes([n]), media_group_id="alb"))
    assert [t[: len(TOLD)] for t in bot_texts(harness)[before:]] == [TOLD]
    album = user_messages(ANN)[-1]
    assert (album.status, [p.kind for p in album.parts]) == (BANNED, ["image", "image", "image"])
    assert desk.run_outbox() == 0


def test_an_edit_while_banned_is_kept_from_the_desk_too(harness, desk, ann):
    sent = harness.world.user_sends_text(ANN, "My order is 10234")
    harness.deliver(sent)
    desk.run_outbox()
    bans.ban(ANN, 1, "op-000000000001", "Olga")
    harness.deliver(harness.world.user_edits_text(ANN, sent["message"]["message_id"], "My order is 10243"))
    assert desk.run_outbox() == 0
    assert desk_texts(desk) == ["Where is my order?", "My order is 10234"]
    assert user_messages(ANN)[-1].status == BANNED


def test_a_new_ban_tells_her_again(harness, desk, ann):
    bans.ban(ANN, 1, "op-000000000001", "Olga")
    assert ann.send("one").text.startswith(TOLD)
    bans.ban(ANN, 48, "op-000000000001", "Olga")  # replaced: a ban of its own
    assert ann.send("two").text.startswith(TOLD)


def test_a_ban_runs_out_by_itself(harness, desk, ann):
    # GIVEN a ban of 2 hours set 3 hours ago
    bans.ban(ANN, 2, "op-000000000001", "Olga", now=datetime.now(UTC) - timedelta(hours=3))
    assert bans.active(ANN) is None
    # THEN her messages reach the desk as before
    assert ann.send("Still there?").text == SENT_TEXT
    assert desk.run_outbox() == 1
    assert desk_texts(desk) == ["Where is my order?", "Still there?"]
    # AND on an injected clock, a ban is in force up to its end, not after
    ban = bans.ban(ANN, 5, "op-000000000001", "Olga")
    assert bans.active(ANN, now=ban.until - timedelta(seconds=1)) is not None
    assert bans.active(ANN, now=ban.until) is None
    assert not bans.unban(ANN, now=ban.until)  # nothing in force then to end


def test_unban_ends_it_and_the_held_back_messages_stay_kept_not_sent(harness, desk, ann):
    bans.ban(ANN, 24, "op-000000000001", "Olga")
    ann.send("Held back")
    # WHEN an operator unbans her
    assert bans.unban(ANN)
    assert bans.active(ANN) is None
    assert not bans.unban(ANN)  # again: none in force
    # THEN her next message goes to the desk, and only that one
    assert ann.send("Now?").text == SENT_TEXT
    assert desk.run_outbox() == 1
    assert desk_texts(desk) == ["Where is my order?", "Now?"]
    assert [m.status for m in user_messages(ANN)] == [SENT, BANNED, SENT]


@pytest.mark.parametrize("hours", [0, -1, bans.MAX_HOURS + 1])
def test_a_ban_lasts_at_least_an_hour_and_at_most_a_year(aws, hours):
    with pytest.raises(ValueError, match="a ban lasts 1 to 8760 hours"):
        bans.ban(ANN, hours, "op-000000000001", "Olga")
    assert bans.active(ANN) is None


def test_a_message_held_back_by_a_ban_does_not_start_a_wait_for_an_answer(harness, desk, ann):
    from supportbot.support.answer_time import waiting_since

    # GIVEN Ann's question answered by the operator: nothing of hers waits
    assert desk.forward(desk.blinger.reply(f"tg-{ANN}", "text", "Tomorrow"))[0] == 200
    assert waiting_since(ANN) is None
    # WHEN she is banned and writes: the desk never gets it, so nobody waits on it
    bans.ban(ANN, 24, "op-000000000001", "Olga")
    ann.send("Hello?")
    assert waiting_since(ANN) is None
    # AND once unbanned, her next message is what waits (from its own time, not the banned one's)
    bans.unban(ANN)
    ann.send("Are you there?")
    waiting = [m for m in user_messages(ANN) if m.destination == BLINGER and m.status != BANNED]
    assert waiting_since(ANN) == waiting[-1].created_at
