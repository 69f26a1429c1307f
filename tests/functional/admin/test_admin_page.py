"""The admin page's routes (functions/admin/page.py) and the static files they serve.

The page and its assets carry no data: they are served without the key, with headers that forbid
inline script, framing and sniffing. The static checks below keep the page honest without a
browser: no HTML injection sinks in the scripts, every string in both languages, unique test ids.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from functions.admin import page
from infra.localstack.api import Match, build_event, to_http
from infra.localstack.template_model import HttpRoute
from tests.functional.events import FakeLambdaContext

STATIC = Path(page.__file__).with_name("static")
ROUTE = HttpRoute("AdminFunction", "ANY", "/v1/admin/{proxy+}")


@pytest.fixture
def get() -> Any:
    """GET a path from a resolver that includes only the page's router."""
    resolver = APIGatewayHttpResolver()
    resolver.include_router(page.router)

    def call(path: str, **headers: str) -> tuple[int, dict[str, str], str]:
        event = build_event(Match(ROUTE, {}), "GET", path, list(headers.items()), b"", "127.0.0.1")
        status, response_headers, _, body = to_http(resolver.resolve(event, FakeLambdaContext()))
        return status, {k.lower(): v for k, v in response_headers.items()}, body.decode()

    return call


@pytest.mark.parametrize("path", ["/v1/admin", "/v1/admin/"])
def test_the_page_is_served_at_the_admin_root_without_a_key(get: Any, path: str) -> None:
    # WHEN the admin root is opened, with no X-Api-Key
    status, headers, body = get(path)
    # THEN the page, never cached, under a policy that allows only the page's own files
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-store"
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert '<script type="module" src="/v1/admin/static/admin.js"></script>' in body


def test_the_page_has_no_inline_script_style_or_external_resource() -> None:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    # GIVEN the policy default-src 'self': THEN nothing inline, nothing from elsewhere
    for script in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S):
        assert "src=" in script[0]
        assert script[1].strip() == ""
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", html)


def test_every_asset_the_page_loads_is_served_with_its_type_and_revalidated(get: Any) -> None:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    referenced = re.findall(r'(?:src|href)="/v1/admin/static/([^"]+)"', html)
    for script in STATIC.glob("*.js"):
        referenced += re.findall(r"from '\./([^']+)'", script.read_text(encoding="utf-8"))
    types = {
        ".js": "text/javascript; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".svg": "image/svg+xml",
    }
    assert {"admin.js", "admin.css", "i18n.js", "tg-html.js", "favicon.svg"} <= set(referenced)
    for name in set(referenced):
        # WHEN an asset is fetched THEN its type, the security headers and an ETag
        status, headers, body = get(f"/v1/admin/static/{name}")
        assert (status, headers["content-type"]) == (200, types[Path(name).suffix]), name
        assert body == (STATIC / name).read_text(encoding="utf-8")
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-cache"
        # AND fetched again with that ETag: 304, no body
        status, _, body = get(f"/v1/admin/static/{name}", **{"If-None-Match": headers["etag"]})
        assert (status, body) == (304, "")


@pytest.mark.parametrize(
    "name",
    ["..%2Fpage.py", "page.py", "index.html", "admin.js.map", "ADMIN.JS", ".admin.js", "nope.js", "%2e%2e"],
)
def test_nothing_but_the_static_folder_s_assets_is_served(get: Any, name: str) -> None:
    status, headers, _ = get(f"/v1/admin/static/{name}")
    assert status == 404
    assert headers["x-content-type-options"] == "nosniff"


def test_public_paths_are_only_the_page_s_own() -> None:
    assert page.is_public("/v1/admin")
    assert page.is_public("/v1/admin/")
    assert page.is_public("/v1/admin/static/admin.js")
    for path in (
        "/v1/admin/stats",
        "/v1/admin/trees/faq",
        "/v1/admin/static/a/b.js",
        "/v1/admin/openapi.json",
    ):
        assert not page.is_public(path), path


def test_scripts_never_parse_data_as_html() -> None:
    # Data reaches the DOM only through textContent and createTextNode.
    sinks = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|DOMParser"
    )
    for script in STATIC.glob("*.js"):
        assert not sinks.search(script.read_text(encoding="utf-8")), script.name


def _dictionaries() -> dict[str, set[str]]:
    source = (STATIC / "i18n.js").read_text(encoding="utf-8")
    blocks = re.findall(r"^  (\w+): \{\n(.*?)^  \},", source, re.S | re.M)
    return {lang: set(re.findall(r"^\s+'([\w.]+)':", body, re.M)) for lang, body in blocks}


def test_both_languages_have_every_string_the_page_uses() -> None:
    dictionaries = _dictionaries()
    # GIVEN Russian and English with the same keys
    assert set(dictionaries) == {"ru", "en"}
    assert dictionaries["ru"] == dictionaries["en"]
    # THEN every key the markup and the script name is in them
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    script = (STATIC / "admin.js").read_text(encoding="utf-8")
    used = set(re.findall(r'data-i18n(?:-placeholder)?="([\w.]+)"', html))
    used |= set(re.findall(r"\bt\('([\w.]+)'", script))
    missing = used - dictionaries["en"]
    assert not missing
    # AND the preview's reasons (built from a name) are there too
    reasons = set(re.findall(r"fail\('(\w+)'", (STATIC / "tg-html.js").read_text(encoding="utf-8")))
    assert {f"preview.reason.{r}" for r in reasons} <= dictionaries["en"]


def test_test_ids_of_the_page_are_unique() -> None:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    ids = re.findall(r'data-testid="([\w-]+)"', html)
    assert len(ids) == len(set(ids))


def test_the_admin_function_serves_the_page_without_a_key_and_nothing_else(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the real handler: the key gate lets the page's paths through, and only them."""
    monkeypatch.syspath_prepend(str(Path(page.__file__).parents[2] / "layers" / "admin"))
    monkeypatch.setenv("ADMIN_API_KEY", "test-admin-key")
    from supportbot.config import get_config

    get_config.cache_clear()
    from functions.admin import app

    def call(path: str, **headers: str) -> int:
        event = build_event(Match(ROUTE, {}), "GET", path, list(headers.items()), b"", "127.0.0.1")
        return to_http(app.lambda_handler(event, FakeLambdaContext()))[0]

    try:
        # WHEN the page and its assets are fetched without a key THEN they are served
        assert call("/v1/admin/") == 200
        assert call("/v1/admin") == 200
        assert call("/v1/admin/static/admin.js") == 200
        # AND the data next to them still needs the key
        assert call("/v1/admin/trees/faq") == 401
        assert call("/v1/admin/trees/faq", **{"X-Api-Key": "nope"}) == 403
        assert call("/v1/admin/trees/faq", **{"X-Api-Key": "test-admin-key"}) == 200
    finally:
        get_config.cache_clear()
