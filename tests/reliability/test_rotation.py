"""Secrets rotated under traffic: a warm function, moto's SSM and the Telegram sandbox delivering
updates to the real webhook handler over HTTP. The rotation (``make rotate-webhook-secret``) must
refuse no call; rotating the naive way (new secret, setWebhook at once) refuses some, which shows
the test can fail. Time is the configuration's injected clock: the five-minute re-read window
passes when the rotation waits for it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import boto3
import pytest

from infra import rotate
from infra.botapi import BotApiServer, DeliveryConfig, World
from infra.botapi.delivery import SECRET_HEADER
from supportbot.config import SECRETS_MAX_AGE, get_config
from tests.functional.conftest import reset_singletons
from tests.functional.events import FakeLambdaContext, webhook_event
from tests.functional.harness import BOT_TOKEN
from tests.reliability import figures

PREFIX = "bot"
USERS = (700000101, 700000102, 700000103)
STEPS = 6  # traffic rounds while the rotation waits for the re-read window


class Clock:
    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Webhook:
    """The Telegram webhook function behind an HTTP port, one request at a time like one warm
    Lambda instance; records the status of every call."""

    app: Any
    statuses: list[tuple[int, int]] = field(default_factory=list)  # (update_id, status)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                update = json.loads(body)
                event = webhook_event(update, secret=self.headers.get(SECRET_HEADER))
                response = hook.app.lambda_handler(event, FakeLambdaContext())
                payload = str(response.get("body") or "").encode()
                self.send_response(response["statusCode"])
                content_type = (response.get("headers") or {}).get("Content-Type", "text/plain")
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                with hook.changed:
                    hook.statuses.append((int(update["update_id"]), response["statusCode"]))
                    hook.changed.notify_all()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/telegram/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def refused(self) -> list[int]:
        with self.changed:
            return self._refused()

    def _refused(self) -> list[int]:
        return [update_id for update_id, status in self.statuses if status in (401, 403)]

    def wait_handled(self, update_ids: set[int], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not update_ids <= {u for u, status in self.statuses if status == 200}:
                left = deadline - time.monotonic()
                assert left > 0, f"not handled in time: {sorted(update_ids)}; seen {self.statuses[-10:]}"
                self.changed.wait(left)

    def wait_refused(self, update_ids: set[int], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not update_ids <= set(self._refused()):
                left = deadline - time.monotonic()
                assert left > 0, "no refusal seen"
                self.changed.wait(left)


@dataclass
class Scene:
    world: World
    server: BotApiServer
    webhook: Webhook
    clock: Clock
    parameters: rotate.Parameters
    sent: set[int] = field(default_factory=set)

    def traffic(self) -> set[int]:
        """Each user writes once; returns when the webhook has handled all of it (answered 200)."""
        ids = {int(self.world.user_sends_text(user, "/start")["update_id"]) for user in USERS}
        self.sent |= ids
        self.webhook.wait_handled(ids)
        return ids

    def set_webhook(self, secret: str) -> None:
        assert rotate.set_webhook(self.webhook.url, BOT_TOKEN, secret, self.server.base_url)["ok"]


@pytest.fixture
def scene(aws, monkeypatch) -> Iterator[Scene]:
    from functions.telegram_webhook import app
    from infra.demo import load_demo_data

    ssm = boto3.client("ssm")
    parameters = rotate.Parameters(PREFIX, ssm)
    parameters.put(rotate.BOT_TOKEN, BOT_TOKEN)
    parameters.put(rotate.WEBHOOK_SECRET, "first-webhook-secret")
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET_PARAMETER", parameters.path(rotate.WEBHOOK_SECRET))
    monkeypatch.setenv(
        "TELEGRAM_WEBHOOK_SECRET_PREVIOUS_PARAMETER", parameters.path(rotate.WEBHOOK_SECRET + "-previous")
    )
    clock = Clock()
    monkeypatch.setattr(get_config, "clock", clock)
    world = World(token=BOT_TOKEN, rate_limits=False)
    for user in USERS:
        world.add_user(user, first_name="Анна")
    fast = DeliveryConfig(backoff=lambda failures: 0.2, timeout=30.0)
    with BotApiServer(world, delivery=fast) as server:
        monkeypatch.setenv("TELEGRAM_API_URL", server.base_url)
        reset_singletons()
        load_demo_data()
        webhook = Webhook(app)
        scene = Scene(world, server, webhook, clock, parameters)
        scene.set_webhook("first-webhook-secret")
        scene.traffic()  # the function is warm: it has read its secrets
        yield scene
        webhook.server.shutdown()
    reset_singletons()


def test_rotating_the_webhook_secret_refuses_no_call(scene):
    # GIVEN a warm webhook function and users writing all through the rotation
    def wait_with_traffic(seconds: float) -> None:
        for _ in range(STEPS):
            scene.clock.now += seconds / STEPS
            scene.traffic()

    # WHEN make rotate-webhook-secret runs
    rotate.rotate_webhook_secret(
        scene.parameters,
        scene.webhook.url,
        scene.server.base_url,
        sleep=wait_with_traffic,
        say=lambda line: None,
    )
    new_secret = scene.parameters.get(rotate.WEBHOOK_SECRET)
    # AND users go on writing after it, past one more re-read window (the previous value forgotten)
    scene.traffic()
    scene.clock.now += SECRETS_MAX_AGE
    scene.traffic()
    # THEN not one call was refused, every update was handled, and only the new secret is accepted now
    refused = scene.webhook.refused()
    figures.put(
        "rotation",
        "Telegram webhook secret (make rotate-webhook-secret)",
        "calls",
        len(scene.webhook.statuses),
    )
    figures.put(
        "rotation", "Telegram webhook secret (make rotate-webhook-secret)", "calls refused", len(refused)
    )
    assert refused == []
    assert scene.world.webhook.secret_token == new_secret != "first-webhook-secret"
    assert get_config().accepted("TELEGRAM_WEBHOOK_SECRET") == (new_secret,)
    assert scene.parameters.get(rotate.WEBHOOK_SECRET + "-previous") is None
    assert not scene.world.pending


def test_rotating_without_the_previous_value_refuses_calls_until_the_re_read(scene):
    # GIVEN a warm webhook function
    # WHEN the secret is replaced and Telegram told at once, with no previous value and no wait
    scene.parameters.put(rotate.WEBHOOK_SECRET, "second-webhook-secret")
    scene.set_webhook("second-webhook-secret")
    ids = {int(scene.world.user_sends_text(user, "/start")["update_id"]) for user in USERS}
    # THEN the warm function refuses Telegram's calls until it reads the secrets again
    scene.webhook.wait_refused(ids)
    figures.put("rotation", "naive: new secret, setWebhook at once", "updates refused", len(ids))
    # AND nothing is lost: Telegram retries, and once the window has passed the updates get through
    scene.clock.now += SECRETS_MAX_AGE
    scene.webhook.wait_handled(ids)


# --- the secrets rotated by hand: admin key, Blinger's URL key and token ------------------------


@pytest.fixture
def warm(aws, monkeypatch):
    """Admin and Blinger webhook functions reading their secrets from moto's SSM, on a fake clock."""
    parameters = rotate.Parameters(PREFIX, boto3.client("ssm"))
    for name in ("admin-api-key", "blinger-webhook-secret", "blinger-token"):
        parameters.put(name, f"first-{name}")
        variable = name.upper().replace("-", "_")
        monkeypatch.delenv(variable, raising=False)
        monkeypatch.setenv(f"{variable}_PARAMETER", parameters.path(name))
        monkeypatch.setenv(f"{variable}_PREVIOUS_PARAMETER", parameters.path(name + "-previous"))
    monkeypatch.setenv("BLINGER_CHANNEL_ID", "channel-1")
    clock = Clock()
    monkeypatch.setattr(get_config, "clock", clock)
    reset_singletons()
    from functions.admin import app as admin_app
    from functions.blinger_webhook import app as blinger_app
    from tests.functional.admin.conftest import AdminClient

    admin = AdminClient(admin_app, "")

    def call(name: str, value: str) -> int:
        if name == "admin-api-key":
            return admin.call("GET", "/stats", key=value)[0]
        if name == "blinger-webhook-secret":
            body = {"webhook": "conversation_opened", "conversation": {"id": 1}}
            event = blinger_event(body, query={"key": value})
        else:  # an operator's message to a client nobody knows: past the token check, a 404
            body = {"type": "text", "data": "hi", "client_id": "nobody", "custom_channel_id": "channel-1"}
            event = blinger_event(body, headers={"authorization": f"Bearer {value}"})
        return int(blinger_app.lambda_handler(event, FakeLambdaContext())["statusCode"])

    yield parameters, clock, call
    reset_singletons()


