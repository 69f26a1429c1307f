"""What survives a restart of ``make run``, in one folder (``.localstack-state/`` by default).

- ``aws-writes.jsonl``: moto's own recorder (``moto.moto_api.recorder``), limited to the requests
  that change DynamoDB or S3 (reads, SQS and the template's tables/queues/buckets are not
  recorded). It is written as requests arrive, so it is current at every moment. On start, after
  the template's resources exist again, moto replays it into the fresh server: tables and buckets
  hold what they held when the stack stopped.
- ``sandbox.json``, ``blinger.json``: the Telegram sandbox's world and the Blinger console's
  conversations, saved on stop (`infra.botapi.snapshot`, `BlingerConsole.snapshot`).

- ``queues.json``: what the queues still hold when the stack stops. The stack drains them first
  (each message due is handled), so what is left is due later on purpose: an order's coalescing
  window, a scheduled broadcast, a paced or retried job. Each is queued again on the next start,
  due when it was (at most SQS's 15 minutes of delay: a job that comes back earlier than it is due
  puts itself off again); nothing is delivered twice or lost by a restart.

``--fresh`` (``make run FRESH=1``) deletes the folder first.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import moto.moto_api
from moto.core.request import Request
from moto.moto_api._internal.recorder.models import Recorder

logger = logging.getLogger(__name__)
AWS_WRITES = "aws-writes.jsonl"
QUEUES = "queues"
MAX_DELAY = 900  # SQS's longest DelaySeconds
DYNAMODB_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
_SERVICE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([a-z0-9-]+)/aws4_request")
_QUERY_SERVICE = re.compile(r"X-Amz-Credential=[^&/]+(?:/|%2F)\d{8}(?:/|%2F)[^&/%]+(?:/|%2F)([a-z0-9-]+)")


def is_write(method: str, headers: dict[str, str], url: str) -> bool:
    """Whether a request to moto changes a table or a bucket (told from its SigV4 service name).

    >>> sig = "AWS4-HMAC-SHA256 Credential=local/20261201/eu-central-1/{}/aws4_request, Signature=x"
    >>> is_write("POST", {"Authorization": sig.format("dynamodb"), "X-Amz-Target": "DynamoDB_20120810.PutItem"}, "/")
    True
    >>> is_write("POST", {"Authorization": sig.format("dynamodb"), "X-Amz-Target": "DynamoDB_20120810.Query"}, "/")
    False
    >>> is_write("PUT", {"Authorization": sig.format("s3")}, "/bucket/key"), is_write("GET", {"Authorization": sig.format("s3")}, "/b/k")
    (True, False)
    >>> is_write("POST", {"Authorization": sig.format("sqs")}, "/")
    False
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    found = _SERVICE.search(lowered.get("authorization", "")) or _QUERY_SERVICE.search(url)
    service = found.group(1) if found else ""
    if service == "dynamodb":
        return lowered.get("x-amz-target", "").rpartition(".")[2] in DYNAMODB_WRITES
    if service == "s3":
        return method.upper() in ("PUT", "POST", "DELETE")
    return False


class WritesRecorder(Recorder):
    """moto's recorder, recording only `is_write` requests, into ``path``."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._location = str(path)
        self._user_enabled = False

    def _record_request(self, request: Request, body: bytes | None = None) -> None:
        if is_write(request.method, dict(request.headers), request.raw_url):
            super()._record_request(request, body)


class LocalState:
    """The state folder of one local stack."""

    def __init__(self, folder: Path, fresh: bool = False) -> None:
        self.folder = folder
        if fresh and folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.recorder = WritesRecorder(folder / AWS_WRITES)

    @property
    def has_aws(self) -> bool:
        path = self.folder / AWS_WRITES
        return path.is_file() and path.stat().st_size > 0

    def restore_aws(self, moto_url: str) -> int:
        """Replay the recorded writes into moto at ``moto_url``; the number of requests replayed."""
        if not self.has_aws:
            return 0
        started = time.monotonic()
        count = sum(1 for _ in (self.folder / AWS_WRITES).open(encoding="utf-8"))
        self.recorder.replay_recording(target_host=moto_url)
        logger.info("Restored %d writes to DynamoDB and S3 in %.1f s", count, time.monotonic() - started)
        return count

    def record_aws(self) -> None:
        """From now on, every write moto serves is appended to the recording."""
        moto.moto_api.recorder = self.recorder  # moto's request path looks it up here on every request
        self.recorder.start_recording()

    def stop_recording(self) -> None:
        self.recorder.stop_recording()

    def save_queues(self, queue_names: list[str]) -> int:
        """Keep what the queues named still hold (moto's server runs in this process); how many."""
        from moto.sqs.models import sqs_backends

        from infra.localstack.template_model import ACCOUNT_ID, REGION

        queues = sqs_backends[ACCOUNT_ID][REGION].queues
        now = time.time()
        kept: dict[str, list[dict[str, Any]]] = {}
        for name in queue_names:
            messages = list(queues[name]._messages) if name in queues else []
            if messages:
                kept[name] = [
                    {
                        "body": message.body,
                        "due_in": max(0.0, max(message.delayed_until, message.visible_at) / 1000 - now),
                        "group": message.group_id,
                        "deduplication": message.deduplication_id,
                    }
                    for message in messages
                ]
        self.save(QUEUES, kept)
        return sum(len(messages) for messages in kept.values())

    def restore_queues(self, sqs: Any) -> int:
        """Queue again what :meth:`save_queues` kept (then forget it); how many."""
        kept = self.load(QUEUES) or {}
        for name, messages in kept.items():
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            for message in messages:
                params: dict[str, Any] = {"QueueUrl": url, "MessageBody": message["body"]}
                if message.get("group"):  # FIFO: no delay per message; a job due later waits itself
                    params |= {
                        "MessageGroupId": message["group"],
                        "MessageDeduplicationId": message.get("deduplication") or uuid.uuid4().hex,
                    }
                else:
                    params["DelaySeconds"] = min(MAX_DELAY, math.ceil(float(message.get("due_in") or 0)))
                sqs.send_message(**params)
        (self.folder / f"{QUEUES}.json").unlink(missing_ok=True)
        count = sum(len(messages) for messages in kept.values())
        if count:
            logger.info("Queued again %d message(s) kept from the last run", count)
        return count

    def load(self, name: str) -> Any:
        """A saved JSON document, or None when there is none (or it cannot be read: said, not fatal)."""
        path = self.folder / f"{name}.json"
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            logger.warning("Ignoring unreadable %s (%s): starting it fresh", path, error)
            return None

    def save(self, name: str, data: Any) -> None:
        """Write atomically: a crash mid-write leaves the previous file."""
        path = self.folder / f"{name}.json"
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, path)
