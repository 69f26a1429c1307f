"""Small keyboard pieces shared by the screens."""

from __future__ import annotations

from statemachine import Button
from supportbot.i18n import Translator

PAGE_ROUTE = r"^pg:(?P<page>\d{1,5})$"
JUMP = 10


def pages_of(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def pager(page: int, pages: int, t: Translator) -> list[list[Button]]:
    """First / previous / current-of-total / next / last, plus ±10 jumps for long lists, so even
    hundreds of pages are a few taps apart. Empty when everything fits on one page."""
    if pages <= 1:
        return []
    rows = [
        [
            Button(t("nav.first"), "pg:1"),
            Button(t("nav.prev"), f"pg:{max(1, page - 1)}"),
            Button(t("nav.page", page=page, pages=pages), f"pg:{page}"),
            Button(t("nav.next"), f"pg:{min(pages, page + 1)}"),
            Button(t("nav.last"), f"pg:{pages}"),
        ]
    ]
    if pages > JUMP:
        rows.append(
            [
                Button(t("nav.jump_back", step=JUMP), f"pg:{max(1, page - JUMP)}"),
                Button(t("nav.jump_forward", step=JUMP), f"pg:{min(pages, page + JUMP)}"),
            ]
        )
    return rows


def clamp(page: int, pages: int) -> int:
    return min(max(1, page), pages)
