"""Broadcasts: the admin API, the audience (page by page, a page size of 10), the test send, a
schedule, cancel, progress, Telegram's 403 and 429, pacing on an injected clock, and at most once
per recipient when the function is killed between sending and recording."""

from __future__ import annotations

import contextlib

import pytest

from supportbot import metrics
from supportbot.storage.sessions import AUDIENCES, SessionItem, load_session, mark_bot_blocked
from tests.emf import Capture
from tests.functional.admin.conftest import ADMIN_KEY, AdminClient
from tests.functional.conftest import reset_singletons
from tests.functional.support.order_events_harness import START

PAGE = 10
TEXT = "<b>Скидки</b> до 30 % на чайники"


@pytest.fixture
def admin(shop, desk, atomic_aws, monkeypatch):
    """The admin API beside the business system's fixtures; moto made atomic, since the
    notifications function runs a batch's jobs in threads."""
    from functions.admin import app

    monkeypatch.setenv("ADMIN_API_KEY", ADMIN_KEY)
    monkeypatch.setenv("BROADCAST_PAGE_SIZE", str(PAGE))
    reset_singletons()
    return AdminClient(app, desk.queue_url)


def people(
    harness, count: int, start: int, user_type: str = "customer", language: str = "ru", **extra
) -> list[int]:
    """``count`` users who logged in (their sessions as the pipeline saves them) and opened the bot."""
    ids = []
    for n in range(count):
        user_id = start + n
        harness.world.add_user(user_id, first_name=f"U{user_id}", language_code=language)
        item = SessionItem(
            user_id, language=language, phone=f"+7900{user_id:07d}"[-12:], audience=AUDIENCES[user_type]
        )
        item.auth = {"t": f"t{user_id}", "k": user_type}  # the phone is the item's own (p), as saved
        for name, value in extra.items():
            setattr(item, name, value)
        item.save()
        ids.append(user_id)
    return ids


def got(harness, user_id: int) -> list[str]:
    return [m.text for m in harness.world.bot_messages(user_id)]


def run(shop, admin, broadcast_id: str, rounds: int = 50) -> dict:
    for _ in range(rounds):
        shop.run_jobs()
        status, view = admin.call("GET", f"/broadcasts/{broadcast_id}")
        assert status == 200
        if view["status"] in ("done", "cancelled") and view["waiting"] == 0:
            return view
        shop.later(2)  # jobs held back come back when their visibility ends
    raise AssertionError(f"broadcast never finished: {view}")


def test_a_broadcast_reaches_its_audience_once_each(shop, admin, harness):
    ru = people(harness, 23, 200000000)
    en = people(harness, 4, 210000000, language="en")
    partners = people(harness, 3, 220000000, user_type="partner")
    quiet = people(harness, 2, 230000000, notifications_off=True)
    blocked = people(harness, 1, 240000000)
    mark_bot_blocked(blocked[0])
    button = {"text": "В магазин", "url": "https://shop.example/sale"}
    status, created = admin.call(
        "POST",
        "/broadcasts",
        {"text": TEXT, "audience": {"user_type": "customer", "language": "ru"}, "button": button},
    )
    assert status == 201
    # answered at once: nothing sent yet, it is running
    status, view = admin.call("GET", f"/broadcasts/{created['id']}")
    assert (view["status"], view["sent"], view["waiting"]) == ("running", 0, 0)
    view = run(shop, admin, created["id"])
    assert {k: view[k] for k in ("status", "sent", "blocked", "failed", "waiting", "cancelled")} == {
        "status": "done",
        "sent": 23,
        "blocked": 1,
        "failed": 0,
        "waiting": 0,
        "cancelled": 0,
    }
    for user_id in ru:
        assert got(harness, user_id) == ["Скидки до 30 % на чайники"]
        message = harness.world.bot_messages(user_id)[0]
        assert message.inline_markup == {
            "inline_keyboard": [[{"text": "В магазин", "url": "https://shop.example/sale"}]]
        }
    for user_id in [*en, *partners, *quiet, *blocked]:
        assert got(harness, user_id) == []


