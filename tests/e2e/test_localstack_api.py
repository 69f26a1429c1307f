"""The template-driven local API: routes, events and responses as API Gateway HTTP API makes them.

In-process (no AWS needed): a temporary template with small handlers, and the real template with
one function added, which is then served with no other change.
"""

from __future__ import annotations

import base64
import copy
import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from infra.localstack.api import LocalApi, Router, to_http
from infra.localstack.stack import build_functions, local_secrets
from infra.localstack.template_model import (
    HttpRoute,
    StackModel,
    TemplateError,
    merged_environment,
    without_ssm_references,
)
from infra.template import load_template

ECHO = """
import json

def lambda_handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "x-function": context.function_name},
        "body": json.dumps({"event": event, "module": __name__, "remaining": context.get_remaining_time_in_millis()}),
    }
"""
PLAIN = """
import base64

def lambda_handler(event, context):
    path = event["rawPath"]
    if path == "/plain":
        return "just text"
    if path == "/dict":
        return {"answer": 42}
    if path == "/png":
        return {"statusCode": 201, "body": base64.b64encode(b"\\x89PNG-bytes").decode(), "isBase64Encoded": True,
                "headers": {"content-type": "image/png"}, "cookies": ["a=1; Path=/", "b=2"]}
    raise RuntimeError("boom")
"""
TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting: {Type: String, Default: hello}
  PageSize: {Type: Number, Default: 7}
Globals:
  Function:
    Runtime: python3.13
    Handler: app.lambda_handler
    Timeout: 5
    Environment:
      Variables:
        GREETING: !Ref Greeting
        THINGS_TABLE: !Ref ThingsTable
        API_KEY_PARAMETER: !Sub /${AWS::StackName}/api-key
        API_KEY: ""
Resources:
  ThingsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo/
      Environment:
        Variables:
          PAGE_SIZE: !Ref PageSize
          GREETING_URL: !Sub "https://example.org/${Greeting}/${ThingsTable}"
      Events:
        One: {Type: HttpApi, Properties: {Method: GET, Path: "/items/{id}"}}
        Create: {Type: HttpApi, Properties: {Method: post, Path: /items}}
        Special: {Type: HttpApi, Properties: {Method: GET, Path: /items/special}}
        Files: {Type: HttpApi, Properties: {Method: ANY, Path: "/files/{proxy+}"}}
        Hook: {Type: HttpApi, Properties: {Method: POST, Path: /hooks/blinger/}}
  PlainFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: plain/
      Events:
        Plain: {Type: HttpApi, Properties: {Method: GET, Path: /plain}}
        Dict: {Type: HttpApi, Properties: {Method: GET, Path: /dict}}
        Png: {Type: HttpApi, Properties: {Method: GET, Path: /png}}
        Boom: {Type: HttpApi, Properties: {Method: GET, Path: /boom}}
"""


def write_function(root: Path, code_uri: str, source: str) -> None:
    folder = root / code_uri
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(textwrap.dedent(source), encoding="utf-8")


@pytest.fixture
def isolated_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stack puts layers and CodeUri folders on sys.path; give the test a copy to spoil."""
    monkeypatch.setattr(sys, "path", list(sys.path))


