"""The local stack (``python -m infra.localstack``) as a subprocess on free ports, for HTTP-only tests.

A subprocess, not threads in the test process: the stack sets ``os.environ`` (table names, AWS
endpoint, tokens) and runs a moto server, which would collide with the other tests' ``mock_aws``
and the environment the root conftest sets. Its output goes to a file (a pipe nobody reads would
block it), shown when a test fails to start it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"ready in \d+(?:\.\d+)? s")
# Set by the root conftest for in-process tests; a stack started with them would use them.
INHERITED = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "TELEGRAM_WEBHOOK_SECRET", "AWS_ENDPOINT_URL")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class StackProcess:
    """A running ``python -m infra.localstack`` and where to reach it."""

    process: subprocess.Popen[bytes]
    log_path: Path
    ports: dict[str, int]
    stopped_rc: int | None = field(default=None)
    # What a test makes fail on purpose (an update id): its logged tracebacks are expected.
    expected_failures: set[str] = field(default_factory=set)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    @property
    def telegram_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['telegram']}"

    @property
    def blinger_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['blinger']}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['moto']}"

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 20) -> int:
        """Ctrl-C (or SIGTERM) and wait; killed if it does not stop in time. Returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.stopped_rc = self.process.returncode
        return self.process.returncode


def start_stack(
    tmp_dir: Path,
    extra_env: dict[str, str] | None = None,
    ports: dict[str, int] | None = None,
    extra_args: tuple[str, ...] = (),
) -> StackProcess:
    """A stack keeping its data in ``tmp_dir/state`` (never the checkout's); ``ports`` again to
    restart one where it was."""
    ports = ports or {name: free_port() for name in ("api", "telegram", "blinger", "moto")}
    env = {k: v for k, v in os.environ.items() if k not in INHERITED}
    env |= {"PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'layers' / 'shared'}", "PYTHONUNBUFFERED": "1"}
    env |= extra_env or {}
    log_path = next(
        tmp_dir / f"stack{n or ''}.log" for n in range(100) if not (tmp_dir / f"stack{n or ''}.log").exists()
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "infra.localstack",
                *("--port", str(ports["api"]), "--telegram-port", str(ports["telegram"])),
                *("--blinger-port", str(ports["blinger"]), "--moto-port", str(ports["moto"])),
                *("--state-dir", str(tmp_dir / "state"), *extra_args),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    stack = StackProcess(process, log_path, ports)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if READY.search(stack.log):
            return stack
        if process.poll() is not None:
            break
        time.sleep(0.1)
    stack.stop(signal.SIGKILL)
    pytest.fail(f"the local stack did not start:\n{stack.log[-5000:]}")


def unexpected_tracebacks(log: str, expected: set[str]) -> list[str]:
    """The log's lines with a traceback, but for one-line records naming a failure a test caused
    on purpose (a multi-line traceback never names it on its first line: it always counts)."""
    return [
        line
        for line in log.splitlines()
        if "Traceback" in line and not any(marker in line for marker in expected)
    ]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """One sandbox stack for the session, stopped at the end: a traceback anywhere in its output
    (a handler, a poller, the stop) or an unclean exit fails the session's last test."""
    # Order notifications after 2 s instead of a minute: a test waits for the message in the chat.
    running = start_stack(tmp_path_factory.mktemp("localstack"), {"ORDER_EVENTS_COALESCE_SECONDS": "2"})
    try:
        yield running
    finally:
        rc = running.stop()
    if rc != 0 or unexpected_tracebacks(running.log, running.expected_failures):
        pytest.fail(f"the local stack exited with {rc} or logged a traceback:\n{running.log[-5000:]}")
