"""Admin-only dependencies stay off the webhooks' path: they live in the admin layer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import importlib.util, sys
for name in ("telegram_webhook", "blinger_webhook", "outbox"):
    spec = importlib.util.spec_from_file_location(name, f"functions/{name}/app.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(sorted({m.split(".")[0] for m in sys.modules if m.startswith(("pydantic", "supportbot_admin"))}))
"""


def test_the_webhook_functions_load_without_the_admin_layer_and_never_import_pydantic():
    # GIVEN the import path of a webhook function in Lambda: the shared layer only
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'layers' / 'shared'}"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    # THEN their handlers import, and nothing of the admin's was loaded
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
