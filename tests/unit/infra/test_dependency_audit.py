"""make lint's dependency audit: skipped, saying so, when the vulnerability service cannot answer."""

from __future__ import annotations

import json
import subprocess

import pytest

from infra import dependency_audit


def probe_answer(stdout: str, stderr: str = "") -> object:
    def run(command, check, capture_output, text, timeout):
        assert "--disable-pip" in command
        assert "--no-deps" in command
        return subprocess.CompletedProcess(command, 1, stdout, stderr)

    return run


@pytest.mark.parametrize(
    "run",
    [
        probe_answer("", "pip_audit: ServiceError: Connection error"),
        probe_answer("<html>not JSON</html>"),
        probe_answer(json.dumps({"dependencies": [{"name": "requests", "vulns": []}]})),
    ],
)
def test_unreachable_or_without_vulnerability_data_is_skipped_and_passes(monkeypatch, capsys, run):
    # GIVEN a probe that does not come back with the known vulnerabilities
    monkeypatch.setattr(subprocess, "run", run)
    # WHEN the audit step runs
    # THEN it says it skipped and does not fail the lint
    assert dependency_audit.main() == 0
    assert capsys.readouterr().out.startswith(dependency_audit.SKIPPED)


def test_probe_timeout_is_skipped(monkeypatch, capsys):
    def run(command, **kwargs):
        raise subprocess.TimeoutExpired(command, kwargs["timeout"])

    monkeypatch.setattr(subprocess, "run", run)
    assert dependency_audit.main() == 0
    assert "no answer" in capsys.readouterr().out


def test_reachable_runs_pip_audit_strictly_and_returns_its_status(monkeypatch):
    report = json.dumps({"dependencies": [{"name": "requests", "vulns": [{"id": "GHSA-j8r2-6x86-q33q"}]}]})
    calls = []

    def run(command, check, timeout, **kwargs):
        calls.append(command)
        if "--disable-pip" in command:
            return subprocess.CompletedProcess(command, 1, report, "")
        return subprocess.CompletedProcess(command, 1)

    monkeypatch.setattr(subprocess, "run", run)
    assert dependency_audit.main() == 1
    assert calls[1][0].endswith("pip-audit")
    assert {"--local", "--strict"} <= set(calls[1])
