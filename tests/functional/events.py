"""API Gateway HTTP API v2 events for the handlers, built from the sample files in events/."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[2] / "events"
WEBHOOK_SECRET = "test-webhook-secret"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def webhook_event(update: dict[str, Any] | str, secret: str | None = WEBHOOK_SECRET) -> dict[str, Any]:
    """The start event with another body (an update dict, or raw text) and secret header."""
    event = copy.deepcopy(load_event("event-post-telegram-webhook-start.json"))
    event["body"] = update if isinstance(update, str) else json.dumps(update, ensure_ascii=False)
    event["headers"].pop("x-telegram-bot-api-secret-token", None)
    if secret is not None:
        event["headers"]["x-telegram-bot-api-secret-token"] = secret
    return event


class FakeLambdaContext:
    """What Powertools reads from the Lambda context."""

    function_name = "test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-central-1:123456789012:function:test"
    aws_request_id = "52fdfc07-2182-154f-163f-5f0f9a621d72"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000
