"""``make lint``'s dependency audit: pip-audit over the installed .venv (the pinned runtime and dev
packages), where its vulnerability service (PyPI's JSON API) is reachable; says so and passes when
it is not (build machines that reach only a package index, or a mirror without that API).

Reachable means: PyPI's JSON API answers, within a few seconds, for a release with known
vulnerabilities, with its ``vulnerabilities`` list. Then pip-audit runs with ``--strict`` (a
package it cannot audit fails the step) and its exit status is the step's.

    python -m infra.dependency_audit
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import requests

PROBE = "https://pypi.org/pypi/requests/2.25.0/json"  # CVE-2023-32681 among others
TIMEOUT = 5.0
AUDIT_TIMEOUT = 300
SKIPPED = "dependency audit skipped: vulnerability service unreachable"


def service_reachable() -> tuple[bool, str]:
    try:
        response = requests.get(PROBE, timeout=TIMEOUT)
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        return False, type(error).__name__
    if response.status_code != 200 or not isinstance(data, dict) or not data.get("vulnerabilities"):
        return False, f"HTTP {response.status_code} without vulnerability data"
    return True, "ok"


def main() -> int:
    reachable, why = service_reachable()
    if not reachable:
        print(f"{SKIPPED} ({PROBE}: {why})")
        return 0
    pip_audit = Path(sys.executable).with_name("pip-audit")
    command = [str(pip_audit), "--local", "--strict", "--progress-spinner", "off", "--timeout", "15"]
    try:
        return subprocess.run(command, check=False, timeout=AUDIT_TIMEOUT).returncode  # noqa: S603 - our venv's pip-audit
    except subprocess.TimeoutExpired:
        print(f"dependency audit failed: pip-audit took over {AUDIT_TIMEOUT} s")
        return 1


if __name__ == "__main__":
    sys.exit(main())
