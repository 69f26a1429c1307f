"""A webhook's HTTP: what it reads of its API Gateway event (HTTP API, payload format 2.0) and
the response it returns.

Each webhook function (Telegram, Blinger, the business system) serves the route API Gateway sends
it and no other, so it needs no router. Powertools' event handler, which the admin API keeps for
its many routes, validation and OpenAPI document, cost each webhook's cold start ~45 ms for
reading three fields: its package imports every resolver it has, AppSync's with asyncio among them
(docs/PERFORMANCE.md, "Cold start").

>>> request = request_of({"headers": {"X-Signature": "t=1"}, "body": "aGk=", "isBase64Encoded": True})
>>> request.headers["x-signature"], request.raw, request.text, dict(request.query)
('t=1', b'hi', 'hi', {})
>>> response(200, "ok")["statusCode"], response(401, "Unauthorized")["headers"]
(200, {'Content-Type': 'text/plain'})
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TEXT = "text/plain"
JSON = "application/json"


@dataclass(frozen=True)
class Request:
    headers: Mapping[str, str]  # names lowercased (HTTP API sends them so; a test or a proxy may not)
    raw: bytes  # the body as sent: what a signature covers
    query: Mapping[str, str]

    @property
    def text(self) -> str:
        """The body as text; bytes that are not UTF-8 read as U+FFFD (a malformed body, refused
        as such by the caller's parsing rather than failing the call)."""
        return self.raw.decode("utf-8", errors="replace")


def request_of(event: Mapping[str, Any]) -> Request:
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")
    headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
    return Request(headers, raw, event.get("queryStringParameters") or {})


def response(status: int, body: str, content_type: str = TEXT) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_type},
        "body": body,
        "isBase64Encoded": False,
    }
