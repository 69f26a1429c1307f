"""Telling a write refused by its condition from every other DynamoDB failure."""

from __future__ import annotations

from pynamodb.exceptions import PynamoDBException, TransactWriteError


def condition_failed(error: PynamoDBException) -> bool:
    """True when the write's condition, or any of a transaction's, was not met."""
    if isinstance(error, TransactWriteError):
        return any(
            reason is not None and reason.code == "ConditionalCheckFailed"
            for reason in error.cancellation_reasons
        )
    return error.cause_response_code == "ConditionalCheckFailedException"


def transaction_conflict(error: TransactWriteError) -> bool:
    """True when DynamoDB cancelled the transaction because another one was writing one of its
    items at the same moment (``TransactionConflict``): nothing was written, trying again is safe."""
    return any(
        reason is not None and reason.code == "TransactionConflict" for reason in error.cancellation_reasons
    )
