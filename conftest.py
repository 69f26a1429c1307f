"""Test-wide settings: obviously fake credentials and names, set before any module reads them."""

from __future__ import annotations

import os
import threading

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "SESSIONS_TABLE": "test-sessions",
        "CONTENT_TABLE": "test-content",
        "BACKEND_TABLE": "test-backend",
        "FAILED_UPDATES_TABLE": "test-failed-updates",
        "CONVERSATIONS_TABLE": "test-conversations",
        "PACING_TABLE": "test-pacing",
        "NOTIFICATIONS_TABLE": "test-notifications",
        "BUSINESS_WEBHOOK_SECRET": "test-business-secret",
        "BACKEND_TOKEN_SECRET": "test-backend-token-secret",
        "OPERATORS_TABLE": "test-operators",
        "TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN",
        "TELEGRAM_WEBHOOK_SECRET": "test-webhook-secret",
        "POWERTOOLS_SERVICE_NAME": "telegram-support-bot-tests",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
for variable in ("BACKEND_URL", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
    os.environ.pop(variable, None)

import boto3  # noqa: E402
import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402 - before any botocore client is made, so moto sees them all

from infra.template import create_tables, load_template, table_definitions  # noqa: E402

TABLE_NAMES = {variable: os.environ[variable] for variable in table_definitions(load_template())}


@pytest.fixture
def aws():
    """DynamoDB (and the rest of AWS) under moto, with every table of template.yaml."""
    with mock_aws():
        create_tables(boto3.client("dynamodb"), TABLE_NAMES)
        yield


@pytest.fixture
def atomic_aws(aws, monkeypatch):
    """moto's requests made atomic between threads, as DynamoDB's are: in-process moto does not lock
    its tables, so two threads' conditional writes could both pass the same condition (or a
    transaction deep-copy a table another thread is writing to). Tests that race Lambda instances
    in threads use it, so the only races left are the ones DynamoDB allows."""
    from moto.core.botocore_stubber import BotocoreStubber

    atomic = threading.Lock()
    real_call = BotocoreStubber.__call__

    def one_request_at_a_time(stubber: BotocoreStubber, *args, **kwargs):
        with atomic:
            return real_call(stubber, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", one_request_at_a_time)


@pytest.fixture
def lambda_context():
    from tests.functional.events import FakeLambdaContext

    return FakeLambdaContext()


@pytest.fixture(autouse=True)
def _sends_at_once_unless_about_pacing(request, monkeypatch):
    """The outbox books every send to a chat in its token bucket (supportbot/pacing.py); a test
    that is not about pacing (no ``pacing`` marker) gets every booking for now, as the Telegram
    stand-in turns its flood limits off for such tests (``World(rate_limits=False)``)."""
    doctest = hasattr(request.node, "dtest")  # the pacing module's own examples are about it
    if request.node.get_closest_marker("pacing") is None and not doctest:
        from supportbot import pacing

        monkeypatch.setattr(pacing.Pacer, "book", lambda self, scope, rate, units=1: 0.0)


BROWSER_SKIPS = ("chromium", "playwright")


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped browser test is a failure: the Makefile installs Chromium and Playwright there."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    reasons = [str(report.longrepr) for report in skipped]
    missing = [reason for reason in reasons if any(word in reason.lower() for word in BROWSER_SKIPS)]
    if missing:
        reporter.write_line(f"CI: browser tests were skipped ({missing[0]}); failing the run", red=True)
        session.exitstatus = 1
