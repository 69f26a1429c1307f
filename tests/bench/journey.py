"""Per journey step: handler CPU (product vs the baseline), DynamoDB requests and capacity units,
SQS requests, Bot API and Blinger requests, log bytes.

The real handlers run in this process (as in the functional tests) against moto in server mode
and the strict Bot API and Blinger stand-ins, so DynamoDB's and SQS's own work runs on other
threads and is not counted. CPU time is the handler thread's own (``time.thread_time``); the
baseline (``tests/bench/baseline_handler.py``) handles the very same webhook event right after the
product, so every step has its side-by-side figure. The support steps run the outbox function on
what the queue holds, fed like Lambda's event source mapping (its receive and delete are counted:
they are billed). Medians over ``--rounds`` users after a warm-up user. Figures are printed, never
asserted; ``tests/bench/cost.py`` prices them.
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import logging
import math
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from botocore import handlers
from telebot import apihelper

from infra.localstack.sqs_poller import sqs_event

TARGET_RATIO = 1.3
TARGET_WORST_STEP = 1.6
# The mix of docs/PERFORMANCE.md: which steps stand for which kind of update.
CATEGORIES = {
    "navigation": [
        "open orders",
        "next page",
        "last page",
        "open order",
        "refresh order",
        "back to list",
        "main menu",
        "Home",
    ],
    "faq": ["open FAQ", "FAQ category", "FAQ answer", "Up"],
    "login": ["/start", "share contact (login)"],
    "support": ["support message in", "operator reply out"],
    # Photo requests and complaints: a screen, then a stored message queued for delivery.
    "photo/complaint": ["ask question", "support message in"],
}

counters: collections.Counter[str] = collections.Counter()


def _item_size(value: Any) -> int:
    """DynamoDB's item size rule, roughly: names plus values (numbers ~ digits / 2 + 1)."""
    if isinstance(value, dict) and len(value) == 1:
        ((kind, inner),) = value.items()
        if kind == "S":
            return len(inner.encode())
        if kind == "N":
            return len(inner) // 2 + 1
        if kind == "B":
            return len(inner)
        if kind == "M":
            return 3 + sum(len(k.encode()) + _item_size(v) + 1 for k, v in inner.items())
        if kind == "L":
            return 3 + sum(_item_size(v) + 1 for v in inner)
        if kind in ("SS", "NS"):
            return sum(len(str(v)) for v in inner)
        return 1
    return sum(len(k.encode()) + _item_size(v) for k, v in value.items())


def _before_dynamodb(params: dict[str, Any], model: Any, **_: Any) -> None:
    table = params.get("TableName") or ",".join(params.get("RequestItems", {})) or "?"
    counters[f"ddb {model.name}:{table}"] += 1
    if model.name in ("PutItem", "UpdateItem", "DeleteItem"):
        size = _item_size(params.get("Item") or params.get("Key") or {})
        # An update rewrites the whole item: its size is unknown here, so one unit is assumed
        # (every item the webhook writes is far below 1 KB).
        counters["WCU"] += max(1, math.ceil(size / 1024))
    elif model.name in ("BatchWriteItem", "TransactWriteItems"):
        items = [r for rs in params.get("RequestItems", {}).values() for r in rs] or params.get(
            "TransactItems", []
        )
        counters["WCU"] += len(items) * (2 if model.name.startswith("Transact") else 1)


def _after_dynamodb(
    parsed: dict[str, Any], model: Any, params: dict[str, Any] | None = None, **_: Any
) -> None:
    consistent = bool((params or {}).get("ConsistentRead"))
    factor = 1.0 if consistent else 0.5
    if model.name == "GetItem":
        counters["RCU"] += factor * max(1, math.ceil(_item_size(parsed.get("Item", {})) / 4096))
    elif model.name in ("Query", "Scan"):
        size = sum(_item_size(item) for item in parsed.get("Items", []))
        counters["RCU"] += factor * max(1, math.ceil(size / 4096))
    elif model.name == "BatchGetItem":
        for items in parsed.get("Responses", {}).values():
            counters["RCU"] += sum(factor * max(1, math.ceil(_item_size(i) / 4096)) for i in items)


