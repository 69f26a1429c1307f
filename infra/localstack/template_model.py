"""What the local stack needs to know about ``template.yaml``, resolved for this machine.

The template stays the only list of functions, routes, schedules, variables, tables, queues and buckets:
this module turns it into plain data (`StackModel`) with every intrinsic resolved to its local
value, so the API server, the resource creator and the queue pollers never read YAML themselves.

Local values of references (what AWS would give, for a stack that only exists here):

- ``!Ref Parameter`` → its ``Default``; ``!Ref AWS::Region`` (and friends) → fixed local values;
- ``!Ref Table`` → the table's local name, which is its logical id (``SessionsTable``);
- ``!Ref Queue`` / ``!GetAtt Queue.QueueUrl`` → the queue URL on moto, ``!GetAtt Queue.Arn`` → its ARN
  (name: ``QueueName``, else the logical id, plus ``.fifo`` for FIFO queues);
- ``!Ref Bucket`` → ``BucketName``, else the logical id in kebab case (S3 names are lowercase);
- ``!Sub`` (both forms) and ``!Join`` over those;
- ``!If`` by the template's ``Conditions`` (``!Equals``, ``!Not``, ``!And``, ``!Or``, ``Condition``)
  on those values, and a property that resolves to ``!Ref AWS::NoValue`` is left out, as
  CloudFormation does (``KmsMasterKeyId`` of the queues when no ``KmsKeyArn`` is given);
anything else fails loudly, naming the place.

>>> from infra.template import load_template
>>> model = StackModel.from_template(load_template())
>>> webhook = model.functions["TelegramWebhookFunction"]
>>> ("POST", "/v1/telegram/webhook") in [(r.method, r.path) for r in webhook.routes]
True
>>> webhook.environment["SESSIONS_TABLE"], webhook.environment["ORDERS_PAGE_SIZE"]
('SessionsTable', '5')
>>> model.functions["AutoCloseFunction"].schedules[0].seconds
900
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.template import TEMPLATE, global_environment, resources_of_type

REGION = "eu-central-1"
ACCOUNT_ID = "123456789012"
MOTO_URL = "http://127.0.0.1:5000"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "local",
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/local/local",
}
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")


class TemplateError(ValueError):
    """The template uses something the local stack cannot reproduce (the message says where)."""


class _NoValue:
    """``!Ref AWS::NoValue``: the property it is the value of does not exist."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


@dataclass(frozen=True)
class HttpRoute:
    """One ``HttpApi`` event: ``method`` is upper case or ``ANY``; ``path`` None is ``$default``."""

    function: str
    method: str
    path: str | None

    @property
    def route_key(self) -> str:
        return "$default" if self.path is None else f"{self.method} {self.path}"


@dataclass(frozen=True)
class SqsSource:
    """One ``SQS`` event: the queue (logical id) and how Lambda would batch it."""

    function: str
    queue: str
    batch_size: int = 10
    report_failures: bool = False
    enabled: bool = True


RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
RATE_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class ScheduleSource:
    """One ``Schedule`` / ``ScheduleV2`` event: the function runs every ``seconds``."""

    function: str
    expression: str
    seconds: int


def rate_seconds(expression: str, where: str) -> int:
    """``rate(15 minutes)`` → 900; a ``cron(…)`` has no fixed period and is refused here."""
    found = RATE.fullmatch(expression)
    if not found:
        raise TemplateError(f"{where}: only rate(...) schedules run locally, not {expression!r}")
    return int(found[1]) * RATE_SECONDS[found[2].removesuffix("s")]


@dataclass
class FunctionModel:
    logical_id: str
    code_dir: Path
    handler: str
    timeout: int
    memory: int
    environment: dict[str, str]
    layer_dirs: list[Path]
    routes: list[HttpRoute] = field(default_factory=list)
    sqs_sources: list[SqsSource] = field(default_factory=list)
    schedules: list[ScheduleSource] = field(default_factory=list)


@dataclass(frozen=True)
class QueueModel:
    logical_id: str
    name: str
    attributes: dict[str, str]  # CreateQueue attributes, RedrivePolicy already pointing at a local ARN


@dataclass
class StackModel:
    root: Path
    functions: dict[str, FunctionModel]
    tables: dict[str, str]  # logical id → local table name
    queues: dict[str, QueueModel]
    buckets: dict[str, str]  # logical id → local bucket name
    access_log_format: str | None = None  # the HttpApi's AccessLogSettings.Format

    @classmethod
    def from_template(
        cls, template: dict[str, Any], root: Path | None = None, moto_url: str = MOTO_URL
    ) -> StackModel:
        root = (root or TEMPLATE.parent).resolve()
        resolver = Resolver(template, moto_url)
        functions = {
            name: _function(name, res, template, resolver, root)
            for name, res in resources_of_type(template, "AWS::Serverless::Function").items()
        }
        queues = {
            name: QueueModel(name, resolver.queue_name(name), _queue_attributes(name, res, resolver))
            for name, res in resources_of_type(template, "AWS::SQS::Queue").items()
        }
        return cls(
            root=root,
            functions=functions,
            tables={name: name for name in resources_of_type(template, "AWS::DynamoDB::Table")},
            queues=queues,
            buckets={
                name: resolver.bucket_name(name) for name in resources_of_type(template, "AWS::S3::Bucket")
            },
            access_log_format=_access_log_format(template, resolver),
        )


