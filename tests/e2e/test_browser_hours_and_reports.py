"""The admin page's business-hours editor and reports in Chromium, against the running local stack.

Business hours: a weekly schedule with a range across midnight and a holiday is saved as the API's
body, a bad time is refused naming the field with nothing saved, what was saved comes back after a
reload, and a schedule closed now makes the customer's first message of a conversation the away
message. The schedule is the deployment's one setting: every test leaves it always open (``{}``),
as the other browser tests expect.

Reports: after a customer's question is answered, closed and rated, the Reports tab shows the API's
figures, its four SVG charts drawn by the API (shown from blob: URLs, allowed by the page's CSP),
and downloads the CSV. The stack is shared with the other browser tests, so the figures are
compared with the API's own, not with constants (tests/functional/admin/test_admin_reports.py holds
the hand-computed fixture).

Screenshots to look at: ADMIN_SCREENSHOTS=<folder>.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import StackProcess

sync_api = pytest.importorskip("playwright.sync_api")
admin_page = pytest.importorskip("tests.e2e.test_browser_admin")

pytestmark = pytest.mark.slow

expect = sync_api.expect
AdminPage, AdminApi, shot = admin_page.AdminPage, admin_page.AdminApi, admin_page.shot
browser, context, chat, admin = admin_page.browser, admin_page.context, admin_page.chat, admin_page.admin
logged_in_customer = admin_page.logged_in_customer
PATH = "/settings/business-hours"
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
CHARTS = ["weeks", "hours", "weekdays", "ratings"]


@pytest.fixture
def hours(stack: StackProcess) -> Iterator[AdminApi]:
    """The admin API; the schedule always open before and after the test."""
    client = AdminApi(stack)
    client("PUT", PATH, {})
    yield client
    client("PUT", PATH, {})


def day(admin: AdminPage, name: str) -> Any:
    return admin.page.locator(f'[data-testid=hours-day][data-day="{name}"]')


def add_range(admin: AdminPage, name: str, start: str, end: str) -> None:
    row = day(admin, name)
    row.get_by_test_id("hours-range-add").click()
    range_ = row.get_by_test_id("hours-range").last
    range_.get_by_test_id("hours-start").fill(start)
    range_.get_by_test_id("hours-end").fill(end)


def open_editor(admin: AdminPage, sign_in: bool = True) -> None:
    if sign_in:
        admin.sign_in()
    admin.tab_hours.click()
    expect(admin.view_hours).to_be_visible()
    expect(admin.hours_day).to_have_count(7)  # the schedule read: the form is drawn from it


def test_a_week_with_a_night_range_and_a_holiday_is_saved_as_the_apis_body(
    admin: AdminPage, hours: AdminApi
) -> None:
    # GIVEN no schedule: the editor says always open, the week greyed out
    open_editor(admin)
    expect(admin.hours_always).to_be_checked()
    expect(day(admin, "mon").get_by_test_id("hours-range-add")).to_be_disabled()
    # WHEN the admin turns the schedule on: nothing set yet warns that it never opens
    admin.hours_always.uncheck()
    expect(admin.hours_never).to_be_visible()
    # AND sets weekdays 09:00-18:00, Friday night 22:00-02:00 too, and New Year's Eve as a holiday
    for name in DAYS[:5]:
        add_range(admin, name, "09:00", "18:00")
    add_range(admin, "fri", "22:00", "02:00")
    expect(admin.hours_never).to_be_hidden()
    expect(day(admin, "sat").get_by_test_id("hours-closed")).to_be_visible()
    expect(day(admin, "mon").get_by_test_id("hours-closed")).to_be_hidden()
    admin.hours_holiday_add.click()
    admin.hours_holiday_date.last.fill("2026-12-31")
    admin.hours_save.click()
    admin.saved()
    # THEN the API holds exactly that
    weekdays = {name: [["09:00", "18:00"]] for name in DAYS[:5]}
    expected = {
        "week": weekdays | {"fri": [["09:00", "18:00"], ["22:00", "02:00"]]},
        "holidays": ["2026-12-31"],
    }
    assert hours("GET", PATH) == expected
    shot(admin, "business-hours")
    # AND a reload (the key kept in the tab's session) shows it again
    admin.page.reload()
    open_editor(admin, sign_in=False)
    expect(admin.hours_always).not_to_be_checked()
    expect(day(admin, "fri").get_by_test_id("hours-range")).to_have_count(2)
    expect(day(admin, "fri").get_by_test_id("hours-end").last).to_have_value("02:00")
    expect(admin.hours_holiday_date).to_have_value("2026-12-31")
    # WHEN a range is removed and the holiday too THEN the save says so
    day(admin, "fri").get_by_test_id("hours-range-remove").last.click()
    admin.hours_holiday_remove.click()
    admin.hours_save.click()
    admin.saved()
    assert hours("GET", PATH) == {"week": weekdays, "holidays": []}
    # AND "always open" saves {} again
    admin.hours_always.check()
    admin.hours_save.click()
    admin.saved()
    assert hours("GET", PATH) == {}


def test_a_range_the_rules_refuse_is_marked_like_a_bad_time(admin: AdminPage, hours: AdminApi) -> None:
    # a start at 24:00 is a valid time (ends use it) but no range can start there: the API's 400
    open_editor(admin)
    admin.hours_always.uncheck()
    add_range(admin, "wed", "24:00", "02:00")
    admin.hours_save.click()
    expect(admin.error_banner).to_be_visible()
    start = day(admin, "wed").get_by_test_id("hours-start")
    expect(start).to_have_attribute("aria-invalid", "true")
    expect(start).to_be_focused()
    assert hours("GET", PATH) == {}


def test_a_bad_time_is_refused_naming_the_field_and_nothing_is_saved(
    admin: AdminPage, hours: AdminApi
) -> None:
    open_editor(admin)
    admin.hours_always.uncheck()
    add_range(admin, "tue", "25:00", "18:00")
    admin.hours_save.click()
    expect(admin.error_banner).to_be_visible()
    expect(admin.error_text).to_contain_text("week.tue.0.0")
    assert hours("GET", PATH) == {}
    # AND the typed values are still there to fix, the bad one marked and focused
    start = day(admin, "tue").get_by_test_id("hours-start")
    expect(start).to_have_value("25:00")
    expect(start).to_have_attribute("aria-invalid", "true")
    expect(start).to_be_focused()
    expect(day(admin, "tue").get_by_test_id("hours-end")).not_to_have_attribute("aria-invalid", "true")
    shot(admin, "business-hours-refused")
    # WHEN it is fixed THEN it saves, and the mark is gone
    start.fill("09:00")
    admin.hours_save.click()
    admin.saved()
    expect(day(admin, "tue").get_by_test_id("hours-start")).not_to_have_attribute("aria-invalid", "true")
    assert hours("GET", PATH) == {"week": {"tue": [["09:00", "18:00"]]}, "holidays": []}


def test_a_schedule_closed_now_gives_the_customer_the_away_message(
    admin: AdminPage, chat: Any, hours: AdminApi
) -> None:
    # GIVEN a schedule open only on another weekday than today in Moscow (the demo's TIME_ZONE)
    today = datetime.now(ZoneInfo("Europe/Moscow"))
    other = DAYS[(today + timedelta(days=3)).weekday()]
    open_editor(admin)
    admin.hours_always.uncheck()
    add_range(admin, other, "10:00", "11:00")
    admin.hours_save.click()
    admin.saved()
    # WHEN a customer asks support
    logged_in_customer(chat)
    chat.press("💬 Задать вопрос")
    chat.send("Вы работаете?")
    # THEN she is told operators are away and when they are back
    expect(chat.bot_says("🌙 Отправлено в поддержку, но сейчас операторы не работают.")).to_be_visible()
    expect(chat.bot_says("10:00")).to_be_visible()


# ---- reports ----------------------------------------------------------------------------------
def test_the_reports_tab_shows_the_figures_charts_and_csv(
    admin: AdminPage, chat: Any, stack: StackProcess, tmp_path: Path
) -> None:
    api = AdminApi(stack)
    # GIVEN a customer's question, answered and closed from the admin API, then rated 5 in the chat
    user_id = logged_in_customer(chat)
    chat.press("💬 Задать вопрос")
    chat.send(f"Отчёт? {api.marker}")
    expect(chat.bot_says("✅ Отправлено в поддержку.")).to_be_visible()
    ref = next(c["id"] for c in api("GET", "/conversations")["conversations"] if c["user_id"] == user_id)
    api("PUT", f"/conversations/{ref}/assignee", {"assignee": "me"})  # the first answer is attributed to it
    api("POST", f"/conversations/{ref}/reply", {"text": "Готово"}, status=202)
    api("POST", f"/conversations/{ref}/close")
    expect(chat.bot_says("Разговор с поддержкой завершён.")).to_be_visible(timeout=20_000)
    chat.press("5")
    expect(chat.bot_says("Ваша оценка: 5")).to_be_visible(timeout=20_000)
    # WHEN the admin opens Reports
    admin.sign_in()
    admin.tab_reports.click()
    expect(admin.view_reports).to_be_visible()
    # THEN the totals and this week's row are the API's figures, the rating among them
    figures = api("GET", "/reports?weeks=8")
    assert figures["opened"] >= 1
    assert figures["ratings"]["5"] >= 1
    totals = admin.page.get_by_test_id("report-total")
    expect(totals.and_(admin.page.locator('[data-total="opened"]'))).to_have_text(str(figures["opened"]))
    week = figures["weeks"][-1]
    row = admin.page.locator(f'[data-testid=report-week][data-week="{week["week"]}"]')
    expect(row.get_by_test_id("report-opened")).to_have_text(str(week["opened"]))
    expect(row.get_by_test_id("report-rating")).to_have_text(f"{week['rating_average']:g}")  # JS: 5.0 is 5
    expect(admin.report_week).to_have_count(8)
    # AND each chart is drawn (an image 640 px wide, from the page's own blob)
    for name in CHARTS:
        image = admin.page.get_by_test_id(f"report-chart-{name}")
        expect(image).to_have_attribute("src", re.compile(r"^blob:"))
        admin.page.wait_for_function(
            "(el) => el.complete && el.naturalWidth === 640", arg=image.element_handle(), timeout=10_000
        )
    expect(admin.error_banner).to_be_hidden()
    shot(admin, "reports")
    # AND the CSV downloads with a row per week
    with admin.page.expect_download() as download:
        admin.reports_csv.click()
    saved = tmp_path / "report.csv"
    download.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("week,starts,opened,answered,first_answer_seconds")
    assert len(lines) == 1 + 8
    assert lines[-1].startswith(f"{week['week']},{week['starts']},{week['opened']},")
    # AND the first answers by operator are the API's, and download as CSV too
    assert figures["operators"]
    expect(admin.report_operator).to_have_count(len(figures["operators"]))
    expect(admin.reports_operators_empty).to_be_hidden()
    with admin.page.expect_download() as download:
        admin.reports_csv_operators.click()
    by_operator = tmp_path / "by-operator.csv"
    download.value.save_as(by_operator)
    assert by_operator.read_text(encoding="utf-8").splitlines()[0] == "operator,answered,first_answer_seconds"
    # AND four weeks asked for are four rows
    admin.reports_weeks.select_option("4")
    expect(admin.report_week).to_have_count(4)
