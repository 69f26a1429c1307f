"""docs/business-system-openapi.yaml is a valid OpenAPI 3.1 document, and what the stub system, the
HTTP client and the built-in backend exchange matches it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from supportbot.backend import Login, Order, OrdersPage
from supportbot.backend.builtin import BuiltinBackend
from tests.functional.backend.contract_server import ContractServer

SPEC_PATH = Path(__file__).resolve().parents[3] / "docs" / "business-system-openapi.yaml"
SPEC_URI = "urn:business-system-openapi"
PHONE = "+79001234567"
ORDER = Order(
    id="A-1",
    number="10234",
    title="Чайник",
    status=None,
    status_text=None,
    amount="1234.50",
    currency="RUB",
    updated_at="2026-11-20T10:15:00+03:00",
    items_count=2,
    counterparty="ООО Ромашка",
)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return document


def schema_validator(spec: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A JSON Schema 2020-12 validator (OpenAPI 3.1's dialect) that resolves the document's $refs."""
    registry: Registry[Any] = Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    if "$ref" in schema:
        schema = {"$ref": SPEC_URI + schema["$ref"]}
    return jsonschema.Draft202012Validator(
        schema, registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def component(spec: dict[str, Any], name: str) -> jsonschema.Draft202012Validator:
    return schema_validator(spec, {"$ref": f"#/components/schemas/{name}"})


def documented_response(spec: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    responses = spec["paths"][path][method]["responses"]
    response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    assert response is not None, (
        f"{method.upper()} {path} answered {status}, which the document does not list"
    )
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return dict(response)


def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    # WHEN the document is checked by an OpenAPI validator
    validate(spec, cls=OpenAPIV31SpecValidator)
    # THEN it passes and describes the contract's three operations with both credentials
    assert spec["openapi"].startswith("3.1")
    assert {(path, method) for path, item in spec["paths"].items() for method in item} == {
        ("/auth/phone", "post"),
        ("/orders", "get"),
        ("/orders/{id}", "get"),
    }
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {**schemes["ApiKey"], "type": "apiKey", "in": "header", "name": "X-Api-Key"}
    assert (schemes["BearerToken"]["type"], schemes["BearerToken"]["scheme"]) == ("http", "bearer")
    assert set(spec["components"]["schemas"]) >= {"Order", "OrdersPage", "Login", "Error"}


def test_the_examples_in_the_document_follow_its_schemas(spec: dict[str, Any]) -> None:
    # GIVEN every example next to a schema in the document
    checked = 0
    for item in spec["paths"].values():
        for operation in item.values():
            bodies = [operation.get("requestBody", {}), *operation["responses"].values()]
            for body in bodies:
                for media in body.get("content", {}).values():
                    if "example" in media:
                        # THEN it validates
                        schema_validator(spec, media["schema"]).validate(media["example"])
                        checked += 1
    assert checked >= 4


def test_the_order_schema_matches_the_order_type(spec: dict[str, Any]) -> None:
    # GIVEN the Order schema and the bot's Order dataclass
    schema = spec["components"]["schemas"]["Order"]
    fields = dataclasses.fields(Order)
    # THEN they have the same fields, and the required ones are those without a default
    assert set(schema["properties"]) == {field.name for field in fields}
    assert set(schema["required"]) == {field.name for field in fields if field.default is dataclasses.MISSING}
    assert set(spec["components"]["schemas"]["Login"]["required"]) == {
        f.name for f in dataclasses.fields(Login)
    }
    page_fields = {f.name for f in dataclasses.fields(OrdersPage)}
    assert set(spec["components"]["schemas"]["OrdersPage"]["required"]) == page_fields


def test_the_schema_is_strict_where_the_contract_is(spec: dict[str, Any]) -> None:
    # GIVEN orders that break the contract in one field each
    validator = component(spec, "Order")
    good = ORDER.to_dict()
    validator.validate(good)
    bad_changes: list[dict[str, Any]] = [
        {"id": "x" * 33},
        {"id": "a/b"},
        {"amount": 12.5},
        {"amount": "12,5"},
        {"currency": "rub"},
        {"updated_at": "2026-11-20T10:15:00"},  # no offset
        {"status": 1},
    ]
    # THEN the schema rejects each of them (so the date-time format check is really active)
    for change in bad_changes:
        assert not validator.is_valid({**good, **change}), change
    for missing in ("status", "title", "updated_at"):
        assert not validator.is_valid({key: value for key, value in good.items() if key != missing})


def test_the_stub_system_answers_as_documented(spec: dict[str, Any]) -> None:
    # GIVEN the stub system with a customer, a blocked account and an order, requiring a service key
    with ContractServer(api_key="k") as server:
        server.store.add_customer(PHONE, "customer", "Анна")
        server.store.add_customer("+79000000000", "customer", "Борис", blocked=True)
        server.store.add_order(PHONE, ORDER.to_dict())
        url, key = server.url, {"X-Api-Key": "k"}

        def auth(phone: str) -> requests.Response:
            return requests.post(
                f"{url}/auth/phone", json={"phone": phone, "telegram_user_id": 1}, headers=key, timeout=5
            )

        login = auth(PHONE)
        bearer = {**key, "Authorization": f"Bearer {login.json()['token']}"}
        stale = {**key, "Authorization": "Bearer stale"}
        # WHEN every documented outcome of every operation is provoked
        exchanges = [
            ("/auth/phone", "post", login),
            ("/auth/phone", "post", auth("+79009999999")),
            ("/auth/phone", "post", auth("+79000000000")),
            ("/orders", "get", requests.get(f"{url}/orders?page=1&per_page=5", headers=bearer, timeout=5)),
            ("/orders", "get", requests.get(f"{url}/orders?page=7&per_page=5", headers=bearer, timeout=5)),
            ("/orders", "get", requests.get(f"{url}/orders?page=1&per_page=5", headers=stale, timeout=5)),
            ("/orders/{id}", "get", requests.get(f"{url}/orders/A-1", headers=bearer, timeout=5)),
            ("/orders/{id}", "get", requests.get(f"{url}/orders/B-2", headers=bearer, timeout=5)),
            ("/orders/{id}", "get", requests.get(f"{url}/orders/A-1", headers=stale, timeout=5)),
        ]
        server.respond_with(503)
        exchanges.append(
            ("/orders", "get", requests.get(f"{url}/orders?page=1&per_page=5", headers=bearer, timeout=5))
        )
    seen: dict[tuple[str, str], set[str]] = {}
    for path, method, response in exchanges:
        # THEN each status is one the document lists, and each JSON body fits the documented schema
        documented = documented_response(spec, path, method, response.status_code)
        for media in documented.get("content", {}).values():
            schema_validator(spec, media["schema"]).validate(response.json())
        seen.setdefault((path, method), set()).add(str(response.status_code))
    # AND every status the document lists was produced by the stub at least once
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            listed = {status for status in operation["responses"] if not status.endswith("XX")}
            assert listed <= seen[(path, method)], (path, method)
    assert [r.status_code for *_, r in exchanges] == [200, 404, 403, 200, 200, 401, 200, 404, 401, 503]


@pytest.mark.usefixtures("backend_table")
def test_the_builtin_backend_produces_documented_shapes(spec: dict[str, Any]) -> None:
    # GIVEN the built-in backend with a customer and an order
    backend = BuiltinBackend()
    backend.upsert_customer(PHONE, "partner", "Пётр")
    backend.upsert_order(PHONE, ORDER)
    # WHEN the customer logs in and reads their orders
    login = backend.auth_by_phone(PHONE, 1)
    page = backend.list_orders(login.token, 1, 5)
    order = backend.get_order(login.token, ORDER.id)
    # THEN what it returns, as JSON, is what the document describes
    component(spec, "Login").validate(dataclasses.asdict(login))
    component(spec, "OrdersPage").validate(page.to_dict())
    component(spec, "Order").validate(order.to_dict())
