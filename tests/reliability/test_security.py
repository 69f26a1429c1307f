"""Security review, as tests: fail closed without secrets at every entry point, no secret or full
phone number in log lines, short-lived presigned URLs, a private bucket, least-privilege IAM."""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from supportbot.redact import mask_phone, mask_phones, redact, redact_text
from tests.functional.events import webhook_event
from tests.reliability import figures
from tests.sam import role_policies, transformed_template

# --- masking ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+79001234567", "+7900***4567"),
        ("79001234567", "7900***4567"),
        ("+1 (415) 555-0100", "+1415***0100"),
        ("12", "***"),
    ],
)
def test_phone_numbers_are_masked_to_prefix_and_last_four(phone, masked):
    assert mask_phone(phone) == masked


def test_ids_and_short_numbers_are_not_taken_for_phones():
    assert mask_phones("order 10042, update 123456789, file AgACAgIAAxkBAAIBa2") == (
        "order 10042, update 123456789, file AgACAgIAAxkBAAIBa2"
    )
    update = {
        "update_id": 987654321,
        "message": {"from": {"id": 7000000001}, "contact": {"phone_number": "+79001234567"}},
    }
    assert redact(update) == {
        "update_id": 987654321,
        "message": {"from": {"id": 7000000001}, "contact": {"phone_number": "+7900***4567"}},
    }


def test_a_failing_update_with_a_contact_logs_neither_the_phone_nor_the_token(harness, logs, monkeypatch):
    # GIVEN a bug hit while a contact is handled, and a Bot API error naming its URL (with the token)
    def broken(*args, **kwargs):
        raise ConnectionError(
            f"HTTPSConnectionPool: Max retries exceeded with url: /bot{harness.world.token}/sendMessage"
        )

    monkeypatch.setattr("supportbot.pipeline.UpdateProcessor.compute_and_save", broken)
    harness.user(100000201, language="en")
    update = harness.world.user_sends_contact(100000201, "+79001112233")
    # WHEN it reaches the webhook
    response = harness.app.lambda_handler(webhook_event(update), harness.lambda_context)
    # THEN 200, the failure logged with the update, the phone masked and the token gone
    assert response["statusCode"] == 200
    assert "Update processing failed" in logs.text
    assert "+7900***2233" in logs.text
    assert "79001112233" not in logs.text
    assert harness.world.token not in logs.text
    # AND the stored failure reason does not carry the token either
    from supportbot.storage.failed_updates import FailedUpdateItem

    assert harness.world.token not in FailedUpdateItem.get(update["update_id"]).error
    assert redact_text(f"x{harness.world.token}y") == "x***y"


def test_every_service_log_line_goes_through_the_redacting_formatter(harness, logs):
    from functions.telegram_webhook import app

    service = logging.getLogger(app.logger.service)
    assert all(getattr(h.formatter, "redacting", False) for h in service.handlers)


# --- fail closed -----------------------------------------------------------------------------


def test_telegram_webhook_refuses_everything_without_its_secret(harness, monkeypatch):
    from supportbot.config import get_config

    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET")
    get_config.cache_clear()
    for secret in ("test-webhook-secret", "", None, "x"):
        response = harness.app.lambda_handler(
            webhook_event({"update_id": 1}, secret=secret), harness.lambda_context
        )
        figures.count("security", "Telegram webhook, secret unset", "inputs tried")
        assert response["statusCode"] in (401, 403)
    get_config.cache_clear()


def test_blinger_webhook_refuses_everything_without_its_secrets(desk, monkeypatch):
    from supportbot.config import get_config

    for name in ("BLINGER_TOKEN", "BLINGER_CHANNEL_ID", "BLINGER_WEBHOOK_SECRET"):
        monkeypatch.delenv(name)
    get_config.cache_clear()
    body = {
        "client_id": "tg-1",
        "type": "text",
        "data": "hi",
        "custom_channel_id": "telegram",
        "token": "blinger-app-token",
    }
    for headers, query in [
        ({"Authorization": "Bearer blinger-app-token"}, {}),
        ({}, {"key": "blinger-events-key"}),
        ({}, {}),
        ({}, {"key": ""}),
    ]:
        status, _ = desk.call_webhook(body, headers, query)
        figures.count("security", "Blinger webhook, secrets unset", "inputs tried")
        assert status in (401, 403), (headers, query, status)
    get_config.cache_clear()


def test_secret_checks_are_constant_time():
    import inspect

    import supportbot.security as security

    assert "hmac.compare_digest" in inspect.getsource(security.check_secret)


# --- presigned URLs and the bucket -----------------------------------------------------------


def test_presigned_urls_live_at_most_a_day(aws):
    from supportbot.support import files

    files.s3_client.cache_clear()
    url = files.presigned_url("bucket", "key")
    expires = int(parse_qs(urlsplit(url).query)["X-Amz-Expires"][0])
    assert expires <= 24 * 3600


def resources(kind: str) -> dict:
    return {k: v for k, v in transformed_template()["Resources"].items() if v["Type"] == kind}


def test_buckets_are_private_and_refuse_plain_http():
    buckets = resources("AWS::S3::Bucket")
    assert buckets
    policies = resources("AWS::S3::BucketPolicy")
    for name, bucket in buckets.items():
        block = bucket["Properties"]["PublicAccessBlockConfiguration"]
        assert block == dict.fromkeys(
            ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
        ), name
        denies = [
            statement
            for policy in policies.values()
            if policy["Properties"]["Bucket"] == {"Ref": name}
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement["Effect"] == "Deny"
            and statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert denies, f"{name} accepts plain HTTP"


# --- least privilege -------------------------------------------------------------------------


def statements():
    for name, role in resources("AWS::IAM::Role").items():
        for policy in role_policies(role):
            for statement in policy["PolicyDocument"]["Statement"]:
                if statement.get("Effect", "Allow") != "Allow":
                    continue
                listify = lambda v: v if isinstance(v, list) else [v]  # noqa: E731
                yield name, listify(statement.get("Action", [])), listify(statement.get("Resource", []))


def test_every_function_has_a_role_of_its_own_with_no_wildcard_grants():
    functions = resources("AWS::Lambda::Function")
    roles = {json.dumps(f["Properties"]["Role"]) for f in functions.values()}
    assert len(roles) == len(functions), "functions share a role"
    checked = 0
    for name, actions, resources_ in statements():
        checked += 1
        assert "*" not in actions, (name, actions)
        assert not any(re.fullmatch(r"[a-z0-9-]+:\*", a) for a in actions if isinstance(a, str)), (
            name,
            actions,
        )
        if "*" in resources_:
            # Only actions that cannot name a resource may use "*" (X-Ray, CloudWatch metrics...).
            allowed = ("xray:", "cloudwatch:PutMetricData", "logs:", "ssm:DescribeParameters")
            assert all(str(a).startswith(allowed) for a in actions), (name, actions)
    assert checked > len(functions)  # every function's role was read, not an empty list
    figures.put("security", "IAM statements (SAM-transformed)", "inputs tried", checked)


def test_table_grants_name_their_tables():
    grants = 0
    for name, actions, resources_ in statements():
        if any(str(a).startswith("dynamodb:") for a in actions):
            grants += 1
            for resource in resources_:
                text = json.dumps(resource)
                assert "table/*" not in text, (name, resource)
                assert text != '"*"', (name, resource)
    assert grants > 0  # the template's table grants were found and checked
