"""Rotate a secret without refusing a call: ``make rotate-webhook-secret``, ``make rotate-secret``,
``make finish-rotation`` (README, "Rotating secrets").

Every secret ``/<SsmPrefix>/<name>`` the bot checks is also accepted as ``/<SsmPrefix>/<name>-previous``
while that parameter exists, and warm functions read both again at most every five minutes
(``supportbot/config.py``). So a rotation is: move the current value to ``-previous``, store the
new one, wait until every function has read both, let the callers switch to the new value, delete
``-previous``.

``webhook-secret`` does all of it for the Telegram webhook secret, since the bot itself tells
Telegram the secret (setWebhook); ``start`` and ``finish`` do the two halves for a secret whose
callers are switched by hand (the admin key, Blinger's URL key and token). New values are
generated here (or taken from ``NEW_SECRET_VALUE`` for a value someone else issued, such as
Blinger's token) and never printed: they go to SSM only.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from collections.abc import Callable
from typing import Any

import boto3

from infra.set_webhook import set_webhook, webhook_url
from supportbot.config import SECRETS_MAX_AGE

WEBHOOK_SECRET = "telegram-webhook-secret"  # noqa: S105 - a parameter name
BOT_TOKEN = "telegram-bot-token"  # noqa: S105 - a parameter name
# The functions' re-read window, plus a margin for the GetParameters call itself.
WAIT = SECRETS_MAX_AGE + 15
ROTATABLE = (
    "telegram-webhook-secret",
    "admin-api-key",
    "blinger-webhook-secret",
    "blinger-token",
    "business-webhook-secret",
    "backend-token-secret",
)
ISSUED_ELSEWHERE = {"blinger-token": "Blinger generates the app token: give it in NEW_SECRET_VALUE"}

Say = Callable[[str], None]


class RotationError(RuntimeError):
    """A step of the rotation could not be done; what was done before it is safe as it is."""


class Parameters:
    """The stack's SSM parameters by short name (``/<prefix>/<name>``)."""

    def __init__(self, prefix: str, ssm: Any = None) -> None:
        self.prefix = prefix
        self.ssm = ssm or boto3.client("ssm")

    def path(self, name: str) -> str:
        return f"/{self.prefix}/{name}"

    def get(self, name: str) -> str | None:
        try:
            answer = self.ssm.get_parameter(Name=self.path(name), WithDecryption=True)
        except self.ssm.exceptions.ParameterNotFound:
            return None
        return str(answer["Parameter"]["Value"])

    def put(self, name: str, value: str) -> None:
        self.ssm.put_parameter(Name=self.path(name), Value=value, Type="SecureString", Overwrite=True)

    def delete(self, name: str) -> bool:
        try:
            self.ssm.delete_parameter(Name=self.path(name))
        except self.ssm.exceptions.ParameterNotFound:
            return False
        return True


def new_secret() -> str:
    """64 characters of A-Z, a-z, 0-9, ``_`` and ``-``: what Telegram allows in a secret_token."""
    return secrets.token_urlsafe(48)


def start(parameters: Parameters, name: str, value: str | None = None, say: Say = print) -> str:
    """The current value becomes ``<name>-previous`` (still accepted), ``value`` (or a new one) the
    current. Returns the new value."""
    current = parameters.get(name)
    if current is not None:
        parameters.put(f"{name}-previous", current)
        say(f"{parameters.path(name)}-previous: the value in use until now (still accepted)")
    fresh = value or new_secret()
    parameters.put(name, fresh)
    say(f"{parameters.path(name)}: the new value (read it with aws ssm get-parameter --with-decryption)")
    return fresh


def finish(parameters: Parameters, name: str, say: Say = print) -> None:
    """Stop accepting the old value: delete ``<name>-previous`` (warm functions forget it within
    the re-read window)."""
    if parameters.delete(f"{name}-previous"):
        say(f"{parameters.path(name)}-previous deleted: only the new value is accepted from now on")
    else:
        say(f"{parameters.path(name)}-previous did not exist: nothing to finish")


def wait_for_re_read(seconds: float, sleep: Callable[[float], None] = time.sleep, say: Say = print) -> None:
    say(f"Waiting {seconds:.0f} s: every warm function reads its secrets again within that time")
    sleep(seconds)


def rotate_webhook_secret(
    parameters: Parameters,
    url: str,
    api_url: str = "https://api.telegram.org",
    wait: float = WAIT,
    sleep: Callable[[float], None] = time.sleep,
    say: Say = print,
) -> None:
    """Start, wait until every function accepts both secrets, tell Telegram the new one, finish."""
    token = parameters.get(BOT_TOKEN)
    if not token:
        raise RotationError(
            f"{parameters.path(BOT_TOKEN)} is not set: the bot token is needed for setWebhook"
        )
    secret = start(parameters, WEBHOOK_SECRET, say=say)
    wait_for_re_read(wait, sleep, say)
    answer = set_webhook(url, token, secret, api_url)
    if not answer.get("ok"):
        # Telegram keeps sending the old secret, which stays accepted: run the rotation again.
        raise RotationError(f"setWebhook refused: {answer.get('description')}; the old secret stays accepted")
    say(f"setWebhook {url}: Telegram sends the new secret from now on")
    finish(parameters, WEBHOOK_SECRET, say)


def stack_prefix(stack_name: str, cloudformation: Any = None) -> str:
    """The deployed stack's SsmPrefix parameter."""
    client = cloudformation or boto3.client("cloudformation")
    (stack,) = client.describe_stacks(StackName=stack_name)["Stacks"]
    given = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
    return given.get("SsmPrefix") or "telegram-support-bot"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack-name", required=True)
    parser.add_argument(
        "--wait", type=float, default=WAIT, help="seconds to wait for the functions' re-read (webhook-secret)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("webhook-secret", help="rotate the Telegram webhook secret end to end")
    for command in ("start", "finish"):
        sub = commands.add_parser(command, help=f"{command} the rotation of one secret")
        sub.add_argument("name", choices=ROTATABLE)
    args = parser.parse_args(argv)
    parameters = Parameters(stack_prefix(args.stack_name))
    try:
        if args.command == "webhook-secret":
            api_url = os.environ.get("TELEGRAM_API_URL") or "https://api.telegram.org"
            rotate_webhook_secret(parameters, webhook_url(args.stack_name), api_url, wait=args.wait)
        elif args.command == "start":
            value = os.environ.get("NEW_SECRET_VALUE") or None
            if value is None and args.name in ISSUED_ELSEWHERE:
                raise RotationError(ISSUED_ELSEWHERE[args.name])
            start(parameters, args.name, value)
            print(
                f"Wait {args.wait:.0f} s, switch the callers to the new value, then: "
                f"make finish-rotation NAME={args.name}"
            )
        else:
            finish(parameters, args.name)
    except RotationError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
