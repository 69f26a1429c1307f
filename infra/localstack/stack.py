"""The whole system on this machine, started and stopped in the right order (``make run``).

Order matters: moto first (tables, queues and buckets from the template, then the writes of the
previous run replayed into them and recording resumed: `persistence`), then the Telegram side
(its URL is part of the functions' environment), then the environment itself, which must be in
``os.environ`` before ``supportbot`` reads its configuration, then demo data (on a first start
only: restored data is kept as it was), ``make migrate``'s step (on restored data too, written
maybe by an earlier version; the same code runs as on a deployed stack), the handlers (imported
now, so the first chat message is not a cold start), the API, the queue pollers, the timers of the
scheduled functions (`schedules`), and last the webhook, because setting it starts deliveries to
the API.

Stopping is the reverse, with the queues drained in between: no more updates are delivered, the
pollers handle what is queued (the sandbox and the console still answer the deliveries), then the
sandbox's and the console's state is saved and everything stops.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.localstack import terminal
from infra.localstack.api import LocalApi
from infra.localstack.aws import MotoServer, apply_environment, aws_environment, client, create_resources
from infra.localstack.lambdas import LocalFunction, add_import_paths
from infra.localstack.persistence import LocalState
from infra.localstack.schedules import Timer, start_timers
from infra.localstack.sqs_poller import QueuePoller, drain, start_pollers
from infra.localstack.telegram import (
    LOCAL_TOKEN,
    SUPPORT_CHAT_ID,
    WAREHOUSE_CHAT_ID,
    RealTelegramPoller,
    Sandbox,
    add_demo_operators,
)
from infra.localstack.template_model import (
    HttpRoute,
    StackModel,
    merged_environment,
    without_ssm_references,
)
from infra.template import TEMPLATE, load_template

logger = logging.getLogger(__name__)
WEBHOOK_PATH = "/v1/telegram/webhook"
BLINGER_WEBHOOK_PATH = "/v1/blinger/webhook/"
LOCAL_WEBHOOK_SECRET = "local-webhook-secret"  # noqa: S105 - fake, for the sandbox only
BLINGER_TOKEN = "local-blinger-token"  # noqa: S105
BLINGER_EVENTS_SECRET = "local-blinger-events-secret"  # noqa: S105
BLINGER_CHANNEL_ID = "telegram"
DRAIN_SECONDS = 10.0  # how long stopping waits for queued messages to be handled


LOCAL_TUNABLES = ("ORDER_EVENTS_COALESCE_SECONDS", "BROADCAST_PAGE_SIZE", "AUTO_CLOSE_HOURS", "SUPPORT_DESK")


@dataclass
class Ports:
    api: int = 3000
    telegram: int = 8081
    blinger: int = 8082
    moto: int = 5000


def local_secrets(model: StackModel) -> dict[str, str]:
    """A fake value for every secret the template reads from SSM (``X_PARAMETER`` → ``X``); none
    for ``X_PREVIOUS``: nothing is being rotated out locally."""
    names = {key.removesuffix("_PARAMETER") for f in model.functions.values() for key in f.environment}
    return {
        name: "local-" + name.lower().replace("_", "-")
        for name in names
        if any(f"{name}_PARAMETER" in f.environment for f in model.functions.values())
        and not name.endswith("_PREVIOUS")
    }


def build_functions(model: StackModel) -> dict[str, LocalFunction]:
    add_import_paths(model.root, model.functions.values())
    return {name: LocalFunction(function) for name, function in model.functions.items()}


class LocalStack:
    """Start with `start()`, stop with `stop()` (idempotent, also after a failed start)."""

    def __init__(
        self,
        ports: Ports | None = None,
        template_path: Path = TEMPLATE,
        real_token: str | None = None,
        real_api_url: str | None = None,
        log: Callable[[str], None] = print,
        state_dir: Path | None = None,
        fresh: bool = False,
        rate_limits: bool = True,
        schedule_seconds: float | None = None,
    ) -> None:
        """``state_dir``: keep data across restarts there (`persistence`); None keeps nothing.
        ``fresh``: forget what ``state_dir`` holds first. ``rate_limits``: the sandbox answers 429
        over Telegram's flood limits (``infra/botapi/limits.py``). ``schedule_seconds``: run the
        scheduled functions this often instead of their template's periods (`schedules`)."""
        self.ports = ports or Ports()
        self.template_path = template_path
        self.real_token = real_token
        self.real_api_url = real_api_url or "https://api.telegram.org"
        self.log = log
        self.moto: MotoServer | None = None
        self.admin_api_key: str | None = None
        self.sandbox: Sandbox | None = None
        self.telegram_poller: RealTelegramPoller | None = None
        self.blinger: Any = None
        self.api: LocalApi | None = None
        self.pollers: list[QueuePoller] = []
        self.timers: list[Timer] = []
        self.schedule_seconds = schedule_seconds
        self.environment: dict[str, str] = {}
        self.state_dir = state_dir
        self.fresh = fresh
        self.rate_limits = rate_limits
        self.state: LocalState | None = None
        self.restored = 0  # writes replayed from the previous run
        self.queue_names: list[str] = []  # the template's queues, kept across restarts

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"

    @property
    def webhook_url(self) -> str:
        return self.api_url + WEBHOOK_PATH

    def start(self) -> LocalStack:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self.moto = MotoServer(self.ports.moto).start()
        apply_environment(aws_environment(self.moto.url))
        template = load_template(self.template_path)
        model = StackModel.from_template(template, root=self.template_path.parent, moto_url=self.moto.url)
        create_resources(model, template, self.moto.url)
        if self.state_dir is not None:
            self.state = LocalState(self.state_dir, fresh=self.fresh)
            self.restored = self.state.restore_aws(self.moto.url)
            self.state.restore_queues(client("sqs", self.moto.url))
            self.state.record_aws()
        self.queue_names = [queue.name for queue in model.queues.values()]

        overrides = local_secrets(model)
        self.admin_api_key = overrides.get("ADMIN_API_KEY")
        overrides["TELEGRAM_WEBHOOK_SECRET"] = LOCAL_WEBHOOK_SECRET
        if self.real_token:
            overrides |= {"TELEGRAM_BOT_TOKEN": self.real_token, "TELEGRAM_API_URL": self.real_api_url}
        else:
            self.sandbox = Sandbox(self.ports.telegram, rate_limits=self.rate_limits)
            overrides |= {
                "TELEGRAM_BOT_TOKEN": LOCAL_TOKEN,
                "TELEGRAM_API_URL": self.sandbox.url,
                "WAREHOUSE_CHAT_ID": str(WAREHOUSE_CHAT_ID),
                "SUPPORT_CHAT_ID": str(SUPPORT_CHAT_ID),
            }
        self.blinger = _blinger_console(
            self.ports.blinger, self.api_url + BLINGER_WEBHOOK_PATH, overrides.get("BLINGER_API_TOKEN")
        )
        if self.blinger is not None:
            overrides |= {
                "BLINGER_API_URL": self.blinger.send_url,
                "BLINGER_REST_URL": self.blinger.rest_url,
                "BLINGER_TOKEN": BLINGER_TOKEN,
                "BLINGER_WEBHOOK_SECRET": BLINGER_EVENTS_SECRET,
                "BLINGER_CHANNEL_ID": BLINGER_CHANNEL_ID,
            }
        # Settings a run may shorten (e2e tests wait seconds, not the minute of a deployment).
        overrides |= {name: os.environ[name] for name in LOCAL_TUNABLES if os.environ.get(name)}
        self.environment = without_ssm_references(merged_environment(model.functions, overrides))
        os.environ.update(self.environment)

        functions = build_functions(model)
        from infra.demo import load_demo_data  # imports supportbot: only now that the names are set

        if not self.restored:
            load_demo_data()
        add_demo_operators(os.environ.get("OPERATOR_KEY_SECRET"))  # a stack saved before them too
        from infra.migrate import migrate  # as `make migrate` does on a deployed stack

        self.log(f"  migrate: {migrate()}")
        for function in functions.values():
            _ = function.handler  # the cold start happens here, not on the first message
        self.api = LocalApi(
            functions,
            port=self.ports.api,
            access_log_format=model.access_log_format,
            observer=self._on_request,
        )
        self.api.links = {name: url.split(" ")[0] for name, url in self._page_urls().items()}
        self.api.start()
        self.pollers = start_pollers(model, functions, self.moto.url, {"OutboxFunction": self._on_outbox})
        self.timers = start_timers(functions, self.schedule_seconds)
        if self.blinger is not None:
            saved = self.state.load("blinger") if self.state else None
            if saved is not None:
                self.blinger.restore(saved)
            self.blinger.start()
        if self.sandbox is not None:
            saved = self.state.load("sandbox") if self.state else None
            self.sandbox.start(self.webhook_url, LOCAL_WEBHOOK_SECRET, saved)
        elif self.real_token:
            self.telegram_poller = RealTelegramPoller(
                self.real_token, self.real_api_url, self.webhook_url, LOCAL_WEBHOOK_SECRET
            ).start()

    def _page_urls(self) -> dict[str, str]:
        """The browser pages of the stack other than the API's own (known before they start)."""
        urls: dict[str, str] = {}
        if self.sandbox is not None:
            urls["Telegram sandbox (web chat)"] = self.sandbox.server.sandbox_url
        if self.blinger is not None:
            urls["Blinger console"] = self.blinger.base_url + "/"
        if self.admin_api_key:
            urls["Admin page"] = f"{self.api_url}/v1/admin/"
            urls["Admin API (Swagger UI)"] = f"{self.api_url}/v1/admin/swagger"
        return urls

    def urls(self) -> dict[str, str]:
        urls: dict[str, str] = {}
        if self.sandbox is not None:
            urls["Telegram sandbox (web chat)"] = self.sandbox.server.sandbox_url
        elif self.telegram_poller is not None:
            urls["Telegram"] = f"https://t.me/{self.telegram_poller.username} (long-polling the real Bot API)"
        if self.blinger is not None:
            urls["Blinger console"] = self.blinger.base_url + "/"
        if self.admin_api_key:
            urls["Admin page"] = f"{self.api_url}/v1/admin/ (API key: {self.admin_api_key})"
            urls["Admin API (Swagger UI)"] = f"{self.api_url}/v1/admin/swagger"
        urls["API"] = f"{self.api_url}/ (its routes)"
        if self.moto is not None:
            # moto's own /moto-api/ page loads its scripts from the internet: its data is plain JSON.
            urls["AWS (moto)"] = (
                f"{self.moto.url}/moto-api/data.json (endpoint for aws --endpoint-url: {self.moto.url})"
            )
        return urls

    def stop(self) -> None:
        """Stop everything that started, newest first, draining the queues and saving the state
        (see the module docstring); each step runs even if one before failed."""
        steps: list[tuple[str, Callable[[], None] | None]] = [
            ("Telegram poller", self.telegram_poller.stop if self.telegram_poller else None),
            ("sandbox's deliveries", self.sandbox.pause_deliveries if self.sandbox else None),
            *[("schedule", timer.stop) for timer in self.timers],
            ("queues", self._drain if self.pollers else None),
            *[("queue poller", poller.stop) for poller in self.pollers],
            ("saved state", self._save if self.state else None),
            ("sandbox", self.sandbox.stop if self.sandbox else None),
            ("Blinger console", self.blinger.stop if self.blinger else None),
            ("API", self.api.stop if self.api else None),
            ("moto", self.moto.stop if self.moto else None),
        ]
        for name, step in steps:
            if step is None:
                continue
            try:
                step()
            except Exception:
                logger.exception("Stopping the %s failed", name)
        self.telegram_poller = self.sandbox = self.blinger = self.api = self.moto = None
        self.pollers, self.timers = [], []
        self.state = None

    def _on_request(self, route: HttpRoute, event: dict[str, Any], status: int, ms: float) -> None:
        """A line per update the Telegram webhook handled (`terminal`)."""
        if route.path is not None and route.path.rstrip("/") == WEBHOOK_PATH:
            self.log(terminal.update_line(event.get("body"), status, ms))

    def _on_outbox(self, messages: list[dict[str, Any]], failed: set[str], ms: float) -> None:
        """A line per outbox delivery (`terminal`)."""
        for message in messages:
            self.log(terminal.delivery_line(message["Body"], message["MessageId"] in failed, ms))

    def _drain(self) -> None:
        left = drain(self.pollers, DRAIN_SECONDS)
        if left:
            logger.info("%d queued message(s) waiting for a retry are kept for the next start", left)

    def _save(self) -> None:
        if self.state is None:
            return
        self.state.stop_recording()
        if self.moto is not None:
            kept = self.state.save_queues(self.queue_names)
            if kept:
                self.log(f"  kept {kept} queued message(s) due later, for the next start")
        if self.sandbox is not None:
            self.state.save("sandbox", self.sandbox.snapshot())
        if self.blinger is not None:
            self.state.save("blinger", self.blinger.snapshot())


def _blinger_console(port: int, bot_webhook_url: str, api_token: str | None) -> Any:
    """The Blinger console when this checkout has it (it is built alongside), else None."""
    try:
        from infra.blinger import BlingerConsole
    except ImportError:
        return None
    return BlingerConsole(
        BLINGER_TOKEN,
        BLINGER_CHANNEL_ID,
        bot_webhook_url=bot_webhook_url,
        events_secret=BLINGER_EVENTS_SECRET,
        port=port,
        api_token=api_token,
    )


def measure(start: float) -> str:
    return f"{time.monotonic() - start:.1f} s"
