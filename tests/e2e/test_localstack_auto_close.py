"""The auto-close on the running local stack: `make run` runs the template's schedule on a timer
(here every second: ``--schedule-seconds 1``), and an answered conversation whose last activity is
more than AUTO_CLOSE_HOURS ago is closed by it, the customer asked in the web chat to rate it.

The conversation is made old by moving its last activity back in the stack's DynamoDB (moto), as
a day passing would: the schedule's run is the real one, through the outbox to the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from supportbot.support.conversations import activity_key, conversation_key
from tests.e2e.conftest import StackProcess, start_stack
from tests.e2e.test_localstack_surfaces import (
    admin,
    ask,
    bot_messages,
    conversation_of,
    eventually,
    logged_in,
)

pytestmark = pytest.mark.slow
ASKED = "Диалог C{number} закрыт: в нём ничего не писали 24 ч."


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    running = start_stack(tmp_path_factory.mktemp("auto-close"), extra_args=("--schedule-seconds", "1"))
    try:
        yield running
    finally:
        rc = running.stop()
    assert rc == 0
    assert "Traceback" not in running.log
    assert "AutoCloseFunction ran on its schedule" in running.log


def a_day_passes(stack: StackProcess, user_id: int, number: int) -> None:
    """Move the conversation's last activity back 25 hours, where the auto-close looks for it."""
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=stack.moto_url,
        region_name="eu-central-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    old = activity_key(datetime.now(UTC) - timedelta(hours=25))
    dynamodb.update_item(
        TableName="ConversationsTable",
        Key={"pk": {"S": f"U#{user_id}"}, "sk": {"S": conversation_key(number)}},
        UpdateExpression="SET list_sk = :old, last_activity_at = :old",
        ExpressionAttributeValues={":old": {"S": old}},
    )


def runs(stack: StackProcess) -> int:
    return stack.log.count("AutoCloseFunction ran on its schedule")


def test_an_answered_conversation_silent_a_day_is_closed_by_the_schedule(stack: StackProcess) -> None:
    # GIVEN Ира's question, answered from the admin inbox
    chat = logged_in(stack, "Ира")
    ask(chat, "Когда привезут?")
    conversation = eventually(lambda: conversation_of(stack, chat.user_id), "her conversation")
    ref = conversation["id"]
    status, body = admin(stack, "POST", f"/conversations/{ref}/reply", {"text": "Завтра"})
    assert status == 202, body
    eventually(lambda: conversation_of(stack, chat.user_id)["status"] == "answered", "answered")
    # WHEN a day passes without her writing
    a_day_passes(stack, chat.user_id, int(ref[1:]))
    # THEN the schedule's next run closes it as the auto-close, and she is asked to rate it
    eventually(
        lambda: conversation_of(stack, chat.user_id)["closed_by"] == "auto", "closed by the auto-close"
    )
    text = ASKED.format(number=ref[1:])
    asked = eventually(
        lambda: next((m for m in bot_messages(chat) if m.text.startswith(text)), None), "asked"
    )
    assert asked.labels == ["1", "2", "3", "4", "5"]
    # AND only once, whatever the runs since (three more of them)
    after = runs(stack)
    eventually(lambda: runs(stack) >= after + 3, "three more runs")
    assert sum(m.text.startswith(text) for m in bot_messages(chat)) == 1
