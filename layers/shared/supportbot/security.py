"""Caller authentication shared by the entry points: constant-time, failing closed."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from http import HTTPStatus


def check_secret(presented: str | None, *accepted: str | None) -> HTTPStatus | None:
    """None when ``presented`` matches one of the ``accepted`` values (a secret's current value and,
    during a rotation, its previous one: ``Config.accepted``); 401 when nothing was presented; 403
    when it is wrong or when nothing is accepted (no secret configured: then nobody gets in).

    Every accepted value is compared, each in constant time, whichever matches.

    >>> check_secret("s3cret", "s3cret") is None, check_secret("old", "new", "old") is None
    (True, True)
    >>> check_secret(None, "s3cret"), check_secret("guess", "s3cret", "old"), check_secret("x")
    (<HTTPStatus.UNAUTHORIZED: 401>, <HTTPStatus.FORBIDDEN: 403>, <HTTPStatus.FORBIDDEN: 403>)
    """
    if not presented:
        return HTTPStatus.UNAUTHORIZED
    given = presented.encode()
    matches = [hmac.compare_digest(given, value.encode()) for value in accepted if value]
    if not any(matches):
        return HTTPStatus.FORBIDDEN
    return None


SIGNATURE_TOLERANCE = 300  # seconds a signed call may be away from our clock


def check_signature(
    header: str | None,
    body: bytes,
    accepted: Sequence[str],
    now: float,
    tolerance: int = SIGNATURE_TOLERANCE,
) -> HTTPStatus | None:
    """A Stripe-style ``X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
    (``docs/business-system-openapi.yaml``, webhooks): None when one ``v1`` matches the HMAC with
    one of the ``accepted`` secrets (the current one and, while rotated out, the previous:
    ``Config.accepted``) and ``t`` is within ``tolerance`` of ``now``; 401 when there is no
    header; 403 otherwise, also when no secret is configured. Several ``v1`` values are allowed (a
    sender rotating its secret); every pair is compared, each in constant time.

    >>> body, t = b'{"event_id": "e1"}', 1_700_000_000
    >>> check_signature(signature_header("s3cret", body, t), body, ["s3cret"], now=t + 299) is None
    True
    >>> check_signature(signature_header("old", body, t), body, ["new", "old"], now=t) is None
    True
    >>> check_signature(None, body, ["s3cret"], now=t)
    <HTTPStatus.UNAUTHORIZED: 401>
    >>> [check_signature(h, body, ["s3cret"], now=t) for h in ("t=1,v1=00", signature_header("x", body, t))]
    [<HTTPStatus.FORBIDDEN: 403>, <HTTPStatus.FORBIDDEN: 403>]
    >>> check_signature(signature_header("s3cret", body, t), body, ["s3cret"], now=t + 301)
    <HTTPStatus.FORBIDDEN: 403>
    >>> check_signature(signature_header("s3cret", body, t), body, [], now=t)
    <HTTPStatus.FORBIDDEN: 403>
    """
    if not header:
        return HTTPStatus.UNAUTHORIZED
    secrets = [secret for secret in accepted if secret]
    if not secrets:
        return HTTPStatus.FORBIDDEN
    timestamp, signatures = None, []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t" and value.isdigit() and len(value) <= 12:
            timestamp = value
        elif name == "v1":
            signatures.append(value)
    if timestamp is None or not signatures or abs(now - int(timestamp)) > tolerance:
        return HTTPStatus.FORBIDDEN
    matches = [
        hmac.compare_digest(_signature(secret, body, timestamp).encode(), given.encode("utf-8", "replace"))
        for secret in secrets
        for given in signatures
    ]
    return None if any(matches) else HTTPStatus.FORBIDDEN


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Signature`` a sender with ``secret`` puts on ``body`` at ``timestamp``."""
    return f"t={timestamp},v1={_signature(secret, body, str(timestamp))}"


def _signature(secret: str, body: bytes, timestamp: str) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
