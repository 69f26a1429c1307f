"""``make run``'s switches reach the parts they configure."""

from __future__ import annotations

from infra.localstack.__main__ import parse_args
from infra.localstack.telegram import Sandbox


def test_the_sandbox_keeps_telegrams_flood_limits_unless_told_not_to() -> None:
    assert parse_args([]).rate_limits is True
    assert parse_args(["--no-rate-limits"]).rate_limits is False
    strict, lenient = Sandbox(port=0), Sandbox(port=0, rate_limits=False)
    try:
        assert strict.world.flood.enabled is True
        assert lenient.world.flood.enabled is False
    finally:
        strict.stop()
        lenient.stop()
