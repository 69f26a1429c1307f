"""make run keeps what its queues hold across a restart: a job due later (an order's coalescing
window, a scheduled broadcast, a retry) is queued again on the next start, not lost."""

from __future__ import annotations

import json
from pathlib import Path

import boto3

from tests.e2e.conftest import start_stack
from tests.e2e.test_localstack_restart import NO_LIMITS, _stop


def _sqs(stack):
    return boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{stack.ports['moto']}",
                        region_name="eu-central-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")  # fmt: skip


def _notifications_queue(sqs) -> str:
    (url,) = [u for u in sqs.list_queues()["QueueUrls"] if "Notifications" in u and "DeadLetter" not in u]
    return url


def test_a_job_due_later_is_queued_again_after_a_restart(tmp_path: Path) -> None:
    first = start_stack(tmp_path, extra_args=NO_LIMITS)
    try:
        # GIVEN a job due in five minutes on the notifications queue (an order whose window is open)
        sqs = _sqs(first)
        url = _notifications_queue(sqs)
        job = {"job": "order", "pk": "N#1001#A1"}
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(job), DelaySeconds=300)
    finally:
        _stop(first)
    assert "kept 1 queued message(s) due later" in first.log
    # WHEN make run starts again
    second = start_stack(tmp_path, ports=first.ports, extra_args=NO_LIMITS)
    try:
        # THEN the job is queued again, still due later (not run at once, not lost)
        sqs = _sqs(second)
        url = _notifications_queue(sqs)
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessagesDelayed"] == "1", attributes
    finally:
        _stop(second)
    # AND once queued again it is not kept twice: the next stop keeps it once more, not two copies
    assert "kept 1 queued message(s) due later" in second.log
