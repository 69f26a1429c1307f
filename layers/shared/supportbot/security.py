"""Caller authentication shared by the entry points: constant-time, failing closed."""

from __future__ import annotations

import hmac
from http import HTTPStatus


def check_secret(presented: str | None, expected: str | None) -> HTTPStatus | None:
    """None when ``presented`` matches ``expected``; 401 when nothing was presented; 403 when it is
    wrong or when no secret is configured (then nobody gets in).

    >>> check_secret("s3cret", "s3cret") is None
    True
    >>> check_secret(None, "s3cret"), check_secret("guess", "s3cret"), check_secret("x", None)
    (<HTTPStatus.UNAUTHORIZED: 401>, <HTTPStatus.FORBIDDEN: 403>, <HTTPStatus.FORBIDDEN: 403>)
    """
    if not presented:
        return HTTPStatus.UNAUTHORIZED
    if not expected:
        return HTTPStatus.FORBIDDEN
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        return HTTPStatus.FORBIDDEN
    return None
