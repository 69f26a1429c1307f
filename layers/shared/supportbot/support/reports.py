"""Reports: counters kept on write, one item per week, so a report reads a few items by key and
never Scans (docs/ARCHITECTURE.md, "Reports").

Every figure is filed under the ISO week (in ``TIME_ZONE``) in which its conversation opened, the
item ``STATS`` / ``report#<YYYY>-W<ww>``:
- ``opened``, and ``hour_<HH>`` / ``day_<mon..sun>``: when it opened (the wall clock of
  ``TIME_ZONE``), in the transaction that creates it (``conversations.summarize``);
- ``answered``, ``answer_seconds``: its first answer and how long it took, once per conversation
  (``waiting.sample_first_answer``, after the conditional mark); also in ``report#<week>#op#<name>``
  for the operator it is attributed to: the desk's name for who wrote it (the Telegram desk's), else
  the conversation's assignee (Blinger's operator, the admin inbox's assignee), else nobody;
- ``resolved``, ``resolution_seconds``: each close and the time from opening, in the close's
  transaction (``conversations._move``);
- ``rated``, ``rating_sum``, ``rating_<1..5>``: in the rating's transaction, a changed rating
  moving its count from the old value to the new.

Filing by the opening week keeps a re-rating in the week that counted the first rating. An erased
or expired conversation stays in these sums (they hold no one's data).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from supportbot.config import get_config
from supportbot.storage.tables import TableName

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RATINGS = range(1, 6)
HOURS = range(24)
TOTALS = ("opened", "answered", "answer_seconds", "resolved", "resolution_seconds", "rated", "rating_sum")
COUNTERS = (
    *TOTALS,
    *(f"hour_{hour:02d}" for hour in HOURS),
    *(f"day_{day}" for day in DAYS),
    *(f"rating_{n}" for n in RATINGS),
)
PK = "STATS"
OPERATOR = "#op#"  # report#<week>#op#<operator>: that operator's first answers of the week
OPERATOR_CHARS = 64


class ReportItem(Model):
    """One week's counters (every one a number, absent until first added to)."""

    class Meta:
        table_name = TableName("conversations_table")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    # One number attribute per counter (names in COUNTERS): the class body's namespace is a dict.
    locals().update({name: NumberAttribute(null=True) for name in COUNTERS})

    def value(self, name: str) -> float:
        return float(getattr(self, name) or 0)


def counter(name: str) -> Any:
    return getattr(ReportItem, name)


def week_key(moment: datetime) -> str:
    """``report#2026-W49``: the ISO week of ``moment`` on ``TIME_ZONE``'s clock."""
    year, week, _ = moment.astimezone(ZoneInfo(get_config().time_zone)).isocalendar()
    return f"report#{year}-W{week:02d}"


def week_start(key: str) -> date:
    """The Monday of a week key."""
    return date.fromisocalendar(int(key[7:11]), int(key[13:15]), 1)


def weeks_back(now: datetime, count: int) -> list[str]:
    """The keys of the ``count`` weeks up to the one of ``now``, oldest first."""
    return [week_key(now - timedelta(weeks=back)) for back in reversed(range(count))]


def item(moment: datetime) -> ReportItem:
    return ReportItem(PK, week_key(moment))


def add(write: TransactWrite | None, opened_at: datetime, **deltas: float) -> None:
    """Add ``deltas`` to the counters of the week ``opened_at`` falls in: in ``write`` when given,
    else as an update of its own."""
    actions = [counter(name).add(delta) for name, delta in deltas.items() if delta]
    if not actions:
        return  # a rating pressed again: nothing changes
    if write is not None:
        write.update(item(opened_at), actions=actions)
    else:
        item(opened_at).update(actions=actions)


def opened(write: TransactWrite, moment: datetime) -> None:
    local = moment.astimezone(ZoneInfo(get_config().time_zone))
    add(write, moment, opened=1, **{f"hour_{local.hour:02d}": 1, f"day_{DAYS[local.weekday()]}": 1})


def answered(opened_at: datetime, seconds: float, operator: str | None = None) -> None:
    """A conversation's first answer; by ``operator`` too when it is known (an item per week and
    operator, ``report#<week>#op#<operator>``)."""
    add(None, opened_at, answered=1, answer_seconds=round(seconds, 3))
    name = " ".join((operator or "").split())[:OPERATOR_CHARS]
    if name:
        per = ReportItem(PK, f"{week_key(opened_at)}{OPERATOR}{name}")
        per.update(actions=[counter("answered").add(1), counter("answer_seconds").add(round(seconds, 3))])


def resolved(write: TransactWrite, opened_at: datetime, now: datetime) -> None:
    add(
        write, opened_at, resolved=1, resolution_seconds=round(max(0.0, (now - opened_at).total_seconds()), 3)
    )


def rated(
    write: TransactWrite, opened_at: datetime, old: int | None, new: int, deltas: dict[str, int]
) -> None:
    """A rating (``deltas`` as ``conversations.rating_deltas`` counts it; ``old``: the rating it
    replaces, None for a first)."""
    moves = {f"rating_{new}": 1} if old is None else {f"rating_{old}": -1, f"rating_{new}": 1}
    if old == new:
        moves = {}  # the same rating pressed again
    add(write, opened_at, rated=deltas.get("rated", 0), rating_sum=deltas.get("rating_sum", 0), **moves)


def operators(first: str, last: str) -> dict[str, tuple[float, float]]:
    """First answers and their seconds per operator over the weeks ``first`` to ``last`` (keys):
    one Query of the key range (the weeks' own items in it are left aside)."""
    found: dict[str, tuple[float, float]] = {}
    for item in ReportItem.query(PK, ReportItem.sk.between(f"{first}{OPERATOR}", f"{last}{OPERATOR}\uffff")):
        _, marker, name = item.sk.partition(OPERATOR)
        if marker:
            count, seconds = found.get(name, (0.0, 0.0))
            found[name] = (count + item.value("answered"), seconds + item.value("answer_seconds"))
    return found


def read(keys: list[str]) -> dict[str, ReportItem]:
    """The weeks' items by key (one BatchGetItem; a week with nothing is absent)."""
    return {found.sk: found for found in ReportItem.batch_get([(PK, key) for key in keys])}
