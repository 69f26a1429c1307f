"""Load: the local stack (``python -m infra.localstack``) with simulated users running the mix.

Loopback only and bounded: the stack runs as a subprocess on free ports and is stopped at the end,
users stop at ``--duration``, every wait has a timeout. A small timing proxy sits between the
Telegram sandbox and the API (the sandbox's webhook is pointed at it): it measures each webhook
call (p50/p99 latency, status) and tells the user who caused the update that it was handled.

Users (all logging in as the demo customer) pick actions with the mix's weights: menu navigation,
support (a question to Blinger, and the operator's answer back through the Blinger console), login
(log out, share the contact again), FAQ, complaints. Lost messages: support questions that never
reached Blinger's console, or answers that never reached the user's chat, after a drain wait.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from infra.demo import CUSTOMER_PHONE
from infra.localstack.stack import LOCAL_WEBHOOK_SECRET
from infra.localstack.telegram import LOCAL_TOKEN
from tests.e2e.conftest import free_port, start_stack

WEIGHTS = {"navigation": 60, "support": 15, "login": 10, "faq": 10, "complaint": 5}
NAVIGATION = ("📦 Мои заказы", "▶️", "⏭", "◀️", "⏮", "🔄 Обновить", "⬅️ К списку", "🏠 Главное меню", "⬆️ Наверх")
WAIT = 20.0  # seconds an update may take before it counts as lost


class Proxy:
    """Forwards the sandbox's webhook calls to the API, timing them."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.done: dict[int, threading.Event] = {}
        proxy = self
        session = threading.local()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                http = getattr(session, "http", None) or requests.Session()
                session.http = http
                started = time.perf_counter()
                try:
                    answer = http.post(
                        proxy.target + self.path, data=body, headers=dict(self.headers), timeout=60
                    )
                    status, payload, kind = (
                        answer.status_code,
                        answer.content,
                        answer.headers.get("Content-Type", ""),
                    )
                except requests.RequestException:
                    status, payload, kind = 599, b"", "text/plain"
                elapsed = time.perf_counter() - started
                self.send_response(status if status != 599 else 502)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                update_id = _update_id(body)
                with proxy.lock:
                    proxy.latencies.append(elapsed)
                    proxy.statuses[status] = proxy.statuses.get(status, 0) + 1
                    event = proxy.done.setdefault(update_id, threading.Event())
                event.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait(self, update_id: int, timeout: float) -> bool:
        with self.lock:
            event = self.done.setdefault(update_id, threading.Event())
        return event.wait(timeout)


def _update_id(body: bytes) -> int:
    import json

    try:
        return int(json.loads(body)["update_id"])
    except (ValueError, KeyError, TypeError):
        return -1


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    updates: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    timeouts: int = 0
    resets: int = 0
    questions: dict[int, list[str]] = field(default_factory=dict)
    answers: dict[int, list[str]] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        with self.lock:
            self.updates[kind] = self.updates.get(kind, 0) + 1

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Retrying(requests.Session):
    """The stand-ins are single-process http.server instances with a small accept backlog: with
    200 users a connection is sometimes reset before it is accepted. Such a refusal is retried
    (counted apart); it never reached the bot, so it is not the bot's error."""

    def __init__(self, tally: Tally) -> None:
        super().__init__()
        self.tally = tally

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        for attempt in range(5):
            try:
                return super().request(*args, **kwargs)
            except requests.ConnectionError:
                if attempt == 4:
                    raise
                with self.tally.lock:
                    self.tally.resets += 1
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")


