"""The package: standard library only, and the public API in one import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import statemachine

ROOT = Path(__file__).resolve().parents[3]


def test_standard_library_only() -> None:
    # GIVEN a fresh interpreter  WHEN it imports the engine  THEN only stdlib modules are loaded
    code = (
        "import json, sys; before = set(sys.modules); import statemachine; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    command = [sys.executable, "-c", code]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = {name.partition(".")[0] for name in json.loads(out.stdout)}
    assert "statemachine" in loaded
    assert loaded - set(sys.stdlib_module_names) == {"statemachine"}


def test_public_api() -> None:
    names = [
        "Machine",
        "State",
        "Family",
        "Screen",
        "Button",
        "Input",
        "Context",
        "Result",
        "Outcome",
        "Session",
        "CONTACT",
        "PHOTO",
        "DOCUMENT",
        "ANY",
        "TEXT",
        "BACK",
        "UP",
        "HOME",
        "Nav",
        "Notice",
        "Matcher",
        "Kind",
        "SEP",
        "MIGRATIONS",
        "Handler",
    ]
    for name in names:
        assert name in statemachine.__all__
        assert getattr(statemachine, name) is not None
    assert sorted(statemachine.__all__) == sorted(set(statemachine.__all__))
