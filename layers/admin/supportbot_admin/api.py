"""The resolver: the API key gate, error answers, the OpenAPI document and Swagger UI.

Auth: every request but the public documents needs ``X-Api-Key`` equal to ``ADMIN_API_KEY``
(constant time; missing: 401, wrong: 403; with no key configured nobody gets in). The key is
checked before Powertools resolves the route, so an unauthenticated caller learns nothing: not
whether a path exists (404) nor what a body should look like (422). No cookies are read or set
and no CORS headers are sent: the admin page is served by this same function (same origin).

Public, because a browser opens them before it has a key and they hold no data: the OpenAPI
document (``/v1/admin/openapi.json``), Swagger UI (``/v1/admin/swagger``, with Powertools' assets,
which the admin layer carries: no CDN), and the admin page's paths (``/v1/admin``, ``/v1/admin/``,
``/v1/admin/static/...``), which its own module serves.
"""

from __future__ import annotations

import base64
import functools
import json
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn
from aws_lambda_powertools.event_handler.openapi.swagger_ui import html as swagger_html

from supportbot.config import get_config
from supportbot.security import check_secret
from supportbot.support.lifecycle import RefusedMove, StaleVersion
from supportbot_admin import broadcasts, conversations, customers, failed_updates, people, stats, trees
from supportbot_admin.errors import FieldError

logger = Logger(child=True)

PREFIX = "/v1/admin"
KEY_HEADER = "x-api-key"
OPENAPI_PATH = f"{PREFIX}/openapi.json"
SWAGGER_PATH = f"{PREFIX}/swagger"
PUBLIC_PATHS = frozenset({PREFIX, f"{PREFIX}/", OPENAPI_PATH, SWAGGER_PATH})
PUBLIC_PREFIXES = (f"{SWAGGER_PATH}/", f"{PREFIX}/static/")
# On Lambda the admin layer puts the assets here (the shared layer leaves them out: the webhooks
# never serve them); layers are extracted into one /opt, so the folder is Powertools' own.
SWAGGER_ASSETS = Path(swagger_html.__file__).parent
SECURITY_SCHEME = "apiKey"
DESCRIPTION = """Manage the support bot: the FAQ and complaint trees the customers browse, the
customers and their orders (when the bot keeps them itself), support conversations and tickets,
figures, and updates the bot failed to handle.

Every call needs the admin API key in the `X-Api-Key` header (Authorize, above). A tree edit names
the `version` of the node as last read: if someone changed it meanwhile the answer is 409 and
nothing is overwritten. Errors are JSON with `statusCode` and a `message` or `detail` naming
the field."""

app = APIGatewayHttpResolver(enable_validation=True)
for area in (trees, conversations, customers, stats, failed_updates, broadcasts, people):
    app.include_router(area.router)


@app.exception_handler(RefusedMove)  # type: ignore[untyped-decorator]
def _refused(error: RefusedMove) -> Response[Any]:
    """A move a lifecycle refuses: 409 naming the current status and the allowed moves."""
    return _json(409, error.body())


@app.exception_handler(StaleVersion)  # type: ignore[untyped-decorator]
def _stale(error: StaleVersion) -> Response[Any]:
    """The item changed since the caller read it: 409, with where it stands now."""
    return _json(409, error.body())


@app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def _invalid(error: RequestValidationError) -> Response[Any]:
    """422 naming the field; pydantic's messages are kept (Powertools drops them by default)."""
    detail = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "invalid")), "type": str(e.get("type", ""))}
        for e in error.errors()
    ]
    return _json(422, {"statusCode": 422, "detail": detail})


@app.exception_handler(FieldError)  # type: ignore[untyped-decorator]
def _field_error(error: FieldError) -> Response[Any]:
    return _json(422, {"statusCode": 422, "detail": error.problems})


