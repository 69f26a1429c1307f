"""Business hours: when operators work, so a customer writing outside them is told when they are back.

The schedule is one item of the Conversations table, ``SETTINGS`` / ``business-hours``, edited
through ``GET|PUT /v1/admin/settings/business-hours`` (``supportbot_admin/business_hours.py``):
``{"week": {"mon": [["09:00", "18:00"]], ...}, "holidays": ["2026-12-31"]}``. Times are wall-clock
times in ``TIME_ZONE``; a day missing from ``week`` is closed; a range may cross midnight
(``["22:00", "02:00"]`` on Friday is open Friday 22:00 to Saturday 02:00: the range belongs to
the day it starts on, so a holiday closes the ranges starting that day, and the early hours of a
holiday still belong to the day before's range); ``"24:00"`` ends a range at midnight. No schedule
stored, or ``{}``, means always open.

Wall-clock times, not offsets: on a DST change (Europe/Berlin, say) ``09:00`` is 09:00 local on
both sides of it; a range end in the hour that does not exist is taken after the gap (zoneinfo's
``fold=0``), so nothing is lost.

>>> s = Schedule.parse({"week": {"fri": [["22:00", "02:00"]]}, "holidays": []})
>>> tz = ZoneInfo("Europe/Moscow")
>>> s.is_open(datetime(2026, 12, 5, 1, 30, tzinfo=tz)), s.is_open(datetime(2026, 12, 5, 2, 0, tzinfo=tz))
(True, False)
>>> s.next_open(datetime(2026, 12, 5, 3, 0, tzinfo=tz), tz)
datetime.datetime(2026, 12, 11, 22, 0, tzinfo=zoneinfo.ZoneInfo(key='Europe/Moscow'))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from supportbot.storage.attributes import CompactJSONAttribute
from supportbot.storage.tables import TableName

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KEY = ("SETTINGS", "business-hours")
CLOCK = re.compile(r"(?P<hour>[01]\d|2[0-3]):(?P<minute>[0-5]\d)|24:00")
MAX_RANGES = 8  # a day's ranges: more is a mistake, not a schedule
MAX_HOLIDAYS = 366
LOOK_AHEAD_DAYS = 8 + MAX_HOLIDAYS  # far enough to pass every holiday to the next working range


class ScheduleError(ValueError):
    """A schedule the API refuses, with where (``loc``: the field, as in a 422's ``detail``)."""

    def __init__(self, loc: tuple[str | int, ...], msg: str) -> None:
        super().__init__(msg)
        self.loc = loc
        self.msg = msg


class SettingsItem(Model):
    class Meta:
        table_name = TableName("conversations_table")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    value = CompactJSONAttribute(null=True)


def _minutes(text: Any, loc: tuple[str | int, ...]) -> int:
    if not isinstance(text, str) or not CLOCK.fullmatch(text):
        raise ScheduleError(loc, 'a time is "HH:MM", 00:00 to 24:00')
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class Schedule:
    """Ranges per weekday (0 = Monday) in minutes of the day; ``end <= start`` crosses midnight."""

    week: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    body: dict[str, Any] = field(default_factory=dict)  # as stored and shown

    @property
    def always_open(self) -> bool:
        return not self.body

    @classmethod
    def parse(cls, body: Any) -> Schedule:
        """Check a ``PUT`` body; raises :class:`ScheduleError` naming the field."""
        if not isinstance(body, dict):
            raise ScheduleError((), "the schedule is an object with week and holidays")
        unknown = sorted(set(body) - {"week", "holidays"})
        if unknown:
            raise ScheduleError((unknown[0],), "unknown field: only week and holidays")
        if not body:
            return cls()
        raw_week = body.get("week", {})
        if not isinstance(raw_week, dict):
            raise ScheduleError(("week",), "week maps mon..sun to lists of [start, end]")
        week: dict[int, tuple[tuple[int, int], ...]] = {}
        for day, ranges in raw_week.items():
            if day not in DAYS:
                raise ScheduleError(("week", day), f"a day is one of {', '.join(DAYS)}")
            if not isinstance(ranges, list) or len(ranges) > MAX_RANGES:
                raise ScheduleError(("week", day), f"a list of at most {MAX_RANGES} [start, end] pairs")
            parsed = []
            for index, pair in enumerate(ranges):
                loc = ("week", day, index)
                if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                    raise ScheduleError(loc, 'a range is ["HH:MM", "HH:MM"]')
                start, end = _minutes(pair[0], (*loc, 0)), _minutes(pair[1], (*loc, 1))
                if start == 24 * 60:
                    raise ScheduleError((*loc, 0), "a range cannot start at 24:00")
                if start == end:
                    raise ScheduleError(loc, "a range must not be empty (start equals end)")
                parsed.append((start, end))
            week[DAYS.index(day)] = tuple(sorted(parsed))
        raw_holidays = body.get("holidays", [])
        if not isinstance(raw_holidays, list) or len(raw_holidays) > MAX_HOLIDAYS:
            raise ScheduleError(("holidays",), f"a list of at most {MAX_HOLIDAYS} dates YYYY-MM-DD")
        holidays = set()
        for index, text in enumerate(raw_holidays):
            try:
                if not isinstance(text, str) or len(text) != 10:
                    raise ValueError(text)
                holidays.add(date.fromisoformat(text))
            except ValueError:
                raise ScheduleError(("holidays", index), "a holiday is a date YYYY-MM-DD") from None
        stored = {
            "week": {DAYS[d]: [[_clock(a), _clock(b)] for a, b in week[d]] for d in sorted(week)},
            "holidays": sorted(day.isoformat() for day in holidays),
        }
        return cls(week, frozenset(holidays), stored)

    def _ranges(self, day: date, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
        """The open ranges starting on ``day``, as aware datetimes (none on a holiday)."""
        if day in self.holidays:
            return []
        found = []
        for start, end in self.week.get(day.weekday(), ()):
            opens = _at(day, start, tz)
            closes = _at(day + timedelta(days=1), end, tz) if end <= start else _at(day, end, tz)
            found.append((opens, closes))
        return found

    def is_open(self, moment: datetime, tz: ZoneInfo | None = None) -> bool:
        if self.always_open:
            return True
        zone = tz or _zone_of(moment)
        local = moment.astimezone(zone)
        for day in (local.date() - timedelta(days=1), local.date()):
            for opens, closes in self._ranges(day, zone):
                if opens <= moment < closes:
                    return True
        return False

    def next_open(self, moment: datetime, tz: ZoneInfo) -> datetime | None:
        """When operators are next at work after ``moment`` (local time in ``tz``); ``moment``
        itself when open; None when the schedule has no working range at all."""
        if self.is_open(moment, tz):
            return moment.astimezone(tz)
        local = moment.astimezone(tz).date()
        for offset in range(LOOK_AHEAD_DAYS):
            for opens, _ in self._ranges(local + timedelta(days=offset), tz):
                if opens > moment:
                    return opens
        return None


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _at(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """``minutes`` after local midnight of ``day``, by the wall clock (24:00 = the next midnight);
    a wall time that does not exist (a DST gap) is resolved after the gap, as UTC round trip."""
    if minutes == 24 * 60:
        day, minutes = day + timedelta(days=1), 0
    wall = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)
    return wall.astimezone(UTC).astimezone(tz)


def _zone_of(moment: datetime) -> ZoneInfo:
    zone = moment.tzinfo
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo("UTC")


def load() -> Schedule:
    """The stored schedule (saved only once parsed); always open when none is stored."""
    try:
        return of_item(SettingsItem.get(*KEY, consistent_read=True))
    except SettingsItem.DoesNotExist:
        return of_item(None)


def of_item(item: SettingsItem | None) -> Schedule:
    """The schedule ``item`` holds, read with others (None: none stored, always open)."""
    return Schedule() if item is None else Schedule.parse(item.value or {})


def save(schedule: Schedule) -> Schedule:
    SettingsItem(*KEY, value=schedule.body).save()
    return schedule
