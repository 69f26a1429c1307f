"""make lint's dependency audit: skipped, saying so, when the vulnerability service cannot answer."""

from __future__ import annotations

import subprocess

import requests

from infra import dependency_audit


class Answer:
    def __init__(self, status: int, data: object) -> None:
        self.status_code, self.data = status, data

    def json(self) -> object:
        if isinstance(self.data, Exception):
            raise self.data
        return self.data


def test_unreachable_or_without_vulnerability_data_is_skipped_and_passes(monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: ran.append(a))
    for outcome in (
        requests.ConnectionError("no route"),
        Answer(200, ValueError("an HTML page")),
        Answer(200, {"info": {}, "vulnerabilities": []}),
        Answer(404, {"message": "Not Found"}),
    ):

        def get(url, timeout, outcome=outcome):
            assert timeout <= 5
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

        monkeypatch.setattr(requests, "get", get)
        assert dependency_audit.main() == 0
        assert capsys.readouterr().out.startswith(dependency_audit.SKIPPED)
    assert ran == []


def test_reachable_runs_pip_audit_strictly_and_returns_its_status(monkeypatch):
    monkeypatch.setattr(requests, "get", lambda url, timeout: Answer(200, {"vulnerabilities": [{"id": "X"}]}))
    calls = []

    def run(command, check, timeout):
        calls.append(command)
        return subprocess.CompletedProcess(command, 1)

    monkeypatch.setattr(subprocess, "run", run)
    assert dependency_audit.main() == 1
    assert calls[0][0].endswith("pip-audit")
    assert {"--local", "--strict"} <= set(calls[0])
