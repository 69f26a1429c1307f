"""template.yaml as an auditor reads it: checkov clean (every skip says why), a customer KMS key
used everywhere when given (AWS-owned keys when not), a concurrency ceiling per function, and
access logs that never carry a secret."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from infra.localstack.template_model import Resolver
from infra.template import load_template, resources_of_type
from tests.sam import transformed_template

ROOT = Path(__file__).resolve().parents[3]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
CHECKOV_ARGS = ["--file", "template.yaml", "--framework", "cloudformation", "--skip-download", "--quiet"]
KEY = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000000"
FUNCTIONS = {
    "TelegramWebhookFunction": "TelegramWebhookReservedConcurrency",
    "BlingerWebhookFunction": "BlingerWebhookReservedConcurrency",
    "AdminFunction": "AdminReservedConcurrency",
    "OutboxFunction": "OutboxReservedConcurrency",
    "BusinessWebhookFunction": "BusinessWebhookReservedConcurrency",
    "NotificationsFunction": "NotificationsReservedConcurrency",
    "RetentionFunction": "RetentionReservedConcurrency",
    "AutoCloseFunction": "AutoCloseReservedConcurrency",
}


def test_checkov_finds_nothing_unexplained():
    # make lint and make test install checkov in its own virtualenv (its pins clash with the dev tools')
    assert CHECKOV.is_file(), "checkov is missing: make lint (or make test) installs it in .venv-checkov"
    result = subprocess.run(
        [CHECKOV, *CHECKOV_ARGS, "--output", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    failed = [(check["check_id"], check["resource"]) for check in report["results"]["failed_checks"]]
    assert failed == [], failed
    assert result.returncode == 0, result.stderr[-2000:]
    assert report["summary"]["passed"] > 0


def test_every_checkov_skip_says_why():
    skips = 0
    for name, resource in load_template()["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (name, skip)
            assert len(skip.get("comment", "")) > 20, (name, skip)
            skips += 1
    assert skips > 0


def resolved(properties: object, kms_key: str = "") -> object:
    """Properties as CloudFormation would deploy them with ``KmsKeyArn`` given (or left empty)."""
    return Resolver(load_template(), parameters={"KmsKeyArn": kms_key}).resolve(properties, "test")


def test_a_customer_key_encrypts_every_store_when_given():
    resources = load_template()["Resources"]

    def props(kind: str) -> dict[str, dict]:
        return {name: r["Properties"] for name, r in resources_of_type(load_template(), kind).items()}

    tables = props("AWS::DynamoDB::Table")
    queues = props("AWS::SQS::Queue")
    log_groups = props("AWS::Logs::LogGroup")
    # the Pacing, Notifications and Operators tables, the Retention queue and function, the
    # auto-close function among them
    assert (len(tables), len(queues), len(log_groups)) == (8, 5, 9)
    # GIVEN a customer key: every table, queue, log group, the bucket and the topic use it
    for name, table in tables.items():
        assert resolved(table["SSESpecification"], KEY) == {
            "SSEEnabled": True,
            "SSEType": "KMS",
            "KMSMasterKeyId": KEY,
        }, name
    for name, queue in queues.items():
        assert resolved(queue, KEY)["KmsMasterKeyId"] == KEY, name  # type: ignore[index]
        assert "SqsManagedSseEnabled" not in resolved(queue, KEY), name  # type: ignore[operator]
    for name, group in log_groups.items():
        assert resolved(group, KEY)["KmsKeyId"] == KEY, name  # type: ignore[index]
    bucket = resolved(resources["AttachmentsBucket"]["Properties"]["BucketEncryption"], KEY)
    (rule,) = bucket["ServerSideEncryptionConfiguration"]  # type: ignore[index]
    assert rule == {
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY},
        "BucketKeyEnabled": True,
    }
    assert resolved(resources["AlarmTopic"]["Properties"], KEY)["KmsMasterKeyId"] == KEY  # type: ignore[index]
    functions = load_template()["Globals"]["Function"]
    assert resolved({"KmsKeyArn": functions["KmsKeyArn"]}, KEY) == {"KmsKeyArn": KEY}
    # AND none is left with an AWS-managed key
    for name, resource in resources.items():
        assert "alias/aws/" not in json.dumps(resource), name


def test_aws_owned_keys_when_no_key_is_given():
    resources = load_template()["Resources"]
    for name, table in resources_of_type(load_template(), "AWS::DynamoDB::Table").items():
        assert resolved(table["Properties"]["SSESpecification"]) == {"SSEEnabled": False}, name
    for name, queue in resources_of_type(load_template(), "AWS::SQS::Queue").items():
        properties = resolved(queue["Properties"])
        assert properties["SqsManagedSseEnabled"] is True, name  # type: ignore[index]
        assert "KmsMasterKeyId" not in properties, name  # type: ignore[operator]
    for name, group in resources_of_type(load_template(), "AWS::Logs::LogGroup").items():
        assert "KmsKeyId" not in resolved(group["Properties"]), name  # type: ignore[operator]
    bucket = resolved(resources["AttachmentsBucket"]["Properties"]["BucketEncryption"])
    assert bucket == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    }
    assert "KmsMasterKeyId" not in resolved(resources["AlarmTopic"]["Properties"])  # type: ignore[operator]
    assert load_template()["Parameters"]["KmsKeyArn"]["Default"] == ""


def test_functions_may_use_the_key_only_when_one_is_given():
    template = transformed_template()["Resources"]
    for function in FUNCTIONS:
        role = template[f"{function}Role"]["Properties"]["Policies"]
        conditional = [policy["Fn::If"] for policy in role if "Fn::If" in policy]
        (condition, policy, otherwise), *others = conditional
        assert others == [], function
        assert (condition, otherwise) == ("HasKmsKey", {"Ref": "AWS::NoValue"}), function
        assert policy["PolicyDocument"]["Statement"] == [
            {
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": {"Ref": "KmsKeyArn"},
            }
        ], function


def test_each_function_has_a_concurrency_ceiling_of_its_own():
    template = load_template()
    for function, parameter in FUNCTIONS.items():
        props = template["Resources"][function]["Properties"]
        condition = props["ReservedConcurrentExecutions"]["Fn::If"][0]
        assert props["ReservedConcurrentExecutions"] == {
            "Fn::If": [condition, {"Ref": parameter}, {"Ref": "AWS::NoValue"}]
        }, function
        # empty = no reservation (accounts whose limit leaves none to reserve); defaults reserve
        assert template["Conditions"][condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, ""]}]}
        assert int(template["Parameters"][parameter]["Default"]) > 0, parameter
    # Telegram never opens more than max_connections at once (infra/set_webhook.py sets 40)
    assert template["Parameters"]["TelegramWebhookReservedConcurrency"]["Default"] == "40"
    assert '"max_connections": 40' in (ROOT / "infra" / "set_webhook.py").read_text(encoding="utf-8")
    # AND the outbox's event source never runs more consumers than it may have (no throttled
    # receives counting towards the dead-letter queue)
    events = template["Resources"]["OutboxFunction"]["Properties"]["Events"]
    assert events["Outbox"]["Properties"]["ScalingConfig"] == {
        "Fn::If": [
            "ReservesOutbox",
            {"MaximumConcurrency": {"Ref": "OutboxReservedConcurrency"}},
            {"Ref": "AWS::NoValue"},
        ]
    }
    assert int(template["Parameters"]["OutboxReservedConcurrency"]["Default"]) >= 2  # SQS's minimum


# $context variables that name no URL, header or body: the route key is the template's own path.
SAFE_CONTEXT = {
    "requestId",
    "requestTime",
    "routeKey",
    "status",
    "identity.sourceIp",
    "protocol",
    "responseLength",
    "responseLatency",
    "integrationStatus",
    "integrationLatency",
}


def test_api_access_logs_are_json_naming_the_route_never_the_url():
    (api,) = resources_of_type(load_template(), "AWS::Serverless::HttpApi").values()
    settings = api["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["HttpApiAccessLogGroup", "Arn"]}
    fields = json.loads(settings["Format"])  # JSON whatever the values: each is a quoted string
    variables = {}
    for name, value in fields.items():
        found = re.fullmatch(r"\$context\.([A-Za-z.]+)", value)
        assert found, (name, value)
        variables[name] = found.group(1)
    # THEN the route is logged, and nothing that carries the path or the query (the Blinger
    # events URL's ?key=, phone numbers in admin paths)
    assert variables["route"] == "routeKey"
    assert set(variables.values()) <= SAFE_CONTEXT, set(variables.values()) - SAFE_CONTEXT
    # AND the log group is kept as long as the functions' logs
    group = load_template()["Resources"]["HttpApiAccessLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
