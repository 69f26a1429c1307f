"""Point Telegram at the deployed webhook: ``make set-webhook`` (after ``make deploy``).

Reads the stack's ``TelegramWebhookUrl`` output and calls setWebhook with the secret Telegram
will send back in ``X-Telegram-Bot-Api-Secret-Token``. The token and the secret come from the
environment (the same values as in the stack's SSM parameters), never from arguments, so they
stay out of the shell history.
"""

from __future__ import annotations

import argparse
import os
import sys

import boto3
import requests

# An edit of a message already sent to support is relayed to the desk (bot/support.py).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


def webhook_url(stack_name: str, cloudformation: object | None = None) -> str:
    client = cloudformation or boto3.client("cloudformation")
    (stack,) = client.describe_stacks(StackName=stack_name)["Stacks"]  # type: ignore[attr-defined]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    return outputs["TelegramWebhookUrl"]


def set_webhook(url: str, token: str, secret: str, api_url: str = "https://api.telegram.org") -> dict:
    response = requests.post(
        f"{api_url}/bot{token}/setWebhook",
        json={"url": url, "secret_token": secret, "allowed_updates": ALLOWED_UPDATES, "max_connections": 40},
        timeout=10,
    )
    return response.json()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack-name", required=True)
    args = parser.parse_args(argv)
    token, secret = os.environ.get("TELEGRAM_BOT_TOKEN"), os.environ.get("TELEGRAM_WEBHOOK_SECRET")
    if not token or not secret:
        print("Set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET in the environment.", file=sys.stderr)
        return 2
    url = webhook_url(args.stack_name)
    answer = set_webhook(url, token, secret, os.environ.get("TELEGRAM_API_URL") or "https://api.telegram.org")
    print(f"setWebhook {url}: {answer.get('description') or answer.get('ok')}")
    return 0 if answer.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
