"""Local stand-ins for out-of-process benchmarks: moto in server mode and the Bot API stand-in.

Both on free loopback ports; the template's tables (named by their variables, as in the tests)
plus the baseline's session table. ``environment()`` is what a handler process needs to use them.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# The functional tests' values: their harness builds the webhook events and callback answers.
BOT_TOKEN = "123456:TEST-TOKEN"
SECRET = "test-webhook-secret"
TABLES = {
    "SESSIONS_TABLE": "sessions",
    "CONTENT_TABLE": "content",
    "BACKEND_TABLE": "backend",
    "FAILED_UPDATES_TABLE": "failed-updates",
    "CONVERSATIONS_TABLE": "conversations",
}
BASELINE_TABLE = "baseline-sessions"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class StandIns:
    def __init__(self, support: bool = False) -> None:
        self._lock = threading.Lock()
        self._next_user = 300_000_000
        self.support = support
        self.queue_url = ""
        self.bucket = "bench-attachments"
        self.blinger_token = "bench-blinger-token"

    def __enter__(self) -> StandIns:
        import boto3

        from infra.botapi import BotApiServer, World
        from infra.localstack.aws import MotoServer
        from infra.template import create_tables, load_template, table_definitions

        self.moto = MotoServer(free_port()).start()
        template = load_template()
        # Names already in the environment win: a configuration read before uses them.
        names = {
            variable: os.environ.get(variable) or TABLES.get(variable, variable.lower())
            for variable in table_definitions(template)
        }
        self.tables = names
        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=self.moto.url,
            region_name="eu-central-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        create_tables(dynamodb, names, template)
        dynamodb.create_table(
            TableName=BASELINE_TABLE,
            AttributeDefinitions=[{"AttributeName": "user_id", "AttributeType": "N"}],
            KeySchema=[{"AttributeName": "user_id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        if self.support:
            aws = {
                "endpoint_url": self.moto.url,
                "region_name": "eu-central-1",
                "aws_access_key_id": "local",
                "aws_secret_access_key": "local",
            }
            self.queue_url = boto3.client("sqs", **aws).create_queue(
                QueueName="outbox.fifo", Attributes={"FifoQueue": "true"}
            )["QueueUrl"]
            boto3.client("s3", **aws).create_bucket(
                Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
            )
        # The load run measures the bot, not Telegram's flood limits (the pacing bench does those).
        self.world = World(token=BOT_TOKEN, rate_limits=False)
        self.botapi = BotApiServer(self.world).start()
        return self

    def __exit__(self, *exc: object) -> None:
        import requests

        self.botapi.stop()
        # moto's state is per process, not per server: forget it for the next stand-ins.
        requests.post(f"{self.moto.url}/moto-api/reset", timeout=10)
        self.moto.stop()

    def environment(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.moto.url,
            "AWS_DEFAULT_REGION": "eu-central-1",
            "AWS_REGION": "eu-central-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            **self.tables,
            "BASELINE_SESSIONS_TABLE": BASELINE_TABLE,
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_URL": self.botapi.base_url,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "BACKEND_TOKEN_SECRET": "bench-backend-token-secret",
            # As deployed (template.yaml Globals): INFO logs to stdout.
            "POWERTOOLS_SERVICE_NAME": "telegram-support-bot",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "POWERTOOLS_LOGGER_LOG_EVENT": "false",
            "DEFAULT_LANGUAGE": "ru",
            "TIME_ZONE": "Europe/Moscow",
            **(
                {"OUTBOX_QUEUE_URL": self.queue_url, "ATTACHMENTS_BUCKET": self.bucket}
                if self.support
                else {}
            ),
        }

    def new_user(self, add: bool = True) -> int:
        with self._lock:
            self._next_user += 1
            user_id = self._next_user
        if add:
            self.world.add_user(user_id, first_name="Bench", language_code="ru")
        return user_id

    def start_event(self, user_id: int) -> dict[str, Any]:
        return webhook_event(self.world.user_sends_text(user_id, "/start"))


def webhook_event(update: dict[str, Any]) -> dict[str, Any]:
    """An API Gateway HTTP API v2 event carrying ``update`` with the bench's secret header."""
    sample = json.loads((ROOT / "events" / "event-post-telegram-webhook-start.json").read_text("utf-8"))
    event = copy.deepcopy(sample)
    event["body"] = json.dumps(update, ensure_ascii=False)
    event["headers"]["x-telegram-bot-api-secret-token"] = SECRET
    return event


os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