class Resolver:
    """Local values of ``Ref``/``GetAtt``/``Sub``/``Join`` (see the module docstring)."""

    def __init__(
        self, template: dict[str, Any], moto_url: str = MOTO_URL, parameters: dict[str, Any] | None = None
    ) -> None:
        """``parameters``: values given at deploy time instead of the defaults (tests)."""
        self.parameters = template.get("Parameters", {})
        self.given = parameters or {}
        self.conditions = template.get("Conditions", {})
        self.resources = template.get("Resources", {})
        self.moto_url = moto_url.rstrip("/")

    def resolve(self, value: Any, where: str) -> Any:
        if isinstance(value, list):
            items = [self.resolve(v, where) for v in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), *_ = value.items()
            if key == "Ref":
                return self.ref(arg, where)
            if key == "Fn::If":
                name, if_true, if_false = arg
                return self.resolve(if_true if self.condition(name, where) else if_false, where)
            if key == "Fn::GetAtt":
                name, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(name, attribute, where)
            if key == "Fn::Sub":
                return self.sub(arg, where)
            if key == "Fn::Join":
                separator, items = arg
                return separator.join(str(self.resolve(i, where)) for i in items)
            if key.startswith("Fn::"):
                raise TemplateError(f"{where}: {key} is not supported by the local stack")
        resolved = {k: self.resolve(v, f"{where}.{k}") for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def condition(self, name: str, where: str) -> bool:
        if name not in self.conditions:
            raise TemplateError(f"{where}: condition {name} is not in the template's Conditions")
        return self._truth(self.conditions[name], f"{where} (condition {name})")

    def _truth(self, value: Any, where: str) -> bool:
        if isinstance(value, bool):
            return value
        (key, arg), *_ = value.items()
        if key == "Condition":
            return self.condition(arg, where)
        if key == "Fn::Equals":
            left, right = (self.resolve(item, where) for item in arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self._truth(arg[0], where)
        if key == "Fn::And":
            return all(self._truth(item, where) for item in arg)
        if key == "Fn::Or":
            return any(self._truth(item, where) for item in arg)
        raise TemplateError(f"{where}: {key} is not supported in a condition by the local stack")

    def ref(self, name: str, where: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.given:
            return self.given[name]
        if name in self.parameters:
            if "Default" not in self.parameters[name]:
                raise TemplateError(f"{where}: parameter {name} has no Default to use locally")
            return self.parameters[name]["Default"]
        kind = self.resources.get(name, {}).get("Type")
        if kind == "AWS::SQS::Queue":
            return f"{self.moto_url}/{ACCOUNT_ID}/{self.queue_name(name)}"
        if kind == "AWS::S3::Bucket":
            return self.bucket_name(name)
        if kind is not None:
            return name  # tables, functions, APIs, layers, log groups: the logical id
        raise TemplateError(f"{where}: !Ref {name} names nothing in the template")

    def get_att(self, name: str, attribute: str, where: str) -> str:
        kind = self.resources.get(name, {}).get("Type")
        if kind == "AWS::SQS::Queue" and attribute == "Arn":
            return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{self.queue_name(name)}"
        if kind == "AWS::SQS::Queue" and attribute == "QueueUrl":
            return str(self.ref(name, where))
        if kind == "AWS::SQS::Queue" and attribute == "QueueName":
            return self.queue_name(name)
        if kind == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:aws:s3:::{self.bucket_name(name)}"
        if kind == "AWS::DynamoDB::Table" and attribute == "Arn":
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"
        raise TemplateError(f"{where}: !GetAtt {name}.{attribute} has no local value")

    def sub(self, arg: Any, where: str) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name], where))
            resource, _, attribute = name.partition(".")
            if attribute and resource in self.resources:
                return self.get_att(resource, attribute, where)
            return str(self.ref(name, where))

        return _SUB.sub(one, text).replace("${!", "${")

    def queue_name(self, name: str) -> str:
        props = self.resources[name].get("Properties") or {}
        fifo = props.get("FifoQueue") in (True, "true", "True")
        base = props.get("QueueName") or name
        if isinstance(base, dict):
            base = self.resolve(base, f"{name}.QueueName")
        return base if not fifo or str(base).endswith(".fifo") else f"{base}.fifo"

    def bucket_name(self, name: str) -> str:
        props = self.resources[name].get("Properties") or {}
        explicit = props.get("BucketName")
        if explicit:
            return str(self.resolve(explicit, f"{name}.BucketName"))
        return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _access_log_format(template: dict[str, Any], resolver: Resolver) -> str | None:
    """The access log format of the template's HTTP API (the local API serves all routes as one)."""
    formats = set()
    for name, api in resources_of_type(template, "AWS::Serverless::HttpApi").items():
        settings = (api.get("Properties") or {}).get("AccessLogSettings") or {}
        if "Format" in settings:
            formats.add(str(resolver.resolve(settings["Format"], f"{name}.AccessLogSettings.Format")))
    if len(formats) > 1:
        raise TemplateError("HTTP APIs with different access log formats cannot be served as one locally")
    return formats.pop() if formats else None


