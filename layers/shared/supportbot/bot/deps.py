"""What the bot's screens get from the outside world through ``ctx.deps``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from supportbot.config import Config
from supportbot.i18n import Translator
from supportbot.storage.sessions import Auth

if TYPE_CHECKING:
    from telebot import types

    from supportbot.backend import Backend
    from supportbot.content import ContentStore


@dataclass
class Profile:
    """The logged-in identity and language; screens change it (login, log out), the pipeline saves it."""

    auth: Auth | None
    language: str


@dataclass
class BotDeps:
    config: Config
    t: Translator
    profile: Profile
    user: types.User
    backend_factory: Callable[[], Backend]
    content: ContentStore
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @property
    def backend(self) -> Backend:
        return self.backend_factory()

    @property
    def auth(self) -> Auth:
        """The login of a screen that needs one (the machine routes anonymous users to login)."""
        if self.profile.auth is None:
            raise RuntimeError("a screen that needs a login was shown without one")
        return self.profile.auth
