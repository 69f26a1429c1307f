"""template.yaml: lint-clean, routes and policies as SAM will deploy them."""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.template import global_environment, load_template, resources_of_type
from tests.sam import role_policies, transformed_template

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def resources(kind: str) -> dict:
    return {k: v for k, v in transformed_template()["Resources"].items() if v["Type"] == kind}


def test_cfn_lint_reports_nothing():
    result = subprocess.run([BIN / "cfn-lint", "template.yaml"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_lint_reports_nothing():
    result = subprocess.run(
        [BIN / "sam", "validate", "--lint", "--region", "eu-central-1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": f"{BIN}:/usr/bin:/bin", "SAM_CLI_TELEMETRY": "0", "HOME": str(ROOT / ".aws-sam")},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def deployed_routes() -> dict[str, str]:
    """ "METHOD /path" -> the function it invokes, from the OpenAPI body SAM generates for the HttpApi."""
    (api,) = resources("AWS::ApiGatewayV2::Api").values()
    routes = {}
    for path, methods in api["Properties"]["Body"]["paths"].items():
        for method, operation in methods.items():
            uri = operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            routes[f"{method.upper()} {path}"] = uri.split("${")[-1].split(".")[0]
    return routes


def test_telegram_webhook_route_is_deployed():
    # GIVEN the template after SAM's transform
    # THEN Telegram's webhook route exists exactly as Telegram will call it, to the webhook function
    assert deployed_routes()["POST /v1/telegram/webhook"] == "TelegramWebhookFunction"


def test_functions_run_python_313_on_arm64_with_the_shared_layer():
    for name, function in resources("AWS::Lambda::Function").items():
        props = function["Properties"]
        assert props["Runtime"] == "python3.13", name
        assert props["Architectures"] == ["arm64"], name
        assert props["TracingConfig"] == {"Mode": "Active"}, name
        assert props["Layers"][0]["Ref"].startswith("SharedLayer"), name


def test_functions_log_json_without_the_platforms_info_lines_at_the_chosen_level():
    # Lambda filters JSON logs by level: START/END/REPORT (INFO) would be most of the log bill.
    template = load_template()
    allowed = template["Parameters"]["LogLevel"]["AllowedValues"]
    levels = {name: row["Level"] for name, row in template["Mappings"]["LambdaLogLevel"].items()}
    lambda_names = {"DEBUG": "DEBUG", "INFO": "INFO", "WARNING": "WARN", "ERROR": "ERROR"}
    assert levels == {level: lambda_names[level] for level in allowed}
    for name, function in resources("AWS::Lambda::Function").items():
        logging = function["Properties"]["LoggingConfig"]
        assert logging["LogFormat"] == "JSON", name
        assert logging["SystemLogLevel"] == "WARN", name
        assert logging["ApplicationLogLevel"] == {
            "Fn::FindInMap": ["LambdaLogLevel", {"Ref": "LogLevel"}, "Level"]
        }, name
        assert "LogGroup" in logging, name


def test_admin_layer_is_loaded_by_the_admin_function_only():
    # GIVEN the template after SAM's transform (Globals' layers and a function's own are appended)
    layers = {
        name: [layer["Ref"] for layer in function["Properties"]["Layers"]]
        for name, function in resources("AWS::Lambda::Function").items()
    }
    # THEN the admin function has the shared layer and the admin layer, once each
    assert [ref.rstrip("0123456789abcdef") for ref in layers.pop("AdminFunction")] == [
        "SharedLayer",
        "AdminLayer",
    ]
    # AND no other function loads the admin layer (pydantic stays off the webhooks' cold start)
    for name, refs in layers.items():
        assert len(refs) == 1, name
        assert not any(ref.startswith("AdminLayer") for ref in refs), name


def test_admin_routes_are_deployed():
    # GIVEN the template after SAM's transform
    routes = deployed_routes()
    # THEN every path under /v1/admin and the admin root itself reach the admin function, any method
    any_method = "X-AMAZON-APIGATEWAY-ANY-METHOD"  # how SAM's OpenAPI body writes Method: ANY
    assert routes[f"{any_method} /v1/admin/{{proxy+}}"] == "AdminFunction"
    assert routes[f"{any_method} /v1/admin"] == "AdminFunction"
    # AND API Gateway may invoke it for both
    patterns = invoke_permission_patterns("AdminFunction")
    for source_path in ("GET/v1/admin", "PUT/v1/admin/trees/faq/nodes/a1", "GET/v1/admin/"):
        source = f"arn:aws:execute-api:eu-central-1:123456789012:api/$default/{source_path}"
        assert any(fnmatch.fnmatchcase(source, pattern) for pattern in patterns), (source_path, patterns)


def test_admin_key_and_operator_key_secret_come_from_ssm():
    admin = load_template()["Resources"]["AdminFunction"]["Properties"]
    assert admin["Environment"]["Variables"] == {
        "ADMIN_API_KEY_PARAMETER": {"Fn::Sub": "/${SsmPrefix}/admin-api-key"},
        "ADMIN_API_KEY_PREVIOUS_PARAMETER": {"Fn::Sub": "/${SsmPrefix}/admin-api-key-previous"},
        "OPERATOR_KEY_SECRET_PARAMETER": {"Fn::Sub": "/${SsmPrefix}/operator-key-secret"},
    }


@pytest.mark.parametrize(
    ("function", "secret", "name"),
    [
        ("TelegramWebhookFunction", "TELEGRAM_WEBHOOK_SECRET", "telegram-webhook-secret"),
        ("BlingerWebhookFunction", "BLINGER_TOKEN", "blinger-token"),
        ("BlingerWebhookFunction", "BLINGER_WEBHOOK_SECRET", "blinger-webhook-secret"),
        ("AdminFunction", "ADMIN_API_KEY", "admin-api-key"),
        ("BusinessWebhookFunction", "BUSINESS_WEBHOOK_SECRET", "business-webhook-secret"),
        ("TelegramWebhookFunction", "BACKEND_TOKEN_SECRET", "backend-token-secret"),
        ("OutboxFunction", "BACKEND_TOKEN_SECRET", "backend-token-secret"),
    ],
)
def test_each_checked_secret_can_be_rotated_where_it_is_checked(function, secret, name):
    # The function that checks a caller's secret also reads /<SsmPrefix>/<name>-previous (IAM
    # follows from the environment: test_each_function_reads_exactly_the_ssm_parameters_...)
    env = {
        **global_environment(load_template()),
        **load_template()["Resources"][function]["Properties"]["Environment"]["Variables"],
    }
    assert env[f"{secret}_PARAMETER"] == {"Fn::Sub": f"/${{SsmPrefix}}/{name}"}
    assert env[f"{secret}_PREVIOUS_PARAMETER"] == {"Fn::Sub": f"/${{SsmPrefix}}/{name}-previous"}


def test_message_retention_is_a_parameter_every_function_gets():
    template = load_template()
    assert template["Parameters"]["MessageRetentionDays"]["Default"] == 365
    assert global_environment(template)["MESSAGE_RETENTION_DAYS"] == {"Ref": "MessageRetentionDays"}


def test_tables_are_on_demand_with_point_in_time_recovery():
    for name, table in resources_of_type(load_template(), "AWS::DynamoDB::Table").items():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST", name
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, name


def test_sessions_table_expires_abandoned_sessions():
    sessions = load_template()["Resources"]["SessionsTable"]["Properties"]
    assert sessions["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_every_ttl_attribute_is_the_one_its_table_expires_on():
    # GIVEN every pynamodb model with a TTL attribute, and the table it is stored in
    from pynamodb.attributes import TTLAttribute

    from supportbot.storage.failed_updates import FailedUpdateItem
    from supportbot.storage.sessions import SessionItem
    from supportbot.support.conversations import ConversationItem
    from supportbot.support.messages import MarkerItem

    tables = {
        SessionItem: "SessionsTable",
        FailedUpdateItem: "FailedUpdatesTable",
        MarkerItem: "ConversationsTable",
        ConversationItem: "ConversationsTable",
    }
    resources_ = load_template()["Resources"]
    for model, table in tables.items():
        (ttl,) = [a for a in model.get_attributes().values() if isinstance(a, TTLAttribute)]
        # THEN DynamoDB deletes expired items (a different name would silently keep them forever)
        spec = resources_[table]["Properties"]["TimeToLiveSpecification"]
        assert spec == {"AttributeName": ttl.attr_name, "Enabled": True}, model.__name__


def test_the_backend_table_still_expires_the_token_items_an_earlier_version_stored():
    # Login tokens are signed now (backend/builtin.py); the TOKEN items stored before carry
    # expires_at and go by TTL on a stack where nobody runs make migrate (which deletes them).
    backend = load_template()["Resources"]["BackendTable"]["Properties"]
    assert backend["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_secrets_come_from_ssm_parameter_names_never_values():
    env = global_environment(load_template())
    for function in resources_of_type(load_template(), "AWS::Serverless::Function").values():
        env = {**env, **function["Properties"].get("Environment", {}).get("Variables", {})}
    for secret in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "BACKEND_API_KEY"):
        assert f"{secret}_PARAMETER" in env, secret
        assert env.get(secret, "") == "", f"{secret} must not have a value in the template"


def statements(role: dict) -> list[dict]:
    return [
        statement for policy in role_policies(role) for statement in policy["PolicyDocument"]["Statement"]
    ]


def ssm_parameters_readable(role: dict) -> set[str]:
    names = set()
    for statement in statements(role):
        if "ssm:GetParameters" in statement["Action"]:
            _, values = statement["Resource"]["Fn::Sub"]
            names.add(values["parameterName"]["Fn::Sub"])
    return names


def test_each_function_reads_exactly_the_ssm_parameters_in_its_environment():
    # An internet-facing webhook must not be able to read the admin key (or any other secret it
    # does not use); and it must read all of its own: GetParameters fails whole on one refusal.
    template = transformed_template()["Resources"]
    for name, function in resources("AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        own = {value["Fn::Sub"] for key, value in variables.items() if key.endswith("_PARAMETER")}
        role = template[function["Properties"]["Role"]["Fn::GetAtt"][0]]
        assert ssm_parameters_readable(role) == own, name
    readable = ssm_parameters_readable(template["TelegramWebhookFunctionRole"])
    assert "/${SsmPrefix}/admin-api-key" not in readable


def s3_actions(role: dict) -> set[str]:
    actions = set()
    for statement in statements(role):
        listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        actions.update(action for action in listed if action.startswith("s3:"))
    return actions


def test_attachments_are_only_put_by_the_functions_that_store_them():
    # No ACL or lifecycle rights: a webhook cannot change how long attachments are kept. Listing
    # and deleting is for erasing a person (the bot's "Delete my data", the admin's erase), reading
    # for presigning their export's links (admin only).
    template = transformed_template()["Resources"]
    erase = {"s3:ListBucket", "s3:DeleteObject"}
    assert s3_actions(template["TelegramWebhookFunctionRole"]) == {"s3:PutObject", *erase}
    assert s3_actions(template["AdminFunctionRole"]) == {"s3:PutObject", "s3:GetObject", *erase}
    assert s3_actions(template["BlingerWebhookFunctionRole"]) == set()


def test_no_policy_allows_every_action_on_every_resource():
    for name, role in resources("AWS::IAM::Role").items():
        for policy in role_policies(role):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = (
                    statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                )
                resources_ = (
                    statement["Resource"]
                    if isinstance(statement["Resource"], list)
                    else [statement["Resource"]]
                )
                assert not ("*" in actions and "*" in resources_), (name, statement)
                assert not any(action.endswith(":*") for action in actions), (name, statement)


def test_the_dead_letter_alarm_emails_whoever_alarm_email_names():
    template = load_template()
    alarm = resources("AWS::CloudWatch::Alarm")["OutboxDeadLetterAlarm"]
    assert alarm["Properties"]["Dimensions"][0]["Value"] == {
        "Fn::GetAtt": ["OutboxDeadLetterQueue", "QueueName"]
    }
    # the topic exists only when an address is given, and the alarm notifies it then
    assert alarm["Properties"]["AlarmActions"] == {
        "Fn::If": ["HasAlarmEmail", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]
    }
    topic = template["Resources"]["AlarmTopic"]
    assert topic["Condition"] == "HasAlarmEmail"
    assert topic["Properties"]["Subscription"] == [{"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}]
    assert template["Conditions"]["HasAlarmEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]
    }
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""


def test_every_output_is_described():
    for name, output in load_template()["Outputs"].items():
        assert output.get("Description"), name


@pytest.mark.slow
def test_sam_build_layer_holds_engine_package_and_arm64_dependencies(tmp_path):
    # GIVEN the template, built the way `make build` does
    if shutil.which("make") is None:  # pragma: no cover
        pytest.fail("make is required by the layer's BuildMethod: makefile")
    build_dir = tmp_path / "build"
    result = subprocess.run(
        [BIN / "sam", "build", "--build-dir", str(build_dir), "--cache-dir", str(tmp_path / "cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": f"{BIN}:/usr/bin:/bin", "SAM_CLI_TELEMETRY": "0", "HOME": str(tmp_path)},
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    layer = build_dir / "SharedLayer" / "python"
    # THEN the layer has the engine, the package and the runtime dependencies
    for package in ("statemachine", "supportbot", "telebot", "pynamodb", "requests", "aws_lambda_powertools"):
        assert (layer / package / "__init__.py").is_file(), package
    assert (layer / "supportbot" / "locales" / "ru.json").is_file()
    # AND none of what the Lambda runtime already brings
    for bundled in ("boto3", "botocore", "s3transfer", "aiohttp"):
        assert not (layer / bundled).exists(), bundled
    # AND compiled extensions are for CPython 3.13 on arm64
    extensions = list(layer.rglob("*.so"))
    assert extensions, "expected charset_normalizer's compiled speedups"
    for extension in extensions:
        assert "cpython-313-aarch64-linux-gnu" in extension.name, extension
        assert extension.read_bytes()[18] == 0xB7, (
            f"{extension} is not an AArch64 ELF"
        )  # e_machine EM_AARCH64
    # AND the function itself is only its handler
    assert sorted(p.name for p in (build_dir / "TelegramWebhookFunction").iterdir()) == ["app.py"]
    # AND the admin layer holds the admin package and pydantic, compiled for CPython 3.13 on arm64
    admin = build_dir / "AdminLayer" / "python"
    for package in ("supportbot_admin", "pydantic", "pydantic_core", "annotated_types", "typing_inspection"):
        assert (admin / package / "__init__.py").is_file(), package
    (core,) = (admin / "pydantic_core").glob("_pydantic_core*.so")
    assert "cpython-313-aarch64-linux-gnu" in core.name, core
    assert core.read_bytes()[18] == 0xB7, f"{core} is not an AArch64 ELF"
    # AND the shared layer does not carry them
    assert not (layer / "pydantic").exists()
    assert not (layer / "supportbot_admin").exists()
    # AND both layers carry their bytecode for the runtime (the Makefiles' shared include works
    # under sam build; tests/unit/test_layer_trim.py checks every module of it)
    if sys.version_info[:2] == (3, 13):
        assert (layer / "supportbot" / "__pycache__" / "pipeline.cpython-313.pyc").is_file()
        assert (admin / "supportbot_admin" / "__pycache__" / "api.cpython-313.pyc").is_file()
    swagger_ui = "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui-bundle.min.js"
    assert (admin / swagger_ui).is_file()
    assert not (layer / swagger_ui).exists()


def invoke_permission_patterns(function: str) -> list[str]:
    """SourceArn patterns (ArnLike wildcards) of the permissions letting API Gateway invoke ``function``."""
    names = {
        "AWS::Partition": "aws",
        "AWS::Region": "eu-central-1",
        "AWS::AccountId": "123456789012",
        "HttpApi": "api",
        "__ApiId__": "api",
        "__Stage__": "*",
    }
    patterns = []
    for permission in resources("AWS::Lambda::Permission").values():
        props = permission["Properties"]
        if props["FunctionName"] != {"Ref": function} or props["Principal"] != "apigateway.amazonaws.com":
            continue
        sub = props["SourceArn"]["Fn::Sub"]
        pattern = sub[0] if isinstance(sub, list) else sub
        for name, value in names.items():
            pattern = pattern.replace("${" + name + "}", value)
        patterns.append(pattern)
    return patterns


def test_blinger_webhook_is_deployed_with_and_without_the_trailing_slash():
    # GIVEN the template after SAM's transform (SAM has mishandled HttpApi paths ending in "/",
    # aws/serverless-application-model#1949)
    routes = deployed_routes()
    # THEN Blinger's path, as configured in Blinger with the slash and without it, reaches the function
    assert routes["POST /v1/blinger/webhook/"] == "BlingerWebhookFunction"
    assert routes["POST /v1/blinger/webhook"] == "BlingerWebhookFunction"
    # AND API Gateway may invoke it for both: the source ARN of each route matches a permission
    patterns = invoke_permission_patterns("BlingerWebhookFunction")
    for path in ("/v1/blinger/webhook/", "/v1/blinger/webhook"):
        source = f"arn:aws:execute-api:eu-central-1:123456789012:api/$default/POST{path}"
        assert any(fnmatch.fnmatchcase(source, pattern) for pattern in patterns), (path, patterns)


def test_the_retention_function_hears_only_ttls_deletions_of_conversations():
    # docs/ARCHITECTURE.md, "Retention": an erase or any other write of the table invokes nothing
    resources = load_template()["Resources"]
    stream = resources["ConversationsTable"]["Properties"]["StreamSpecification"]
    assert stream == {"StreamViewType": "OLD_IMAGE"}  # what the conversation counted
    source = resources["RetentionFunction"]["Properties"]["Events"]["Expired"]["Properties"]
    assert source["Stream"] == {"Fn::GetAtt": ["ConversationsTable", "StreamArn"]}
    (only,) = source["FilterCriteria"]["Filters"]
    assert json.loads(only["Pattern"]) == {
        "eventName": ["REMOVE"],
        "userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]},
        "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "C#"}]}}},
    }
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["RetentionFailedQueue", "Arn"]
    }


def test_the_auto_close_runs_on_a_schedule_with_its_hours_a_parameter():
    # docs/ARCHITECTURE.md, "Auto-close": the hours every function reads, the run every 15 minutes
    template = load_template()
    assert template["Parameters"]["AutoCloseHours"]["Default"] == 24
    assert global_environment(template)["AUTO_CLOSE_HOURS"] == {"Ref": "AutoCloseHours"}
    function = template["Resources"]["AutoCloseFunction"]["Properties"]
    assert function["CodeUri"] == "functions/auto_close/"
    (event,) = function["Events"].values()
    assert event["Type"] == "ScheduleV2"
    assert event["Properties"]["ScheduleExpression"] == "rate(15 minutes)"
