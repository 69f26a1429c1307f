"""Business metrics as CloudWatch Embedded Metric Format lines (Powertools Metrics): printed to
the function's log, turned into metrics by CloudWatch, so no API call and no latency.

Every metric the code emits is named here; the dashboard and the alarms in ``template.yaml`` name
only these (``tests/unit/template/test_observability.py``). Namespace ``TelegramSupportBot/<stack>``
(``POWERTOOLS_METRICS_NAMESPACE``), dimension ``service``; a few have one more dimension, each with
a handful of values (every name and dimension value pair is a custom metric, billed monthly).

Counts without an extra dimension gather in one line per invocation, written when the handler
returns (``flushed``); a count with a dimension is its own line at once (EMF gives every metric of
a line the same dimensions). Lambda's log-level filter reads a JSON line without a ``level`` as
INFO, so with ``LogLevel`` WARNING or ERROR it would drop every metric: each line carries the
function's own application log level (``AWS_LAMBDA_LOG_LEVEL``) and always passes. Cold start: ``aws_lambda_powertools`` imports its Metrics with its
Logger, so every function has paid that import already; the first emission costs ~0.5 ms, later
ones ~0.1 ms per invocation, ~230 bytes of log a line (``python -m tests.bench.metrics``).

>>> import io, json, contextlib
>>> out = io.StringIO()
>>> with contextlib.redirect_stdout(out):
...     count(LOGINS)
...     count(UPDATES, Kind="text")
...     flush()
>>> [json.loads(line)["_aws"]["CloudWatchMetrics"][0]["Metrics"] for line in out.getvalue().splitlines()]
[[{'Name': 'Updates', 'Unit': 'Count'}], [{'Name': 'Logins', 'Unit': 'Count'}]]
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit

DEFAULT_NAMESPACE = "TelegramSupportBot"

# Telegram webhook
UPDATES = "Updates"  # Count; Kind: text, command, contact, photo, document, callback, other
UPDATE_FAILURES = "UpdateFailures"  # Count: processing raised; recorded for replay, the user told
WEBHOOK_CALLS_REFUSED = (
    "WebhookCallsRefused"  # Count; Webhook: telegram, blinger, business (missing/wrong secret)
)
LOGINS = "Logins"  # Count: a customer logged in
LOGINS_REFUSED = "LoginsRefused"  # Count: a shared contact that did not log in (unknown, blocked...)
CONVERSATIONS_OPENED = "ConversationsOpened"  # Count: a support dialog started
CONVERSATIONS_CLOSED = "ConversationsClosed"  # Count: a support dialog left
# Blinger webhook
FIRST_ANSWER_TIME = "FirstAnswerTime"  # Seconds: a question's wait for the operator's first reply
# Outbox
DELIVERIES = "Deliveries"  # Count; Destination: blinger, customer, warehouse; Outcome: sent, retry, failed
OUTBOX_MESSAGE_AGE = "OutboxMessageAge"  # Seconds since stored, at each try (not when held back on purpose)
DEAD_LETTERS = "DeadLetters"  # Count: messages moved to the dead-letter queue
# Business system (over HTTP; the built-in backend is not measured)
BUSINESS_SYSTEM_LATENCY = "BusinessSystemLatency"  # Milliseconds per call
BUSINESS_SYSTEM_ERRORS = "BusinessSystemErrors"  # Count: timeouts, 5xx, answers outside the contract
# Business webhook and notifications
ORDER_EVENTS = "OrderEvents"  # Count; Outcome: delivered, skipped (a reason not to tell), duplicate
BROADCAST_SENDS = "BroadcastSends"  # Count; Outcome: sent, blocked, failed

UNITS = {
    FIRST_ANSWER_TIME: "Seconds",
    OUTBOX_MESSAGE_AGE: "Seconds",
    BUSINESS_SYSTEM_LATENCY: "Milliseconds",
}
DIMENSIONS = {
    UPDATES: ("Kind",),
    WEBHOOK_CALLS_REFUSED: ("Webhook",),
    DELIVERIES: ("Destination", "Outcome"),
    ORDER_EVENTS: ("Outcome",),
    BROADCAST_SENDS: ("Outcome",),
}
NAMES = frozenset(
    {
        UPDATES,
        UPDATE_FAILURES,
        WEBHOOK_CALLS_REFUSED,
        LOGINS,
        LOGINS_REFUSED,
        CONVERSATIONS_OPENED,
        CONVERSATIONS_CLOSED,
        FIRST_ANSWER_TIME,
        DELIVERIES,
        OUTBOX_MESSAGE_AGE,
        DEAD_LETTERS,
        BUSINESS_SYSTEM_LATENCY,
        BUSINESS_SYSTEM_ERRORS,
        ORDER_EVENTS,
        BROADCAST_SENDS,
    }
)


@functools.cache
def _metrics() -> Metrics:
    return Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE)


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """Add ``value`` to metric ``name`` (its unit: ``UNITS``, else Count), with its ``DIMENSIONS``."""
    _emit(name, value, dimensions)


def observe(name: str, value: float) -> None:
    """One measurement (a duration, an age) of metric ``name``, in its unit (``UNITS``)."""
    _emit(name, value, {})


def _emit(name: str, value: float, dimensions: dict[str, str]) -> None:
    if name not in NAMES:
        raise ValueError(f"{name!r} is not one of the metrics in supportbot.metrics")
    if set(dimensions) != set(DIMENSIONS.get(name, ())):
        raise ValueError(f"{name} takes the dimensions {DIMENSIONS.get(name, ())}, not {tuple(dimensions)}")
    unit = UNITS.get(name, "Count")
    metrics = _metrics()
    if not dimensions:
        metrics.add_metric(name=name, unit=unit, value=value)
        return
    with single_metric(
        name=name,
        unit=MetricUnit(unit),
        value=value,
        namespace=metrics.namespace,
        default_dimensions=metrics.default_dimensions,
    ) as metric:
        for dimension, dimension_value in dimensions.items():
            metric.add_dimension(name=dimension, value=dimension_value)
        _pass_log_filter(metric)


def _pass_log_filter(metrics: Any) -> None:
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if level:
        metrics.add_metadata(key="level", value=level)


def flush() -> None:
    """Write the metrics gathered so far as one EMF line (nothing when there are none)."""
    if _metrics.cache_info().currsize and _metrics().metric_set:
        _pass_log_filter(_metrics())
        _metrics().flush_metrics()


Handler = TypeVar("Handler", bound=Callable[..., Any])


def flushed(handler: Handler) -> Handler:
    """The Lambda handler, writing the invocation's metrics when it returns or raises."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        finally:
            flush()

    return wrapper  # type: ignore[return-value]