def _before_sqs(model: Any, **_: Any) -> None:
    counters[f"sqs {model.name}"] += 1
    counters["SQS"] += 1


def _after_call(http_response: Any, parsed: dict[str, Any], model: Any, **kwargs: Any) -> None:
    if model.service_model.service_name == "dynamodb":
        _after_dynamodb(parsed, model, kwargs.get("context", {}).get("bench_params"))


def _keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["bench_params"] = params


handlers.BUILTIN_HANDLERS.extend(
    [
        ("before-parameter-build.dynamodb", _before_dynamodb),
        ("before-parameter-build.dynamodb", _keep_params),
        ("before-parameter-build.sqs", _before_sqs),
        ("after-call.dynamodb", _after_call),
    ]
)


class CountingStream(io.TextIOBase):
    """Stands in for a log handler's stdout: counts the bytes CloudWatch would ingest."""

    def write(self, text: str) -> int:
        counters["log bytes"] += len(text.encode())
        return len(text)


def count_log_bytes() -> None:
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler.stream, CountingStream):
                handler.setStream(CountingStream())


class Timed:
    """The handler module as the harness sees it: times the product's handler, then the baseline's
    on the same event (its own DynamoDB table and Bot API messages, not counted as I/O)."""

    def __init__(self, product: Any, baseline: Any, function: str = "webhook") -> None:
        self.product, self.baseline, self.function = product, baseline, function

    def lambda_handler(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.thread_time()
        response: dict[str, Any] = self.product.lambda_handler(event, context)
        counters[f"cpu_ms {self.function}"] += (time.thread_time() - started) * 1000
        counters[f"invocations {self.function}"] += 1
        if self.baseline is not None:
            saved = +counters
            # The bare handler uses pyTelegramBotAPI as it comes (parameters in the URL), not the
            # product's body sender (supportbot/telegram/client.py), which this process imported.
            sender, apihelper.CUSTOM_REQUEST_SENDER = apihelper.CUSTOM_REQUEST_SENDER, None
            started = time.thread_time()
            try:
                self.baseline.lambda_handler(event, context)
            finally:
                apihelper.CUSTOM_REQUEST_SENDER = sender
            counters.clear()
            counters.update(saved)
            counters["cpu_ms baseline"] += (time.thread_time() - started) * 1000
        return response


class Outbox:
    """The outbox function fed like Lambda's event source mapping (one message per batch: light
    traffic, the costliest case)."""

    def __init__(self, app: Any, queue_url: str, context: Any) -> None:
        import boto3

        self.app, self.queue_url, self.context = app, queue_url, context
        self.sqs = boto3.client("sqs")
        self.arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def run(self) -> None:
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=1, MessageSystemAttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                # The poll that finds the queue empty is not this message's: Lambda's pollers
                # long-poll the queue whatever the traffic (a flat cost, docs/PERFORMANCE.md).
                counters["SQS"] -= 1
                counters["sqs ReceiveMessage"] -= 1
                return
            answer = self.app.lambda_handler(sqs_event(messages, self.arn), self.context)
            failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
            for m in messages:
                if m["MessageId"] not in failed:
                    self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])


def journey(chat: Any, support: Any) -> list[tuple[str, Callable[[], Any]]]:
    from infra.demo import CUSTOMER_PHONE

    steps = [
        ("/start", lambda: chat.send("/start")),
        ("share contact (login)", lambda: chat.share_contact(CUSTOMER_PHONE.lstrip("+"))),
        ("open orders", lambda: chat.tap("📦 Мои заказы")),
        ("next page", lambda: chat.tap("▶️")),
        ("last page", lambda: chat.tap("⏭")),
        ("open order", lambda: chat.tap(next(x for x in chat.labels(chat.menu) if x.startswith("№")))),
        ("refresh order", lambda: chat.tap("🔄 Обновить")),
        ("back to list", lambda: chat.tap("⬅️ К списку")),
        ("main menu", lambda: chat.tap("🏠 Главное меню")),
        ("open FAQ", lambda: chat.tap("❓ Частые вопросы")),
        ("FAQ category", lambda: chat.tap("Доставка")),
        ("FAQ answer", lambda: chat.tap("Сколько идёт доставка?")),
        ("Back", lambda: chat.tap("⬅️ Назад")),
        ("typed text (refused)", lambda: chat.send("hello")),
        ("Home", lambda: chat.tap("🏠 Главное меню")),
    ]
    if support is not None:
        steps += [
            ("ask question", lambda: chat.tap("💬 Задать вопрос")),
            ("support message in", lambda: (chat.send("Где мой заказ?"), support.outbox.run())),
            ("operator reply out", lambda: support.operator_replies(chat.user_id)),
            ("end dialog + menu", lambda: chat.tap("🏠 Главное меню")),
        ]
    return [*steps, ("log out", lambda: chat.tap("🚪 Выйти"))]