class User:
    def __init__(self, stack: Any, proxy: Proxy, tally: Tally, user_id: int, rng: random.Random) -> None:
        self.stack, self.proxy, self.tally, self.id, self.rng = stack, proxy, tally, user_id, rng
        self.http = Retrying(tally)
        self.sandbox = f"{stack.telegram_url}/sandbox/api/chats/{user_id}"

    def act(self, kind: str, action: str, body: dict[str, Any]) -> bool:
        answer = self.http.post(f"{self.sandbox}/{action}", json={"user_id": self.id, **body}, timeout=10)
        if answer.status_code != 200:
            self.tally.error(f"{action}: {answer.status_code} {answer.text[:200]}")
            return False
        self.tally.count(kind)
        if not self.proxy.wait(answer.json()["update_id"], WAIT):
            with self.tally.lock:
                self.tally.timeouts += 1
            return False
        return True

    def buttons(self) -> tuple[int, dict[str, str]]:
        """The newest bot message with an inline keyboard: its id and {label: callback data}."""
        messages = self.http.get(f"{self.sandbox}/messages", params={"limit": 6}, timeout=10).json()[
            "messages"
        ]
        for m in reversed(messages):
            if m.get("from_bot") and m.get("inline_keyboard"):
                labels = {
                    b["text"]: b["callback_data"]
                    for row in m["inline_keyboard"]
                    for b in row
                    if b.get("callback_data")
                }
                return m["message_id"], labels
        return 0, {}

    def press(self, kind: str, label: str) -> bool:
        message_id, labels = self.buttons()
        if label not in labels:
            return False
        return self.act(kind, "press", {"message_id": message_id, "callback_data": labels[label]})

    def home(self) -> None:
        _, labels = self.buttons()
        if "🚪 Выйти" in labels:
            return
        if not self.press("navigation", "🏠 Главное меню"):
            self.act("navigation", "messages", {"text": "/start"})

    def login(self) -> None:
        self.act("login", "messages", {"text": "/start"})
        self.act("login", "contact", {})

    def step(self, kind: str) -> None:
        if kind == "navigation":
            message_id, labels = self.buttons()
            choices = [label for label in labels if label in NAVIGATION or label.startswith("№")]
            if choices:
                label = self.rng.choice(choices)
                self.act(kind, "press", {"message_id": message_id, "callback_data": labels[label]})
            else:
                self.home()
        elif kind == "faq":
            self.home()
            self.press(kind, "❓ Частые вопросы")
            message_id, labels = self.buttons()
            nodes = [label for label in labels if label not in NAVIGATION]
            if nodes:
                self.press(kind, self.rng.choice(nodes))
        elif kind == "login":
            self.home()
            if self.press(kind, "🚪 Выйти"):
                self.act(kind, "contact", {})
        elif kind == "support":
            self.home()
            if self.press(kind, "💬 Задать вопрос"):
                text = f"Вопрос {self.id}-{self.rng.randrange(10**9)}"
                if self.act(kind, "messages", {"text": text}):
                    with self.tally.lock:
                        self.tally.questions.setdefault(self.id, []).append(text)
                    self.operator_answers()
                self.press("navigation", "🏠 Главное меню")
        elif kind == "complaint":
            self.home()
            self.press(kind, "⚠️ Жалоба")
            message_id, labels = self.buttons()
            nodes = [label for label in labels if label not in NAVIGATION and label != "📋 Мои жалобы"]
            if nodes:
                self.press(kind, self.rng.choice(nodes))

    def operator_answers(self) -> None:
        text = f"Ответ {self.id}-{self.rng.randrange(10**9)}"
        url = f"{self.stack.blinger_url}/console/api/conversations/tg-{self.id}/reply"
        # The conversation appears once the outbox delivered the question: retry for up to 30 s
        # (the one-process local stack under 200 users can lag more than 10 s behind).
        for _ in range(150):
            answer = self.http.post(url, json={"type": "text", "data": text}, timeout=10)
            if answer.status_code == 200:
                with self.tally.lock:
                    self.tally.answers.setdefault(self.id, []).append(text)
                self.tally.count("support out")
                return
            time.sleep(0.2)
        self.tally.error(f"operator could not answer tg-{self.id}: {answer.status_code} {answer.text[:200]}")

    def run(self, deadline: float) -> None:
        try:
            self.login()
            kinds, weights = zip(*WEIGHTS.items(), strict=True)
            while time.monotonic() < deadline:
                self.step(self.rng.choices(kinds, weights)[0])
        except Exception as error:  # a user's failure is counted, not fatal to the run
            self.tally.error(f"user {self.id}: {type(error).__name__}: {error}")


def lost_messages(stack: Any, tally: Tally, drain: float) -> tuple[int, int, int]:
    """(questions missing in Blinger, answers missing in Telegram, messages checked) after waiting
    up to ``drain`` seconds for the outbox to deliver everything."""
    deadline = time.monotonic() + drain
    while True:
        missing_in, missing_out, checked = 0, 0, 0
        with tally.lock:  # a straggling user may still be adding to them
            questions = {k: list(v) for k, v in tally.questions.items()}
            answers = {k: list(v) for k, v in tally.answers.items()}
        for user_id, texts in questions.items():
            answer = requests.get(f"{stack.blinger_url}/console/api/conversations/tg-{user_id}", timeout=10)
            seen = (
                {m.get("data") for m in answer.json().get("conversation", {}).get("messages", [])}
                if answer.ok
                else set()
            )
            missing_in += sum(t not in seen for t in texts)
            checked += len(texts)
        for user_id, texts in answers.items():
            messages = requests.get(
                f"{stack.telegram_url}/sandbox/api/chats/{user_id}/messages",
                params={"limit": 300},
                timeout=10,
            ).json()["messages"]
            seen = {m.get("text") for m in messages}
            missing_out += sum(not any(t in (s or "") for s in seen) for t in texts)
            checked += len(texts)
        if not (missing_in or missing_out) or time.monotonic() > deadline:
            return missing_in, missing_out, checked
        time.sleep(1)


