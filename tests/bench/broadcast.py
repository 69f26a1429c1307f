"""A broadcast to thousands on the local stack, the sandbox enforcing Telegram's limits (30
messages a second for the bot, 429 with retry_after past them): the real admin API, fan-out job,
notifications queue and NotificationsFunction, in real time. Prints the rate against the allowed
one, and what was lost or repeated (counted from every recipient's chat in the sandbox)."""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

ALLOWED = 25.0  # messages a second the broadcast may use (supportbot/pacing.py BROADCAST, Telegram ~30)
FIRST_USER = 800_000_001


def report(recipients: int = 2000) -> dict[str, Any]:
    from infra.localstack.aws import client
    from infra.localstack.stack import local_secrets
    from infra.localstack.template_model import StackModel
    from infra.template import load_template
    from tests.e2e.conftest import start_stack

    model = StackModel.from_template(load_template())
    key = local_secrets(model)["ADMIN_API_KEY"]
    with tempfile.TemporaryDirectory() as folder:
        stack = start_stack(Path(folder), {"BROADCAST_PAGE_SIZE": "50"})
        try:
            sandbox = stack.telegram_url + "/sandbox/api"
            users = list(range(FIRST_USER, FIRST_USER + recipients))
            session = requests.Session()
            for user_id in users:
                answer = session.post(
                    f"{sandbox}/users", json={"first_name": f"R{user_id}", "id": user_id}, timeout=10
                )
                answer.raise_for_status()
            dynamodb = client("dynamodb", stack.moto_url)
            table = model.tables["SessionsTable"]
            for start in range(0, recipients, 25):
                dynamodb.batch_write_item(
                    RequestItems={
                        table: [
                            {"PutRequest": {"Item": _session(user_id)}}
                            for user_id in users[start : start + 25]
                        ]
                    }
                )
            admin = {"X-Api-Key": key}
            started = time.monotonic()
            created = session.post(
                f"{stack.api_url}/v1/admin/broadcasts",
                json={"text": "<b>Bench</b> broadcast"},
                headers=admin,
                timeout=30,
            )
            created.raise_for_status()
            broadcast_id = created.json()["id"]
            view: dict[str, Any] = {}
            deadline = started + max(600.0, recipients / 5)
            while time.monotonic() < deadline:
                view = session.get(
                    f"{stack.api_url}/v1/admin/broadcasts/{broadcast_id}", headers=admin, timeout=30
                ).json()
                if view.get("status") == "done":
                    break
                time.sleep(1)
            wall = time.monotonic() - started
            counts: Counter[int] = Counter()
            dates: list[int] = []
            refused = 0
            for user_id in users:
                shown = session.get(f"{sandbox}/chats/{user_id}/messages", timeout=10).json()
                mine = [m for m in shown.get("messages", []) if m.get("from_bot")]
                counts[user_id] = len(mine)
                dates += [int(m["date"]) for m in mine]
                refused += int(shown.get("rate_limited_count", 0))
        finally:
            stack.stop()
    delivered = sum(1 for n in counts.values() if n)
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    span = (max(dates) - min(dates) + 1) if dates else 0
    rate = len(dates) / span if span else 0.0
    figures = {
        "recipients": recipients,
        "status": view.get("status"),
        "sent": view.get("sent"),
        "delivered": delivered,
        "lost": recipients - delivered,
        "duplicates": duplicates,
        "seconds": span,
        "rate": rate,
        "share": rate / ALLOWED,
        "refused_429": refused,
        "wall": wall,
    }
    lines = [
        f"A broadcast to {recipients} logged-in users on the local stack (sandbox at Telegram's limits)",
        f"  status                  {figures['status']} (sent {figures['sent']}, counted in the chats {delivered})",
        f"  first to last message   {span:7d} s",
        f"  rate                    {rate:7.1f} messages/s of {ALLOWED:.0f} allowed ({figures['share']:.0%}; goal ≥ 90 %)",
        f"  lost                    {figures['lost']:7d}",
        f"  duplicates              {duplicates:7d}",
        f"  429s answered           {refused:7d}",
        f"  wall time               {wall:7.1f} s (from the POST to done)",
    ]
    return {"text": "\n".join(lines), "figures": figures}


def _session(user_id: int) -> dict[str, Any]:
    phone = f"+7{user_id:010d}"[-12:]
    auth = json.dumps({"t": f"bench-{user_id}", "k": "customer", "n": ""}, separators=(",", ":"))
    return {
        "user_id": {"N": str(user_id)},
        "a": {"S": auth},
        "t": {"S": "c"},  # storage/sessions.py AUDIENCES
        "p": {"S": phone},
        "l": {"S": "ru"},
        "u": {"N": "0"},
        "v": {"N": "1"},
    }


if __name__ == "__main__":
    import sys

    print(report(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)["text"])
