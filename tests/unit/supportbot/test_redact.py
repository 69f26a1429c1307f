"""Ids are logged as ids: a Telegram user id has 10 digits, a phone's shape, yet logs must be
searchable by it, while phones in free text stay masked (supportbot/redact.py)."""

from __future__ import annotations

import io
import json
import logging

from aws_lambda_powertools import Logger

from infra.localstack.terminal import update_line
from supportbot.redact import protect, redact

USER_ID = 7583001360  # a real-looking 10-digit Telegram user id


def test_an_id_field_keeps_its_digits_and_free_text_is_masked():
    redacted = redact({"user_id": str(USER_ID), "chat_id": "-1001234567890", "text": f"call {USER_ID}"})
    assert redacted == {"user_id": "7583001360", "chat_id": "-1001234567890", "text": "call 7583***1360"}


def test_an_id_field_holding_anything_but_an_id_is_redacted():
    assert redact({"user_id": "+79001234567"}) == {"user_id": "+7900***4567"}
    assert redact({"user_id": {"phone": "+79001234567"}}) == {"user_id": {"phone": "+7900***4567"}}


def test_a_json_log_line_keeps_the_user_id_field_and_masks_the_message():
    stream = io.StringIO()
    logger = protect(
        Logger(service="redact-test", level="INFO", logger_handler=logging.StreamHandler(stream))
    )
    logger.info(f"customer wrote from {USER_ID}", extra={"user_id": str(USER_ID), "update_id": "100000004"})
    line = json.loads(stream.getvalue())
    assert (line["user_id"], line["update_id"]) == ("7583001360", "100000004")
    assert line["message"] == "customer wrote from 7583***1360"


def test_the_terminal_line_shows_the_user_id_and_masks_a_phone_in_the_rest():
    update = {
        "update_id": 100000004,
        "message": {"message_id": 1, "from": {"id": USER_ID}, "chat": {"id": USER_ID, "type": "private"},
                    "date": 1, "text": "/79001234567"},
    }  # fmt: skip
    assert update_line(json.dumps(update), 500, 12) == (
        "update 100000004 · user 7583001360 · /7900***4567 · 500 · 12 ms"
    )
