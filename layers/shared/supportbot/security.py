"""Caller authentication shared by the entry points: constant-time, failing closed."""

from __future__ import annotations

import hmac
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
