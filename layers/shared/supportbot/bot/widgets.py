"""The screens' shared pieces: the pager (one widget, its route included) and its labels, and
times as the business's clock shows them."""

from __future__ import annotations

import contextlib
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from statemachine import Button, Context, Pager
from supportbot.bot.auth import deps
from supportbot.i18n import Translator


def _here(ctx: Context, page: int) -> str:
    """The answer to a press on the page shown (the counter...): where the user is."""
    return deps(ctx).t("nav.here", page=page)


PAGER = Pager(jump=10, here=_here)


def pager_rows(page: int, pages: int, t: Translator) -> list[list[Button]]:
    """First / previous / current-of-total / next / last, plus ±10 jumps for long lists, so even
    hundreds of pages are a few taps apart. Empty when everything fits on one page."""

    def label(control: str, page: int, pages: int) -> str:
        if control == "page":
            return t("nav.page", page=page, pages=pages)
        if control.startswith("jump"):
            return t(f"nav.{control}", step=page)
        return t(f"nav.{control}")

    return PAGER.rows(page, pages, label)


def local_time(iso: str, time_zone: str) -> str:
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    with contextlib.suppress(ZoneInfoNotFoundError):  # else the system's own offset is still correct
        moment = moment.astimezone(ZoneInfo(time_zone))
    return moment.strftime("%d.%m.%Y %H:%M")
