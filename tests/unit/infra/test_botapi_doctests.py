"""Run the stand-in's doctests from the test tree (pytest's testpaths do not include infra/)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "infra.botapi.models",
    "infra.botapi",
    "infra.botapi.spec",
    "supportbot.telegram.html",  # the formatting rules the stand-in imports
    "infra.botapi.validation",
    "infra.botapi.world",
    "infra.botapi.server",
    "infra.botapi.delivery",
    "infra.botapi.webhook",
    "infra.botapi.render",
    "infra.botapi.sandbox",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    # GIVEN a module's documented examples WHEN run THEN they hold
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0 or name == "infra.botapi.models"
