"""make redrive against a deployed stack: its messages table and queues come from the stack's
outputs, whatever this machine's environment says (a fresh process, as the command runs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from infra.localstack.aws import MotoServer, aws_environment, client
from infra.template import load_template, table_definitions
from tests.bench.stand_ins import free_port

ROOT = Path(__file__).resolve().parents[2]
TABLE = "bot-ConversationsTable-ABC123"
STORE_FAILED = """
from supportbot.support.messages import FAILED, BLINGER, NewMessage, new_message_item
item = new_message_item(NewMessage(42, BLINGER, [{"kind": "text", "text": "Где мой заказ?"}]))
item.status, item.reason = FAILED, "Blinger answered 500"
item.save()
print(json.dumps(item.key))
"""


def run(environment: dict[str, str], *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "CONVERSATIONS_TABLE"}
    env.update(environment, PYTHONPATH=f"{ROOT}:{ROOT / 'layers' / 'shared'}")
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_redrive_uses_the_stacks_messages_table_and_queues():
    with MotoServer(free_port()) as moto:
        aws = aws_environment(moto.url)
        definition = table_definitions(load_template())["CONVERSATIONS_TABLE"]
        client("dynamodb", moto.url).create_table(TableName=TABLE, **definition)
        sqs = client("sqs", moto.url)
        fifo = {"FifoQueue": "true", "ContentBasedDeduplication": "false"}
        outbox = sqs.create_queue(QueueName="outbox.fifo", Attributes=fifo)["QueueUrl"]
        dead = sqs.create_queue(QueueName="outbox-dlq.fifo", Attributes=fifo)["QueueUrl"]
        outputs = {
            "OutboxQueueUrl": outbox,
            "OutboxDeadLetterQueueUrl": dead,
            "ConversationsTableName": TABLE,
        }
        stack = {
            "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
            "Outputs": {name: {"Value": value} for name, value in outputs.items()},
        }
        client("cloudformation", moto.url).create_stack(StackName="bot", TemplateBody=json.dumps(stack))
        # GIVEN a message stored as failed in the stack's table, and its key dead-lettered
        key = run({**aws, "CONVERSATIONS_TABLE": TABLE}, "-c", "import json" + STORE_FAILED).strip()
        sqs.send_message(QueueUrl=dead, MessageBody=key, MessageGroupId="user-42", MessageDeduplicationId="1")
        # WHEN make redrive runs, with no table name in its environment
        printed = run(aws, "-m", "infra.redrive", "--stack-name", "bot")
        # THEN the message is queued again in the stack's table and back on the outbox queue
        assert printed.strip() == "1 message(s) sent back to the outbox"
        item = client("dynamodb", moto.url).get_item(
            TableName=TABLE, Key={k: {"S": v} for k, v in json.loads(key).items()}
        )["Item"]
        assert item["status"] == {"S": "queued"}
        (message,) = sqs.receive_message(QueueUrl=outbox)["Messages"]
        assert json.loads(message["Body"]) == json.loads(key)
