"""The admin web page: ``GET /v1/admin/`` (and ``/v1/admin``) is the HTML, ``/v1/admin/static/<file>``
its script, styles and icon, all from ``static/`` next to this module (deployed with the function).

The page holds no data, so these routes need no key; the page itself sends ``X-Api-Key`` on every
data call. Responses forbid everything the page does not need: ``default-src 'self'`` (no inline
script, no CDN), no framing, no MIME sniffing; the HTML is never cached, the assets are
revalidated by ETag so a deploy is picked up at once.

The admin app includes the router (``app.include_router(page.router)``) and lets ``is_public``
paths through its key check.

>>> handle_static("../app.py").status_code, handle_static("admin.js").headers["Content-Type"]
(404, 'text/javascript; charset=utf-8')
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

BASE = "/v1/admin"
STATIC = Path(__file__).resolve().with_name("static")
INDEX = "index.html"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(?:html|js|css|svg)$")
SECURITY_HEADERS = {
    # blob: images: the reports' SVG charts, fetched with the key (an <img> cannot send it) and shown
    # from the page's own blobs; an SVG shown as an image runs no script.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
_PUBLIC = re.compile(rf"^{re.escape(BASE)}(?:/|/static/[^/]+)?$")

router = Router()


@dataclass(frozen=True)
class Asset:
    body: str
    content_type: str
    etag: str


@cache
def asset(name: str) -> Asset | None:
    """A file of ``static/`` by its bare name (nothing else is ever read), loaded once."""
    if not SAFE_NAME.fullmatch(name):
        return None
    path = STATIC / name
    if not path.is_file():
        return None
    data = path.read_bytes()
    return Asset(data.decode("utf-8"), TYPES[path.suffix], '"' + hashlib.sha256(data).hexdigest()[:32] + '"')


def is_public(path: str) -> bool:
    """The page's own routes: served without the API key (they contain no data)."""
    return bool(_PUBLIC.fullmatch(path))


def handle_index() -> Response[str]:
    page = asset(INDEX)
    if page is None:
        raise FileNotFoundError(f"{STATIC / INDEX} is missing from the deployment")
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
    return Response(200, page.content_type, page.body, headers)


def handle_static(name: str, if_none_match: str | None = None) -> Response[str]:
    found = asset(name) if name != INDEX else None  # the page itself only at its own address
    if found is None:
        return Response(404, "text/plain; charset=utf-8", "Not found", dict(SECURITY_HEADERS))
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache", "ETag": found.etag}
    if if_none_match and found.etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(304, None, "", headers)
    return Response(200, found.content_type, found.body, headers)


@router.get(BASE, include_in_schema=False)
@router.get(BASE + "/", include_in_schema=False)
def index() -> Response[str]:
    return handle_index()


@router.get(BASE + "/static/<name>", include_in_schema=False)
def static(name: str) -> Response[str]:
    return handle_static(name, router.current_event.headers.get("if-none-match"))
