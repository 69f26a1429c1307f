"""The admin function called as API Gateway would, over moto's tables and the outbox queue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from infra.localstack.api import Match, build_event, to_http
from infra.localstack.template_model import HttpRoute
from tests.functional.conftest import reset_singletons
from tests.functional.events import FakeLambdaContext

ADMIN_KEY = "admin-test-key"
ROUTE = HttpRoute("AdminFunction", "ANY", "/v1/admin/{proxy+}")


@dataclass
class AdminClient:
    app: Any
    queue_url: str

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        key: str | None = ADMIN_KEY,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        """(status, parsed JSON body or text) of one request to ``/v1/admin`` + ``path``."""
        headers = [("content-type", content_type)] if body is not None else []
        if key is not None:
            headers.append(("x-api-key", key))
        raw = body if isinstance(body, str) or body is None else json.dumps(body, ensure_ascii=False)
        event = build_event(
            Match(ROUTE, {}), method, "/v1/admin" + path, headers, (raw or "").encode(), "127.0.0.1"
        )
        status, response_headers, _, data = to_http(self.app.lambda_handler(event, FakeLambdaContext()))
        text = data.decode()
        is_json = "json" in {k.lower(): v for k, v in response_headers.items()}.get("content-type", "")
        return status, json.loads(text) if is_json and text else text

    def queued(self) -> list[dict[str, Any]]:
        """The stored messages the outbox queue holds (their keys), read once."""
        from supportbot.support.messages import load_message

        sqs = boto3.client("sqs")
        messages = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        stored = []
        for message in messages:
            key = json.loads(message["Body"])
            item = load_message(key["pk"], key["sk"])
            assert item is not None
            stored.append(
                {"user_id": int(item.user_id), "destination": item.destination, "text": item.parts[0].text}
            )
        return stored


@pytest.fixture
def admin(aws, monkeypatch):
    """The admin function with a key, the template's tables and an outbox queue (empty data)."""
    from supportbot.notifications import store
    from supportbot.support import outbox

    queue_url = boto3.client("sqs").create_queue(QueueName="outbox.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"
    ]
    notifications = boto3.client("sqs").create_queue(QueueName="notifications")["QueueUrl"]
    monkeypatch.setenv("ADMIN_API_KEY", ADMIN_KEY)
    monkeypatch.setenv("OPERATOR_KEY_SECRET", "operator-key-test-secret")
    monkeypatch.setenv("OUTBOX_QUEUE_URL", queue_url)
    monkeypatch.setenv("NOTIFICATIONS_QUEUE_URL", notifications)
    reset_singletons()
    outbox.sqs_client.cache_clear()
    store.sqs_client.cache_clear()
    from functions.admin import app

    yield AdminClient(app, queue_url)
    reset_singletons()
    outbox.sqs_client.cache_clear()
    store.sqs_client.cache_clear()
