"""The stand-in's flood limits (infra/botapi/limits.py): Telegram's 429 with retry_after for sends
over a chat's, a group's or the bot's pace; nothing is sent then. And the outbox's pacing
(supportbot/pacing.py) run against them: what pacing books never meets a 429."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.botapi import World, dispatch, sandbox
from supportbot.pacing import Clock, Pacer, chat_rate, chat_scope

TOKEN = "123456:TEST-TOKEN"
ANN, BORIS = 1001, 1002
GROUP = -1001234567890


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime()


@pytest.fixture
def world(clock: FakeTime) -> World:
    w = World(token=TOKEN, clock=clock)
    for user_id in (ANN, BORIS):
        w.add_user(user_id)
    w.add_group(GROUP, "Склад", members=(ANN,))
    return w


def send(world: World, chat_id: int, text: str = "hi", method: str = "sendMessage", **params) -> dict:
    params = {"chat_id": chat_id, **({"text": text} if method == "sendMessage" else {}), **params}
    reply = dispatch(world, TOKEN, method, params)
    return {"status": reply.status, **reply.body}


def album(world: World, chat_id: int, photos: int) -> dict:
    media = [{"type": "photo", "media": world.store_file(b"p", "photo").file_id} for _ in range(photos)]
    return send(world, chat_id, method="sendMediaGroup", media=media)


def test_a_private_chat_takes_five_messages_in_any_five_seconds(world, clock):
    assert [send(world, ANN)["status"] for _ in range(5)] == [200] * 5
    refused = send(world, ANN, "sixth")
    assert refused == {
        "status": 429,
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 5",
        "parameters": {"retry_after": 5},
    }
    assert [m.text for m in world.bot_messages(ANN)] == ["hi"] * 5  # the refused one was not sent
    # another chat is not held up by Ann's
    assert send(world, BORIS)["status"] == 200
    clock.now += 4.9
    assert send(world, ANN)["status"] == 429
    clock.now += 0.1
    assert send(world, ANN, "sixth")["status"] == 200


def test_a_group_takes_twenty_messages_a_minute(world, clock):
    for n in range(20):
        assert send(world, GROUP, f"#{n}")["status"] == 200
        clock.now += 1
    refused = send(world, GROUP)
    assert (refused["status"], refused["parameters"]["retry_after"]) == (429, 40)
    clock.now += 40
    assert send(world, GROUP)["status"] == 200


def test_the_bot_sends_at_most_thirty_messages_a_second_in_all(world, clock):
    users = [world.add_user(5000 + n).id for n in range(31)]
    statuses = [send(world, user_id)["status"] for user_id in users]
    assert statuses == [200] * 30 + [429]
    clock.now += 1
    assert send(world, users[-1])["status"] == 200


def test_an_album_counts_as_its_messages_and_a_big_one_needs_an_empty_window(world, clock):
    assert send(world, ANN)["status"] == 200
    assert album(world, ANN, 4)["status"] == 200  # 1 + 4 = 5
    assert send(world, ANN)["status"] == 429
    clock.now += 5
    assert album(world, ANN, 10)["status"] == 200  # larger than the window: only into an empty one
    clock.now += 4
    refused = album(world, ANN, 2)
    assert (refused["status"], refused["parameters"]["retry_after"]) == (429, 1)


def test_edits_answers_and_chat_actions_are_not_counted(world, clock):
    for _ in range(5):
        send(world, ANN)
    last = world.last_bot_message(ANN).message_id
    assert send(world, ANN, method="sendChatAction", action="typing")["status"] == 200
    edited = dispatch(world, TOKEN, "editMessageText", {"chat_id": ANN, "message_id": last, "text": "new"})
    assert edited.status == 200


def test_the_limits_can_be_turned_off_for_tests_not_about_them(clock):
    world = World(token=TOKEN, clock=clock, rate_limits=False)
    world.add_user(ANN)
    assert {send(world, ANN)["status"] for _ in range(50)} == {200}


def test_the_web_chat_is_told_of_the_429s_of_its_chat(world, clock):
    for _ in range(7):
        send(world, ANN)
    send(world, BORIS)
    status, answer = sandbox.handle(world, "GET", f"chats/{ANN}/messages", {}, {})
    assert status == 200
    assert answer["rate_limited_count"] == 2
    assert [(r["method"], r["retry_after"]) for r in answer["rate_limited"]] == [("sendMessage", 5)] * 2
    assert sandbox.handle(world, "GET", f"chats/{BORIS}/messages", {}, {})[1]["rate_limited_count"] == 0


EXAMPLES = iter(range(1, 10**6))


@pytest.mark.pacing
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([ANN, GROUP]),
            st.sampled_from([1, 1, 1, 2, 3, 10]),  # one message, or an album of that many photos
            st.floats(min_value=0, max_value=8),  # seconds since the previous one was booked
        ),
        min_size=1,
        max_size=30,
    )
)
def test_what_pacing_books_never_meets_a_429(aws, sends):
    # GIVEN the outbox's pacer and Telegram's flood limits on one simulated clock
    now = FakeTime()
    now.now += next(EXAMPLES) * 86_400  # the buckets of earlier examples have long refilled
    world = World(token=TOKEN, clock=now)
    world.add_user(ANN)
    world.add_group(GROUP, "Склад")
    pacer = Pacer(Clock(now=now))
    due: list[tuple[float, int, int]] = []
    for chat_id, count, gap in sends:
        now.now += gap
        due.append((now.now + pacer.book(chat_scope(chat_id), chat_rate(chat_id), count), chat_id, count))
    # WHEN every send goes out at the time it was booked for
    for at, chat_id, count in sorted(due, key=lambda booked: booked[0]):
        now.now = at
        answer = send(world, chat_id) if count == 1 else album(world, chat_id, count)
        # THEN Telegram accepts every one
        assert answer["status"] == 200, answer
    assert len(world.bot_messages(GROUP)) == sum(count for chat_id, count, _ in sends if chat_id == GROUP)
