"""Delete my data: a confirmation screen, then everything the bot stores about the user is erased
(``supportbot/people.py``) and they are told; a later /start begins from nothing.

The erase runs after the update's session is saved (``pipeline.py`` acts on :class:`EraseMe`), so
the session it deletes is not written back; the answer is sent directly, not stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from statemachine import Action, Button, Screen, State
from supportbot.bot.auth import deps

if TYPE_CHECKING:
    from statemachine import Context

FORGET = "forget"


@dataclass(frozen=True)
class EraseMe:
    """The user confirmed: erase everything about them once this update is saved."""


def render_forget(ctx: Context) -> Screen:
    t = deps(ctx).t
    return Screen(
        t("privacy.confirm"),
        [[ERASE.button(t("privacy.erase"))], [Button.back(t("privacy.keep"))]],
    )


def erase(ctx: Context) -> None:
    ctx.emit(EraseMe())


OPEN = Action("forget", to=FORGET)
ERASE = Action("erase", erase)
STATES = [State(FORGET, render_forget, actions=[ERASE])]