@app.get(OPENAPI_PATH, include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(200, content_types.APPLICATION_JSON, openapi_json())


@app.get(SWAGGER_PATH, include_in_schema=False)
def swagger_page() -> Response[str]:
    return Response(200, "text/html; charset=utf-8", SWAGGER_PAGE, headers={"Cache-Control": "no-cache"})


@app.get(f"{SWAGGER_PATH}/", include_in_schema=False)
def swagger_page_slash() -> Response[str]:
    """The page's URLs are relative to ``/v1/admin/swagger``: with a slash they would miss."""
    return Response(308, content_types.TEXT_PLAIN, "", headers={"Location": SWAGGER_PATH})


@app.get(f"{SWAGGER_PATH}/<asset>", include_in_schema=False, compress=True)
def swagger_asset(asset: str) -> Response[str]:
    kind = SWAGGER_FILES.get(asset)
    if kind is None:
        return _json(404, {"statusCode": 404, "message": "Not found"})
    if asset == "init.js":
        return Response(200, kind, SWAGGER_INIT, headers={"Cache-Control": "no-cache"})
    body = (SWAGGER_ASSETS / asset).read_text(encoding="utf-8")
    return Response(200, kind, body, headers={"Cache-Control": "public, max-age=86400"})


SWAGGER_FILES = {
    "swagger-ui-bundle.min.js": "text/javascript; charset=utf-8",
    "swagger-ui.min.css": "text/css; charset=utf-8",
    "init.js": "text/javascript; charset=utf-8",
}
# Relative URLs: the page is /v1/admin/swagger, so "swagger/..." and "openapi.json" stay under
# /v1/admin whatever the API's host or stage. Scripts are files (no inline script), and the
# validator badge is off: nothing is fetched from outside.
SWAGGER_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Support bot admin API</title>
<link rel="icon" href="static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="swagger/swagger-ui.min.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="swagger/swagger-ui-bundle.min.js"></script>
<script src="swagger/init.js"></script>
</body>
</html>
"""
SWAGGER_INIT = """window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
});
"""


@functools.cache
def openapi_json() -> str:
    """The document, generated once per cold start, plus what Powertools cannot express itself."""
    schema = json.loads(
        app.get_openapi_json_schema(
            title="Telegram support bot: admin API",
            version="1.0.0",
            description=DESCRIPTION,
            security_schemes={
                SECURITY_SCHEME: APIKey.model_validate({"name": "X-Api-Key", "in": APIKeyIn.header})
            },
            security=[{SECURITY_SCHEME: []}],
        )
    )
    customers.document_import_body(schema)
    return json.dumps(schema, ensure_ascii=False)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The admin function's handler: the key gate, then the routes."""
    path = str(event.get("rawPath") or "")
    if not is_public(path):
        headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
        denied = check_secret(headers.get(KEY_HEADER), *get_config().accepted("ADMIN_API_KEY"))
        if denied is not None:
            logger.warning("Admin call refused", extra={"status": int(denied), "path": path[:200]})
            reason = "missing X-Api-Key" if denied == 401 else "wrong X-Api-Key"
            return _answer(int(denied), {"statusCode": int(denied), "message": reason})
        refused = _unsupported_body(event, path)
        if refused is not None:
            return _answer(422, {"statusCode": 422, "detail": [refused]})
    return app.resolve(event, context)


def _unsupported_body(event: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The API reads UTF-8 JSON (and CSV for an orders import) only: Powertools would parse form
    bodies too, and fail with a 500 on a multipart one without a boundary or on bytes not UTF-8."""
    if not event.get("body"):
        return None
    if event.get("isBase64Encoded"):
        try:
            base64.b64decode(event["body"]).decode("utf-8")
        except ValueError:
            return {"loc": ["body"], "msg": "not UTF-8 text", "type": "unicode_decode"}
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if not media or media == content_types.APPLICATION_JSON:
        return None
    if media == "text/csv" and path.endswith("/orders/import"):
        return None
    return {
        "loc": ["header", "content-type"],
        "msg": "send application/json",
        "type": "unsupported_content_type",
    }


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _json(status: int, body: dict[str, Any]) -> Response[Any]:
    return Response(status, content_types.APPLICATION_JSON, json.dumps(body, ensure_ascii=False))
