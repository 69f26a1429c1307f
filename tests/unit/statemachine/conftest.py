"""Fixtures: a chat with the test bot of `bot.py`, at the main menu."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.unit.statemachine.bot import Chat, FaqTree, build, missing, refused, stale


@pytest.fixture
def chat() -> Chat:
    chat = Chat(build(on_refused=refused, on_stale=stale, on_missing=missing))
    chat.send("/start")
    return chat


@pytest.fixture
def make_chat() -> Callable[..., Chat]:
    """A chat with a bot built by `build(tree, **options)`, already at the main menu."""

    def make(tree: FaqTree | None = None, **options: Any) -> Chat:
        chat = Chat(build(tree, **options))
        chat.send("/start")
        return chat

    return make
