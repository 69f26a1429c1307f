"""What a function's handler loads at import, seen from a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import importlib.util, sys
for name in sys.argv[2:]:
    spec = importlib.util.spec_from_file_location(name, f"functions/{name}/app.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
prefixes = tuple(sys.argv[1].split(","))
print(",".join(sorted(m for m in sys.modules if m.startswith(prefixes))))
"""


def packages_loaded(functions: list[str], prefixes: tuple[str, ...]) -> list[str]:
    """The top-level packages starting with ``prefixes`` that importing these functions' handlers
    loads, on the import path Lambda gives them: the function and the shared layer only."""
    return sorted({name.split(".")[0] for name in modules_loaded(functions, prefixes)})


def modules_loaded(functions: list[str], prefixes: tuple[str, ...]) -> list[str]:
    """The modules starting with ``prefixes`` that importing these functions' handlers loads."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'layers' / 'shared'}"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(prefixes), *functions],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [name for name in result.stdout.strip().split(",") if name]
