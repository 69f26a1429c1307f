"""The resolver: the API key gate, error answers, the OpenAPI document and Swagger UI.

Auth: every request but the public documents needs ``X-Api-Key``: the bootstrap ``ADMIN_API_KEY``
(an admin) or an operator's personal key (``POST /v1/admin/operators``). Missing: 401; nobody's:
403; with neither configured nobody gets in. Each route needs a role (``admin`` or ``operator``,
declared in one table, ``supportbot_admin/access.py``); a key whose role is short of it gets 403
``{"detail": "needs role admin"}``. Key and role are checked before Powertools resolves the route,
so a caller learns nothing beyond their role: not whether a path exists (404) nor what a body should
look like (422). Every change (POST, PUT, PATCH, DELETE answered below 400) is recorded with who
and when (``GET /v1/admin/audit``). No cookies are read or set and no CORS headers are sent: the
admin page is served by this same function (same origin).

Public, because a browser opens them before it has a key and they hold no data: the OpenAPI
document (``/v1/admin/openapi.json``), Swagger UI (``/v1/admin/swagger``, with Powertools' assets,
which the admin layer carries: no CDN), and the admin page's paths (``/v1/admin``, ``/v1/admin/``,
``/v1/admin/static/...``), which its own module serves.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn
from aws_lambda_powertools.event_handler.openapi.swagger_ui import html as swagger_html
from pynamodb.exceptions import PynamoDBException

from supportbot.config import SUPPORTED_LANGUAGES, get_config
from supportbot.operators import Caller, record_change
from supportbot.support.lifecycle import RefusedMove, StaleVersion
from supportbot_admin import (
    access,
    bans,
    broadcasts,
    business_hours,
    canned,
    conversations,
    customers,
    failed_updates,
    operators,
    people,
    reports,
    stats,
    trees,
    triage,
)
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

Every call needs a key in the `X-Api-Key` header (Authorize, above): the admin API key or a
person's own key (`POST /v1/admin/operators`). Each operation says the role it needs
(`x-required-role`): an operator works with conversations, tickets and canned replies; an admin
does everything, and a key short of the role gets 403 `{"detail": "needs role admin"}`. Every
change is recorded (`GET /v1/admin/audit`). A tree edit names
the `version` of the node as last read: if someone changed it meanwhile the answer is 409 and
nothing is overwritten. Errors are JSON with `statusCode` and a `message` or `detail` naming
the field."""
CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

app = APIGatewayHttpResolver(enable_validation=True)
for area in (
    trees,
    conversations,
    customers,
    stats,
    failed_updates,
    broadcasts,
    people,
    operators,
    canned,
    triage,
    bans,
    business_hours,
    reports,
):
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
    if error.status == 422:
        return _json(422, {"statusCode": 422, "detail": error.problems})
    return _json(error.status, {"statusCode": error.status, "message": error.msg, "detail": error.problems})


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
    document_translations(schema, get_config().default_language)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            role, _ = access.required(method, path)
            operation["x-required-role"] = role
            operation["description"] = f"Needs role {role}. " + operation.get("description", "")
    return json.dumps(schema, ensure_ascii=False)


def document_translations(node: Any, default: str) -> None:
    """A body's ``translations`` are the languages other than the default (its own title and text
    are the default's): the key enum pydantic writes from ``Language`` loses the default here."""
    if isinstance(node, dict):
        names = node.get("propertyNames")
        if isinstance(names, dict) and set(names.get("enum", ())) == set(SUPPORTED_LANGUAGES):
            names["enum"] = [language for language in names["enum"] if language != default]
        for value in node.values():
            document_translations(value, default)
    elif isinstance(node, list):
        for value in node:
            document_translations(value, default)


# What a route's parameter may hold once decoded (Powertools' own pattern for a path segment).
SEGMENT = re.compile(r"[-._~()'!*:@,;=+&$%<> \[\]{}|^\w]*")


def decoded(raw: str) -> str:
    """The path percent-decoded segment by segment, a segment kept as sent when decoding it would
    give what no route takes (a slash, a control character): it then fails the route's pattern
    (422) instead of matching no route (404).

    >>> decoded("/v1/admin/tickets/%D0%A4-12"), decoded("/v1/admin/customers/%2B7900")
    ('/v1/admin/tickets/Ф-12', '/v1/admin/customers/+7900')
    >>> decoded("/v1/admin/trees/a%2Fb%14")
    '/v1/admin/trees/a%2Fb%14'
    """
    segments = []
    for segment in raw.split("/"):
        plain = unquote(segment)
        segments.append(plain if "/" not in plain and SEGMENT.fullmatch(plain) else segment)
    return "/".join(segments)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The admin function's handler: the key and role gate, the routes, the audit of changes."""
    # Path parameters as the client meant them: API Gateway hands the path over percent-encoded
    # ("Ф-12" as "%D0%A4-12", "+7..." as "%2B7..."), and the routes' patterns check decoded text.
    path = decoded(str(event.get("rawPath") or ""))
    event = {**event, "rawPath": path}
    if is_public(path):
        return app.resolve(event, context)
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    caller = access.authenticate(headers.get(KEY_HEADER), get_config())
    if not isinstance(caller, Caller):
        logger.warning("Admin call refused", extra={"status": int(caller), "path": path[:200]})
        reason = "missing X-Api-Key" if caller == 401 else "wrong X-Api-Key"
        return _answer(int(caller), {"statusCode": int(caller), "message": reason})
    method = str(event.get("requestContext", {}).get("http", {}).get("method") or "").upper()
    role, route = access.required(method, path)
    if not access.allows(caller, role):
        logger.warning(
            "Admin call beyond the role", extra={"caller": caller.id, "route": route or path[:200]}
        )
        return _answer(403, {"detail": f"needs role {role}"})
    refused = _unsupported_body(event, path)
    if refused is not None:
        return _answer(422, {"statusCode": 422, "detail": [refused]})
    access.set_caller(caller)
    try:
        answer = app.resolve(event, context)
    finally:
        access.set_caller(None)
    if method in CHANGES and route is not None and int(answer.get("statusCode", 500)) < 400:
        # An erase's record must not keep whom it erased: the people routes are recorded by route.
        recorded = route if route.startswith(f"{method} {PREFIX}/people/") else path
        audit(caller, method, route, recorded, int(answer["statusCode"]))
    return answer


def audit(caller: Caller, method: str, route: str, path: str, status: int) -> None:
    """Record a change that was made. The change stands if the record cannot be written (botocore
    has retried it already): the error line then carries the record, so it is not lost."""
    try:
        record_change(caller, method, route, path, status)
    except PynamoDBException:
        logger.exception(
            "Audit record not stored",
            extra={
                "caller": caller.id,
                "method": method,
                "route": route,
                "path": path[:300],
                "status": status,
            },
        )


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