def run(users: int, duration: float, seed: int = 8) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_stack(Path(tmp))
        try:
            proxy = Proxy(stack.api_url)
            hooked = requests.post(
                f"{stack.telegram_url}/bot{LOCAL_TOKEN}/setWebhook",
                json={
                    "url": f"{proxy.url}/v1/telegram/webhook",
                    "secret_token": LOCAL_WEBHOOK_SECRET,
                    "max_connections": 40,
                },
                timeout=10,
            ).json()
            assert hooked.get("ok"), hooked
            ids = []
            for n in range(users):
                created = requests.post(
                    f"{stack.telegram_url}/sandbox/api/users",
                    json={"first_name": f"Load{n}", "phone_number": CUSTOMER_PHONE, "language_code": "ru"},
                    timeout=10,
                )
                created.raise_for_status()
                ids.append(created.json()["id"])
            tally = Tally()
            started = time.monotonic()
            deadline = started + duration
            threads = [
                threading.Thread(
                    target=User(stack, proxy, tally, uid, random.Random(seed + uid)).run,  # noqa: S311 - not crypto
                    args=(deadline,),
                    daemon=True,
                )
                for uid in ids
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(max(0.1, deadline + 2 * WAIT + 15 - time.monotonic()))
            elapsed = time.monotonic() - started
            missing_in, missing_out, checked = lost_messages(stack, tally, drain=30)
            tracebacks = classify_tracebacks(stack.log)
        finally:
            rc = stack.stop()
    latencies = sorted(proxy.latencies)
    handled = len(latencies)
    return {
        "users": users,
        "duration": duration,
        "elapsed": elapsed,
        "handled": handled,
        "throughput": handled / elapsed if elapsed else 0.0,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99_ms": latencies[min(handled - 1, int(handled * 0.99))] * 1000 if latencies else 0.0,
        "statuses": proxy.statuses,
        "updates": tally.updates,
        "errors": tally.errors,
        "timeouts": tally.timeouts,
        "lost_in": missing_in,
        "lost_out": missing_out,
        "checked": checked,
        "tracebacks": tracebacks,
        "resets": tally.resets,
        "stack_rc": rc,
    }


def report(users: int, duration: float) -> dict[str, Any]:
    r = run(users, duration)
    non_200 = sum(n for status, n in r["statuses"].items() if status != 200)
    sent = sum(r["updates"].values()) - r["updates"].get("support out", 0)
    mix = ", ".join(
        f"{k} {v / max(1, sent):.0%}" for k, v in sorted(r["updates"].items()) if k != "support out"
    )
    lines = [
        f"Load: {r['users']} users for {r['duration']:g} s on the local stack (one process; the sandbox"
        " delivers at most 8 updates at once)",
        f"updates handled {r['handled']} in {r['elapsed']:.1f} s: {r['throughput']:.1f}/s;"
        f" webhook latency p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms",
        f"realized mix of the updates sent: {mix}; operator answers {r['updates'].get('support out', 0)}",
        f"errors: {non_200} non-200 webhook answers, {r['timeouts']} updates unhandled after {WAIT:g} s,"
        f" {len(r['errors'])} user-side errors, {sum(len(t) for t in r['tracebacks'].values())} tracebacks"
        " in the stack log ("
        + ", ".join(f"{len(t)} {where}" for where, t in r["tracebacks"].items())
        + f"; exit code {r['stack_rc']})",
        f"lost messages: {r['lost_in']} questions missing in Blinger, {r['lost_out']} answers missing in"
        f" Telegram, of {r['checked']} checked",
    ]
    lines.append(f"connections reset by the stand-ins before reaching the bot (retried): {r['resets']}")
    lines += [f"  error: {e}" for e in r["errors"][:5]]
    for where, blocks in r["tracebacks"].items():
        if blocks:
            lines += [f"first traceback {where} (innermost frames):"]
            lines += ["  " + x for x in blocks[0].splitlines()[-5:]]
    return {"text": "\n".join(lines), **r}


TRACEBACK = re.compile(r"^Traceback \(most recent call last\):\n(?:[ \t].*\n)*.*$", re.MULTILINE)
BOT_CODE = re.compile(r'File "[^"]*/(?:supportbot|functions|statemachine)/')
AWS_STAND_IN = re.compile(r'File "[^"]*/site-packages/(?:moto|werkzeug|flask)/')


def classify_tracebacks(log: str) -> dict[str, list[str]]:
    """The stack log's tracebacks by where they were raised: a traceback through the bot's own
    code is a finding; one in moto's server alone is the local AWS stand-in failing a request
    (botocore retries it, and the bot's answer is checked by the other figures)."""
    found: dict[str, list[str]] = {"in the bot's code": [], "in moto's server only": [], "elsewhere": []}
    for block in TRACEBACK.findall(log):
        if BOT_CODE.search(block):
            found["in the bot's code"].append(block)
        elif AWS_STAND_IN.search(block):
            found["in moto's server only"].append(block)
        else:
            found["elsewhere"].append(block)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds the users act")
    args = parser.parse_args()
    print(report(args.users, args.duration)["text"])


if __name__ == "__main__":
    main()
