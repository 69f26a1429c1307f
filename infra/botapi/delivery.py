"""One webhook delivery as Telegram makes it: POST the Update, read the answer.

Shared by the sandbox's `WebhookDeliverer` and by the local stack's real-Telegram path (which
long-polls api.telegram.org and posts each update to the local webhook with this same function,
then executes `method_call` against the real API), so it knows nothing about the World.

Telegram's rules it follows: the secret comes back in `X-Telegram-Bot-Api-Secret-Token`; only a
2xx answer counts as delivered (redirects are not followed); a 2xx answer's JSON body may carry
one Bot API call `{"method": "sendMessage", ...}`, which Telegram executes (no result is returned
to anyone), except get* methods, setWebhook, deleteWebhook, close and logOut, which it ignores.

>>> split_call({"method": "sendMessage", "chat_id": 1, "text": "hi"})
('sendMessage', {'chat_id': 1, 'text': 'hi'})
>>> webhook_response_call(b'{"method": "getMe"}') is None, webhook_response_call(b'{"ok": true}')
(True, None)
>>> webhook_response_call(b'{"method": "answerCallbackQuery", "callback_query_id": "7"}')
{'method': 'answerCallbackQuery', 'callback_query_id': '7'}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import requests

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
NOT_FROM_WEBHOOK = frozenset({"setwebhook", "deletewebhook", "close", "logout"})  # and get*


@dataclass(frozen=True)
class DeliveryResult:
    """status: the HTTP status (0 when there was none: timeout, refused connection).

    method_call: the Bot API call carried by a 2xx answer, as sent (`{"method": ..., **params}`),
    None if none or not allowed. error: Telegram's last_error_message wording, None on success.
    """

    status: int
    method_call: dict[str, Any] | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def post_update(
    url: str,
    secret: str | None,
    update: dict[str, Any],
    timeout: float = 60,
    session: requests.Session | None = None,
) -> DeliveryResult:
    """Deliver one Update to a webhook URL; never raises for network trouble."""
    headers = {"Content-Type": "application/json"}
    if secret:
        headers[SECRET_HEADER] = secret
    body = json.dumps(update, ensure_ascii=False).encode("utf-8")
    post = session.post if session is not None else requests.post
    try:
        r = post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.Timeout:
        return DeliveryResult(0, None, "Read timeout expired")
    except requests.ConnectionError as e:
        return DeliveryResult(0, None, f"Connection refused: {_reason(e)}")
    except requests.RequestException as e:
        return DeliveryResult(0, None, f"Failed to deliver the update: {_reason(e)}")
    if not 200 <= r.status_code < 300:
        return DeliveryResult(r.status_code, None, f"Wrong response from the webhook: {_status_line(r)}")
    return DeliveryResult(r.status_code, webhook_response_call(r.content), None)


def webhook_response_call(body: bytes) -> dict[str, Any] | None:
    """The method call a webhook answer carries, if any and if Telegram would execute it."""
    try:
        data = json.loads(body) if body.strip() else None
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    method = data.get("method")
    if not isinstance(method, str) or not method:
        return None
    lowered = method.lower()
    if lowered.startswith("get") or lowered in NOT_FROM_WEBHOOK:
        return None
    return data


def split_call(call: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """("sendMessage", params) from a webhook answer's `{"method": "sendMessage", ...}`."""
    params = {k: v for k, v in call.items() if k != "method"}
    return str(call["method"]), params


def _status_line(r: requests.Response) -> str:
    reason = r.reason
    if not reason:
        try:
            reason = HTTPStatus(r.status_code).phrase
        except ValueError:
            reason = ""
    return f"{r.status_code} {reason}".strip()


def _reason(e: Exception) -> str:
    text = str(e)
    return text if len(text) <= 200 else text[:197] + "..."
