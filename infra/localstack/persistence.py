"""What survives a restart of ``make run``, in one folder (``.localstack-state/`` by default).

- ``aws-writes.jsonl``: moto's own recorder (``moto.moto_api.recorder``), limited to the requests
  that change DynamoDB or S3 (reads, SQS and the template's tables/queues/buckets are not
  recorded). It is written as requests arrive, so it is current at every moment. On start, after
  the template's resources exist again, moto replays it into the fresh server: tables and buckets
  hold what they held when the stack stopped.
- ``sandbox.json``, ``blinger.json``: the Telegram sandbox's world and the Blinger console's
  conversations, saved on stop (`infra.botapi.snapshot`, `BlingerConsole.snapshot`).

Queues are not kept: the stack drains them before it stops (each queued message is handled
first), so nothing queued is delivered twice or lost by a restart. ``--fresh`` (``make run
FRESH=1``) deletes the folder first.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import moto.moto_api
from moto.core.request import Request
from moto.moto_api._internal.recorder.models import Recorder

logger = logging.getLogger(__name__)
AWS_WRITES = "aws-writes.jsonl"
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