def test_everyone_logged_in_and_by_language(shop, admin, harness):
    customers = people(harness, 12, 200000000, language="en")
    partners = people(harness, 11, 220000000, user_type="partner", language="en")
    russians = people(harness, 2, 230000000, user_type="partner")
    _, everyone = admin.call("POST", "/broadcasts", {"text": "Hello"})
    assert run(shop, admin, everyone["id"])["sent"] == 25
    shop.later(1)
    _, english = admin.call("POST", "/broadcasts", {"text": "News", "audience": {"language": "en"}})
    assert run(shop, admin, english["id"])["sent"] == 23
    assert got(harness, customers[0]) == got(harness, partners[-1]) == ["Hello", "News"]
    assert got(harness, russians[0]) == ["Hello"]
    # the list, newest first, a page at a time
    status, page = admin.call("GET", "/broadcasts?limit=1")
    assert status == 200
    assert [b["id"] for b in page["broadcasts"]] == [english["id"]]
    _, rest = admin.call("GET", f"/broadcasts?limit=1&cursor={page['next_cursor']}")
    assert [b["id"] for b in rest["broadcasts"]] == [everyone["id"]]
    assert rest["next_cursor"] is None  # the last page says so
    assert admin.call("GET", "/broadcasts?cursor=e30.bad")[0] == 400


def test_a_test_send_goes_to_that_chat_only(shop, admin, harness):
    audience = people(harness, 3, 200000000)
    tester = people(harness, 1, 290000000, user_type="partner")[0]
    _, created = admin.call(
        "POST",
        "/broadcasts",
        {"text": TEXT, "test_chat_id": tester, "photo_url": "https://shop.example/a.jpg"},
    )
    view = run(shop, admin, created["id"])
    assert (view["sent"], view["test_chat_id"]) == (1, tester)
    photo = harness.world.bot_messages(tester)[0]
    assert photo.photo is not None
    assert all(got(harness, user_id) == [] for user_id in audience)


def test_a_scheduled_broadcast_waits_for_its_time_and_can_be_cancelled(shop, admin, harness):
    users = people(harness, 5, 200000000)
    start = shop.clock.now + 3600
    from datetime import UTC, datetime

    at = datetime.fromtimestamp(start, UTC).isoformat()
    _, later = admin.call("POST", "/broadcasts", {"text": "Later", "start_at": at})
    _, cancelled = admin.call("POST", "/broadcasts", {"text": "Never", "start_at": at})
    shop.run_jobs()
    assert admin.call("GET", f"/broadcasts/{later['id']}")[1]["status"] == "scheduled"
    status, view = admin.call("POST", f"/broadcasts/{cancelled['id']}/cancel")
    assert (status, view["status"]) == (200, "cancelled")
    assert admin.call("POST", f"/broadcasts/{cancelled['id']}/cancel")[0] == 409
    shop.later(3600)
    assert run(shop, admin, later["id"])["sent"] == 5
    assert admin.call("GET", f"/broadcasts/{cancelled['id']}")[1]["sent"] == 0
    assert all(got(harness, user_id) == ["Later"] for user_id in users)


def test_cancel_stops_the_sends_not_yet_made(shop, admin, harness):
    users = people(harness, 15, 200000000)
    _, created = admin.call("POST", "/broadcasts", {"text": "Sale"})
    # the fan-out runs (the sends are queued), then the admin cancels
    import boto3

    sqs = boto3.client("sqs")
    first = sqs.receive_message(QueueUrl=shop.queue_url, MaxNumberOfMessages=1)["Messages"]
    shop.notifications.lambda_handler({"Records": [_record(first[0])]}, shop.lambda_context)
    sqs.delete_message(QueueUrl=shop.queue_url, ReceiptHandle=first[0]["ReceiptHandle"])
    admin.call("POST", f"/broadcasts/{created['id']}/cancel")
    view = run(shop, admin, created["id"])
    assert view["status"] == "cancelled"
    assert view["sent"] == 0
    assert view["cancelled"] == PAGE  # the first page was fanned out, the rest never was
    assert all(got(harness, user_id) == [] for user_id in users)


def _record(message):
    from tests.functional.support.order_events_harness import _record as record

    return record(message)


def test_telegram_refusals_blocked_and_failed(shop, admin, harness, capsys):
    users = people(harness, 3, 200000000)
    harness.world.block(users[0])
    emf = Capture(capsys)
    _, created = admin.call("POST", "/broadcasts", {"text": "Hi"})
    view = run(shop, admin, created["id"])
    assert (view["sent"], view["blocked"]) == (2, 1)
    # each send is counted by its outcome
    counts = emf.counts()
    assert {k: v for k, v in counts.items() if k[0] == metrics.BROADCAST_SENDS} == {
        (metrics.BROADCAST_SENDS, "sent"): 2,
        (metrics.BROADCAST_SENDS, "blocked"): 1,
    }
    # the user is marked blocked for the outbox too
    assert load_session(users[0]).bot_blocked_at is not None


