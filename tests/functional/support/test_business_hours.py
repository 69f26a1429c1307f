"""The schedule's edges: midnight, ranges across it, holidays, and DST (Europe/Berlin: Moscow has
none), on the wall clock of TIME_ZONE."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportbot.support.business_hours import Schedule, ScheduleError

BERLIN = ZoneInfo("Europe/Berlin")
MOSCOW = ZoneInfo("Europe/Moscow")


def at(tz, *fields):
    return datetime(*fields, tzinfo=tz)


def test_no_schedule_is_always_open_and_a_week_without_days_never_opens():
    assert Schedule.parse({}).is_open(datetime.now(UTC))
    closed = Schedule.parse({"week": {}})
    assert not closed.is_open(datetime.now(UTC), MOSCOW)
    assert closed.next_open(datetime.now(UTC), MOSCOW) is None


def test_a_range_across_midnight_belongs_to_the_day_it_starts_on():
    # Friday 2026-12-04 22:00 to Saturday 02:00, and nothing else
    schedule = Schedule.parse({"week": {"fri": [["22:00", "02:00"]]}})
    assert not schedule.is_open(at(MOSCOW, 2026, 12, 4, 21, 59), MOSCOW)
    assert schedule.is_open(at(MOSCOW, 2026, 12, 4, 22, 0), MOSCOW)
    assert schedule.is_open(at(MOSCOW, 2026, 12, 5, 0, 0), MOSCOW)  # midnight itself
    assert schedule.is_open(at(MOSCOW, 2026, 12, 5, 1, 59), MOSCOW)
    assert not schedule.is_open(at(MOSCOW, 2026, 12, 5, 2, 0), MOSCOW)  # the end is not open
    # Thursday night is not Friday's range
    assert not schedule.is_open(at(MOSCOW, 2026, 12, 4, 1, 0), MOSCOW)
    assert schedule.next_open(at(MOSCOW, 2026, 12, 5, 2, 0), MOSCOW) == at(MOSCOW, 2026, 12, 11, 22, 0)


def test_a_range_to_24_00_ends_at_midnight_and_the_next_day_may_go_on():
    schedule = Schedule.parse({"week": {"mon": [["18:00", "24:00"]], "tue": [["00:00", "03:00"]]}})
    assert schedule.is_open(at(MOSCOW, 2026, 12, 7, 23, 59), MOSCOW)
    assert schedule.is_open(at(MOSCOW, 2026, 12, 8, 0, 0), MOSCOW)
    assert not schedule.is_open(at(MOSCOW, 2026, 12, 8, 3, 0), MOSCOW)
    # a moment given in UTC is judged on Moscow's clock: 15:00 UTC is 18:00 in Moscow
    assert schedule.is_open(datetime(2026, 12, 7, 15, 0, tzinfo=UTC), MOSCOW)
    assert not schedule.is_open(datetime(2026, 12, 7, 14, 59, tzinfo=UTC), MOSCOW)


def test_a_holiday_closes_the_ranges_starting_that_day_and_the_next_opening_skips_it():
    schedule = Schedule.parse(
        {
            "week": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
            | {"thu": [["20:00", "02:00"]]},
            "holidays": ["2026-12-31", "2027-01-01"],
        }
    )
    # Wednesday 30th at 19:00: closed; Thursday 31st (a holiday) does not open, nor does Friday 1st
    assert schedule.next_open(at(MOSCOW, 2026, 12, 30, 19, 0), MOSCOW) == at(MOSCOW, 2027, 1, 4, 9, 0)
    assert not schedule.is_open(at(MOSCOW, 2026, 12, 31, 21, 0), MOSCOW)
    # Thursday 24th's night range runs into Friday 25th
    assert schedule.is_open(at(MOSCOW, 2026, 12, 25, 1, 0), MOSCOW)
    # open now: next_open is now
    now = at(MOSCOW, 2026, 12, 29, 10, 0)
    assert schedule.next_open(now, MOSCOW) == now


def test_berlin_s_dst_changes_keep_the_wall_clock():
    schedule = Schedule.parse({"week": {"mon": [["09:00", "18:00"]], "sun": [["01:00", "05:00"]]}})
    # 09:00 on the Mondays before and after the spring change (2026-03-29) is 08:00 then 07:00 UTC
    assert schedule.next_open(at(BERLIN, 2026, 3, 22, 12, 0), BERLIN).astimezone(UTC) == datetime(
        2026, 3, 23, 8, 0, tzinfo=UTC
    )
    assert schedule.next_open(at(BERLIN, 2026, 3, 29, 12, 0), BERLIN).astimezone(UTC) == datetime(
        2026, 3, 30, 7, 0, tzinfo=UTC
    )
    # Sunday 01:00-05:00 on the spring change is three hours long (02:00-03:00 does not exist) ...
    spring_open = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # 01:00 CET
    assert schedule.is_open(spring_open, BERLIN)
    assert schedule.is_open(spring_open + timedelta(hours=2, minutes=59), BERLIN)
    assert not schedule.is_open(spring_open + timedelta(hours=3), BERLIN)  # 05:00 CEST
    # ... and five on the autumn one (2026-10-25: 02:00-03:00 comes twice)
    autumn_open = datetime(2026, 10, 24, 23, 0, tzinfo=UTC)  # 01:00 CEST
    assert schedule.is_open(autumn_open + timedelta(hours=4, minutes=59), BERLIN)
    assert not schedule.is_open(autumn_open + timedelta(hours=5), BERLIN)  # 05:00 CET


def test_a_range_ending_in_the_spring_gap_ends_after_it():
    schedule = Schedule.parse({"week": {"sun": [["00:00", "02:30"]]}})
    # 02:30 does not exist on 2026-03-29 in Berlin: the range ends at 03:30 CEST (01:30 UTC)
    assert schedule.is_open(datetime(2026, 3, 29, 1, 29, tzinfo=UTC), BERLIN)
    assert not schedule.is_open(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), BERLIN)


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"week": []},
        {"week": {"mon": [[9, 18]]}},
        {"week": {"mon": [["09:00", "18:00"]] * 9}},
        {"holidays": [20261231]},
        {"holidays": ["2026-12-31T00:00"]},
    ],
)
def test_what_the_api_could_not_catch_is_refused_by_the_schedule_itself(body):
    with pytest.raises(ScheduleError):
        Schedule.parse(body)


# ---- the away message in the bot ----------------------------------------------------------------
ANN = 100000001
ASK = "💬 Ask a question"
SENT_TEXT = "✅ Sent to support. The answer will come to this chat."


def closed_today(zone=MOSCOW):
    """A schedule open one minute a week, on another weekday than today (no test runs into it)."""
    from supportbot.support import business_hours

    today = datetime.now(zone).weekday()
    day = business_hours.DAYS[(today + 3) % 7]
    return business_hours.save(Schedule.parse({"week": {day: [["09:00", "09:01"]]}}))


@pytest.mark.parametrize(
    ("language", "ask", "sent", "away"),
    [
        (
            "en",
            ASK,
            SENT_TEXT,
            "🌙 Sent to support, but operators are not at work now. They will be back on {back} (Europe/Moscow time), and the answer will come to this chat.",
        ),
        (
            "ru",
            "💬 Задать вопрос",
            "✅ Отправлено в поддержку. Ответ придёт в этот чат.",
            "🌙 Отправлено в поддержку, но сейчас операторы не работают. Они вернутся {back} (время Europe/Moscow), и ответ придёт в этот чат.",
        ),
    ],
)
def test_outside_the_hours_the_first_message_says_when_operators_are_back_and_still_reaches_the_desk(
    harness, desk, language, ask, sent, away
):
    from infra.demo import CUSTOMER_PHONE

    # GIVEN business hours that are closed now
    schedule = closed_today()
    back = schedule.next_open(datetime.now(UTC), MOSCOW).strftime("%d.%m.%Y %H:%M")
    ann = harness.user(ANN, language=language, first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    ann.tap(ask)
    # WHEN Ann writes twice
    first = ann.send("Where is my order?")
    second = ann.send("Hello?")
    # THEN the first is answered with when operators are back, in her language; the second as ever
    assert first.text == away.format(back=back)
    assert second.text == sent
    # AND both reached the desk, in order
    assert desk.run_outbox() == 2
    assert [m.data for m in desk.blinger.conversation(f"tg-{ANN}").messages] == [
        "Where is my order?",
        "Hello?",
    ]


def test_inside_the_hours_or_with_no_schedule_nothing_changes(harness, desk):
    from infra.demo import CUSTOMER_PHONE
    from supportbot.support import business_hours

    business_hours.save(Schedule.parse({"week": {day: [["00:00", "24:00"]] for day in business_hours.DAYS}}))
    ann = harness.user(ANN, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    ann.tap(ASK)
    assert ann.send("Where is my order?").text == SENT_TEXT
    business_hours.save(Schedule.parse({}))
    assert ann.send("And?").text == SENT_TEXT


def test_a_schedule_that_never_opens_says_so_without_a_time(harness, desk):
    from infra.demo import CUSTOMER_PHONE
    from supportbot.support import business_hours

    business_hours.save(Schedule.parse({"week": {}}))
    ann = harness.user(ANN, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    ann.tap(ASK)
    assert ann.send("Anyone?").text == (
        "🌙 Sent to support, but operators are not at work now. The answer will come to this chat when they are back."
    )
    assert desk.run_outbox() == 1
