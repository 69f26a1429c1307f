"""Queues, buckets and queue consumers from a template, on a moto server, like Lambda's event
source mapping: batches, partial batch failures, a raised exception, poison messages to the DLQ.

In-process: a moto server on a free port and clients pointed at it explicitly (no environment
change, so the other tests' mock_aws is not disturbed).
"""

from __future__ import annotations

import json
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from infra.localstack.aws import MotoServer, client, create_resources
from infra.localstack.sqs_poller import QueuePoller, start_pollers
from infra.localstack.stack import build_functions
from infra.localstack.template_model import StackModel
from infra.template import load_template

pytestmark = pytest.mark.slow

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  MaxAttempts: {Type: Number, Default: 2}
Globals:
  Function:
    Runtime: python3.13
    Handler: app.lambda_handler
Resources:
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 1
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt WorkDeadLetterQueue.Arn
        maxReceiveCount: !Ref MaxAttempts
  WorkDeadLetterQueue:
    Type: AWS::SQS::Queue
  OrderedQueue:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
      ContentBasedDeduplication: true
      VisibilityTimeout: 1
  FilesBucket:
    Type: AWS::S3::Bucket
  NamedBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "files-${AWS::Region}"
  WorkerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: worker/
      Environment:
        Variables:
          WORK_QUEUE_URL: !Ref WorkQueue
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt WorkQueue.Arn
            BatchSize: 5
            FunctionResponseTypes: [ReportBatchItemFailures]
  OrderedFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ordered/
      Events:
        Ordered:
          Type: SQS
          Properties:
            Queue: !GetAtt OrderedQueue.Arn
            BatchSize: 10
"""
WORKER = """
SEEN = []  # (body, receive count, batch size)

def lambda_handler(event, context):
    failures = []
    for record in event["Records"]:
        body, count = record["body"], int(record["attributes"]["ApproximateReceiveCount"])
        SEEN.append((body, count, len(event["Records"])))
        if body.startswith("raise") and count == 1:
            raise RuntimeError("the whole batch fails")
        if body == "poison" or (body.startswith("fail-once") and count == 1):
            failures.append({"itemIdentifier": record["messageId"]})
        if body == "malformed":
            return {"batchItemFailures": [{"itemIdentifier": ""}]}
    return {"batchItemFailures": failures}
"""
ORDERED = """
SEEN = []

