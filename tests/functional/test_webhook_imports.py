"""The Telegram webhook's cold start imports what a new user's /start needs: the login screen,
not the other screens (areas of ``bot/machine.py``, loaded when first reached) nor what only
groups, edits or the support dialog use (docs/PERFORMANCE.md, "Cold start")."""

from __future__ import annotations

from tests.imports import modules_loaded, packages_loaded

# What the login screen and the pipeline around it need from the screens and from support/.
SCREENS = ["supportbot.bot.auth", "supportbot.bot.deps", "supportbot.bot.machine", "supportbot.bot.privacy"]
SUPPORT = ["supportbot.support.lifecycle", "supportbot.support.rating", "supportbot.support.rating_press"]


def test_the_webhook_imports_the_login_screen_and_no_other() -> None:
    loaded = modules_loaded(
        ["telegram_webhook"], ("supportbot.bot.", "supportbot.support.", "supportbot.content")
    )
    assert [name for name in loaded if name.startswith("supportbot.bot.")] == SCREENS
    assert [name for name in loaded if name.startswith("supportbot.support.")] == SUPPORT
    assert "supportbot.content" not in loaded  # the FAQ's and complaints' trees (bot/deps.py)


def test_boto3_is_not_imported_on_the_webhook_path() -> None:
    assert packages_loaded(["telegram_webhook"], ("boto3",)) == []