def test_bad_requests_are_refused_naming_the_field(admin):
    for body, field, expected in [
        # What Telegram would refuse: valid by the document, a rule it cannot state (400)
        ({"text": "<b>open"}, "text", 400),
        ({"text": "x" * 4097}, "text", 400),
        ({"text": "x" * 1025, "photo_url": "https://shop.example/a.jpg"}, "text", 400),
        ({"text": "   "}, "text", 400),
        ({"text": "Hi", "audience": {"user_type": "guest"}}, "audience", 422),
        ({"text": "Hi", "button": {"text": "Go", "url": "javascript:alert(1)"}}, "button", 422),
        ({"text": "Hi", "start_at": "2026-12-01T10:00:00"}, "start_at", 422),
    ]:
        status, answer = admin.call("POST", "/broadcasts", body)
        assert status == expected, body
        assert field in str(answer["detail"]), (body, answer)
    assert admin.call("GET", "/broadcasts/20260101000000-abcdef")[0] == 404
    assert admin.call("POST", "/broadcasts/20260101000000-abcdef/cancel")[0] == 404
    assert admin.call("GET", "/broadcasts?cursor=garbage")[0] == 400  # not a cursor this list gave


class Killed(BaseException):
    """The function's instance dies (a timeout, a crash): nothing after this point runs."""


def test_at_most_once_when_killed_between_sending_and_recording(shop, admin, harness, monkeypatch):
    from supportbot.notifications import broadcasts

    users = people(harness, 12, 200000000)
    record = broadcasts.BroadcastSender._record
    kills = []

    def killed_once(item, recipient, was, outcome, reason):
        if outcome == broadcasts.SENT and not kills:
            kills.append(int(recipient.user_id))
            raise Killed
        return record(item, recipient, was, outcome, reason)

    monkeypatch.setattr(broadcasts.BroadcastSender, "_record", staticmethod(killed_once))
    _, created = admin.call("POST", "/broadcasts", {"text": "Once"})
    for _ in range(30):
        # a killed batch is never acknowledged: SQS gives it again after the visibility timeout
        with contextlib.suppress(Killed):
            shop.run_jobs()
        shop.later(200)
    _, view = admin.call("GET", f"/broadcasts/{created['id']}")
    # THEN every recipient got it exactly once, the one killed mid-way included (not sent again)
    assert [len(got(harness, user_id)) for user_id in users] == [1] * 12
    assert (view["status"], view["sent"], view["failed"], view["waiting"]) == ("done", 11, 1, 0)
    from supportbot.notifications.store import RecipientItem, broadcast_key, recipient_key

    lost = RecipientItem.get(broadcast_key(created["id"]), recipient_key(kills[0]))
    assert (lost.status, lost.reason) == ("failed", broadcasts.INTERRUPTED)


@pytest.mark.pacing
def test_paced_at_25_a_second_and_429s_retry_after_honoured(shop, admin, harness, monkeypatch):
    # one job at a time: on the injected clock, threads sleeping at once would each move it on
    monkeypatch.setattr(shop.notifications, "PARALLEL", 1)
    users = people(harness, 120, 200000000)
    # Telegram answers one send with 429 "retry after 7"
    harness.world.fail_next("sendMessage", 429, retry_after=7)
    _, created = admin.call("POST", "/broadcasts", {"text": "Paced"})
    view = run(shop, admin, created["id"], rounds=500)
    assert view["sent"] == 120
    sent = [call for call in harness.world.calls_to("sendMessage") if call.status == 200]
    assert len(sent) == 120
    dates = sorted(harness.world.bot_messages(user_id)[0].date for user_id in users)
    per_second = {}
    for date in dates:
        per_second[date] = per_second.get(date, 0) + 1
    # the bot-wide bucket: 25 a second less a tenth, never the sandbox's 30 (no 429 but the injected one)
    assert max(per_second.values()) <= 23
    refused = [call for call in harness.world.calls_to("sendMessage") if call.status == 429]
    assert len(refused) == 1
    # and the refused one went again only after its retry_after
    again = harness.world.bot_messages(int(refused[0].params["chat_id"]))[0]
    assert again.date >= int(START) + 7
    assert dates[-1] - dates[0] >= 120 / 25 - 1