@pytest.fixture
def api(tmp_path: Path, isolated_imports: None) -> Iterator[LocalApi]:
    (tmp_path / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    write_function(tmp_path, "echo", ECHO)
    write_function(tmp_path, "plain", PLAIN)
    model = StackModel.from_template(load_template(tmp_path / "template.yaml"), root=tmp_path)
    with LocalApi(build_functions(model), port=0) as server:
        yield server


def echo(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_request_becomes_an_http_api_v2_event(api: LocalApi) -> None:
    # WHEN a GET with a path parameter, a repeated query parameter, cookies and mixed-case headers
    response = requests.get(
        f"{api.base_url}/items/42?tag=a&tag=b&q=",
        headers={"X-Custom": "Yes", "Cookie": "s=1; t=2"},
        timeout=5,
    )
    # THEN the handler got API Gateway's payload 2.0 event
    body = echo(response)
    event = body["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/42"
    assert event["rawQueryString"] == "tag=a&tag=b&q="
    assert event["queryStringParameters"] == {"tag": "a,b", "q": ""}
    assert event["pathParameters"] == {"id": "42"}
    assert event["headers"]["x-custom"] == "Yes"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["http"]["path"] == "/items/42"
    assert event["requestContext"]["routeKey"] == "GET /items/{id}"
    assert event["isBase64Encoded"] is False
    assert "body" not in event
    # AND a Lambda context with the function's name and its Timeout counting down
    assert response.headers["x-function"] == "EchoFunction"
    assert 0 < body["remaining"] <= 5000


def test_bodies_text_as_is_binary_as_base64(api: LocalApi) -> None:
    text = echo(requests.post(f"{api.base_url}/items", json={"name": "чайник"}, timeout=5))["event"]
    assert json.loads(text["body"]) == {"name": "чайник"}
    assert text["isBase64Encoded"] is False
    assert text["routeKey"] == "POST /items"  # the template's lower-case method is served too
    binary = echo(
        requests.put(
            f"{api.base_url}/files/a/b.png",
            data=b"\x89PNG\x00",
            headers={"Content-Type": "image/png"},
            timeout=5,
        )
    )["event"]
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\x89PNG\x00"


def test_route_matching_is_as_specific_as_api_gateway(api: LocalApi) -> None:
    # An exact path beats a {param} path; {proxy+} is greedy and any method matches ANY
    assert (
        echo(requests.get(f"{api.base_url}/items/special", timeout=5))["event"]["routeKey"]
        == "GET /items/special"
    )
    proxy = echo(requests.delete(f"{api.base_url}/files/deep/er/file.txt", timeout=5))["event"]
    assert proxy["routeKey"] == "ANY /files/{proxy+}"
    assert proxy["pathParameters"] == {"proxy": "deep/er/file.txt"}
    # A trailing slash is optional both ways
    assert echo(requests.post(f"{api.base_url}/hooks/blinger", timeout=5))["event"]["routeKey"] == (
        "POST /hooks/blinger/"
    )
    assert echo(requests.get(f"{api.base_url}/items/42/", timeout=5))["event"]["pathParameters"] == {
        "id": "42"
    }
    # Unknown path or method: API Gateway's own 404
    for response in (
        requests.get(f"{api.base_url}/nothing", timeout=5),
        requests.post(f"{api.base_url}/items/42", timeout=5),
    ):
        assert response.status_code == 404
        assert response.json() == {"message": "Not Found"}


def test_handler_answers_become_http_by_payload_2_rules(api: LocalApi) -> None:
    plain = requests.get(f"{api.base_url}/plain", timeout=5)
    assert (plain.status_code, plain.text, plain.headers["content-type"]) == (
        200,
        "just text",
        "application/json",
    )
    assert requests.get(f"{api.base_url}/dict", timeout=5).json() == {"answer": 42}
    png = requests.get(f"{api.base_url}/png", timeout=5)
    assert (png.status_code, png.content, png.headers["content-type"]) == (201, b"\x89PNG-bytes", "image/png")
    assert png.raw.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2"]
    boom = requests.get(f"{api.base_url}/boom", timeout=5)
    assert (boom.status_code, boom.json()) == (500, {"message": "Internal Server Error"})


def test_every_handler_is_its_own_module(api: LocalApi) -> None:
    # Both handlers are app.py; neither is imported as "app"
    assert (
        echo(requests.get(f"{api.base_url}/items/1", timeout=5))["module"] == "_localstack_EchoFunction_app"
    )
    assert sys.modules["_localstack_PlainFunction_app"].__file__.endswith("plain/app.py")
    assert {f.model.code_dir.name for f in api.functions.values()} == {"echo", "plain"}


def test_environment_is_resolved_locally(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    model = StackModel.from_template(load_template(tmp_path / "template.yaml"), root=tmp_path)
    echo_env = model.functions["EchoFunction"].environment
    assert echo_env["GREETING"] == "hello"  # !Ref Parameter -> Default
    assert echo_env["THINGS_TABLE"] == "ThingsTable"  # !Ref Table -> local name
    assert echo_env["PAGE_SIZE"] == "7"  # numbers as strings, as Lambda has them
    assert echo_env["GREETING_URL"] == "https://example.org/hello/ThingsTable"  # !Sub
    assert "PAGE_SIZE" not in model.functions["PlainFunction"].environment
    # One process, one environment: the union, secrets faked, SSM names dropped
    merged = without_ssm_references(merged_environment(model.functions, local_secrets(model)))
    assert merged["PAGE_SIZE"] == "7"
    assert merged["API_KEY"] == "local-api-key"
    assert "API_KEY_PARAMETER" not in merged


def test_functions_disagreeing_on_a_variable_fail_loudly(tmp_path: Path) -> None:
    template = yaml.safe_load(TEMPLATE.replace("!Ref", "").replace("!Sub", ""))
    template["Resources"]["PlainFunction"]["Properties"]["Environment"] = {"Variables": {"GREETING": "bye"}}
    template["Globals"]["Function"]["Environment"]["Variables"] = {"GREETING": "hello"}
    template["Resources"]["EchoFunction"]["Properties"]["Environment"] = {}
    model = StackModel.from_template(template, root=tmp_path)
    with pytest.raises(
        TemplateError, match=r"GREETING is 'hello' in EchoFunction but 'bye' in PlainFunction"
    ):
        merged_environment(model.functions, {})
    # A local override settles it (the stack overrides tokens and URLs this way)
    assert merged_environment(model.functions, {"GREETING": "local"})["GREETING"] == "local"


def test_unsupported_intrinsics_are_named(tmp_path: Path) -> None:
    template = yaml.safe_load(TEMPLATE.replace("!Ref", "").replace("!Sub", ""))
    template["Globals"]["Function"]["Environment"]["Variables"] = {"X": {"Fn::ImportValue": "shared-x"}}
    with pytest.raises(TemplateError, match=r"EchoFunction.Environment.X: Fn::ImportValue is not supported"):
        StackModel.from_template(template, root=tmp_path)


def test_a_function_added_to_the_real_template_is_served(tmp_path: Path, isolated_imports: None) -> None:
    # GIVEN template.yaml with one more function (a new file, nothing else changed)
    template = copy.deepcopy(load_template())
    template["Resources"]["HelloFunction"] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": "functions/hello/",
            "Handler": "app.lambda_handler",
            "Events": {
                "Hello": {"Type": "HttpApi", "Properties": {"Method": "GET", "Path": "/v1/hello/{name}"}}
            },
        },
    }
    (tmp_path / "template.yaml").write_text(yaml.safe_dump(template, allow_unicode=True), encoding="utf-8")
    write_function(
        tmp_path,
        "functions/hello",
        """
        import os

        def lambda_handler(event, context):
            return {"hello": event["pathParameters"]["name"], "table": os.environ.get("SESSIONS_TABLE")}
        """,
    )
    model = StackModel.from_template(load_template(tmp_path / "template.yaml"), root=tmp_path)
    assert model.functions["HelloFunction"].environment["SESSIONS_TABLE"] == "SessionsTable"  # Globals apply
    # WHEN the local API serves that template
    with LocalApi(build_functions(model), port=0) as api:
        answer = requests.get(f"{api.base_url}/v1/hello/anna", timeout=5)
        # THEN the new route answers, next to the template's own
        assert answer.json()["hello"] == "anna"
        assert {r.route_key for r in api.routes} >= {"GET /v1/hello/{name}", "POST /v1/telegram/webhook"}


def test_default_route_catches_the_rest() -> None:
    router = Router([HttpRoute("A", "GET", "/a"), HttpRoute("B", "ANY", None)])
    assert router.match("GET", "/a").route.function == "A"  # type: ignore[union-attr]
    assert router.match("POST", "/anything").route.route_key == "$default"  # type: ignore[union-attr]


def test_plain_returns_follow_payload_2_rules() -> None:
    assert to_http("x") == (200, {"content-type": "application/json"}, [], b"x")
    assert to_http([1, 2]) == (200, {"content-type": "application/json"}, [], b"[1, 2]")
    assert to_http({"statusCode": 204}) == (204, {}, [], b"")