class Support:
    def __init__(self, blinger: Any, blinger_app: Any, outbox: Outbox, context: Any) -> None:
        self.blinger, self.blinger_app, self.outbox, self.context = blinger, blinger_app, outbox, context

    def operator_replies(self, user_id: int) -> None:
        from urllib.parse import parse_qsl, urlsplit

        from tests.functional.events import load_event

        delivery = self.blinger.reply(f"tg-{user_id}", "text", "Заказ уже в пути")
        event = load_event("event-post-blinger-webhook-reply.json")
        url = urlsplit(delivery.url)
        event["headers"] = {
            "content-type": "application/json",
            **{k.lower(): v for k, v in delivery.headers.items()},
        }
        event["rawQueryString"] = url.query
        if url.query:
            event["queryStringParameters"] = dict(parse_qsl(url.query))
        event["body"] = delivery.body if isinstance(delivery.body, str) else json.dumps(delivery.body)
        response = self.blinger_app.lambda_handler(event, self.context)
        assert response["statusCode"] == 200, response
        self.outbox.run()


def measure(rounds: int) -> dict[str, dict[str, list[float]]]:
    """Per step, per figure: the values of the counted rounds."""
    from tests.bench.stand_ins import StandIns

    figures: dict[str, dict[str, list[float]]] = collections.defaultdict(
        lambda: collections.defaultdict(list)
    )
    with StandIns(support=True) as stand_ins:
        os.environ.update(stand_ins.environment())
        import importlib

        from infra.blinger import BlingerConsole
        from infra.demo import load_demo_data
        from tests.bench import baseline_handler
        from tests.functional.events import FakeLambdaContext
        from tests.functional.harness import Harness

        webhook = importlib.import_module("functions.telegram_webhook.app")
        blinger_app = importlib.import_module("functions.blinger_webhook.app")
        outbox_app = importlib.import_module("functions.outbox.app")
        load_demo_data()
        context = FakeLambdaContext()
        with BlingerConsole(
            token=stand_ins.blinger_token,
            channel_id="telegram",
            bot_webhook_url="http://127.0.0.1:9/v1/blinger/webhook/",
            events_secret="bench-events-key",
        ) as blinger:
            os.environ.update(
                {
                    "BLINGER_API_URL": blinger.send_url,
                    "BLINGER_TOKEN": stand_ins.blinger_token,
                    "BLINGER_CHANNEL_ID": "telegram",
                    "BLINGER_WEBHOOK_SECRET": "bench-events-key",
                }
            )
            # Loading the demo data read the configuration (the tables' names): read it again.
            from supportbot.config import get_config

            get_config.cache_clear()
            count_log_bytes()
            support = Support(
                blinger,
                Timed(blinger_app, None, "blinger"),
                Outbox(Timed(outbox_app, None, "outbox"), stand_ins.queue_url, context),
                context,
            )
            harness = Harness(stand_ins.world, stand_ins.botapi, Timed(webhook, baseline_handler), context)
            for round_ in range(rounds + 1):  # round 0 warms up (imports, caches), not counted
                chat = harness.user(stand_ins.new_user(add=False))
                count_log_bytes()
                for step, action in journey(chat, support):
                    counters.clear()
                    bot_calls, blinger_calls = len(stand_ins.world.calls), len(blinger.calls)
                    action()
                    if not round_:
                        continue
                    new_calls = stand_ins.world.calls[bot_calls:]
                    # A callback's answer rides in the webhook response: not a request of ours.
                    outbound = [c for c in new_calls if c.method != "answerCallbackQuery"]
                    baseline_calls = counters["invocations webhook"]  # one sendMessage each
                    values = figures[step]
                    values["Bot API"].append(len(outbound) - baseline_calls)
                    values["Blinger"].append(len(blinger.calls) - blinger_calls)
                    for key in (
                        "cpu_ms webhook",
                        "cpu_ms baseline",
                        "cpu_ms outbox",
                        "cpu_ms blinger",
                        "invocations webhook",
                        "invocations outbox",
                        "invocations blinger",
                        "WCU",
                        "RCU",
                        "SQS",
                        "log bytes",
                    ):
                        values[key].append(counters[key])
                    for key, count in counters.items():
                        if key.startswith(("ddb ", "sqs ")):
                            values[key].append(count)
    apihelper.API_URL = apihelper.FILE_URL = None
    return {step: {k: v for k, v in values.items()} for step, values in figures.items()}


