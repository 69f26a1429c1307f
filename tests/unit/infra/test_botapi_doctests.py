"""The stand-in's modules keep documented examples. pytest runs them (``--doctest-modules`` over
infra/ and the layer); this only checks that none lost its examples."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
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
def test_each_module_keeps_documented_examples(name: str) -> None:
    tests = doctest.DocTestFinder().find(importlib.import_module(name))
    assert sum(len(test.examples) for test in tests) > 0
