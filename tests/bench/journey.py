"""Per journey step: DynamoDB requests (by table), Bot API requests and the handler's CPU time.

Runs the real webhook handler in-process against DynamoDB under moto and the strict Bot API
stand-in, the same way the functional tests do. ``make bench`` runs it; figures are printed,
never asserted. CPU time is the handler thread's own (``time.thread_time``), so the stand-in's
server threads are not counted; the median over ``--rounds`` users is shown.
"""

from __future__ import annotations

import argparse
import collections
import statistics
import time
from collections.abc import Callable
from typing import Any

from botocore import handlers
from telebot import apihelper

import conftest  # noqa: F401 - the test settings (fake credentials, table names) before any import
from infra.botapi import BotApiServer, World
from tests.functional.harness import BOT_TOKEN, Harness, UserChat

dynamodb_calls: collections.Counter[str] = collections.Counter()


def _count_dynamodb(params: dict[str, Any], model: Any, **_: Any) -> None:
    table = params.get("TableName") or ",".join(params.get("RequestItems", {})) or "?"
    dynamodb_calls[f"{model.name}:{table.removeprefix('test-')}"] += 1


handlers.BUILTIN_HANDLERS.append(("before-parameter-build.dynamodb", _count_dynamodb))


def journey(chat: UserChat) -> list[tuple[str, Callable[[], Any]]]:
    from infra.demo import CUSTOMER_PHONE

    return [
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
        ("Up", lambda: chat.tap("⬆️ Наверх")),
        ("typed text (refused)", lambda: chat.send("hello")),
        ("Home", lambda: chat.tap("🏠 Главное меню")),
        ("log out", lambda: chat.tap("🚪 Выйти")),
    ]


def measure(rounds: int) -> dict[str, dict[str, list[float]]]:
    import boto3
    from moto import mock_aws

    from conftest import TABLE_NAMES
    from functions.telegram_webhook import app
    from infra.demo import load_demo_data
    from infra.template import create_tables
    from tests.functional.conftest import reset_singletons
    from tests.functional.events import FakeLambdaContext

    figures: dict[str, dict[str, list[float]]] = collections.defaultdict(
        lambda: collections.defaultdict(list)
    )
    with mock_aws():
        create_tables(boto3.client("dynamodb"), TABLE_NAMES)
        world = World(token=BOT_TOKEN)
        with BotApiServer(world) as server:
            import os

            os.environ["TELEGRAM_API_URL"] = server.base_url
            reset_singletons()
            load_demo_data()
            harness = Harness(world, server, app, lambda_context=FakeLambdaContext())
            for round_ in range(rounds + 1):  # round 0 warms up (imports, caches), not counted
                chat = harness.user(200000000 + round_)
                for step, action in journey(chat):
                    dynamodb_calls.clear()
                    bot_calls = len(world.calls)
                    started = time.thread_time()
                    action()
                    cpu = time.thread_time() - started
                    if round_:
                        new_calls = world.calls[bot_calls:]
                        # The callback answer rides in the webhook response: not a request of ours.
                        outbound = [c for c in new_calls if c.method != "answerCallbackQuery"]
                        figures[step]["cpu_ms"].append(cpu * 1000)
                        figures[step]["bot_api"].append(len(outbound))
                        for key, count in dynamodb_calls.items():
                            figures[step][key].append(count)
    apihelper.API_URL = apihelper.FILE_URL = None
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    figures = measure(args.rounds)
    print(f"Journey step costs (median of {args.rounds} users; warm handler; DynamoDB under moto)")
    print(f"{'step':24} {'CPU ms':>7} {'Bot API':>7}  DynamoDB requests (operation:table)")
    print("(Bot API: outbound requests; a callback's answer travels in the webhook response)")
    for step, values in figures.items():
        dynamo = ", ".join(
            f"{key}={statistics.median(counts):g}"
            for key, counts in sorted(values.items())
            if key not in ("cpu_ms", "bot_api")
        )
        cpu, bot_api = statistics.median(values["cpu_ms"]), statistics.median(values["bot_api"])
        print(f"{step:24} {cpu:7.1f} {bot_api:7g}  {dynamo}")


if __name__ == "__main__":
    main()