def medians(figures: dict[str, dict[str, list[float]]], rounds: int) -> dict[str, dict[str, float]]:
    # A key missing in some rounds counts as 0 there.
    return {
        step: {k: statistics.median(v + [0.0] * (rounds - len(v))) for k, v in values.items()}
        for step, values in figures.items()
    }


def report(rounds: int) -> dict[str, Any]:
    steps = medians(measure(rounds), rounds)
    lines = [
        f"Journey steps (median of {rounds} users; warm handlers; moto server, Bot API and Blinger stand-ins)",
        "CPU ms: the handler thread's; baseline = the bare handler on the same event. Bot API: outbound",
        "requests (a callback's answer travels in the webhook response). RCU/WCU: capacity units.",
        f"{'step':22} {'CPU ms':>7} {'base':>5} {'ratio':>5} {'outbox':>6} {'blngr':>5} {'BotAPI':>6}"
        f" {'Blngr':>5} {'RCU':>4} {'WCU':>4} {'SQS':>4} {'log B':>6}  DynamoDB requests",
    ]
    ratios = []
    for step, v in steps.items():
        ratio = v["cpu_ms webhook"] / v["cpu_ms baseline"] if v["cpu_ms baseline"] else float("nan")
        ratios.append(ratio)
        dynamo = ", ".join(f"{k[4:]}={n:g}" for k, n in sorted(v.items()) if k.startswith("ddb ") and n)
        lines.append(
            f"{step:22} {v['cpu_ms webhook']:7.1f} {v['cpu_ms baseline']:5.1f} {ratio:5.2f}"
            f" {v['cpu_ms outbox']:6.1f} {v['cpu_ms blinger']:5.1f} {v['Bot API']:6g} {v['Blinger']:5g}"
            f" {v['RCU']:4g} {v['WCU']:4g} {v['SQS']:4g} {v['log bytes']:6.0f}  {dynamo}"
        )
    total = sum(v["cpu_ms webhook"] for v in steps.values()) / sum(
        v["cpu_ms baseline"] for v in steps.values()
    )
    worst = max(ratios)
    met = "met" if total <= TARGET_RATIO and worst <= TARGET_WORST_STEP else "NOT met"
    plain = [v for step, v in steps.items() if step not in CATEGORIES["support"]]
    without = sum(v["cpu_ms webhook"] for v in plain) / sum(v["cpu_ms baseline"] for v in plain)
    lines.append(
        f"Warm CPU ratio product/baseline: whole journey {total:.2f}x, worst step {worst:.2f}x (target <="
        f" {TARGET_RATIO}x and no step above {TARGET_WORST_STEP}x: {met}), without the two support steps"
        f" {without:.2f}x, median step {statistics.median(ratios):.2f}x"
    )
    return {
        "text": "\n".join(lines),
        "steps": steps,
        "ratio": total,
        "worst": worst,
        "without_support": without,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print(report(args.rounds)["text"])


if __name__ == "__main__":
    main()
