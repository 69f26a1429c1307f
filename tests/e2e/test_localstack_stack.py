"""``python -m infra.localstack`` as ``make run`` starts it: quick start, the URLs, the pieces wired
together (moto with demo data, the webhook set with the secret, the sandbox as strict as
Telegram), and a clean stop on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import json
import signal
import socket
from pathlib import Path

import pytest
import requests

from infra.demo import CUSTOMER_PHONE, PARTNER_PHONE
from infra.localstack.aws import client
from infra.localstack.stack import BLINGER_EVENTS_SECRET
from infra.localstack.telegram import CUSTOMER_USER_ID, LOCAL_TOKEN, PARTNER_USER_ID, WAREHOUSE_CHAT_ID
from tests.e2e.conftest import StackProcess, start_stack, unexpected_tracebacks

pytestmark = pytest.mark.slow


def bot_api(
    stack: StackProcess, method: str, token: str = LOCAL_TOKEN, **params: object
) -> requests.Response:
    return requests.post(f"{stack.telegram_url}/bot{token}/{method}", json=params, timeout=10)


def test_starts_and_prints_the_urls(stack: StackProcess) -> None:
    log = stack.log
    for url in (f"{stack.telegram_url}/sandbox/", stack.blinger_url, stack.api_url, stack.moto_url):
        assert url in log
    assert f"{stack.api_url}/ (its routes)" in log  # the page listing them: test_localstack_terminal
    # the session's stack: earlier tests may have made an update fail on purpose (admin Replay)
    assert unexpected_tracebacks(log, stack.expected_failures) == []


def test_webhook_is_registered_with_the_secret(stack: StackProcess) -> None:
    info = bot_api(stack, "getWebhookInfo").json()["result"]
    assert info["url"] == f"{stack.api_url}/v1/telegram/webhook"
    # The API refuses a caller without Telegram's secret header, as deployed
    update = {"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}}}
    assert requests.post(info["url"], json=update, timeout=5).status_code == 401
    wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
    assert requests.post(info["url"], json=update, headers=wrong, timeout=5).status_code == 403


def test_the_sandbox_has_the_demo_people_and_the_warehouse_group(stack: StackProcess) -> None:
    state = requests.get(f"{stack.telegram_url}/sandbox/api/state", timeout=10).json()
    phones = {u["id"]: u["phone_number"] for u in state["users"]}
    assert phones[CUSTOMER_USER_ID] == CUSTOMER_PHONE
    assert phones[PARTNER_USER_ID] == PARTNER_PHONE
    group = next(c for c in state["chats"] if c["id"] == WAREHOUSE_CHAT_ID)
    assert group["type"] != "private"


def test_aws_has_the_templates_resources_and_demo_data(stack: StackProcess) -> None:
    dynamodb = client("dynamodb", stack.moto_url)
    tables = set(dynamodb.list_tables()["TableNames"])
    assert {"SessionsTable", "ContentTable", "BackendTable", "FailedUpdatesTable"} <= tables
    customers = dynamodb.scan(TableName="BackendTable", Select="COUNT")["Count"]
    assert customers >= 30 + 7  # the demo customer's and partner's orders
    faq = dynamodb.query(
        TableName="ContentTable",
        KeyConditionExpression="tree = :t",
        ExpressionAttributeValues={":t": {"S": "faq"}},
    )["Items"]
    assert len(faq) >= 7


@pytest.mark.parametrize(
    ("method", "params", "status", "description"),
    [
        ("sendMessage", {"chat_id": 1001}, 400, "Bad Request: message text is empty"),
        (
            "sendMessage",
            {"chat_id": 1001, "text": "x", "parse_mode": "HTML2"},
            400,
            "Bad Request: unsupported parse_mode",
        ),
        ("sendMessage", {"chat_id": 424242, "text": "x"}, 400, "Bad Request: chat not found"),
        ("sendMessage", {"chat_id": 1001, "text": "<b>x", "parse_mode": "HTML"}, 400, None),
        ("sendMesage", {"chat_id": 1001, "text": "x"}, 404, "Not Found"),
    ],
)
def test_the_sandbox_refuses_bad_calls_in_telegrams_words(
    stack: StackProcess, method: str, params: dict[str, object], status: int, description: str | None
) -> None:
    answer = bot_api(stack, method, **params)
    body = answer.json()
    assert answer.status_code == status
    assert body["ok"] is False
    assert body["error_code"] == status
    if description is not None:
        assert body["description"] == description
    else:
        assert body["description"].startswith("Bad Request: can't parse entities")


def test_the_sandbox_refuses_a_wrong_token(stack: StackProcess) -> None:
    answer = bot_api(stack, "getMe", token="1:WRONG")
    assert (answer.status_code, answer.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )


def port_is_free(port: int) -> bool:
    """Free for the next ``make run``: its servers bind with SO_REUSEADDR (http.server's and
    werkzeug's default), so a connection in TIME_WAIT on the port does not count."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_stops_cleanly(tmp_path: Path, sig: int) -> None:
    running = start_stack(tmp_path)
    rc = running.stop(sig)
    assert rc == 0, running.log
    assert "Traceback" not in running.log
    assert running.log.rstrip().endswith("stopped")
    assert [name for name, port in running.ports.items() if not port_is_free(port)] == []


def test_a_taken_port_is_reported_without_a_traceback(tmp_path: Path, stack: StackProcess) -> None:
    import subprocess
    import sys

    from tests.e2e.conftest import ROOT

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "infra.localstack",
            "--port",
            str(stack.ports["api"]),
            "--moto-port",
            "0",
            "--telegram-port",
            "0",
            "--blinger-port",
            "0",
            "--state-dir",
            str(tmp_path / "state"),
        ],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}:{ROOT / 'layers' / 'shared'}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Could not start" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_the_access_log_names_the_route_never_the_blinger_key(stack: StackProcess) -> None:
    # GIVEN the Blinger events URL with its ?key= secret (an event for nobody: answered 404)
    event = {"webhook": "on_conversation_assigned", "conversation": {"id": 1, "from_user": {}}}
    answer = requests.post(
        f"{stack.api_url}/v1/blinger/webhook/?key={BLINGER_EVENTS_SECRET}", json=event, timeout=10
    )
    assert answer.status_code == 400, answer.text
    # THEN the stack logged the request as API Gateway would with the template's format: one JSON
    # line with the route and the status, and the key nowhere in the log
    lines = [line for line in stack.log.splitlines() if "infra.localstack.access" in line]
    logged = [json.loads(line.split("infra.localstack.access: ", 1)[1]) for line in lines]
    blinger = [entry for entry in logged if entry["route"] == "POST /v1/blinger/webhook/"]
    assert blinger, lines[-5:]
    assert blinger[-1]["status"] == "400"
    assert blinger[-1]["requestId"] != "-"
    assert BLINGER_EVENTS_SECRET not in stack.log
