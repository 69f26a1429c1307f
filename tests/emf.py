"""What a function printed as CloudWatch Embedded Metric Format, read back as CloudWatch would."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

import pytest

from supportbot import metrics


@dataclass(frozen=True)
class Emitted:
    namespace: str
    name: str
    unit: str
    dimensions: tuple[tuple[str, str], ...]  # sorted (name, value) pairs
    values: tuple[float, ...]


def read_emf(output: str) -> list[Emitted]:
    """Every metric in the EMF lines of ``output`` (other lines, the logs, are skipped)."""
    found = []
    for line in output.splitlines():
        try:
            blob = json.loads(line)
        except ValueError:
            continue
        if not isinstance(blob, dict) or "_aws" not in blob:
            continue
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dimensions = tuple(sorted((name, str(blob[name])) for name in dimension_set))
                for metric in directive["Metrics"]:
                    value = blob[metric["Name"]]
                    values = tuple(value) if isinstance(value, list) else (value,)
                    found.append(
                        Emitted(directive["Namespace"], metric["Name"], metric["Unit"], dimensions, values)
                    )
    return found


class Capture:
    """``take()``: the metrics emitted since the last take (what is gathered is flushed first).
    Made by a test's ``emf`` fixture from pytest's ``capsys``."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        metrics.flush()  # whatever an earlier test left gathered is not this test's
        capsys.readouterr()

    def take(self) -> list[Emitted]:
        metrics.flush()
        return read_emf(self.capsys.readouterr().out)

    def counts(self) -> Counter[tuple[str, ...]]:
        """Sum of each count since the last take: (name, *dimension values) -> total."""
        totals: Counter[tuple[str, ...]] = Counter()
        for metric in self.take():
            if metric.unit == "Count":
                totals[(metric.name, *(value for _, value in metric.dimensions if _ != "service"))] += sum(
                    metric.values
                )
        return totals


def values_of(emitted: list[Emitted], name: str) -> list[float]:
    return [value for metric in emitted if metric.name == name for value in metric.values]
