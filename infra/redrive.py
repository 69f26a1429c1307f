"""Send dead-lettered outbox messages back for delivery: ``make redrive`` (after fixing the cause).

Reads the deployed stack's queue URLs and messages table from its outputs, marks each stored
message queued again and puts it back on the outbox queue (in its user's group, so order still
holds).
"""

from __future__ import annotations

import argparse
import os
import sys

import boto3

from supportbot.config import Config


def stack_outputs(stack_name: str) -> dict[str, str]:
    (stack,) = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack-name", required=True)
    args = parser.parse_args(argv)
    outputs = stack_outputs(args.stack_name)
    # The models' table names come from Config, read from the environment on first use.
    os.environ["CONVERSATIONS_TABLE"] = outputs["ConversationsTableName"]
    from supportbot.support.outbox import redrive_dead_letters

    config = Config(outbox_queue_url=outputs["OutboxQueueUrl"])
    moved = redrive_dead_letters(config, outputs["OutboxDeadLetterQueueUrl"], client=boto3.client("sqs"))
    print(f"{moved} message(s) sent back to the outbox")
    return 0


if __name__ == "__main__":
    sys.exit(main())
