"""make run restores the saved DynamoDB/S3 writes first, then (a first start only) the demo data,
then migrates: items saved by an earlier version are brought up to date before any handler runs.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import requests

from tests.e2e.conftest import start_stack
from tests.e2e.test_localstack_restart import ADMIN, NO_LIMITS, _stop


def test_saved_items_are_restored_then_migrated(tmp_path: Path) -> None:
    first = start_stack(tmp_path, extra_args=NO_LIMITS)
    try:
        # GIVEN a photo ticket as the version before ticket refs wrote it (no ref, status answered)
        dynamodb = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{first.ports['moto']}",
                                region_name="eu-central-1", aws_access_key_id="testing",
                                aws_secret_access_key="testing")  # fmt: skip
        dynamodb.put_item(TableName="ConversationsTable", Item={
            "pk": {"S": "U#1001"}, "sk": {"S": "T#00000042"}, "gsi1pk": {"S": "TICKET"},
            "number": {"N": "42"}, "user_id": {"N": "1001"}, "kind": {"S": "photo"},
            "status": {"S": "answered"}, "title": {"S": "A-17"}, "details": {"S": "{}"},
            "created_at": {"S": "2026-11-30T10:00:00.000000+0000"},
            "updated_at": {"S": "2026-11-30T10:00:00.000000+0000"}})  # fmt: skip
    finally:
        _stop(first)
    # WHEN make run starts again
    second = start_stack(tmp_path, ports=first.ports, extra_args=NO_LIMITS)
    try:
        # THEN the ticket was restored, then migrated (its ref keeps the number), before serving
        log = second.log
        assert log.index("Restored") < log.index("migrate: 1 ticket(s)")
        r = requests.get(f"{second.api_url}/v1/admin/tickets", headers=ADMIN, timeout=10)
        assert r.status_code == 200, r.text
        ticket = next(t for t in r.json()["tickets"] if t["ref"] == "Ф-42")
        assert ticket["status"] == "in_progress", ticket
    finally:
        _stop(second)
