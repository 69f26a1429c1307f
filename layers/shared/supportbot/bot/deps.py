"""What the bot's screens get from the outside world through ``ctx.deps``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from supportbot.config import Config
from supportbot.i18n import Translator

if TYPE_CHECKING:
    from telebot import types

    from supportbot.backend import Backend
    from supportbot.content import ContentStore


@dataclass(frozen=True)
class BotDeps:
    config: Config
    t: Translator
    user: types.User
    backend_factory: Callable[[], Backend]
    content_factory: Callable[[], ContentStore]

    @property
    def backend(self) -> Backend:
        return self.backend_factory()

    @property
    def content(self) -> ContentStore:
        return self.content_factory()


def content_store() -> ContentStore:
    """The admin-edited trees (the FAQ's, the complaints'), imported by the first update that
    reads one: a cold start's first update (a new user's /start) reads none."""
    from supportbot.content import get_content_store

    return get_content_store()
