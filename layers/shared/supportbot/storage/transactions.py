"""DynamoDB transactions over one shared connection.

A new pynamodb ``Connection`` builds a botocore client and loads DynamoDB's service model
(~60 ms of CPU each time): transactions reuse one per process, as the models do.
"""

from __future__ import annotations

import functools

from pynamodb.connection import Connection
from pynamodb.transactions import TransactWrite


@functools.cache
def shared_connection() -> Connection:
    return Connection()


def transaction() -> TransactWrite:
    """``with transaction() as t: t.save(...)`` — all or nothing."""
    return TransactWrite(connection=shared_connection())
