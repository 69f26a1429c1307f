"""The key gate: every data route needs X-Api-Key; the documents and the page do not."""

from __future__ import annotations

import pytest

from tests.functional.admin.conftest import ADMIN_KEY


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/trees/faq"), ("POST", "/trees/faq/nodes"), ("GET", "/stats"), ("GET", "/no/such/route")],
)
def test_a_call_without_the_key_is_401_and_with_a_wrong_one_403(admin, method, path):
    # WHEN a data route (or an unknown one) is called without the key, or with a wrong one
    # THEN 401 / 403, before anything else is looked at (not 404, not 422)
    assert admin.call(method, path, {"bad": "body"}, key=None)[0] == 401
    assert admin.call(method, path, {"bad": "body"}, key="wrong")[0] == 403
    assert admin.call(method, path, {"bad": "body"}, key=ADMIN_KEY + "x")[0] == 403


def test_with_no_key_configured_every_call_is_refused(admin, monkeypatch):
    from supportbot.config import get_config

    # GIVEN no ADMIN_API_KEY
    monkeypatch.delenv("ADMIN_API_KEY")
    get_config.cache_clear()
    # THEN even a guess of the empty key gets nowhere
    assert admin.call("GET", "/trees/faq", key=None)[0] == 401
    assert admin.call("GET", "/trees/faq", key="")[0] == 401
    assert admin.call("GET", "/trees/faq", key="anything")[0] == 403


def test_the_right_key_opens_the_api_and_no_cors_or_cookie_is_sent(admin):
    from infra.localstack.api import Match, build_event
    from tests.functional.admin.conftest import ROUTE
    from tests.functional.events import FakeLambdaContext

    event = build_event(
        Match(ROUTE, {}),
        "GET",
        "/v1/admin/stats",
        [("x-api-key", ADMIN_KEY), ("origin", "https://evil.example")],
        b"",
        "1.2.3.4",
    )
    response = admin.app.lambda_handler(event, FakeLambdaContext())
    assert response["statusCode"] == 200
    assert not [h for h in response["headers"] if h.lower().startswith("access-control-")]
    assert not response.get("cookies")


def test_the_openapi_document_and_swagger_ui_are_public_and_self_hosted(admin):
    # WHEN the documents are fetched without a key
    status, document = admin.call("GET", "/openapi.json", key=None)
    # THEN the OpenAPI document describes the routes and the key scheme
    assert status == 200
    assert "/v1/admin/trees/{tree}/nodes/{node_id}/move" in document["paths"]
    assert document["components"]["securitySchemes"]["apiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
    }
    # AND its description is written for an admin (what the API manages, the key, versions,
    # errors), not the module's docstring about how the resolver is built
    description = document["info"]["description"]
    assert description.startswith("Manage the support bot:")
    assert "`X-Api-Key` header" in description
    assert "resolver" not in description.lower()
    assert "constant time" not in description
    # AND Swagger UI loads its files from this function, nothing from elsewhere
    status, page = admin.call("GET", "/swagger", key=None)
    assert status == 200
    assert 'src="swagger/swagger-ui-bundle.min.js"' in page
    assert "http://" not in page
    assert "https://" not in page
    status, script = admin.call("GET", "/swagger/swagger-ui-bundle.min.js", key=None)
    assert status == 200
    assert "SwaggerUIBundle" in script
    status, init = admin.call("GET", "/swagger/init.js", key=None)
    assert status == 200
    assert 'url: "openapi.json"' in init
    assert "validatorUrl: null" in init
    assert admin.call("GET", "/swagger/app.py", key=None)[0] == 404


def test_the_page_is_served_without_a_key(admin):
    status, page = admin.call("GET", "/", key=None)
    assert status == 200
    assert "<html" in page.lower()
