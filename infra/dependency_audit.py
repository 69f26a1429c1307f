"""``make lint``'s dependency audit: pip-audit over the installed .venv (the pinned runtime and dev
packages), where its vulnerability service is reachable; says so and passes when it is not (build
machines that reach only a package index, or a mirror without that service).

Reachable means: pip-audit, asked about one release with well-known vulnerabilities, reports
them within a minute. Then pip-audit runs over the venv with ``--strict`` (a package it cannot
audit fails the step) and its exit status is the step's. The probe goes through pip-audit itself,
so this file names no service host.

    python -m infra.dependency_audit
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

KNOWN_VULNERABLE = "requests==2.25.0"  # CVE-2023-32681 among others
PROBE_TIMEOUT = 60
AUDIT_TIMEOUT = 300
SKIPPED = "dependency audit skipped: vulnerability service unreachable"


def pip_audit() -> str:
    return str(Path(sys.executable).with_name("pip-audit"))


def service_reachable() -> tuple[bool, str]:
    """Whether pip-audit can tell that a known-vulnerable release is vulnerable."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as requirements:
        requirements.write(KNOWN_VULNERABLE + "\n")
        requirements.flush()
        command = [pip_audit(), "-r", requirements.name, "--no-deps", "--disable-pip"]
        command += ["--progress-spinner", "off", "--timeout", "5", "--format", "json"]
        try:
            result = subprocess.run(  # noqa: S603 - our venv's pip-audit
                command, check=False, capture_output=True, text=True, timeout=PROBE_TIMEOUT
            )
        except subprocess.TimeoutExpired:
            return False, f"no answer within {PROBE_TIMEOUT} s"
    try:
        report = json.loads(result.stdout or "{}")
    except ValueError:
        report = {}
    vulnerabilities = [v for d in report.get("dependencies", []) for v in d.get("vulns", [])]
    if vulnerabilities:
        return True, "ok"
    reason = (result.stderr.strip().splitlines() or ["no vulnerability data"])[-1]
    return False, reason[:200]


def main() -> int:
    reachable, why = service_reachable()
    if not reachable:
        print(f"{SKIPPED} ({why})")
        return 0
    command = [pip_audit(), "--local", "--strict", "--progress-spinner", "off", "--timeout", "15"]
    try:
        return subprocess.run(command, check=False, timeout=AUDIT_TIMEOUT).returncode  # noqa: S603 - our venv's pip-audit
    except subprocess.TimeoutExpired:
        print(f"dependency audit failed: pip-audit took over {AUDIT_TIMEOUT} s")
        return 1


if __name__ == "__main__":
    sys.exit(main())