def _queue_attributes(name: str, resource: dict[str, Any], resolver: Resolver) -> dict[str, str]:
    """CreateQueue attributes from the resource's properties (names are the same as the API's)."""
    props = resolver.resolve(resource.get("Properties") or {}, name)
    attributes: dict[str, str] = {}
    for key, value in props.items():
        if key in ("QueueName", "Tags"):
            continue
        if key in ("RedrivePolicy", "RedriveAllowPolicy"):
            attributes[key] = json.dumps(value)
        elif isinstance(value, bool):
            attributes[key] = "true" if value else "false"
        else:
            attributes[key] = str(value)
    return attributes


def _function(
    name: str, resource: dict[str, Any], template: dict[str, Any], resolver: Resolver, root: Path
) -> FunctionModel:
    defaults = template.get("Globals", {}).get("Function", {})
    props = resource.get("Properties") or {}
    if "InlineCode" in props or props.get("PackageType") == "Image":
        raise TemplateError(f"{name}: only CodeUri functions can run locally")
    variables = {
        **global_environment(template),
        **(props.get("Environment", {}).get("Variables") or {}),
    }
    resolved = resolver.resolve(variables, f"{name}.Environment")
    environment = {key: _as_env(value) for key, value in resolved.items()}
    layers = [*(defaults.get("Layers") or []), *(props.get("Layers") or [])]
    layer_dirs = []
    for layer in layers:
        layer_id = layer.get("Ref") if isinstance(layer, dict) else None
        content = (template["Resources"].get(layer_id or "", {}).get("Properties") or {}).get("ContentUri")
        if not isinstance(content, str):
            raise TemplateError(f"{name}: layer {layer!r} is not a local layer with a ContentUri")
        layer_dirs.append(root / content)
    model = FunctionModel(
        logical_id=name,
        code_dir=root / props["CodeUri"],
        handler=props.get("Handler") or defaults["Handler"],
        timeout=int(props.get("Timeout") or defaults.get("Timeout") or 3),
        memory=int(props.get("MemorySize") or defaults.get("MemorySize") or 128),
        environment=environment,
        layer_dirs=layer_dirs,
    )
    for event_name, event in (props.get("Events") or {}).items():
        event_props = event.get("Properties") or {}
        if event["Type"] == "HttpApi":
            path = event_props.get("Path")
            method = str(event_props.get("Method") or "ANY").upper()
            model.routes.append(HttpRoute(name, "ANY" if method in ("*", "ANY") else method, path))
        elif event["Type"] == "SQS":
            queue = event_props["Queue"]
            queue_id = (queue.get("Fn::GetAtt") or [None])[0] if isinstance(queue, dict) else None
            if not isinstance(queue_id, str) or queue_id not in resolver.resources:
                raise TemplateError(f"{name}.Events.{event_name}: Queue must be !GetAtt <Queue>.Arn")
            model.sqs_sources.append(
                SqsSource(
                    function=name,
                    queue=queue_id,
                    batch_size=int(event_props.get("BatchSize") or 10),
                    report_failures="ReportBatchItemFailures"
                    in (event_props.get("FunctionResponseTypes") or []),
                    enabled=event_props.get("Enabled", True) not in (False, "false"),
                )
            )
        elif event["Type"] in ("Schedule", "ScheduleV2"):
            where = f"{name}.Events.{event_name}"
            expression = str(event_props.get("Schedule") or event_props.get("ScheduleExpression"))
            model.schedules.append(ScheduleSource(name, expression, rate_seconds(expression, where)))
    return model


def _as_env(value: Any) -> str:
    """Environment variables are strings in Lambda: YAML numbers and booleans as CloudFormation writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        raise TemplateError(f"an environment value resolved to {value!r}, not a string")
    return str(value)


def merged_environment(functions: dict[str, FunctionModel], overrides: dict[str, str]) -> dict[str, str]:
    """One environment for all functions (they share this process), with local ``overrides`` on top.

    Two functions giving one variable different values cannot both be honoured in one process:
    that fails loudly (naming both) instead of one silently winning.
    """
    merged: dict[str, str] = {}
    origin: dict[str, str] = {}
    for function in functions.values():
        for key, value in function.environment.items():
            if key in overrides:
                continue
            if key in merged and merged[key] != value:
                raise TemplateError(
                    f"{key} is {merged[key]!r} in {origin[key]} but {value!r} in {function.logical_id}; "
                    "the local stack runs all functions in one process and needs one value"
                )
            merged[key], origin[key] = value, function.logical_id
    return {**merged, **overrides}


def without_ssm_references(environment: dict[str, str]) -> dict[str, str]:
    """Drop ``X_PARAMETER`` variables: they name SSM parameters, which do not exist locally; the
    local stack sets the secrets ``X`` themselves (`docs/ARCHITECTURE.md`, "Configuration")."""
    return {key: value for key, value in environment.items() if not key.endswith("_PARAMETER")}
