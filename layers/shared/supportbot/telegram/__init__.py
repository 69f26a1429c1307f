"""Telegram side of the bot: turning updates into engine inputs and results into Bot API calls."""