def lambda_handler(event, context):
    SEEN.extend(event["Records"])
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]}  # ignored
"""


@dataclass
class Queues:
    model: StackModel
    endpoint: str
    pollers: list[QueuePoller]

    def url(self, logical_id: str) -> str:
        return str(
            client("sqs", self.endpoint).get_queue_url(QueueName=self.model.queues[logical_id].name)[
                "QueueUrl"
            ]
        )

    def send(self, logical_id: str, body: str, **extra: Any) -> str:
        return str(
            client("sqs", self.endpoint).send_message(
                QueueUrl=self.url(logical_id), MessageBody=body, **extra
            )["MessageId"]
        )

    def counts(self, logical_id: str) -> tuple[int, int]:
        attributes = client("sqs", self.endpoint).get_queue_attributes(
            QueueUrl=self.url(logical_id),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]), int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    @staticmethod
    def seen(function: str) -> list[Any]:
        return list(sys.modules[f"_localstack_{function}_app"].SEEN)


def eventually(check: Callable[[], bool], timeout: float = 15, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def queues(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Queues]:
    root = tmp_path_factory.mktemp("sqs-stack")
    (root / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    for name, source in (("worker", WORKER), ("ordered", ORDERED)):
        (root / name).mkdir()
        (root / name / "app.py").write_text(textwrap.dedent(source), encoding="utf-8")
    saved_path = list(sys.path)
    with MotoServer(port=0) as moto:
        template = load_template(root / "template.yaml")
        model = StackModel.from_template(template, root=root, moto_url=moto.url)
        create_resources(model, template, moto.url)
        functions = build_functions(model)
        for function in functions.values():
            _ = function.handler  # imported now, so the tests can read its SEEN list
        pollers = start_pollers(model, functions, moto.url)
        try:
            yield Queues(model, moto.url, pollers)
        finally:
            for poller in pollers:
                poller.stop()
            sys.path[:] = saved_path


def test_resources_come_from_the_template(queues: Queues) -> None:
    sqs = client("sqs", queues.endpoint)
    work = sqs.get_queue_attributes(QueueUrl=queues.url("WorkQueue"), AttributeNames=["All"])["Attributes"]
    assert work["VisibilityTimeout"] == "1"
    assert json.loads(work["RedrivePolicy"]) == {
        "deadLetterTargetArn": "arn:aws:sqs:eu-central-1:123456789012:WorkDeadLetterQueue",
        "maxReceiveCount": 2,
    }
    ordered = sqs.get_queue_attributes(QueueUrl=queues.url("OrderedQueue"), AttributeNames=["All"])[
        "Attributes"
    ]
    assert queues.model.queues["OrderedQueue"].name == "OrderedQueue.fifo"
    assert (ordered["FifoQueue"], ordered["ContentBasedDeduplication"]) == ("true", "true")
    buckets = {b["Name"] for b in client("s3", queues.endpoint).list_buckets()["Buckets"]}
    assert buckets >= {"files-bucket", "files-eu-central-1"}
    # The function's environment points at the local queue
    assert (
        queues.model.functions["WorkerFunction"]
        .environment["WORK_QUEUE_URL"]
        .endswith("/123456789012/WorkQueue")
    )


def test_a_handled_message_is_deleted(queues: Queues) -> None:
    queues.send("WorkQueue", "ok-1")
    eventually(lambda: any(s[0] == "ok-1" for s in queues.seen("WorkerFunction")), what="ok-1")
    eventually(lambda: queues.counts("WorkQueue") == (0, 0), what="an empty queue")
    assert [s for s in queues.seen("WorkerFunction") if s[0] == "ok-1"] == [("ok-1", 1, 1)]


def test_a_reported_failure_is_retried_after_the_visibility_timeout(queues: Queues) -> None:
    queues.send("WorkQueue", "fail-once-2")
    eventually(
        lambda: [s[1] for s in queues.seen("WorkerFunction") if s[0] == "fail-once-2"] == [1, 2],
        what="a retry",
    )
    eventually(lambda: queues.counts("WorkQueue") == (0, 0), what="an empty queue")


def test_a_partial_failure_keeps_only_the_failed_message(queues: Queues) -> None:
    # GIVEN two messages sent together (received in one batch or two: either way)
    sqs = client("sqs", queues.endpoint)
    sqs.send_message_batch(
        QueueUrl=queues.url("WorkQueue"),
        Entries=[{"Id": "1", "MessageBody": "ok-batch"}, {"Id": "2", "MessageBody": "fail-once-batch"}],
    )
    eventually(
        lambda: [s[1] for s in queues.seen("WorkerFunction") if s[0] == "fail-once-batch"] == [1, 2],
        what="a retry",
    )
    # THEN the successful one was handled once, the failed one twice
    assert [s[1] for s in queues.seen("WorkerFunction") if s[0] == "ok-batch"] == [1]
    eventually(lambda: queues.counts("WorkQueue") == (0, 0), what="an empty queue")


def test_an_exception_fails_the_whole_batch(queues: Queues) -> None:
    queues.send("WorkQueue", "raise-3")
    eventually(
        lambda: [s[1] for s in queues.seen("WorkerFunction") if s[0] == "raise-3"] == [1, 2], what="a retry"
    )
    eventually(lambda: queues.counts("WorkQueue") == (0, 0), what="an empty queue")


def test_a_malformed_failure_report_fails_the_whole_batch(queues: Queues) -> None:
    queues.send("WorkQueue", "malformed")
    eventually(
        lambda: len([s for s in queues.seen("WorkerFunction") if s[0] == "malformed"]) >= 2, what="a retry"
    )


def test_a_poison_message_ends_in_the_dead_letter_queue(queues: Queues) -> None:
    message_id = queues.send("WorkQueue", "poison")
    sqs = client("sqs", queues.endpoint)
    found: list[dict[str, Any]] = []

    def in_dlq() -> bool:
        found.extend(
            sqs.receive_message(QueueUrl=queues.url("WorkDeadLetterQueue"), WaitTimeSeconds=0).get(
                "Messages", []
            )
        )
        return any(m["MessageId"] == message_id for m in found)

    eventually(in_dlq, timeout=20, what="the message in the DLQ")
    # tried maxReceiveCount (2) times, then moved by the redrive policy
    assert [s[1] for s in queues.seen("WorkerFunction") if s[0] == "poison"] == [1, 2]


def test_fifo_records_carry_group_and_order_and_failures_are_ignored_without_reporting(
    queues: Queues,
) -> None:
    for n in range(5):
        queues.send(
            "OrderedQueue",
            f"step-{n}",
            MessageGroupId="chat-7",
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
        )
    eventually(lambda: len(queues.seen("OrderedFunction")) >= 5, what="five records")
    records = queues.seen("OrderedFunction")
    assert [r["body"] for r in records] == [f"step-{n}" for n in range(5)]
    first = records[0]
    assert first["attributes"]["MessageGroupId"] == "chat-7"
    assert first["attributes"]["ApproximateReceiveCount"] == "1"
    assert "MessageDeduplicationId" in first["attributes"]  # content-based
    assert first["messageAttributes"]["kind"] == {
        "stringValue": "test",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert first["eventSource"] == "aws:sqs"
    assert first["eventSourceARN"] == "arn:aws:sqs:eu-central-1:123456789012:OrderedQueue.fifo"
    assert set(first) >= {"messageId", "receiptHandle", "body", "md5OfBody", "awsRegion"}
    # Without ReportBatchItemFailures the answer is ignored: all deleted, none redelivered
    eventually(lambda: queues.counts("OrderedQueue") == (0, 0), what="an empty queue")
    time.sleep(1.5)
    assert len(queues.seen("OrderedFunction")) == 5
