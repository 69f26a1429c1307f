"""Schemathesis against the served OpenAPI document: no 5xx, and every answer as the document says.

In process: a small WSGI adapter turns each generated request into the API Gateway v2 event the
admin function gets in AWS (the local stack's own event builder), over moto's tables. Examples
are bounded per operation so the run stays well under a minute.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from infra.localstack.api import Match, build_event, to_http
from tests.functional.admin.conftest import ADMIN_KEY, ROUTE
from tests.functional.events import FakeLambdaContext

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """WSGI → the admin function's event → its answer, as API Gateway would relay it."""
    from functions.admin import app

    path = quote(environ["PATH_INFO"].encode("latin-1").decode("utf-8", "replace"), safe="/:@!$&'()*+,;=-._~")
    query = environ.get("QUERY_STRING", "")
    headers = [(k[5:].replace("_", "-").lower(), v) for k, v in environ.items() if k.startswith("HTTP_")]
    if environ.get("CONTENT_TYPE"):
        headers.append(("content-type", environ["CONTENT_TYPE"]))
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    event = build_event(
        Match(ROUTE, {}),
        environ["REQUEST_METHOD"],
        path + (f"?{query}" if query else ""),
        headers,
        body,
        "127.0.0.1",
    )
    status, response_headers, _, data = to_http(app.lambda_handler(event, FakeLambdaContext()))
    start_response(f"{status} {HTTPStatus(status).phrase}", list(response_headers.items()))
    return [data]


schema = schemathesis.openapi.from_wsgi("/v1/admin/openapi.json", wsgi_app)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_as_documented_and_never_5xx(case, admin):
    response = case.call(headers={"X-Api-Key": ADMIN_KEY})
    case.validate_response(response, checks=CHECKS)


def valid_data_is_not_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    """A request the document calls valid (schemathesis' positive data) is never refused with 422:
    every constraint the API enforces is in the document."""
    if case.meta is not None and case.meta.generation.mode.is_positive and response.status_code == 422:
        raise AssertionError(f"valid by the schema, refused: {response.text[:500]}")
    return None


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_what_the_document_calls_valid_is_accepted(case, admin):
    """Every operation: the document states each constraint the API answers with 422 (a rule it
    cannot state is a documented 400, a clash with what is stored a 409)."""
    response = case.call(headers={"X-Api-Key": ADMIN_KEY})
    valid_data_is_not_refused(None, response, case)