def blinger_event(body: dict, query: dict | None = None, headers: dict | None = None) -> dict:
    from infra.localstack.api import Match, build_event
    from infra.localstack.template_model import HttpRoute

    route = HttpRoute("BlingerWebhookFunction", "POST", "/v1/blinger/webhook/")
    path = "/v1/blinger/webhook/" + (f"?key={query['key']}" if query else "")
    listed = [("content-type", "application/json"), *(headers or {}).items()]
    raw = json.dumps(body).encode()
    return build_event(Match(route, {}), "POST", path, listed, raw, "127.0.0.1")


@pytest.mark.parametrize("name", ["admin-api-key", "blinger-webhook-secret", "blinger-token"])
def test_a_secret_rotated_by_hand_is_accepted_old_and_new_until_the_rotation_finishes(warm, name):
    parameters, clock, call = warm
    old = f"first-{name}"
    statuses: list[int] = []
    assert call(name, old) not in (401, 403)  # warm, with the first value
    # WHEN make rotate-secret NAME=... starts the rotation
    new = rotate.start(
        parameters, name, "second-" + name if name == "blinger-token" else None, say=lambda _: None
    )
    # THEN the old value keeps working before and after the functions read the secrets again
    statuses.append(call(name, old))
    clock.now += SECRETS_MAX_AGE
    statuses.append(call(name, old))
    # AND the new one works once they have (the callers switch then)
    statuses.append(call(name, new))
    # WHEN make finish-rotation NAME=... runs and the window passes
    rotate.finish(parameters, name, say=lambda _: None)
    statuses.append(call(name, new))
    clock.now += SECRETS_MAX_AGE
    statuses.append(call(name, new))
    # THEN no call with a value valid at its time was refused, and the old value is refused now
    refused = [status for status in statuses if status in (401, 403)]
    figures.put("rotation", f"{name} (make rotate-secret, finish-rotation)", "calls refused", len(refused))
    assert refused == []
    assert call(name, old) == 403
