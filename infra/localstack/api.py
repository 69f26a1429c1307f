"""The template's HTTP API on localhost: what ``sam local start-api`` does, without Docker.

Every ``HttpApi`` event of every function in ``template.yaml`` is a route; a request becomes an
API Gateway HTTP API payload 2.0 event, the function's handler is invoked in this process, and
its answer becomes the HTTP response by the same rules API Gateway applies. A function added to
the template is therefore served with no change here.

Route matching, as API Gateway: exact paths win over ``{param}`` paths, which win over
``{proxy+}``; a method beats ``ANY``; ``$default`` (an event without Path) catches the rest. One
local liberty: a trailing slash is optional both ways (Blinger calls ``/v1/blinger/webhook/``).
Where no route matches, ``/`` answers a page listing the routes and ``/favicon.ico`` an icon.

Access log: with the template's ``AccessLogSettings.Format``, each request is logged (logger
``infra.localstack.access``) as API Gateway would write it, ``$context`` variables filled in
from the request, ``-`` for one without a value; a variable it does not know fails at start.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from infra.httpserver import BackgroundServer
from infra.localstack.lambdas import LocalFunction
from infra.localstack.template_model import ACCOUNT_ID, HttpRoute

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("infra.localstack.access")
_CONTEXT_VARIABLE = re.compile(r"\$context\.([A-Za-z][A-Za-z0-9.]*[A-Za-z0-9])")
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
_TEXT_TYPES = re.compile(
    r"^(text/.*|application/(json|xml|javascript|x-www-form-urlencoded)|.*\+(json|xml))$", re.IGNORECASE
)


Observer = Callable[[HttpRoute, dict[str, Any], int, float], None]


@dataclass(frozen=True)
class Match:
    route: HttpRoute
    path_parameters: dict[str, str]


class Router:
    """Routes of the template, most specific first (see the module docstring)."""

    def __init__(self, routes: Iterable[HttpRoute]) -> None:
        compiled = []
        for route in routes:
            pattern = None if route.path is None else _compile(route.path)
            compiled.append((route, pattern, _specificity(route)))
        self._routes = sorted(compiled, key=lambda item: item[2])

    def match(self, method: str, path: str) -> Match | None:
        candidates = {path, path.rstrip("/") or "/", path if path.endswith("/") else path + "/"}
        for route, pattern, _ in self._routes:
            if route.method not in ("ANY", method.upper()):
                continue
            if pattern is None:
                return Match(route, {})
            for candidate in sorted(candidates, key=lambda c: c != path):  # the exact path first
                found = pattern.fullmatch(candidate)
                if found:
                    return Match(route, {k: v for k, v in found.groupdict().items() if v is not None})
        return None


def _compile(path: str) -> re.Pattern[str]:
    regex = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{") and part.endswith("+}"):
            regex += f"(?P<{_group(part[1:-2])}>.+)"
        elif part.startswith("{") and part.endswith("}"):
            regex += f"(?P<{_group(part[1:-1])}>[^/]+)"
        else:
            regex += re.escape(part)
    return re.compile(regex)


def _group(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"path parameter {name!r} cannot be served locally (not an identifier)")
    return name


def _specificity(route: HttpRoute) -> tuple[int, int, int, int]:
    if route.path is None:
        return (3, 0, 0, 1)
    greedy = 1 if "+}" in route.path else 0
    params = route.path.count("{")
    return (greedy, params, -len(route.path), route.method == "ANY")


def build_event(
    route: Match, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
) -> dict[str, Any]:
    """An API Gateway HTTP API payload 2.0 event for one request."""
    url = urlsplit(target)
    lowered: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
            continue
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
    query: dict[str, str] = {}
    for key, value in parse_qsl(url.query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route.route_key,
        "rawPath": url.path,
        "rawQueryString": url.query,
        "headers": lowered,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": lowered.get("host", "localhost"),
            "domainPrefix": lowered.get("host", "localhost").split(".")[0],
            "http": {
                "method": method,
                "path": url.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": route.route.route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if route.path_parameters:
        event["pathParameters"] = route.path_parameters
    if body:
        event["body"], event["isBase64Encoded"] = _encode_body(lowered.get("content-type", ""), body)
    return event


def _encode_body(content_type: str, body: bytes) -> tuple[str, bool]:
    """Text content types pass as text; anything else (images, multipart) is base64, as API Gateway does."""
    if _TEXT_TYPES.match(content_type.split(";")[0].strip()):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def to_http(result: Any) -> tuple[int, dict[str, str], list[str], bytes]:
    """A handler's return value → (status, headers, cookies, body) by the payload 2.0 rules: a dict
    with ``statusCode`` is a response; anything else is a 200 JSON body (a string as it is)."""
    if isinstance(result, dict) and "statusCode" in result:
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        for key, values in (result.get("multiValueHeaders") or {}).items():
            headers[key] = ",".join(str(v) for v in values)
        raw = result.get("body")
        text = raw if isinstance(raw, str) else ("" if raw is None else json.dumps(raw))
        data = base64.b64decode(text) if result.get("isBase64Encoded") else text.encode("utf-8")
        return int(result["statusCode"]), headers, list(result.get("cookies") or []), data
    body = result if isinstance(result, str) else json.dumps(result)
    return 200, {"content-type": "application/json"}, [], body.encode("utf-8")


def context_values(
    event: dict[str, Any] | None, method: str, path: str, status: int, length: int
) -> dict[str, str]:
    """The ``$context`` variables of one request, as API Gateway names them for access logs."""
    context = (event or {}).get("requestContext") or {}
    http = context.get("http") or {}
    latency = str(max(0, int(time.time() * 1000) - int(context.get("timeEpoch") or time.time() * 1000)))
    values = {
        "requestId": context.get("requestId"),
        "requestTime": context.get("time"),
        "requestTimeEpoch": context.get("timeEpoch"),
        "routeKey": context.get("routeKey"),
        "httpMethod": method,
        "path": path,
        "protocol": http.get("protocol", "HTTP/1.1"),
        "identity.sourceIp": http.get("sourceIp"),
        "identity.userAgent": http.get("userAgent"),
        "domainName": context.get("domainName"),
        "stage": context.get("stage"),
        "apiId": context.get("apiId"),
        "accountId": context.get("accountId"),
        "status": status,
        "responseLength": length,
        "responseLatency": latency,
        "integrationStatus": status if event is not None else None,
        "integrationLatency": latency if event is not None else None,
    }
    return {name: "-" if value in (None, "") else str(value) for name, value in values.items()}


def access_log_line(log_format: str, values: dict[str, str]) -> str:
    """``log_format`` with each ``$context.name`` replaced by its value (see ``context_values``)."""

    def one(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise ValueError(f"$context.{match.group(1)} cannot be logged by the local API")
        return values[match.group(1)]

    return _CONTEXT_VARIABLE.sub(one, log_format)


class LocalApi(BackgroundServer):
    """The routes of ``functions``, served from a daemon thread."""

    thread_name = "local-api"

    def __init__(
        self,
        functions: dict[str, LocalFunction],
        host: str = "127.0.0.1",
        port: int = 3000,
        access_log_format: str | None = None,
        observer: Observer | None = None,
    ) -> None:
        """``observer(route, event, status, milliseconds)`` is told of every request a function
        answered (the terminal's lines); its failures are logged, never the caller's."""
        self.functions = functions
        self.observer = observer
        self.links: dict[str, str] = {}  # the stack's other pages, listed on the root page
        self.router = Router(route for f in functions.values() for route in f.model.routes)
        self.access_log_format = access_log_format
        if access_log_format is not None:  # an unknown variable fails now, not on the first request
            access_log_line(access_log_format, context_values(None, "GET", "/", 200, 0))
        super().__init__(_handler_for(self), host, port)

    @property
    def routes(self) -> list[HttpRoute]:
        return [r for f in self.functions.values() for r in f.model.routes]

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
    ) -> tuple[int, dict[str, str], list[str], bytes]:
        event: dict[str, Any] | None = None
        path = urlsplit(target).path
        found = self.router.match(method, path)
        if found is None and method in ("GET", "HEAD") and path in LOCAL_PAGES:
            content_type, page = LOCAL_PAGES[path](self)
            return 200, {"content-type": content_type, "cache-control": "no-cache"}, [], page
        if found is None:
            # API Gateway's own answer for a route that does not exist.
            answer = 404, {"content-type": "application/json"}, [], b'{"message":"Not Found"}'
        else:
            function = self.functions[found.route.function]
            event = build_event(found, method, target, headers, body, source_ip)
            started = time.monotonic()
            try:
                answer = to_http(function.invoke(event))
            except Exception:
                logger.exception("%s raised (API Gateway answers 500)", function.model.logical_id)
                answer = 500, {"content-type": "application/json"}, [], b'{"message":"Internal Server Error"}'
            if self.observer is not None:
                try:
                    self.observer(found.route, event, answer[0], (time.monotonic() - started) * 1000)
                except Exception:
                    logger.exception("Reporting %s failed", found.route.route_key)
        if self.access_log_format is not None:
            values = context_values(event, method, path, answer[0], len(answer[3]))
            access_logger.info(access_log_line(self.access_log_format, values))
        return answer


FAVICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" '
    b'fill="#1f6feb"/><path d="M18 20h28v6H35v20h-6V26H18z" fill="#fff"/></svg>'
)


def root_page(api: LocalApi) -> tuple[str, bytes]:
    """The API's root: its routes (links where a browser can open them) and the stack's pages.
    Local only: API Gateway answers its 404 there."""
    rows = []
    for route in sorted(api.routes, key=lambda r: (r.path or "", r.method)):
        path = route.path or "$default"
        openable = route.method in ("GET", "ANY") and "{" not in path
        shown = f'<a href="{html.escape(path)}">{html.escape(path)}</a>' if openable else html.escape(path)
        rows.append(
            f"<tr><td>{html.escape(route.method)}</td><td>{shown}</td><td>{html.escape(route.function)}</td></tr>"
        )
    links = "".join(
        f'<li>{html.escape(name)}: <a href="{html.escape(url)}">{html.escape(url)}</a></li>'
        for name, url in api.links.items()
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Local API</title><link rel="icon" href="/favicon.ico" type="image/svg+xml">
<style>body{{font:15px/1.5 system-ui,sans-serif;margin:24px auto;max-width:820px;padding:0 12px;color:#1f2a37}}
table{{border-collapse:collapse;width:100%}}td{{border-bottom:1px solid #dde3e8;padding:4px 8px 4px 0;overflow-wrap:anywhere}}</style>
</head><body><h1>Local API</h1>
<p>The routes of <code>template.yaml</code>, served as API Gateway would (<code>make run</code>).</p>
<table><tbody>{"".join(rows)}</tbody></table>
{f"<h2>Also running</h2><ul>{links}</ul>" if links else ""}
</body></html>"""
    return "text/html; charset=utf-8", page.encode("utf-8")


LOCAL_PAGES: dict[str, Callable[[LocalApi], tuple[str, bytes]]] = {
    "/": root_page,
    "/favicon.ico": lambda api: ("image/svg+xml", FAVICON),
}


def _handler_for(api: LocalApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("%s " + format, self.client_address[0], *args)

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.close_connection = True
                self._reply(
                    413, {"content-type": "application/json"}, [], b'{"message":"Request Entity Too Large"}'
                )
                return
            body = self.rfile.read(length) if length else b""
            self._reply(
                *api.handle(self.command, self.path, list(self.headers.items()), body, self.client_address[0])
            )

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

        def _reply(self, status: int, headers: dict[str, str], cookies: list[str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(key, value)
            for cookie in cookies:
                self.send_header("Set-Cookie", cookie)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    return Handler
